"""rnnslu's benchmarks (``rnnslu.bench``): the worker times the model a run builds, and the
comparisons write their records from explicit parameters (the scripts only parse and call)."""
import json

import numpy as np

from rnnslu import bench


def test_epoch_setup_builds_the_model_a_run_builds(tmp_path, monkeypatch):
    """``epoch_setup`` built its own model, without a bidirectional model's bi_combine (it
    could time only 'shifted', not the 'aligned' a run may train); now it sets up as a run
    does (``set_up``)."""
    from rnnslu import model, train
    monkeypatch.setattr(model._SLUBase, "compile_training", lambda self, *a: None)  # fast
    rnn, s, lex, y, data = bench.epoch_setup(str(tmp_path), "is13", "bi-elman", "fast",
                                             bi_combine="aligned")
    assert data == "toy corpus" and rnn.combine == "aligned" and s["is13_trainer"] == "fast"
    _, run_rnn, _ = train.set_up(s)
    assert len(lex) == len(y) and rnn.get_params().keys() == run_rnn.get_params().keys()
    for k, v in run_rnn.get_params().items():
        np.testing.assert_array_equal(rnn.get_params()[k], v)


def _fake_row(engine, floatx, blas, linker, **kw):
    return dict(engine=engine, floatX=floatx, blas=blas, linker=linker or "c",
                data="toy corpus", sentences=20, words=200, seconds_per_epoch=2.0,
                ms_per_sentence=100.0, peak_rss_mb=100.0, load_average=1.0,
                blas_flags="numpy C-API fallback", **kw)


def test_comparisons_write_their_records(tmp_path, monkeypatch):
    """Each comparison records the command, repeats and note it was given, its rows and a
    table; ``render_dlt`` rewrites only bench.md, with a new note or the stored one."""
    monkeypatch.setattr(bench, "_started", lambda: ("abc123", "some cpu"))
    monkeypatch.setattr(bench, "installed_engines", lambda engines: engines)
    calls = []

    def run_config(module, args, engine, floatx, linker=None):
        calls.append(args)
        trainer = args[args.index("--is13-trainer") + 1]
        return _fake_row(engine, floatx, "auto", linker, model=args[args.index("--model") + 1],
                         trainer=trainer)
    monkeypatch.setattr(bench, "run_config", run_config)
    out = tmp_path / "is13"
    bench.compare_is13(bench.Record(str(out), ["scripts/bench_is13.py", "--x"], "quiet box"),
                       bench.Epoch("DIR", 20), "pytensor", "float32", ["elman", "jordan"],
                       [None], repeats=2)
    rec = json.loads((out / "bench.json").read_text())
    assert (rec["command"], rec["repeats"], rec["note"]) == \
        ("python scripts/bench_is13.py --x", 2, "quiet box") and len(rec["rows"]) == 8
    assert calls[0] == ["--data-dir", "DIR", "--sentences", "20", "--preset", "is13",
                        "--model", "elman", "--is13-trainer", "word"]
    md = (out / "bench.md").read_text()
    assert "Note: quiet box" in md and "pytensor, float32" in md and md.count("| jordan |") == 2

    monkeypatch.setattr(bench, "run_matrix", lambda module, args, configs, repeats: [
        _fake_row(*c, repeat=r) for r in range(repeats) for c in configs])
    out = tmp_path / "dlt"
    bench.compare_dlt(bench.Record(str(out), ["scripts/bench_rnnslu.py"]), bench.Epoch(),
                      ["aesara", "pytensor"], ["float64"], ["auto"], ["c", "numba"], 3)
    rec = json.loads((out / "bench.json").read_text())
    assert rec["repeats"] == 3 and rec["note"] is None
    assert [(r["engine"], r["linker"]) for r in rec["rows"]] == \
        [("aesara", "c"), ("pytensor", "c"), ("pytensor", "numba")]
    stored = (out / "bench.json").read_text()
    bench.render_dlt(str(out), "a later note")
    assert (out / "bench.json").read_text() == stored
    md = (out / "bench.md").read_text()
    assert "Note: a later note" in md and "best of 3 interleaved" in md
    assert "Command: `python scripts/bench_rnnslu.py`" in md


def test_bi_combine_reaches_the_bidirectional_workers_only(monkeypatch):
    """The benchmarks could time a bidirectional model only as 'shifted': the worker had no
    --bi-combine. The comparison gives it to the bi-* workers (elman's would refuse it) and
    the worker sets the model up with it."""
    monkeypatch.setattr(bench, "_started", lambda: ("abc123", "some cpu"))
    calls = []

    def run_config(module, args, engine, floatx, linker=None):
        calls.append(args)
        return _fake_row(engine, floatx, "auto", linker, model=args[args.index("--model") + 1],
                         trainer=args[args.index("--is13-trainer") + 1],
                         bi_combine="aligned" if "--bi-combine" in args else None, load_after=1)
    monkeypatch.setattr(bench, "run_config", run_config)
    monkeypatch.setattr(bench, "write_bench", lambda *a: None)
    bench.compare_is13(bench.Record("unused", ["x"]), bench.Epoch(None, 5, "aligned"),
                       models=["elman", "bi-elman"])
    given = {(c[c.index("--model") + 1], "--bi-combine" in c and c[c.index("--bi-combine") + 1])
             for c in calls}
    assert given == {("elman", False), ("bi-elman", "aligned")}

    class Built(Exception):
        pass

    def epoch_setup(*args):
        raise Built(args)
    monkeypatch.setattr(bench, "epoch_setup", epoch_setup)
    try:
        bench.main(["--preset", "is13", "--model", "bi-elman", "--bi-combine", "aligned"])
    except Built as built:
        assert built.args[0] == (None, "is13", "bi-elman", "fast", "aligned")
    else:
        raise AssertionError("the worker set up no model")
