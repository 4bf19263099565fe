#!/usr/bin/env python3
"""Record a finished ``rnnslu train`` run under results/<id>/ (log, curves, run.json).

Only the run's own log, summary and plot are copied: never the prediction files, which hold
ATIS sentences.
"""
import os

import sys
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnrepro.cli import ArgumentParser, record_id, run_script
from rnnrepro.files import check_fields, read_json
from rnnrepro.results import write_record
from rnnrepro.runsafe import recover

SUMMARY = ("test_f1", "valid_f1", "best_epoch", "commit", "hardware", "engine", "engine_version",
           "floatX", "epochs_run", "seconds_per_epoch", "peak_rss_mb")
CONFIG = ("data", "fold", "preset", "model", "regime", "lr", "win", "bs", "nhidden",
          "emb_dimension", "seed", "nepochs", "decay", "reset")


def record(a):
    recover(a.run)   # a killed --overwrite in the run folder: its old run first
    path = os.path.join(a.run, "result.json")
    res = read_json(path, "run result", require=("config", "summary"))
    s, summ = res["config"], res["summary"]
    check_fields(path, "summary", summ, SUMMARY)
    check_fields(path, "config", s, CONFIG)
    data = "toy corpus" if s["data"] == "toy" else f"ATIS fold {s['fold']} (Mesnil pickles)"
    write_record(os.path.join("results", a.id), dict(
        id=a.id, package="rnnslu", what=a.what, metric="test F1 (conlleval)",
        value=summ["test_f1"], valid_f1=summ["valid_f1"], best_epoch=summ["best_epoch"],
        published=a.published, published_source=a.source, label=a.label,
        command=a.command, commit=a.commit or summ["commit"], data=data, hardware=summ["hardware"],
        engine=f"{summ['engine']} {summ['engine_version']}", floatX=summ["floatX"],
        blas=summ.get("blas"), epochs=summ["epochs_run"],
        seconds_per_epoch=summ["seconds_per_epoch"], peak_rss_mb=summ["peak_rss_mb"],
        config={k: s[k] for k in ("preset", "model", "regime", "lr", "win", "bs", "nhidden",
                                  "emb_dimension", "seed", "nepochs", "decay", "reset")},
        note=a.note),
        copy_files=[os.path.join(a.run, n) for n in ("log.jsonl", "result.json", "curves.png")])
    print("recorded results/" + a.id)


if __name__ == "__main__":
    ap = ArgumentParser(description=__doc__)
    ap.add_argument("run", help="run folder written by rnnslu train")
    ap.add_argument("--id", required=True, type=record_id, help="the record's folder under results/")
    ap.add_argument("--what", required=True, help="what the record measures (its table row)")
    ap.add_argument("--published", type=float, help="the published value beside ours")
    ap.add_argument("--source", default="", help="where the published value comes from")
    ap.add_argument("--label", default="full", help="full, or how the run differs (smaller, proxy)")
    ap.add_argument("--command", required=True, help="the command that produced the run")
    ap.add_argument("--note", default="", help="a note shown under the table")
    ap.add_argument("--commit", help="override the commit the run recorded")
    a = ap.parse_args()
    run_script("record_rnnslu.py", lambda: record(a))

