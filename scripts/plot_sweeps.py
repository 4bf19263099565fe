#!/usr/bin/env python3
"""The cross-validation figure: test F1 per ATIS fold and seed, one panel per preset/model,
from the ``sweep.jsonl`` of one or more ``rnnslu sweep`` folders; fold 3, seed 345 (the
published setting) ringed, and the published test F1 dotted where the folder's ``run.json``
(a results record) names one. Prints the summary table of all of them."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnslu.plot import plot_sweep
from rnnrepro.cli import ArgumentParser, run_script
from rnnrepro.figures import check_figure_output
from rnnrepro.files import read_json
from rnnrepro.results import check_kinds
from rnnslu.sweep import SweepError, format_summary, read_sweep, summarize, trainer

if __name__ == "__main__":
    ap = ArgumentParser(description=__doc__)
    ap.add_argument("sweeps", nargs="+",
                    help="sweep folders or results/<id> records of sweeps (each with sweep.jsonl)")
    ap.add_argument("--out", default="results/atis-cv-test-f1.png",
                    help="the picture to write (.png, .pdf or .svg; never over another file)")
    a = ap.parse_args()

    def plot():
        check_figure_output(a.out, "--out")   # before reading anything
        records, published = [], {}
        for folder in a.sweeps:
            rows = read_sweep(folder)
            records += rows
            rj = os.path.join(folder, "run.json")
            pub = check_kinds(rj, read_json(rj, "run record", finite=True),
                              {"published": "number?"}).get("published") \
                if os.path.exists(rj) else None
            if pub is not None:
                published.update({(r["preset"], r["model"], trainer(r)): pub for r in rows})
        # one point per run, when sweeps share a run folder (a linked finished run)
        records = list({(r["preset"], r["model"], r["data"], trainer(r), r["fold"], r["seed"]): r
                        for r in records}.values())
        print(format_summary(summarize(records)))
        print("figure:", plot_sweep(records, a.out, published=published)[0])
    run_script("plot_sweeps.py", plot, (SweepError,))
