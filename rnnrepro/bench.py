"""Side-by-side benchmarks: one subprocess per (engine, floatX, BLAS) configuration.

The engine is chosen at import and peak memory is a per-process figure, so each configuration
runs in a fresh interpreter. Configurations are interleaved round-robin over the repeats, so
that a noisy neighbour slows them all alike; ratios come from the one run.
"""
import json
import os
import subprocess
import sys

MARK = "BENCH "


def report(result):
    """Called by a worker: print its result where ``run_config`` finds it."""
    print(MARK + json.dumps(result), flush=True)


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_config(module, args, engine="aesara", floatx="float64", blas="auto", timeout=3600):
    """Run ``python -m module *args`` in a fresh interpreter with the given engine, floatX and
    BLAS choice (one BLAS thread unless OMP_NUM_THREADS says otherwise); return the dict it
    reported with ``report``."""
    env = dict(os.environ, RNN_ENGINE=engine, RNN_FLOATX=floatx,
               OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"),
               PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    if blas == "none":
        env["RNN_BLAS"] = "none"
    proc = subprocess.run([sys.executable, "-m", module, *args], env=env, capture_output=True,
                          text=True, timeout=timeout)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARK):
            return dict(json.loads(line[len(MARK):]), engine=engine, floatX=floatx, blas=blas)
    raise RuntimeError(f"{module} {engine}/{floatx}/{blas} failed:\n{proc.stderr[-3000:]}")


def run_matrix(module, args, configs, repeats=1):
    """Run every (engine, floatX, blas) in ``configs`` ``repeats`` times, interleaved."""
    out = []
    for r in range(repeats):
        for engine, floatx, blas in configs:
            res = run_config(module, args, engine, floatx, blas)
            res["repeat"] = r
            print(f"  {engine:8s} {floatx:7s} blas={blas:4s} repeat {r}: "
                  + ", ".join(f"{k}={v}" for k, v in res.items()
                              if isinstance(v, (int, float)) and k != "repeat"), flush=True)
            out.append(res)
    return out


def best_of(results, key, lower_is_better=True):
    """Collapse repeats: the best ``key`` per configuration (the least disturbed run)."""
    by = {}
    for r in results:
        c = (r["engine"], r["floatX"], r["blas"])
        if c not in by or (r[key] < by[c][key]) == lower_is_better:
            by[c] = r
    return list(by.values())


def markdown_table(rows, columns):
    head = "| " + " | ".join(title for title, _ in columns) + " |"
    sep = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(fmt(r) for _, fmt in columns) + " |" for r in rows]
    return "\n".join([head, sep] + body)
