"""rnnlm.ngram.mix (EM mixture weights, per-word probability files) and the ``rnnlm ngram`` /
``rnnlm mix`` commands end to end on a tiny PTB-layout corpus, with the toolkit trainer's
per-word probabilities mixed with an n-gram's."""
import json
import os

import numpy as np
import pytest

from rnnlm.cli import main
from rnnlm.ngram.mix import em_weights, mix_runs, perplexity, read_probs, write_probs
from rnnrepro.files import InputError

from helpers import write_markov_ptb


def _loglik(lam, probs):
    return float(np.log(np.asarray(lam) @ probs).sum())


def test_em_exact_optimum_of_separated_models():
    # model 1 alone explains n1 tokens, model 2 the other n2: the optimum is n1 / (n1 + n2)
    n1, n2 = 7, 3
    probs = np.array([[0.3] * n1 + [0.0] * n2, [0.0] * n1 + [0.8] * n2])
    lam, _ = em_weights(probs)
    assert lam == pytest.approx([0.7, 0.3], abs=1e-12)


def test_em_reaches_the_maximum_likelihood_weights():
    rng = np.random.RandomState(0)
    u = rng.uniform(0.01, 1, (2, 200))
    probs = np.vstack([np.r_[u[0, :120], u[0, 120:] ** 3], np.r_[u[1, :120] ** 3, u[1, 120:]]])
    lam, _ = em_weights(probs)
    grid = np.linspace(0, 1, 20001)
    ll = np.log(np.outer(grid, probs[0]) + np.outer(1 - grid, probs[1])).sum(axis=1)
    assert lam[0] == pytest.approx(grid[int(np.argmax(ll))], abs=1e-4)
    assert _loglik(lam, probs) >= ll.max()
    assert 0.05 < lam[0] < 0.95                       # an interior optimum, not a corner
    # three models: the stationarity condition mean(P_k / P_mix) = 1 for every used model
    probs3 = np.vstack([probs, rng.uniform(0.01, 1, (1, 200)) ** 2])
    lam3, _ = em_weights(probs3)
    assert lam3.sum() == pytest.approx(1.0, abs=1e-12)
    ratio = (probs3 / (lam3 @ probs3)).mean(axis=1)
    assert np.allclose(ratio[lam3 > 1e-6], 1.0, atol=1e-6)
    assert perplexity(probs3, lam3) <= min(perplexity(p) for p in probs3)


@pytest.mark.parametrize("text, match", [
    ("0.5\nabc\n", r"line 2: 'abc' is not a number"),
    ("0.5\n0\n", r"line 2: 0 is not a probability"),
    ("1.5\n", r"line 1: 1.5 is not a probability"),
    ("nan\n", r"line 1: nan is not a probability"),
    ("", "no probabilities"),
])
def test_probability_files_are_checked(tmp_path, text, match):
    p = tmp_path / "x.probs.txt"
    p.write_text(text)
    with pytest.raises(InputError, match=match):
        read_probs(str(p))


def test_write_read_round_trip(tmp_path):
    p = np.array([0.5, 1e-9, 0.123456789012, 1.0])
    write_probs(str(tmp_path / "p.txt"), p)
    assert np.allclose(read_probs(str(tmp_path / "p.txt")), p, rtol=1e-11, atol=0)


# ---------------------------------------------------------------------- commands end to end
@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_markov_ptb(tmp_path_factory.mktemp("ptb"), dict(train=500, valid=60, test=60))


