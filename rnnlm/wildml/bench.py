"""Milliseconds per ``sgd_step`` on one 45-word sentence (tutorial part 2: C=8000, H=100).

The tutorial's published times (part 2) go into the record it writes (``published_source``).
Each (engine, floatX, linker) runs in its own subprocess, since the engine is chosen at
import. RNNTheano has no JAX graph (variable-length sentences; ``rnnrepro.engine.UNSUPPORTED``):
its JAX row says so.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

from rnnrepro.bench import report, run_config

CONFIGS = [("numpy", "float64"), ("aesara", "float32"), ("aesara", "float64"),
           ("pytensor", "float32"), ("pytensor", "float64")]
LINKERS = ("c", "numba", "jax")


def _time(fn, repeats, warmup=2):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000.0)
    return {"median_ms": statistics.median(ts), "min_ms": min(ts), "repeats": repeats}


def worker(engine, floatx, C, H, length, repeats, tutorial_graph=True):
    """Run in a fresh process: time the models for one engine/floatX, return a list of rows."""
    rng = np.random.RandomState(0)
    x = rng.randint(0, C, size=length).astype(np.int32)
    y = np.concatenate([x[1:], [1]]).astype(np.int32)
    rows = []
    if engine == "numpy":
        from rnnlm.wildml.rnn_numpy import RNNNumpy
        np.random.seed(10)
        m = RNNNumpy(C, H)
        r = _time(lambda: m.sgd_step(x, y, 0.005), max(3, repeats // 4), warmup=1)
        rows.append({"model": "RNNNumpy", "engine": "numpy", "floatX": "float64", "linker": None,
                     **r})
        return rows
    os.environ["RNN_ENGINE"] = engine
    os.environ["RNN_FLOATX"] = floatx
    from rnnrepro.engine import LinkerError, describe, linker
    from rnnlm.wildml.rnn_theano import RNNTheano, tutorial_graph as tg
    try:
        lk = linker("rnn-theano")
    except LinkerError as exc:
        return [{"model": "RNNTheano", "engine": engine, "floatX": floatx,
                 "linker": os.environ.get("RNN_LINKER"), "error": str(exc)}]
    np.random.seed(10)
    m = RNNTheano(C, H)
    t0 = time.perf_counter()
    m.sgd_step(x, y, 0.005)
    compile_s = time.perf_counter() - t0
    r = _time(lambda: m.sgd_step(x, y, 0.005), repeats)
    d = describe()
    rows.append({"model": "RNNTheano", "engine": d["engine"], "floatX": floatx, "linker": lk,
                 "engine_version": d["engine_version"], "blas": d.get("blas"),
                 "first_call_s": round(compile_s, 1), **r})
    if tutorial_graph:
        t0 = time.perf_counter()
        f = tg(m)["sgd_step"]
        compile_s = time.perf_counter() - t0
        r = _time(lambda: f(x, y, 0.005), repeats)
        rows.append({"model": "tutorial graph (softmax in scan)", "engine": d["engine"],
                     "floatX": floatx, "linker": lk,
                     "engine_version": d["engine_version"], "blas": d.get("blas"),
                     "first_call_s": round(compile_s, 1), **r})
    return rows


def run_all(C=8000, H=100, length=45, repeats=20, configs=CONFIGS, tutorial_graph=True,
            linkers=LINKERS):
    """One subprocess per (engine, floatX, linker); engines not installed are left out."""
    from rnnrepro.bench import installed_engines
    rows = []
    have = installed_engines()
    for engine, floatx in configs:
        if engine != "numpy" and engine not in have:
            continue
        for lk in ([None] if engine == "numpy" else linkers):
            args = ["--worker", engine, floatx, "--C", str(C), "--H", str(H), "--length",
                    str(length), "--repeats", str(repeats)] \
                + ([] if tutorial_graph else ["--no-tutorial-graph"])
            try:  # the numpy rows need no engine; their process gets the first installed one
                rows += run_config("rnnlm.wildml.bench", args,
                                   have[0] if engine == "numpy" else engine, floatx, linker=lk)["rows"]
            except RuntimeError as exc:
                rows.append({"model": "?", "engine": engine, "floatX": floatx, "linker": lk,
                             "error": str(exc).strip().splitlines()[-1]})
    return rows


def format_table(rows):
    lines = [f"{'model':34s} {'engine':9s} {'linker':6s} {'floatX':8s} {'ms/step (median)':>17s} "
             f"{'min':>8s}"]
    for r in rows:
        head = f"{r['model']:34s} {r['engine']:9s} {str(r.get('linker') or '-'):6s} " \
               f"{r['floatX']:8s}"
        if "error" in r:
            lines.append(f"{head} error: {r['error']}")
        else:
            lines.append(f"{head} {r['median_ms']:17.2f} {r['min_ms']:8.2f}")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--worker", nargs=2, metavar=("ENGINE", "FLOATX"))
    p.add_argument("--C", type=int, default=8000)
    p.add_argument("--H", type=int, default=100)
    p.add_argument("--length", type=int, default=45)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--no-tutorial-graph", action="store_true")
    p.add_argument("--linker", default=",".join(LINKERS))
    a = p.parse_args(argv)
    if a.worker:
        report({"rows": worker(a.worker[0], a.worker[1], a.C, a.H, a.length, a.repeats,
                               not a.no_tutorial_graph)})
        return 0
    rows = run_all(a.C, a.H, a.length, a.repeats, tutorial_graph=not a.no_tutorial_graph,
                   linkers=tuple(a.linker.split(",")))
    print(format_table(rows))
    return 0


def write_results(results_dir, rows, table, options, argv):
    """run.json (value: RNNTheano aesara float32 ms/step; all rows inside) + table.txt."""
    import shlex
    from rnnrepro import runlog
    from rnnrepro.results import write_run_json
    from rnnrepro.bench import single_thread_env
    os.makedirs(results_dir, exist_ok=True)
    from rnnrepro.files import write_text
    write_text(os.path.join(results_dir, "table.txt"), table + "\n")
    main_row = next((r for r in rows if r.get("model") == "RNNTheano" and r["engine"] == "aesara"
                     and r["floatX"] == "float32" and "median_ms" in r), None) or \
        next((r for r in rows if r.get("model") == "RNNTheano" and r.get("linker") == "c"
              and r["floatX"] == "float32" and "median_ms" in r), None)
    record = {
        "id": os.path.basename(os.path.normpath(results_dir)), "package": "rnnlm",
        "what": f"ms per sgd_step, one {options['length']}-word sentence, C={options['C']}, "
                f"H={options['H']} (RNNTheano, {main_row['engine'] if main_row else '?'}, C "
                f"linker, float32; all rows in 'rows')",
        "metric": "milliseconds per sgd_step (median)",
        "value": main_row["median_ms"] if main_row else None,
        "published": 70.0,
        "published_source": "WildML part 2: ~350 ms RNNNumpy, ~70 ms RNNTheano (Mac CPU), "
                            "~23 ms (g2.2xlarge GPU)",
        # a record without its number says why in its label (rnnrepro.results.check_record)
        "label": "full (random 45-word sentence; the tutorial used X_train[10])" if main_row
                 else "smaller: no RNNTheano float32 C-linker configuration was run",
        "command": " ".join(shlex.quote(x) for x in ["python"] + list(argv)),
        "commit": runlog.git_commit(), "data": "synthetic word ids (seed 0)",
        "hardware": runlog.hardware(),
        "engine": main_row["engine"] if main_row else
        ", ".join(sorted({str(r.get("engine")) for r in rows})) or "none",
        "linker": "c", "floatX": "float32", "load_average_1_5_15": list(os.getloadavg()),
        "epochs": None, "seconds": None, "peak_rss_mb": None, "rows": rows,
        "threads": {k: single_thread_env(dict(os.environ)).get(k)  # what the workers got
                    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "XLA_FLAGS")},
    }
    return write_run_json(results_dir, record, None, [])


if __name__ == "__main__":
    sys.exit(main())
