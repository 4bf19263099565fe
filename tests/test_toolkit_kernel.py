"""The toolkit trainer's two per-word loops: the compiled kernel (``kernel="numba"``,
rnnlm/toolkit/kernel.py) against the readable numpy loop (``kernel="python"``, model.py).

* per-word log10 probabilities of two training epochs and a validation pass, and every weight
  after them, equal to 1e-11 relative for each toolkit feature (direct connections with class
  hashes hitting 0 and word hashes wrapping, OOV words, ``independent``, plain BP, exact exp,
  a strong L2);
* an epoch cut into pieces for the progress callback equals the uncut one bit for bit;
* ``train_class_rnn`` on either kernel writes the same log.jsonl numbers; the per-word loops
  run with one BLAS thread; ``--kernel numba`` without numba is one line and status 2.

Where numba is not installed (Python 3.11 here) only the last checks run; the existing toolkit
tests (test_toolkit_schedule.py, test_ptb.py) then cover the numpy loop, and the compiled one
where numba is the default.
"""
import json

import numpy as np
import pytest

from rnnlm.toolkit import model as class_rnn

from helpers import toy_class_rnn, write_ptb_corpus

HAS_NUMBA = class_rnn.default_kernel() == "numba"
needs_numba = pytest.mark.skipif(not HAS_NUMBA, reason="numba is not installed")
WEIGHTS = ("U", "W", "V1", "C1", "syn_d")


def _stream(n=1500, oov=0.04, seed=3):
    rng = np.random.RandomState(seed)
    words = rng.randint(0, 12, n)
    words[rng.rand(n) < 0.15] = 0  # sentence ends, for `independent`
    words[rng.rand(n) < oov] = -1
    return words


def _train_and_trace(kernel, direct, kw, words):
    m = toy_class_rnn(direct=direct, kernel=kernel, **kw)
    lp1, lp2, lv = (np.empty(len(words)) for _ in range(3))
    r1 = m.train_epoch(words, 0.1, logp_out=lp1)
    r2 = m.train_epoch(words[::-1].copy(), 0.05, logp_out=lp2)
    v = m.evaluate(words, history=r2[2], logp_out=lv)
    return m, (r1, r2, v), (lp1, lp2, lv)


CASES = [
    (0, {}),
    (0, dict(independent=True)),
    (0, dict(bptt=1)),
    (0, dict(bptt=2, bptt_block=3, fast_exp=False)),
    (0, dict(beta=1e-3)),
    (0, dict(bptt=0)),  # no BPTT memory at all
    (400, dict(bptt=2, bptt_block=1)),  # one step back, every word
    (400, dict(bptt=6, bptt_block=2, independent=True)),
    (400, {}),
    (400, dict(independent=True, beta=1e-3)),
    # half = 10: class hashes hit index 0 (the order loop stops), word hashes wrap at the end
    (20, dict(bptt=3, bptt_block=4)),
    (20, dict(bptt=1, fast_exp=False)),
    # no hidden layer: the maximum-entropy n-gram of `rnnlm ptb-rnnlm --hidden 0 --direct`
    (400, dict(hidden=0, direct_order=5)),
    (20, dict(hidden=0, independent=True, beta=1e-3)),
]


@needs_numba
@pytest.mark.parametrize("direct,kw", CASES)
def test_numba_kernel_equals_the_numpy_loop(direct, kw):
    words = _stream()
    a_model, a_res, a_lp = _train_and_trace("python", direct, kw, words)
    b_model, b_res, b_lp = _train_and_trace("numba", direct, kw, words)
    for x, y in zip(a_lp, b_lp):
        np.testing.assert_array_equal(np.isnan(x), np.isnan(y))  # OOV words: not scored
        np.testing.assert_allclose(y, x, rtol=1e-11, atol=0)
    (a1, a2, av), (b1, b2, bv) = a_res, b_res
    assert b1[1:] == a1[1:] and b2[1:] == a2[1:] and bv[1] == av[1]  # counts, history
    for x, y in ((a1[0], b1[0]), (a2[0], b2[0]), (av[0], bv[0])):
        assert y == pytest.approx(x, rel=1e-11)
    start = toy_class_rnn(direct=direct, **kw).arrays()
    for k in WEIGHTS:
        np.testing.assert_allclose(getattr(b_model, k), getattr(a_model, k), rtol=1e-11,
                                   atol=1e-14, err_msg=k)
        if start[k].size and (k != "syn_d" or direct):  # every weight learnt something
            assert np.abs(getattr(a_model, k) - start[k]).max() > 1e-3, k
    np.testing.assert_allclose(b_model.bptt_hidden_ac, a_model.bptt_hidden_ac, rtol=1e-11,
                               atol=1e-14)


