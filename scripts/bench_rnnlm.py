#!/usr/bin/env python
"""ms per sgd_step, one 45-word sentence, C=8000, H=100: RNNNumpy vs RNNTheano (aesara and
PyTensor x float32/float64), one subprocess per engine; prints a table, writes results/<id>/."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root


def main(argv=None):
    from rnnlm.bench import run_all, format_table, write_results
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--C", type=int, default=8000)
    p.add_argument("--H", type=int, default=100)
    p.add_argument("--length", type=int, default=45)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--no-tutorial-graph", action="store_true",
                   help="skip timing the tutorial's own graph (softmax inside scan)")
    p.add_argument("--results-dir", default="results/rnnlm-bench-sgd-step")
    a = p.parse_args(argv)
    rows = run_all(a.C, a.H, a.length, a.repeats, tutorial_graph=not a.no_tutorial_graph)
    table = format_table(rows)
    print(table)
    path = write_results(a.results_dir, rows, table, vars(a), sys.argv)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
