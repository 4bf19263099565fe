#!/usr/bin/env python3
"""Paired comparison of cross-validated sweeps: the test F1 of the first against each of the
others, run by run on the folds and seeds both have (``rnnslu.sweep.paired``).

    python scripts/compare_sweeps.py results/rnnslu-cv-is13-hybrid-fast \\
        results/rnnslu-cv-is13-elman results/rnnslu-cv-is13-jordan-fast
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnrepro.cli import ArgumentParser, run_script
from rnnslu.sweep import SweepError, format_paired, paired, read_sweep

if __name__ == "__main__":
    ap = ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sweep", help="sweep folder or results/<id> record (with sweep.jsonl)")
    ap.add_argument("others", nargs="+", help="the sweeps to compare it with, each on its own")
    ap.add_argument("--metric", default="test_f1", choices=("test_f1", "valid_f1"),
                    help="the per-run number compared (default test_f1)")
    a = ap.parse_args()

    def compare():
        mine = read_sweep(a.sweep)
        for other in a.others:
            p = paired(mine, read_sweep(other), a.metric)
            print(format_paired(os.path.basename(a.sweep.rstrip("/")),
                                os.path.basename(other.rstrip("/")), p))
            print("  per (fold, seed): " + ", ".join(f"{f},{s}: {d:+.2f}" for (f, s), d in
                                                      zip(p["pairs"], p["diffs"])))
    run_script("compare_sweeps.py", compare, (SweepError,))
