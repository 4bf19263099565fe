#!/usr/bin/env python
"""Plot rnnlm loss curves (JSONL logs) into one PNG; --part2 adds the tutorial's published curve.

    python scripts/plot_rnnlm.py -o results/x/loss.png LABEL=runs/a/log.jsonl LABEL2=runs/b/log.jsonl
    python scripts/plot_rnnlm.py --part2 -o results/x/part2.png "PTB proxy=runs/part2/log.jsonl"
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root


def main(argv=None):
    from rnnlm.plot import PUBLISHED_PART2_CURVE, curve_from_log, plot_curves
    from rnnrepro.cli import ArgumentParser, run_script
    from rnnrepro.figures import check_figure_output
    p = ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("logs", nargs="+", help="LABEL=path/to/log.jsonl")
    p.add_argument("-o", "--output", required=True,
                   help="the picture to write (.png, .pdf or .svg; never over another file)")
    p.add_argument("--title", default="", help="the figure's title")
    p.add_argument("--part2", action="store_true",
                   help="draw the published part-2 curve (100 examples per epoch)")
    a = p.parse_args(argv)

    def plot():
        check_figure_output(a.output)   # before reading anything
        curves = []
        for item in a.logs:
            label, _, path = item.rpartition("=")
            xs, ys = curve_from_log(path)
            curves.append((label or path, xs, ys))
        published = None
        if a.part2:
            published = ("published (reddit, part 2)",
                         [100 * i for i in range(len(PUBLISHED_PART2_CURVE))],
                         PUBLISHED_PART2_CURVE)
        print(plot_curves(curves, a.output, title=a.title, published=published))
    run_script("plot_rnnlm.py", plot)


if __name__ == "__main__":
    main()
