"""rnnlm.ngram.cache (SRILM's unigram CacheLM interpolated with a base model) and the
``rnnlm cache`` command on a tiny PTB-layout corpus."""
import json
import os

import numpy as np
import pytest

from rnnlm.cli import main
from rnnlm.ngram.cache import cache_probs, tune
from rnnlm.ngram.mix import em_weights, mix_runs, perplexity, read_probs


def _by_definition(toks, n):
    """P_cache(w_t) = #{s in [t - n, t): w_s = w_t} / min(t, n), 0 for t = 0."""
    out = []
    for t, w in enumerate(toks):
        window = toks[max(0, t - n):t]
        out.append(window.count(w) / len(window) if window else 0.0)
    return np.array(out)


def test_cache_is_the_unigram_of_the_last_n_tokens():
    toks = "a b </s> a a c </s> b a </s>".split()
    for n in (1, 2, 3, 5, 100):
        assert cache_probs(toks, n) == pytest.approx(_by_definition(toks, n), abs=0)
    # at the edges: the first token gets 0; a token exactly n back is still in the cache, one
    # more step back it has left it; </s> is counted like any word
    p = cache_probs(toks, 3)
    assert p[0] == 0.0
    assert p[3] == pytest.approx(1 / 3)      # "a" at t=0 is 3 back: in
    assert cache_probs("a x y z a".split(), 3)[4] == 0.0     # "a" 4 back: out
    assert cache_probs(toks, 100)[6] == pytest.approx(1 / 6)  # second </s>: 1 of 6 before it


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = np.random.RandomState(3)
    d = tmp_path_factory.mktemp("ptb")
    topics = [[f"t{k}w{i}" for i in range(6)] for k in range(8)]
    common = lambda: "<unk>" if rng.rand() < 0.05 else f"c{min(int(rng.zipf(1.5)), 300)}"
    for split, n in (("train", 400), ("valid", 80), ("test", 80)):
        lines = []
        for i in range(n):   # a topic lasts ten sentences: what a cache is for
            topic = topics[(i // 10 + rng.randint(2)) % len(topics)]
            lines.append(" ".join(rng.choice(topic) if rng.rand() < 0.4 else common()
                                  for _ in range(rng.randint(3, 9))))
        (d / f"ptb.{split}.txt").write_text("".join(f" {s} \n" for s in lines))
    base = tmp_path_factory.mktemp("runs") / "kn3"
    assert main(["ngram", "--order", "3", "--data-dir", str(d), "--out", str(base),
                 "--quiet"]) == 0
    return d, base


def _run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_cache_run_tunes_on_valid_and_records_what_it_wrote(data, tmp_path, capsys):
    d, base = data
    out = tmp_path / "kn5-cache"
    status, text, err = _run(capsys, "cache", base, "--length", 5, 50, 1000, "--data-dir", d,
                             "--out", out)
    assert status == 0, err
    rec = json.loads((out / "run.json").read_text())
    toks = {s: [w for ln in (d / f"ptb.{s}.txt").read_text().splitlines()
                for w in ln.split() + ["</s>"]] for s in ("valid", "test")}
    basep = {s: read_probs(str(base / f"{s}.probs.txt")) for s in ("valid", "test")}
    # each length's lambda is EM's on valid; the length kept is the best on valid
    best = None
    for n in (5, 50, 1000):
        probs = np.vstack([basep["valid"], _by_definition(toks["valid"], n)])
        lam, _ = em_weights(probs)
        row = next(r for r in rec["tuning"] if r["length"] == n)
        assert row["lambda"] == pytest.approx(lam[1], abs=1e-12)
        assert row["valid_perplexity"] == pytest.approx(perplexity(probs, lam), rel=1e-12)
        if best is None or row["valid_perplexity"] < best["valid_perplexity"]:
            best = row
    assert rec["cache_length"] == best["length"] and rec["cache_lambda"] == best["lambda"]
    assert 0 < rec["cache_lambda"] < 1
    # the test file is the mixture at those settings, and the record's value is its perplexity
    lam = rec["cache_lambda"]
    want = (1 - lam) * basep["test"] + lam * _by_definition(toks["test"], rec["cache_length"])
    got = read_probs(str(out / "test.probs.txt"))
    assert got == pytest.approx(want, rel=1e-11)
    assert rec["value"] == pytest.approx(perplexity(got), rel=1e-9)
    assert rec["value"] < json.loads((base / "run.json").read_text())["value"]
    assert rec["published"] is None and rec["label"] == "full"
    assert rec["command"] == f"rnnlm cache {base} --length 5 50 1000 --data-dir {d} --out {out}"
    assert f"test {rec['value']:.2f}" in text
    # its files are a run rnnlm mix reads, beside the base
    assert mix_runs([str(base), str(out)])["tokens"] == {"valid": len(toks["valid"]),
                                                         "test": len(toks["test"])}


def test_the_thesis_figure_only_beside_a_kn5_base(data, tmp_path, capsys):
    import shutil
    d, base = data
    kn5 = tmp_path / "kn5"
    shutil.copytree(base, kn5)
    rec = json.loads((kn5 / "run.json").read_text())
    (kn5 / "run.json").write_text(json.dumps(dict(rec, order=5)))
    assert _run(capsys, "cache", kn5, "--data-dir", d, "--out", tmp_path / "c")[0] == 0
    rec = json.loads((tmp_path / "c" / "run.json").read_text())
    assert rec["published"] == 125.7 and "Table 4.1" in rec["published_source"]


def test_a_mixture_is_a_base_too(data, tmp_path, capsys):
    """``rnnlm mix --out`` writes its own per-word probabilities, so "RNN + KN5 + cache" is a
    cache run on a mixture."""
    d, base = data
    assert _run(capsys, "mix", base, base, "--out", tmp_path / "mix")[0] == 0
    status, text, err = _run(capsys, "cache", tmp_path / "mix", "--data-dir", d, "--out",
                             tmp_path / "c")
    assert status == 0, err
    alone = _run(capsys, "cache", base, "--data-dir", d, "--out", tmp_path / "c1")
    a, b = (json.loads((tmp_path / x / "run.json").read_text())["value"] for x in ("c", "c1"))
    assert a == pytest.approx(b, rel=1e-9)   # a run mixed with itself is that run


def test_equal_lengths_keep_the_first_given(data):
    from rnnlm.ngram.cache import read_base
    d, base = data
    rows = tune(read_base(str(base), str(d)), [10 ** 6, 10 ** 7])  # both beyond the text
    assert [r["length"] for r in rows] == [10 ** 6, 10 ** 7]
    assert rows[0]["valid_perplexity"] == rows[1]["valid_perplexity"]


def test_bad_base_or_out_is_one_line_and_writes_nothing(data, tmp_path, capsys):
    d, base = data
    short = tmp_path / "short"
    short.mkdir()
    for s in ("valid", "test"):
        lines = (base / f"{s}.probs.txt").read_text().splitlines()
        (short / f"{s}.probs.txt").write_text("\n".join(lines[:-1]) + "\n")
    cases = [((short, "--out", tmp_path / "a"), "probabilities for the"),
             ((tmp_path / "none", "--out", tmp_path / "b"), "not found"),
             ((base, "--out", base, "--overwrite"), "is the base run")]
    before = {f: (base / f).read_bytes() for f in os.listdir(base)}
    for argv, match in cases:
        status, text, err = _run(capsys, "cache", *argv, "--data-dir", d)
        assert status == 2 and err.count("\n") == 1 and match in err, err
    assert {f: (base / f).read_bytes() for f in os.listdir(base)} == before
    with pytest.raises(SystemExit) as e:
        main(["cache", str(base), "--length", "0", "--out", str(tmp_path / "c")])
    assert e.value.code == 2 and "--length" in capsys.readouterr().err
    assert not any((tmp_path / x).exists() for x in "abc")
    # a second run into a folder that holds one is refused unless --overwrite
    out = tmp_path / "run"
    assert _run(capsys, "cache", base, "--data-dir", d, "--out", out)[0] == 0
    status, text, err = _run(capsys, "cache", base, "--data-dir", d, "--out", out)
    assert status == 2 and "--overwrite" in err


def test_the_base_of_an_overwrite_killed_past_all_cleanup_is_read_whole(data, tmp_path,
                                                                        capsys):
    """(SIGKILL during an --overwrite of the base) the cache read the killed run's first
    lines as the base's probabilities."""
    import shutil
    from helpers import snapshot
    from rnnrepro import runsafe
    d, base = data
    copy = tmp_path / "base"
    shutil.copytree(base, copy)
    before = snapshot(copy)
    assert _run(capsys, "cache", copy, "--data-dir", d, "--out", tmp_path / "a")[0] == 0
    (copy / runsafe.ASIDE).mkdir()
    for name in ("run.json", "valid.probs.txt", "test.probs.txt"):
        os.replace(copy / name, copy / runsafe.ASIDE / name)
    (copy / "valid.probs.txt").write_text("0.5\n0.25\n")   # the killed run's first lines
    status, text, err = _run(capsys, "cache", copy, "--data-dir", d, "--out", tmp_path / "b")
    assert status == 0 and "the run it replaced is restored" in err, err
    assert snapshot(copy) == before
    assert (tmp_path / "a" / "test.probs.txt").read_bytes() == \
        (tmp_path / "b" / "test.probs.txt").read_bytes()