def _run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_ngram_command_records_what_the_library_computes(data, tmp_path, capsys):
    from rnnlm.ngram.kn import KneserNey
    out = tmp_path / "kn3"
    status, text, err = _run(capsys, "ngram", "--order", 3, "--min-count", "3=1",
                             "--data-dir", data, "--out", out, "--quiet")
    assert status == 0, err
    rec = json.loads((out / "run.json").read_text())
    read = lambda s: [ln.split() for ln in (data / f"ptb.{s}.txt").read_text().splitlines()]
    m = KneserNey(read("train"), order=3, min_counts=[1, 1, 1])
    ppl, r = m.perplexity(read("test"))
    assert rec["value"] == pytest.approx(ppl, rel=1e-12)
    assert rec["min_counts"] == [1, 1, 1]
    probs = read_probs(str(out / "test.probs.txt"))
    assert len(probs) == r["words"] + r["sentences"]
    assert perplexity(probs) == pytest.approx(ppl, rel=1e-9)
    # a second run into the same folder is refused in one line and changes nothing
    before = {f: (out / f).read_bytes() for f in os.listdir(out)}
    status, text, err = _run(capsys, "ngram", "--order", 3, "--data-dir", data, "--out", out)
    assert status == 2 and err.count("\n") == 1 and "holds a run already" in err
    assert {f: (out / f).read_bytes() for f in os.listdir(out)} == before
    # --dry-run writes nothing
    status, text, err = _run(capsys, "ngram", "--order", 2, "--data-dir", data, "--out",
                             tmp_path / "dry", "--dry-run")
    assert status == 0 and "nothing written" in text and not (tmp_path / "dry").exists()


def _kernels():
    from rnnlm.toolkit.model import KERNELS, default_kernel
    return [k for k in KERNELS if k == "python" or default_kernel() == "numba"]


def test_toolkit_probability_files_are_the_same_with_either_kernel(data, tmp_path):
    # the numba test pass fills the same per-word output as the numpy loop, word for word
    from rnnlm.toolkit.trainnet import ToolkitConfig, train_class_rnn
    kernels = _kernels()
    if len(kernels) < 2:
        pytest.skip("numba is not installed here")
    files = {}
    for k in kernels:
        s = train_class_rnn(ToolkitConfig(hidden=5, class_size=3, max_epochs=1, kernel=k),
                            data_dir=str(data), out=str(tmp_path / k), quiet=True)
        files[k] = {split: read_probs(str(tmp_path / k / f"{split}.probs.txt"))
                    for split in ("valid", "test")}
        assert len(files[k]["test"]) == s["test_words"]
        assert perplexity(files[k]["test"]) == pytest.approx(s["test_perplexity"], rel=1e-9)
    for split in ("valid", "test"):
        np.testing.assert_allclose(files["numba"][split], files["python"][split], rtol=1e-10)


def test_mix_of_toolkit_rnn_and_ngrams(data, tmp_path, capsys):
    from rnnlm.toolkit.trainnet import ToolkitConfig, train_class_rnn
    rnn = tmp_path / "rnn"
    s = train_class_rnn(ToolkitConfig(hidden=5, class_size=3, max_epochs=1), data_dir=str(data),
                        out=str(rnn), quiet=True)
    probs = read_probs(str(rnn / "test.probs.txt"))
    assert len(probs) == s["test_words"]
    assert perplexity(probs) == pytest.approx(s["test_perplexity"], rel=1e-9)
    for order in (2, 3):
        assert _run(capsys, "ngram", "--order", order, "--min-count", f"{order}=1",
                    "--data-dir", data, "--out", tmp_path / f"kn{order}", "--quiet")[0] == 0
    runs = [rnn, tmp_path / "kn3", tmp_path / "kn2"]
    status, text, err = _run(capsys, "mix", *runs, "--json")
    assert status == 0, err
    r = json.loads(text)
    assert sum(r["weights"]) == pytest.approx(1.0)
    assert r["valid_perplexity"] <= min(r["model_valid_perplexity"]) + 1e-9
    assert r == mix_runs([str(x) for x in runs])
    # files of different lengths: one line naming them
    (tmp_path / "kn2" / "valid.probs.txt").write_text("0.5\n")
    status, text, err = _run(capsys, "mix", *runs)
    assert status == 2 and err.count("\n") == 1 and "different token counts" in err