def test_direct_cases_exercise_the_hash_edges():
    """CASES' direct=20 really hits the two oddities the kernel copies (else the comparison
    above would not cover them): a class hash of 0 and a word span shortened by the wrap."""
    m = toy_class_rnn(direct=20)
    hist = [0] * 20
    zero_class_hash = short_span = False
    for w in _stream():
        sums = m.ngram_sums(hist)
        zero_class_hash |= len(m.class_hashes(sums)) < len(sums)
        if w != -1:
            c = m.word_class[w]
            n = m.cend[c] - m.cstart[c]
            short_span |= any(lim < n for _, lim in
                              class_rnn.word_spans(m.word_hashes(sums, c), n, m.direct_size))
        hist = [int(w)] + hist[:-1]
    assert zero_class_hash and short_span


@needs_numba
def test_progress_pieces_do_not_change_the_epoch():
    words = np.tile(_stream(2500), 9)[:22000]
    seen = []
    cut, whole = toy_class_rnn(direct=400, kernel="numba"), toy_class_rnn(direct=400,
                                                                           kernel="numba")
    r_cut = cut.train_epoch(words, 0.1, progress=seen.append)
    r_whole = whole.train_epoch(words, 0.1)
    assert seen == [10000, 20000]
    assert r_cut == r_whole
    for k in WEIGHTS:
        np.testing.assert_array_equal(getattr(cut, k), getattr(whole, k), err_msg=k)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_ptb_corpus(tmp_path_factory.mktemp("ptb"), dict(train=40, valid=8, test=8))


@needs_numba
def test_both_kernels_write_the_same_log(corpus, tmp_path):
    from rnnlm.toolkit.trainnet import ToolkitConfig, train_class_rnn
    kw = dict(hidden=6, class_size=3, bptt=3, bptt_block=4, direct_size=400, max_epochs=3)
    logs = {}
    for k in ("python", "numba"):
        s = train_class_rnn(ToolkitConfig(kernel=k, **kw), data_dir=corpus,
                            out=str(tmp_path / k), quiet=True)
        logs[k] = [json.loads(x) for x in open(tmp_path / k / "log.jsonl")]
        assert [r["kernel"] for r in logs[k]] == [k] * 3
        with open(tmp_path / k / "run.json") as f:
            assert json.load(f)["kernel"] == k
        logs[k + "-test"] = s["test_perplexity"]
    for a, b in zip(logs["python"], logs["numba"]):
        for key in ("train_perplexity", "valid_perplexity", "valid_entropy_bits"):
            assert b[key] == pytest.approx(a[key], rel=1e-11), key
        assert (a["alpha"], a["rejected"]) == (b["alpha"], b["rejected"])
    assert logs["numba-test"] == pytest.approx(logs["python-test"], rel=1e-11)


def test_per_word_loops_run_with_one_blas_thread(corpus, tmp_path, monkeypatch):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from rnnlm.cli import main
    seen = []

    def blas_threads():
        return max((i["num_threads"] for i in threadpoolctl.threadpool_info()
                    if i["user_api"] == "blas"), default=None)
    if not blas_threads() or blas_threads() == 1:
        with threadpoolctl.threadpool_limits(2, user_api="blas"):
            if blas_threads() == 1:
                pytest.skip("BLAS here runs one thread only")
    real_train, real_eval = class_rnn.ClassRNNLM.train_epoch, class_rnn.ClassRNNLM.evaluate

    def train_epoch(self, *a, **k):
        seen.append(("train", blas_threads()))
        return real_train(self, *a, **k)

    def evaluate(self, *a, **k):
        seen.append(("eval", blas_threads()))
        return real_eval(self, *a, **k)
    monkeypatch.setattr(class_rnn.ClassRNNLM, "train_epoch", train_epoch)
    monkeypatch.setattr(class_rnn.ClassRNNLM, "evaluate", evaluate)
    from rnnrepro.blas import THREAD_VARIABLES
    for v in THREAD_VARIABLES:   # the user's own limit would be left to take effect
        monkeypatch.delenv(v, raising=False)
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        assert main(["ptb-rnnlm", "--data-dir", corpus, "--out", str(tmp_path / "r"),
                     "--hidden", "4", "--class", "3", "--epochs", "1", "--quiet",
                     "--kernel", "python"]) == 0
        assert blas_threads() == 2  # restored afterwards
    # epoch, validation, test pass, and the test pass over valid (valid.probs.txt)
    assert seen == [("train", 1), ("eval", 1), ("eval", 1), ("eval", 1)]


