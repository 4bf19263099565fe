#!/usr/bin/env python3
"""Seconds per ``is13`` training epoch: is13's per-word loop (``--is13-trainer word``, one
compiled call per word) against the fast trainer (one compiled function per window length),
side by side, interleaved, one BLAS thread, with the load average seen by each run.

The two give the same parameters (tests/test_sweep.py); only the time differs.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnrepro.bench import markdown_table, run_config, write_bench
from rnnrepro.runlog import git_commit, hardware

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", help="ATIS folder (default $ATISDATA or data/atis)")
    ap.add_argument("--models", default="elman", help="comma-separated: elman,jordan")
    ap.add_argument("--engine", default="aesara")
    ap.add_argument("--floatX", default="float64")
    ap.add_argument("--linkers", default="",
                    help="comma-separated linkers to compare (c,numba; PyTensor only); "
                         "default: the model's default linker")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--sentences", type=int, default=0, help="0 = full epoch (3983)")
    ap.add_argument("--out", default="results/bench_is13")
    ap.add_argument("--note", default=None, help="conditions worth reporting (stored, shown)")
    a = ap.parse_args()
    command, commit, hw = " ".join(["python"] + sys.argv), git_commit(), hardware()
    print(f"hardware: {hw}  commit: {commit}", flush=True)
    rows = []
    for r in range(a.repeats):
        for model in a.models.split(","):
            for linker in a.linkers.split(",") if a.linkers else [None]:
                for trainer in ("word", "fast"):
                    args = (["--data-dir", a.data_dir] if a.data_dir else []) + [
                        "--sentences", str(a.sentences), "--preset", "is13", "--model", model,
                        "--is13-trainer", trainer]
                    res = dict(run_config("rnnrepro.bench.rnnslu", args, a.engine, a.floatX,
                                          linker=linker),
                               repeat=r, load_after=os.getloadavg()[0])
                    print(f"  {model} {res['linker']} {trainer} repeat {r}: "
                          f"{res['seconds_per_epoch']} s, load {res['load_average']:.2f}",
                          flush=True)
                    rows.append(res)
    best = {}
    for res in rows:  # the least disturbed repeat of each (model, linker, trainer)
        k = (res["model"], res["linker"], res["trainer"])
        if k not in best or res["seconds_per_epoch"] < best[k]["seconds_per_epoch"]:
            best[k] = res
    ref = {(m, lk): best[(m, lk, "word")]["seconds_per_epoch"] for m, lk, _ in best}

    def vs_word(r):
        return f"{r['seconds_per_epoch'] / ref[r['model'], r['linker']]:.2f}x"

    def load(r):
        return f"{r['load_average']:.2f} / {r['load_after']:.2f}"
    table = markdown_table(list(best.values()), [
        ("model", lambda r: r["model"]), ("linker", lambda r: r["linker"]),
        ("trainer", lambda r: r["trainer"]),
        ("s / epoch", lambda r: f"{r['seconds_per_epoch']:.2f}"),
        ("ms / word", lambda r: f"{1e3 * r['seconds_per_epoch'] / r['words']:.3f}"),
        ("time vs word loop", vs_word), ("load avg (1 min) at start / end", load),
        ("peak RSS MB", lambda r: f"{r['peak_rss_mb']:.0f}")])
    print(table)
    write_bench(a.out, dict(command=command, commit=commit, hardware=hw, repeats=a.repeats,
                            note=a.note, rows=rows),
                [f"Command: `{command}`", f"Commit: {commit}",
                 f"Hardware: {hw} ({os.cpu_count()} cores, shared)",
                 f"Data: {rows[0]['data']}, {rows[0]['sentences']} sentences ({rows[0]['words']} "
                 f"words) per epoch; {a.engine}, {a.floatX}, 1 BLAS thread; best of {a.repeats} "
                 f"interleaved repeat(s)."], table, a.note)
