#!/usr/bin/env python
"""Words per second: LSTM small/medium/large train steps per engine x linker (C, Numba, JAX
side by side), and the class-softmax RNN.

    python scripts/bench_ptb.py [--windows 30] [--linker c,numba,jax] [--sizes small,medium,large]
                                [--data-dir DIR] [--out results/bench-ptb/bench.json]
                                [--variants scan,unroll,counter,unroll+counter] [--peer]
                                [--profile] [--floor] [--rounds N]

One subprocess per (engine, linker) (the engine is fixed at import); see rnnlm/ptb_lstm/bench.py.
Runs unchanged on a GPU machine: JAX then runs on the GPU.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from rnnlm.ptb_lstm.bench import compare  # noqa: E402
from rnnrepro.bench import check_output  # noqa: E402
from rnnrepro.cli import ArgumentParser, positive_int, run_script  # noqa: E402


def main():
    p = ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--windows", type=positive_int, default=30, help="20x20-word windows timed per model")
    p.add_argument("--data-dir", default=None, help="PTB folder (default $PTBDATA or data/ptb)")
    p.add_argument("--engines", default="aesara,pytensor", help="those installed are run")
    p.add_argument("--linker", default="c,numba,jax",
                   help="linkers, comma-separated (one subprocess each): c, numba, jax")
    p.add_argument("--sizes", default="small,medium,large", help="LSTM configs to time")
    p.add_argument("--big-windows", type=positive_int, default=None,
                   help="windows timed for medium/large (default 4 and 2: a reduced run)")
    p.add_argument("--no-class-rnn", action="store_true", help="LSTM rows only")
    p.add_argument("--variants", default="scan",
                   help="LSTM variants, comma-separated: scan (default path), unroll (window "
                        "written out), counter (masks drawn in the graph), unroll+counter")
    p.add_argument("--peer", action="store_true",
                   help="also time a PyTorch LSTM of the same config (where torch imports; cuDNN "
                        "on a GPU, the same threads on a CPU)")
    p.add_argument("--floor", action="store_true",
                   help="also time the window's matrix products alone (numpy BLAS, same "
                        "threads): a words/s no implementation of the same arithmetic passes")
    p.add_argument("--profile", action="store_true",
                   help="also split each LSTM window into host mask draw, call and device wait")
    p.add_argument("--rounds", type=positive_int, default=1,
                   help="repeat every configuration this many times, interleaved")
    p.add_argument("--out", default=os.path.join("runs", "bench-ptb", "bench.json"),
                   help="the JSON record to write (bench.md beside it; default under runs/, a "
                        "record under results/ is made by naming it here)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace what --out's folder already holds (default: refuse)")
    args = p.parse_args()
    linkers = tuple(args.linker.split(","))
    bad = [x for x in linkers if x not in ("c", "numba", "jax")]
    if bad:
        p.error(f"--linker: {', '.join(bad)} not one of c, numba, jax")
    from rnnlm.ptb_lstm.bench import VARIANTS
    variants = tuple(args.variants.split(","))
    bad = [x for x in variants if x not in VARIANTS]
    if bad:
        p.error(f"--variants: {', '.join(bad)} not one of {', '.join(VARIANTS)}")
    if os.path.dirname(args.out):
        check_output(os.path.dirname(args.out), args.overwrite)
    from rnnlm.ptb_lstm.bench import Timing
    timing = Timing(windows=args.windows, data_dir=args.data_dir,
                    sizes=tuple(args.sizes.split(",")), big_windows=args.big_windows,
                    class_rnn_rows=not args.no_class_rnn, variants=variants,
                    profile=args.profile)
    compare(tuple(args.engines.split(",")), linkers, timing, peer=args.peer, floor=args.floor,
            rounds=args.rounds, out_path=args.out)

if __name__ == "__main__":
    run_script("bench_ptb.py", main)
