#!/usr/bin/env python3
"""Record finished ``rnnslu sweep`` folders under results/<id>/: run.json with the mean ± std
test F1 over folds and seeds, the summary table and the per-run rows with their provenance.
Sources may include earlier records (results/<id>/ of a sweep): run folders are git-ignored and
do not outlive a session, so a table filled over several sessions pools the earlier record with
the new sweep folders. Built by ``rnnslu.sweep.write_sweep_record``; no prediction file is
copied. The record folder is written all or nothing; one that holds another record (not among
the sources, other runs) is replaced only with --overwrite."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnrepro.cli import ArgumentParser, positive_int, record_id, run_script
from rnnslu.sweep import SweepError, write_sweep_record

if __name__ == "__main__":
    ap = ArgumentParser(description=__doc__)
    ap.add_argument("sources", nargs="+",
                    help="folders written by rnnslu sweep, or earlier results/<id> records")
    ap.add_argument("--id", required=True, type=record_id, help="the record's folder under results/")
    ap.add_argument("--what", required=True, help="what the record measures (its table row)")
    ap.add_argument("--command", required=True, help="the command(s) that produced the runs")
    ap.add_argument("--published", type=float, help="the published value beside ours")
    ap.add_argument("--source", default=None, help="where the published value comes from")
    ap.add_argument("--note", default=None, help="a note shown under the table")
    ap.add_argument("--expected-runs", type=positive_int, help="label the record smaller below this")
    ap.add_argument("--overwrite", action="store_true",
                    help="replace another record already under results/<id> (not needed when "
                         "results/<id> is among the sources)")
    a = ap.parse_args()

    def record():
        write_sweep_record(a.sources, os.path.join("results", a.id), a.id, a.what, a.command,
                           published=a.published, published_source=a.source, note=a.note,
                           expected_runs=a.expected_runs, overwrite=a.overwrite)
        print("recorded results/" + a.id)
    run_script("record_sweep.py", record, (SweepError,))
