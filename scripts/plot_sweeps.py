#!/usr/bin/env python3
"""The cross-validation figure: test F1 per ATIS fold and seed, one panel per preset/model,
from the ``sweep.jsonl`` of one or more ``rnnslu sweep`` folders; fold 3, seed 345 (the
published setting) ringed. Prints the summary table of all of them."""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnslu.plot import plot_sweep
from rnnslu.sweep import format_summary, summarize, trainer

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("sweeps", nargs="+",
                    help="sweep folders or results/<id> records of sweeps (each with sweep.jsonl)")
    ap.add_argument("--out", default="results/atis-cv-test-f1.png")
    a = ap.parse_args()
    records = []
    for folder in a.sweeps:
        path = os.path.join(folder, "sweep.jsonl")
        if not os.path.exists(path):
            sys.exit(f"plot_sweeps.py: error: {path}: not found (run 'rnnslu sweep' first)")
        with open(path) as f:
            records += [json.loads(line) for line in f if line.strip()]
    # one point per run, when sweeps share a run folder (a linked finished run)
    records = list({(r["preset"], r["model"], r["data"], trainer(r), r["fold"], r["seed"]): r
                    for r in records}.values())
    print(format_summary(summarize(records)))
    print("figure:", plot_sweep(records, a.out)[0])
