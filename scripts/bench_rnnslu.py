#!/usr/bin/env python3
"""Seconds per ``dlt`` training epoch and peak memory: aesara vs PyTensor, float32 vs float64,
OpenBLAS vs the engines' NumPy C-API fallback, side by side in one run.

Published (deeplearning.net rnnslu tutorial): 34.5 s per epoch on an i7-950, < 200 MB.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnrepro.bench import add_output_options, check_output  # noqa: E402
from rnnrepro.cli import run_script  # noqa: E402
from rnnslu.bench import Epoch, Record, compare_dlt, render_dlt  # noqa: E402

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", help="ATIS folder (default $ATISDATA or data/atis)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--sentences", type=int, default=0, help="0 = full epoch (3983)")
    add_output_options(ap, "bench_rnnslu")
    ap.add_argument("--linker", default="c",
                    help="linkers, comma-separated: c, numba (jax cannot run rnnslu)")
    ap.add_argument("--engines", default="aesara,pytensor", help="those installed are run")
    ap.add_argument("--blas", default="auto,none", help="auto (OpenBLAS if found), none")
    ap.add_argument("--floatX", default="float64,float32")
    ap.add_argument("--note", default=None, help="conditions worth reporting (stored, shown)")
    ap.add_argument("--render", action="store_true",
                    help="only rewrite bench.md from the bench.json of an earlier run")
    a = ap.parse_args()

    def main():
        if a.render:   # a re-render rewrites bench.md from the folder's own bench.json
            return render_dlt(a.out, a.note)
        check_output(a.out, a.overwrite)
        compare_dlt(Record(a.out, sys.argv, a.note), Epoch(a.data_dir, a.sentences),
                    engines=a.engines.split(","), floatXs=a.floatX.split(","),
                    blas=a.blas.split(","), linkers=a.linker.split(","), repeats=a.repeats)
    run_script("bench_rnnslu.py", main)
