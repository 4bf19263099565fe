#!/usr/bin/env python3
"""Record a finished ``rnnslu sweep`` folder under results/<id>/ (run.json with the mean ± std
test F1 over folds and seeds, the summary table, the per-run records and the figure). The
record is built by ``rnnslu.sweep.results_record``; prediction files are never copied."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnrepro.results import write_record
from rnnslu.sweep import results_record

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("sweep", help="a folder written by rnnslu sweep")
    ap.add_argument("--id", required=True)
    ap.add_argument("--what", required=True)
    ap.add_argument("--command", required=True, help="the command that produced the sweep")
    ap.add_argument("--published", type=float)
    ap.add_argument("--source", default=None)
    ap.add_argument("--note", default=None)
    ap.add_argument("--expected-runs", type=int, help="label the record smaller below this")
    a = ap.parse_args()
    rec = results_record(a.sweep, a.id, a.what, a.command, a.published, a.source, a.note,
                         a.expected_runs)
    write_record(os.path.join("results", a.id), rec,
                 copy_files=[os.path.join(a.sweep, n) for n in ("summary.md", "sweep.jsonl",
                                                                "test_f1.png")])
    print("recorded results/" + a.id)
