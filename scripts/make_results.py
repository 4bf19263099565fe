#!/usr/bin/env python3
"""Regenerate results/RESULTS.md from the run records in results/*/run.json."""
import argparse
import os
import sys
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnrepro.results import results_markdown

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--results-dir", default="results")
    a = ap.parse_args()
    text = results_markdown(a.results_dir)
    with open(f"{a.results_dir}/RESULTS.md", "w") as f:
        f.write(text)
    print(text)