def test_kernel_numba_without_numba_is_one_line(corpus, tmp_path, monkeypatch, capsys):
    from rnnlm.cli import main
    monkeypatch.setattr(class_rnn, "default_kernel", lambda: "python")
    out = tmp_path / "r"
    assert main(["ptb-rnnlm", "--data-dir", corpus, "--out", str(out), "--hidden", "4",
                 "--class", "3", "--kernel", "numba"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["rnnlm: error: --kernel numba: the numba package is not installed here; "
                   "use --kernel python"]
    assert not out.exists()  # refused before anything is written
    # the default falls back to the numpy loop
    assert toy_class_rnn().kernel == "python"


def test_bench_script_records_both_kernels_side_by_side(corpus, tmp_path):
    """scripts/bench_toolkit.py on the toy corpus: every (hidden, kernel, repeat) measured on
    the same words, the summary's medians and speed-up computed from those rows, the load and
    BLAS threads recorded, and a results record that make_results can read."""
    import importlib.util
    import os
    from rnnrepro.results import load_records
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    spec = importlib.util.spec_from_file_location("bench_toolkit",
                                                  os.path.join(root, "scripts", "bench_toolkit.py"))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    kernels = ("numba", "python") if HAS_NUMBA else ("python",)
    out = tmp_path / "results" / "bench-x"
    assert bench.main(["--data-dir", corpus, "--hidden", "3,5", "--class", "3", "--words",
                       "60", "--repeats", "2", "--kernels", ",".join(kernels),
                       "--results-dir", str(out)]) == 0
    rec, = load_records(str(tmp_path / "results"))
    rows = rec["rows"]
    assert sorted((r["hidden"], r["kernel"], r["repeat"]) for r in rows) == sorted(
        (h, k, r) for h in (3, 5) for k in kernels for r in (0, 1))
    for r in rows:
        assert r["words"] == 60 and r["scored"] > 0 and len(r["load_before"]) == 3
        assert r["blas_threads"] in (1, None)
        assert r["words_per_second"] == pytest.approx(60 / r["seconds"], rel=0.01)
    for s in rec["summary"]:
        for k in kernels:
            wps = sorted(r["words_per_second"] for r in rows
                         if r["hidden"] == s["hidden"] and r["kernel"] == k)
            assert s[k]["median"] == pytest.approx(sum(wps) / 2) and s[k]["best"] == wps[-1]
        if HAS_NUMBA:
            assert s["speedup"] == pytest.approx(s["numba"]["median"] / s["python"]["median"],
                                                 abs=0.01)
            assert s["logp_rel_diff"] < 1e-11
    assert rec["value"] == rec["summary"][0][kernels[0]]["median"]
    md = (out / "bench.md").read_text()
    assert md.count("\n| 3 | ") == 1 and md.count("\n| 5 | ") == 1 and "niceness" in md


FAKE_C = r'''#!PYTHON
"""Stands in for the C toolkit: its -debug 2 progress lines (carriage returns, every 10000
words), 10000 words per 0.05 s, CPU figure 1000 * hidden; runs until killed."""
import sys, time
a = sys.argv
hidden = int(a[a.index("-hidden") + 1])
assert a[a.index("-class") + 1] == "3" and "-one-iter" in a
print("Vocab size: 12\nWords in train file: 1000000", flush=True)
sys.stdout.write("\rIter:   0\tAlpha: 0.100000\t   ")
for k in range(1, 101):
    time.sleep(0.05)
    sys.stdout.write(f"\rIter:   0\tAlpha: 0.100000\t   TRAIN entropy: 9.0    "
                     f"Progress: {k:.2f}%   Words/sec: {1000.0 * hidden + k:.1f} ")
    sys.stdout.flush()
'''


def test_bench_script_times_the_c_toolkit_until_it_passes_the_words(corpus, tmp_path):
    """--c-rnnlm: the C toolkit's row is its own Words/sec (per CPU second) at the progress
    line that passes --words, and a wall-clock rate between its first progress line and
    that one; the binary is stopped there (the stand-in would run 5 s)."""
    import importlib.util
    import os
    import sys
    import time
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    spec = importlib.util.spec_from_file_location("bench_toolkit",
                                                  os.path.join(root, "scripts", "bench_toolkit.py"))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    fake = tmp_path / "rnnlm"
    fake.write_text(FAKE_C.replace("PYTHON", sys.executable))
    fake.chmod(0o755)
    out = tmp_path / "results" / "bench-c"
    t0 = time.perf_counter()
    assert bench.main(["--data-dir", corpus, "--hidden", "3,5", "--class", "3", "--words",
                       "35000", "--repeats", "1", "--kernels", "python,c", "--c-rnnlm",
                       str(fake), "--results-dir", str(out)]) == 0
    assert time.perf_counter() - t0 < 4
    rec = json.loads((out / "run.json").read_text())
    c = [r for r in rec["rows"] if r["kernel"] == "c"]
    assert [(r["hidden"], r["words"]) for r in c] == [(3, 40000), (5, 40000)]
    assert [r["words_per_cpu_second"] for r in c] == [3004.0, 5004.0]   # 4% = 40000 words
    for r in c:   # 30000 words in about 3 x 0.05 s
        assert 30000 / 0.4 < r["words_per_second"] < 30000 / 0.1
    assert rec["c_rnnlm"]["path"] == str(fake) and len(rec["c_rnnlm"]["sha256"]) == 64
    assert rec["references"] == []     # measured, not quoted
    with pytest.raises(SystemExit):
        bench.main(["--data-dir", corpus, "--kernels", "python,c", "--results-dir",
                    str(tmp_path / "r2")])
