"""Benchmark scripts write under ``runs/`` by default and never replace what their output
folder already holds (a committed record under ``results/``, an earlier benchmark) unless
``--overwrite``: refused in one line, exit 2, before any timing, the folder byte-identical."""
import pytest

from helpers import script_refused

# (script, output option, its default folder)
SCRIPTS = [
    ("bench_rnnslu.py", "--out", "runs/bench_rnnslu"),
    ("bench_is13.py", "--out", "runs/bench_is13"),
    ("bench_rnnlm.py", "--results-dir", "runs/rnnlm-bench-sgd-step"),
    ("bench_ptb.py", "--out", "runs/bench-ptb"),
    ("bench_blas_threads.py", "--out", "runs/bench-blas-threads"),
    ("bench_toolkit.py", "--results-dir", "runs/bench-toolkit-kernels"),
]


@pytest.mark.parametrize("script,option,default", SCRIPTS)
def test_default_output_is_under_runs_and_kept(tmp_path, script, option, default):
    script_refused(tmp_path, {f"{default}/run.json": "{}"}, [script],
                   [default, "--overwrite"])


@pytest.mark.parametrize("script,option,default", SCRIPTS)
def test_a_named_record_is_not_replaced(tmp_path, script, option, default):
    target = "results/some-record" + ("/bench.json" if script == "bench_ptb.py" else "")
    script_refused(tmp_path, {"results/some-record/run.json": '{"id": "some-record"}'},
                   [script, option, target], ["results/some-record", "--overwrite"])
