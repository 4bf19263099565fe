#!/usr/bin/env python3
"""Seconds per ``dlt`` training epoch and peak memory: aesara vs PyTensor, float32 vs float64,
OpenBLAS vs the engines' NumPy C-API fallback, side by side in one run.

Published (deeplearning.net rnnslu tutorial): 34.5 s per epoch on an i7-950, < 200 MB.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnrepro.bench import best_of, installed_engines, markdown_table, run_matrix, write_bench
from rnnrepro.runlog import git_commit, hardware

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", help="ATIS folder (default $ATISDATA or data/atis)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--sentences", type=int, default=0, help="0 = full epoch (3983)")
    ap.add_argument("--out", default="results/bench_rnnslu")
    ap.add_argument("--linker", default="c",
                    help="linkers, comma-separated: c, numba (jax cannot run rnnslu)")
    ap.add_argument("--engines", default="aesara,pytensor", help="those installed are run")
    ap.add_argument("--blas", default="auto,none", help="auto (OpenBLAS if found), none")
    ap.add_argument("--floatx", default="float64,float32")
    ap.add_argument("--note", default=None, help="conditions worth reporting (stored, shown)")
    ap.add_argument("--render", action="store_true",
                    help="only rewrite bench.md from the bench.json of an earlier run")
    a = ap.parse_args()
    if a.render:
        with open(os.path.join(a.out, "bench.json")) as f:
            old = json.load(f)
        rows, command, commit, hw, a.repeats = (old["rows"], old["command"], old["commit"],
                                                old["hardware"], old["repeats"])
        a.note = a.note or old.get("note")
    else:
        args = (["--data-dir", a.data_dir] if a.data_dir else []) + ["--sentences", str(a.sentences)]
        command, commit, hw = " ".join(["python"] + sys.argv), git_commit(), hardware()
        print(f"hardware: {hw}  commit: {commit}", flush=True)
        configs = [(e, f, b, lk) for b in a.blas.split(",")
                   for e in installed_engines(tuple(a.engines.split(",")))
                   for f in a.floatx.split(",") for lk in a.linker.split(",")
                   if lk == "c" or e == "pytensor"]
        rows = best_of(run_matrix("rnnrepro.bench.rnnslu", args, configs, a.repeats), "seconds_per_epoch")
    ref = next((r for r in rows if r["floatX"] == "float64" and r["blas"] == "auto"
                and r.get("linker") in ("c", None)), rows[0])  # aesara f64 C when there
    base, base_name = ref["seconds_per_epoch"], f"{ref['engine']} {ref['floatX']}"
    table = markdown_table(rows, [
        ("engine", lambda r: r["engine"]), ("linker", lambda r: r.get("linker") or "c"),
        ("floatX", lambda r: r["floatX"]),
        ("BLAS", lambda r: r["blas_flags"]),
        ("s / epoch", lambda r: f"{r['seconds_per_epoch']:.2f}"),
        ("ms / sentence", lambda r: f"{r['ms_per_sentence']:.3f}"),
        (f"time vs {base_name}", lambda r: f"{r['seconds_per_epoch'] / base:.2f}x"),
        # published: 34.5 s for the 3983 sentences of a fold-3 epoch
        ("vs published", lambda r: f"{34.5 / 3983 / (r['seconds_per_epoch'] / r['sentences']):.1f}x faster"),
        ("peak RSS MB", lambda r: f"{r['peak_rss_mb']:.0f}")])
    print(table)
    write_bench(a.out, None if a.render else dict(command=command, commit=commit, hardware=hw,
                                                  repeats=a.repeats, note=a.note, rows=rows),
                [f"Command: `{command}`", f"Commit: {commit}", f"Hardware: {hw}",
                 f"Data: {rows[0]['data']}, {rows[0]['sentences']} sentences per epoch, best of "
                 f"{a.repeats} interleaved repeats, 1 BLAS thread.\n"], table, a.note)
