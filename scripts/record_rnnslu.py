#!/usr/bin/env python3
"""Record a finished ``rnnslu train`` run under results/<id>/ (log, curves, run.json).

Only the run's own log, summary and plot are copied: never the prediction files, which hold
ATIS sentences. The record folder is written all or nothing; one that holds the record of
another run (another result.json) is replaced only with --overwrite.
"""
import os

import sys
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnrepro.cli import ArgumentParser, record_id, run_script
from rnnrepro.files import check_fields, read_json
from rnnrepro.results import check_kinds, same_files, write_record_folder
from rnnrepro.runsafe import recover

SUMMARY = ("test_f1", "valid_f1", "best_epoch", "commit", "hardware", "engine", "engine_version",
           "floatX", "epochs_run", "seconds_per_epoch", "peak_rss_mb")
SUMMARY_KINDS = {"test_f1": "number", "valid_f1": "number", "best_epoch": "int",
                 "epochs_run": "int", "seconds_per_epoch": "number?", "peak_rss_mb": "number?"}
CONFIG = ("data", "fold", "preset", "model", "regime", "lr", "win", "bs", "nhidden",
          "emb_dimension", "seed", "nepochs", "decay", "reset")


def record(a):
    recover(a.run)   # a killed --overwrite in the run folder: its old run first
    path = os.path.join(a.run, "result.json")
    res = read_json(path, "run result", require=("config", "summary"), finite=True)
    s, summ = res["config"], res["summary"]
    check_fields(path, "summary", summ, SUMMARY)
    check_fields(path, "config", s, CONFIG)
    check_kinds(f"{path}: summary", summ, SUMMARY_KINDS)
    data = "toy corpus" if s["data"] == "toy" else f"ATIS fold {s['fold']} (Mesnil pickles)"
    copied = {}
    for name in ("log.jsonl", "result.json", "curves.png"):   # what a finished run keeps
        if os.path.exists(os.path.join(a.run, name)):
            with open(os.path.join(a.run, name), "rb") as f:
                copied[name] = f.read()
    folder = os.path.join("results", a.id)
    removed = write_record_folder(folder, dict(
        id=a.id, package="rnnslu", what=a.what, metric="test F1 (conlleval)",
        value=summ["test_f1"], valid_f1=summ["valid_f1"], best_epoch=summ["best_epoch"],
        published=a.published, published_source=a.source, label=a.label,
        command=a.command, commit=a.commit or summ["commit"], data=data, hardware=summ["hardware"],
        engine=f"{summ['engine']} {summ['engine_version']}", floatX=summ["floatX"],
        blas=summ.get("blas"), epochs=summ["epochs_run"],
        seconds_per_epoch=summ["seconds_per_epoch"], peak_rss_mb=summ["peak_rss_mb"],
        config={k: s[k] for k in ("preset", "model", "regime", "lr", "win", "bs", "nhidden",
                                  "emb_dimension", "seed", "nepochs", "decay", "reset")},
        note=a.note), copied, overwrite=a.overwrite,
        same_input=same_files(folder, {"result.json": copied["result.json"]}))
    print("recorded results/" + a.id + (f" (removed the old record's {', '.join(removed)})"
                                        if removed else ""))


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
    ap.add_argument("--overwrite", action="store_true",
                    help="replace a record of another run already under results/<id>")
    a = ap.parse_args()
    run_script("record_rnnslu.py", lambda: record(a))

