#!/usr/bin/env python3
"""Paired comparison of cross-validated sweeps: the test F1 of the first against each of the
others (or, with --all-pairs, of each against every later one), run by run on the folds and
seeds both have (``rnnslu.sweep.paired``): mean difference, sd, se, how many higher, the paired
t with its two-sided p and the exact sign test's p.

    python scripts/compare_sweeps.py results/rnnslu-cv-is13-hybrid-fast \\
        results/rnnslu-cv-is13-elman results/rnnslu-cv-is13-jordan-fast
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnrepro.cli import ArgumentParser, run_script
from rnnslu.sweep import (PAIRED_HEADER, SweepError, format_paired, format_paired_row, paired,
                          read_sweep)

if __name__ == "__main__":
    ap = ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sweep", help="sweep folder or results/<id> record (with sweep.jsonl)")
    ap.add_argument("others", nargs="+", help="the sweeps to compare it with, each on its own")
    ap.add_argument("--metric", default="test_f1", choices=("test_f1", "valid_f1"),
                    help="the per-run number compared (default test_f1)")
    ap.add_argument("--markdown", action="store_true",
                    help="one markdown table row per comparison, without the per-run differences")
    ap.add_argument("--all-pairs", action="store_true",
                    help="compare every sweep given with every later one, not only the first")
    a = ap.parse_args()

    def compare():
        folders = [a.sweep] + a.others
        runs = {f: read_sweep(f) for f in folders}
        name = lambda f: os.path.basename(f.rstrip("/"))  # noqa: E731
        pairs = [(f, g) for i, f in enumerate(folders) for g in folders[i + 1:]
                 if a.all_pairs or f == a.sweep]
        if a.markdown:
            print(PAIRED_HEADER)
        for mine, other in pairs:
            p = paired(runs[mine], runs[other], a.metric)
            if a.markdown:
                print(format_paired_row(name(mine), name(other), p))
                continue
            print(format_paired(name(mine), name(other), p))
            print("  per (fold, seed): " + ", ".join(f"{f},{s}: {d:+.2f}" for (f, s), d in
                                                      zip(p["pairs"], p["diffs"])))
    run_script("compare_sweeps.py", compare, (SweepError,))
