#!/usr/bin/env python
"""ms per sgd_step, one 45-word sentence, C=8000, H=100: RNNNumpy vs RNNTheano (aesara and
PyTensor x float32/float64 x linkers C/Numba/JAX, those installed), one subprocess per
configuration; prints a table, writes results/<id>/."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root


def main(argv=None):
    from rnnlm.wildml.bench import CONFIGS, run_all, format_table, write_results
    from rnnrepro.bench import add_output_options, check_output
    from rnnrepro.cli import ArgumentParser, positive_int
    p = ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--C", type=positive_int, default=8000)
    p.add_argument("--H", type=positive_int, default=100)
    p.add_argument("--length", type=positive_int, default=45)
    p.add_argument("--repeats", type=positive_int, default=20)
    p.add_argument("--no-tutorial-graph", action="store_true",
                   help="skip timing the tutorial's own graph (softmax inside scan)")
    p.add_argument("--linker", default="c,numba,jax",
                   help="linkers, comma-separated: c, numba, jax (one subprocess each)")
    p.add_argument("--floatX", default="float32,float64", help="floatX values to run")
    add_output_options(p, "rnnlm-bench-sgd-step", option="--results-dir")
    a = p.parse_args(argv)
    linkers = tuple(a.linker.split(","))
    bad = [x for x in linkers if x not in ("c", "numba", "jax")]
    if bad:
        p.error(f"--linker: {', '.join(bad)} not one of c, numba, jax")
    check_output(a.results_dir, a.overwrite, option="--results-dir")
    configs = [c for c in CONFIGS if c[0] == "numpy" or c[1] in a.floatX.split(",")]
    rows = run_all(a.C, a.H, a.length, a.repeats, configs=configs,
                   tutorial_graph=not a.no_tutorial_graph, linkers=linkers)
    table = format_table(rows)
    print(table)
    path = write_results(a.results_dir, rows, table, vars(a), sys.argv)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    from rnnrepro.cli import run_script
    run_script("bench_rnnlm.py", main)
