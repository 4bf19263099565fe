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

from rnnrepro.bench import add_output_options, check_output  # noqa: E402
from rnnrepro.cli import run_script  # noqa: E402
from rnnslu.bench import Epoch, Record, compare_is13  # noqa: E402

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", help="ATIS folder (default $ATISDATA or data/atis)")
    ap.add_argument("--models", default="elman",
                    help="comma-separated models (rnnslu.model.MODELS): elman,jordan,bi-elman")
    ap.add_argument("--bi-combine", choices=["shifted", "aligned"],
                    help="the bidirectional models' combination (default shifted)")
    ap.add_argument("--engine", default="aesara", help="aesara or pytensor")
    ap.add_argument("--floatX", default="float64", help="float64 or float32")
    ap.add_argument("--linkers", default="",
                    help="comma-separated linkers to compare (c,numba; PyTensor only); "
                         "default: the model's default linker")
    ap.add_argument("--repeats", type=int, default=1,
                    help="rounds, interleaved; the least disturbed of each row is kept")
    ap.add_argument("--sentences", type=int, default=0, help="0 = full epoch (3983)")
    add_output_options(ap, "bench_is13")
    ap.add_argument("--note", default=None, help="conditions worth reporting (stored, shown)")
    a = ap.parse_args()

    def main():
        check_output(a.out, a.overwrite)
        compare_is13(Record(a.out, sys.argv, a.note), Epoch(a.data_dir, a.sentences, a.bi_combine),
                     engine=a.engine, floatX=a.floatX, models=a.models.split(","),
                     linkers=a.linkers.split(",") if a.linkers else [None],
                     repeats=a.repeats)
    run_script("bench_is13.py", main)
