#!/usr/bin/env python
"""Words per second: LSTM small config and the class-softmax RNN, aesara vs PyTensor.

    python scripts/bench_ptb.py [--windows 30] [--data-dir DIR] [--out results/bench-ptb/bench.json]

One subprocess per engine (the engine is fixed at import); see rnnlm/ptb_bench.py.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from rnnlm.ptb_bench import compare  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--windows", type=int, default=30, help="20x20-word windows timed per model")
    p.add_argument("--data-dir", default=None, help="PTB folder (default $PTBDATA or data/ptb)")
    p.add_argument("--engines", default="aesara,pytensor")
    p.add_argument("--out", default=os.path.join("results", "bench-ptb", "bench.json"))
    args = p.parse_args()
    compare(tuple(args.engines.split(",")), args.windows, args.data_dir, args.out)


if __name__ == "__main__":
    main()
