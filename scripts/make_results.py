#!/usr/bin/env python3
"""Regenerate results/RESULTS.md from the run records in results/*/run.json."""
import os
import sys
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnrepro.cli import ArgumentParser, run_script
from rnnrepro.results import write_results_markdown

if __name__ == "__main__":
    ap = ArgumentParser(description=__doc__)
    ap.add_argument("--results-dir", default="results",
                    help="folder of <id>/run.json records; RESULTS.md is written there")
    a = ap.parse_args()

    def make():
        print(write_results_markdown(a.results_dir))   # every record read (and checked) first
    run_script("make_results.py", make)
