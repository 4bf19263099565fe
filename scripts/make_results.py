#!/usr/bin/env python3
"""Regenerate results/RESULTS.md from the run records in results/*/run.json."""
import argparse

from rnnrepro.results import results_markdown

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--results-dir", default="results")
    a = ap.parse_args()
    text = results_markdown(a.results_dir)
    with open(f"{a.results_dir}/RESULTS.md", "w") as f:
        f.write(text)
    print(text)