# ---------------------------------------------------------------------- rnnlm mix --out
@pytest.fixture(scope="module")
def runs(data, tmp_path_factory):
    """A toolkit RNN run and KN5 / KN3 runs on the tiny corpus, made by their commands."""
    from rnnlm.toolkit.trainnet import ToolkitConfig, train_class_rnn
    d = tmp_path_factory.mktemp("runs")
    train_class_rnn(ToolkitConfig(hidden=5, class_size=3, max_epochs=1), data_dir=str(data),
                    out=str(d / "rnn"), quiet=True)
    for order in (5, 3):
        assert main(["ngram", "--order", str(order), "--data-dir", str(data), "--out",
                     str(d / f"kn{order}"), "--quiet"]) == 0
    return d


def test_mix_out_records_the_mixture_and_its_inputs(runs, tmp_path, capsys):
    out = tmp_path / "mix"
    ins = [runs / "rnn", runs / "kn5"]
    status, text, err = _run(capsys, "mix", *ins, "--out", out)
    assert status == 0, err
    rec = json.loads((out / "run.json").read_text())
    expect = mix_runs([str(x) for x in ins])
    assert rec["weights"] == pytest.approx(expect["weights"], abs=1e-15)
    assert rec["value"] == pytest.approx(expect["test_perplexity"], rel=1e-15)
    assert rec["valid_perplexity"] == pytest.approx(expect["valid_perplexity"], rel=1e-15)
    # the mixture's own per-word probabilities: the weights applied to the inputs' files
    for split, key in (("valid", "valid_perplexity"), ("test", "value")):
        got = read_probs(str(out / f"{split}.probs.txt"))
        want = np.asarray(rec["weights"]) @ np.vstack(
            [read_probs(str(r / f"{split}.probs.txt")) for r in ins])
        assert got == pytest.approx(want, rel=1e-11)
        assert perplexity(got) == pytest.approx(rec[key], rel=1e-9)
    assert f"test {rec['value']:.2f}" in text
    for entry, run in zip(rec["inputs"], ins):
        own = json.loads((run / "run.json").read_text())
        assert entry["run"] == str(run.resolve())
        assert (entry["id"], entry["commit"], entry["command"]) == (
            own["id"], own["commit"], own["command"])
        assert entry["value"] == own["value"]
    # the thesis's RNN + KN5 figure beside a toolkit RNN + KN5 mixture, and only there
    assert rec["published"] == 105.7 and "Table 4.1" in rec["published_source"]
    assert rec["command"].startswith("rnnlm ")
    assert rec["label"] == "smaller: input(s) not full: rnn"   # its one epoch of a schedule


def test_mix_out_published_only_for_the_pair_the_thesis_names(runs, tmp_path, capsys):
    for i, ins in enumerate(([runs / "rnn", runs / "kn3"], [runs / "kn3", runs / "kn5"],
                             [runs / "rnn", runs / "kn5", runs / "kn3"])):
        assert _run(capsys, "mix", *ins, "--out", tmp_path / f"m{i}")[0] == 0
        rec = json.loads((tmp_path / f"m{i}" / "run.json").read_text())
        assert rec["published"] is None
        assert (rec["label"] == "full") == (i == 1)


def test_mix_out_refuses_to_replace_a_run(runs, tmp_path, capsys):
    out = tmp_path / "mix"
    ins = [runs / "rnn", runs / "kn5"]
    assert _run(capsys, "mix", *ins, "--out", out)[0] == 0
    before = (out / "run.json").read_bytes()
    status, text, err = _run(capsys, "mix", runs / "rnn", runs / "kn3", "--out", out)
    assert status == 2 and err.count("\n") == 1 and "--overwrite" in err
    assert (out / "run.json").read_bytes() == before
    assert sorted(os.listdir(out)) == ["run.json", "test.probs.txt", "valid.probs.txt"]
    status, text, err = _run(capsys, "mix", runs / "rnn", runs / "kn3", "--out", out,
                             "--overwrite")
    assert status == 0, err
    assert json.loads((out / "run.json").read_text())["inputs"][1]["id"] == "kn3"
    # an input folder as --out, and --overwrite alone: one line each, nothing written
    kn5 = {f: (runs / "kn5" / f).read_bytes() for f in os.listdir(runs / "kn5")}
    status, text, err = _run(capsys, "mix", runs / "rnn", runs / "kn5", "--out", runs / "kn5",
                             "--overwrite")
    assert status == 2 and err.count("\n") == 1 and "one of the runs" in err
    assert {f: (runs / "kn5" / f).read_bytes() for f in os.listdir(runs / "kn5")} == kn5
    status, text, err = _run(capsys, "mix", *ins, "--overwrite")
    assert status == 2 and err.count("\n") == 1 and "--overwrite" in err


