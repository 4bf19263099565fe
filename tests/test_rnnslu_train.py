"""Training on the embedded toy corpus: F1 rises, resume equals uninterrupted, the decay rule."""
import json
import os

import numpy as np

from rnnrepro import checkpoint
from rnnslu import cli
from rnnslu.train import decay_step, main, make_config

SMALL = dict(data="toy", nhidden=24, emb_dimension=12, win=3, verbose=0)


def _run(tmp_path, name, resume=False, **kw):
    s = make_config(**dict(SMALL, out=str(tmp_path / name), **kw))
    return main(s, resume=resume)


def _log(folder):
    with open(os.path.join(folder, "log.jsonl")) as f:
        return [json.loads(l) for l in f]


def test_toy_run_raises_f1(tmp_path):
    s, _ = _run(tmp_path, "dlt", nepochs=3, preset="dlt")
    f1 = [r["valid"]["f1"] for r in _log(s["out"])]
    assert f1[0] < f1[1] < f1[2] and f1[2] > f1[0] + 20, f1
    assert s["vf1"] == max(f1) and os.path.exists(os.path.join(s["out"], "best", "wx.npy"))


def test_is13_jordan_learns(tmp_path):
    s, _ = _run(tmp_path, "is13", nepochs=2, preset="is13", model="jordan", bs=3)
    rec = _log(s["out"])
    assert rec[1]["train_nll"] < rec[0]["train_nll"] and rec[1]["valid"]["f1"] > 30, rec


def test_resume_equals_uninterrupted(tmp_path):
    straight, m1 = _run(tmp_path, "a", nepochs=4)
    _run(tmp_path, "b", nepochs=2)                   # "killed" after two epochs
    resumed, m2 = _run(tmp_path, "b", nepochs=4, resume=True)
    for k, v in m1.get_params().items():
        np.testing.assert_array_equal(v, m2.get_params()[k])
    strip = lambda r: {k: v for k, v in r.items() if not k.endswith("seconds") and k != "peak_rss_mb"}
    assert [strip(r) for r in _log(straight["out"])] == [strip(r) for r in _log(resumed["out"])]
    assert (straight["be"], straight["vf1"]) == (resumed["be"], resumed["vf1"])
    _, state = checkpoint.load(os.path.join(resumed["out"], "checkpoint.npz"))
    assert state["train_state"]["epoch"] == 4


def test_decay_rule_faithful_aliasing():
    st = dict(be=2, clr=1.0, aliased=False)
    assert [decay_step(st, e, True, "aliased") for e in range(10, 15)] == \
        [False, False, True, False, False]  # first stale-10 epoch restores; later ones can't
    assert st["clr"] == 1.0 / 8
    st = dict(be=2, clr=1.0, aliased=False)
    assert [decay_step(st, e, True, "always") for e in range(12, 15)] == [True, True, True]
    st = dict(be=2, clr=1.0, aliased=False)
    assert not any(decay_step(st, e, False, "aliased") for e in range(30)) and st["clr"] == 1.0


def test_cli_train_then_neighbors(tmp_path, capsys):
    out = str(tmp_path / "cli")
    assert cli.main(["train", "--data", "toy", "--epochs", "1", "--nhidden", "24", "--emb", "12",
                     "--win", "3", "--quiet", "--out", out]) == 0
    assert json.load(open(os.path.join(out, "result.json")))["summary"]["epochs_run"] == 1
    assert cli.main(["neighbors", out, "boston", "monday", "-k", "3"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["boston", "monday"] and len(table) == 5
    # the columns are the cosine nearest neighbours of the saved best embeddings, worked out
    # here: every other vocabulary word (not the padding row), most similar first
    from rnnslu.toy import toy_corpus
    emb = np.load(os.path.join(out, "best", "embeddings.npy")).astype(np.float64)
    w2i = toy_corpus()[3]["words2idx"]
    i2w = {i: w for w, i in w2i.items()}
    for col, word in enumerate(["boston", "monday"]):
        q = emb[w2i[word]]
        sims = [(float(emb[i] @ q / np.linalg.norm(emb[i]) / np.linalg.norm(q)), i2w[i])
                for i in range(len(w2i)) if i != w2i[word]]
        expect = [w for _, w in sorted(sims, key=lambda t: -t[0])[:3]]
        assert [row.split()[col] for row in table[2:]] == expect


def test_cli_missing_data_is_one_clear_error(tmp_path, capsys):
    assert cli.main(["train", "--data-dir", str(tmp_path), "--quiet",
                     "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "atis.fold3.pkl.gz: file not found" in err and "Traceback" not in err


def test_search_space_is_the_tutorials():
    import random
    from rnnslu.search import format_ranking, sample_trial
    trials = [sample_trial(random.Random(i)) for i in range(300)]
    assert all(0.01 <= t["lr"] <= 0.05 for t in trials)
    assert {t["win"] for t in trials} == set(range(3, 20, 2))
    assert {t["nhidden"] for t in trials} == {100, 200}
    assert {t["emb_dimension"] for t in trials} == {50, 100}
    ranked = [dict(t, trial=i, best_epoch=0, valid_f1=f, test_f1=f)
              for i, (t, f) in enumerate(zip(trials[:2], [90.0, 95.0]))]
    table = format_ranking(sorted(ranked, key=lambda r: -r["valid_f1"])).splitlines()
    assert table[2].split()[:2] == ["1", "1"] and len(table) == 4


def test_cli_corrupt_checkpoint_is_one_clear_error(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "checkpoint.npz").write_bytes(b"torn")
    assert cli.main(["train", "--data", "toy", "--nhidden", "24", "--emb", "12", "--win", "3",
                     "--quiet", "--resume", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "checkpoint.npz: unreadable checkpoint" in err and "Traceback" not in err


def test_every_model_is_a_command_choice_and_only_bidirectional_ones_take_bi_combine():
    """--model offers exactly rnnslu.model.MODELS (named in the CLI so --help loads no
    engine); bi_combine belongs to the bidirectional models' configs only, so the run
    identities of the other models are unchanged."""
    import pytest
    from rnnslu.model import MODELS
    from rnnslu.train import BIDIRECTIONAL
    assert cli.MODEL_NAMES == tuple(MODELS)
    assert BIDIRECTIONAL == ("bi-jordan", "bi-elman")
    assert "bi_combine" not in make_config("is13", model="hybrid")
    assert make_config("is13", model="bi-elman")["bi_combine"] == "shifted"
    assert make_config("is13", model="bi-jordan", bi_combine="aligned")["bi_combine"] == "aligned"
    with pytest.raises(ValueError, match="bidirectional"):
        make_config("is13", model="elman", bi_combine="aligned")
    with pytest.raises(ValueError, match="bi_combine must be"):
        make_config("is13", model="bi-elman", bi_combine="sideways")


def test_dry_run_builds_the_model_a_run_builds(monkeypatch):
    """The dry run built its own model and left out a bidirectional model's bi_combine (it
    tried 'shifted' when the run would train 'aligned'); now it sets up as a run does."""
    from rnnslu import train
    from rnnslu.dryrun import dry_run
    seen, real = [], dict(train.MODELS)

    def spy(kind):
        def make(**kw):
            seen.append(kw.get("combine"))
            return real[kind](**kw)
        return make
    monkeypatch.setattr(train, "MODELS", {k: spy(k) for k in real})
    out = dry_run(make_config(**dict(SMALL, model="bi-elman", bi_combine="aligned")), 2)
    assert seen == ["aligned"] and "one pass over 2 training sentence(s)" in out
