#!/usr/bin/env python
"""Validation perplexity by epoch for PTB runs (LSTM and toolkit logs), published test levels dotted.

    python scripts/plot_ptb.py -o results/ptb_valid_perplexity.png \\
        "LSTM small=results/ptb-lstm-small" "RNNLM h100=results/ptb-rnnlm-h100-c100"

Each argument is LABEL=RUN_DIR (a folder with log.jsonl, and run.json for the published level).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root


def main(argv=None):
    from rnnlm.plot import plot_curves, read_jsonl
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("runs", nargs="+", help="LABEL=results/<run-id>")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--title", default="Penn Treebank: validation perplexity by epoch")
    a = p.parse_args(argv)
    curves, levels = [], []
    for item in a.runs:
        label, _, run = item.rpartition("=")
        log = os.path.join(run, "log.jsonl")
        if not os.path.exists(log):
            p.error(f"{log}: no log.jsonl in this run folder")
        recs = [r for r in read_jsonl(log) if "valid_perplexity" in r]
        curves.append((label or run, [r["epoch"] for r in recs],
                       [r["valid_perplexity"] for r in recs]))
        rj = os.path.join(run, "run.json")
        pub = json.load(open(rj)).get("published") if os.path.exists(rj) else None
        levels.append((f"{label}: published test {pub}" if pub else None, pub))
    # one dotted level per curve, in its colour (None keeps the colour index aligned)
    hl = [(lab, y) if y else ("_nolegend_", float("nan")) for lab, y in levels]
    print(plot_curves(curves, a.output, title=a.title, xlabel="epoch",
                      ylabel="validation perplexity", hlines=hl))
    return 0


if __name__ == "__main__":
    sys.exit(main())
