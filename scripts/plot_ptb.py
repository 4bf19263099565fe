#!/usr/bin/env python
"""PTB runs (LSTM and toolkit): validation perplexity by epoch against the published validation
levels, and test perplexity against the published test values.

    python scripts/plot_ptb.py -o runs/ptb.png \\
        "LSTM small=runs/ptb-lstm-small" "RNNLM h100=runs/ptb-rnnlm-h100-c100"

Each argument is LABEL=RUN_DIR (a folder with log.jsonl; run.json, when there, gives our test
perplexity and the published one). ``make figures`` draws results/ptb-valid-perplexity.png.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root


def main(argv=None):
    from rnnlm.plot import plot_ptb_runs
    from rnnrepro.cli import ArgumentParser, run_script
    from rnnrepro.figures import check_figure_output
    p = ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", help="LABEL=RUN_DIR (runs/<id> or results/<id>)")
    p.add_argument("-o", "--output", required=True,
                   help="the picture to write (.png, .pdf or .svg; never over another file)")
    a = p.parse_args(argv)
    runs = [(label or run, run) for label, _, run in (r.rpartition("=") for r in a.runs)]

    def plot():
        check_figure_output(a.output)   # before reading anything
        print(plot_ptb_runs(runs, a.output))
    run_script("plot_ptb.py", plot)


if __name__ == "__main__":
    main()