def test_a_dynamically_evaluated_rnn_gets_the_dynamic_rows_figure(runs, data, tmp_path, capsys):
    """Table 4.1's dynamic RNN + KN5 (102.7) beside a ``ptb-rnnlm-test --dynamic`` run + KN5;
    the same model's static test run + KN5 gets the static row's 105.7."""
    for name, extra, published in (("dyn", ["--dynamic", "0.1"], 102.7), ("st", [], 105.7)):
        assert main(["ptb-rnnlm-test", str(runs / "rnn" / "checkpoint.npz"), *extra, "--quiet",
                     "--data-dir", str(data), "--out", str(tmp_path / name)]) == 0
        assert _run(capsys, "mix", tmp_path / name, runs / "kn5", "--out",
                    tmp_path / f"mix-{name}")[0] == 0
        rec = json.loads((tmp_path / f"mix-{name}" / "run.json").read_text())
        assert rec["published"] == published, name


def test_a_failed_overwrite_of_an_ngram_run_leaves_the_old_run_whole(data, tmp_path, capsys,
                                                                     monkeypatch):
    """The probability files were not among the files --overwrite moves aside: a new run that
    failed after scoring valid left its valid.probs.txt beside the old run's record."""
    from helpers import snapshot
    from rnnlm.ngram import run as ngram_run
    out = tmp_path / "kn3"
    assert _run(capsys, "ngram", "--order", 3, "--data-dir", data, "--out", out, "--quiet")[0] == 0
    before = snapshot(out)
    real = ngram_run.runsafe.check_finite

    def fail_on_test(what, value, *a, **k):
        if "test" in what:
            raise ngram_run.runsafe.NonFiniteError(f"{what} is nan")
        return real(what, value, *a, **k)
    monkeypatch.setattr(ngram_run.runsafe, "check_finite", fail_on_test)
    status, _, err = _run(capsys, "ngram", "--order", 2, "--data-dir", data, "--out", out,
                          "--quiet", "--overwrite")
    assert status == 2 and "is restored" in err, err
    assert snapshot(out) == before


def test_mix_reads_the_old_run_of_an_overwrite_killed_past_all_cleanup(runs, tmp_path, capsys):
    """A run killed (SIGKILL) during an --overwrite leaves the old run aside and the new run's
    first files in the folder: mix read those as the run's."""
    import shutil
    from helpers import snapshot
    from rnnrepro import runsafe
    kn3 = tmp_path / "kn3"
    shutil.copytree(runs / "kn3", kn3)
    before = snapshot(kn3)
    expected = mix_runs([str(runs / "kn5"), str(kn3)])
    (kn3 / runsafe.ASIDE).mkdir()
    for name in ("run.json", "valid.probs.txt", "test.probs.txt"):
        os.replace(kn3 / name, kn3 / runsafe.ASIDE / name)
    (kn3 / "valid.probs.txt").write_text("0.5\n0.25\n")   # the killed run's first lines
    status, text, err = _run(capsys, "mix", runs / "kn5", kn3, "--json")
    assert status == 0, err
    assert "the run it replaced is restored" in err and json.loads(text) == expected
    assert snapshot(kn3) == before
