#!/usr/bin/env python3
"""Regenerate results/RESULTS.md and results/BENCHMARKS.md from the run records in
results/*/run.json, and the README's reproduction table from results/reproduce.json."""
import os
import sys
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnrepro.cli import ArgumentParser, run_script
from rnnrepro.results import write_readme_table, write_results_markdown

if __name__ == "__main__":
    ap = ArgumentParser(description=__doc__)
    ap.add_argument("--results-dir", default="results",
                    help="folder of <id>/run.json records and reproduce.json; RESULTS.md and "
                         "BENCHMARKS.md are written there")
    ap.add_argument("--readme", default=None,
                    help="README whose reproduction table (between its markers) is rewritten "
                         "(default: README.md beside the results folder, when there is one; "
                         "'' leaves every README alone)")
    a = ap.parse_args()

    def make():
        write_results_markdown(a.results_dir)   # every record read (and checked) first
        print(f"wrote {os.path.join(a.results_dir, 'RESULTS.md')} and BENCHMARKS.md")
        readme = a.readme
        if readme is None:
            readme = os.path.join(os.path.dirname(os.path.abspath(a.results_dir)), "README.md")
            readme = readme if os.path.isfile(readme) else ""
        if readme:
            changed = write_readme_table(readme, a.results_dir)
            print(f"{os.path.relpath(readme)}: reproduction table {'updated' if changed else 'unchanged'}")
    run_script("make_results.py", make)
