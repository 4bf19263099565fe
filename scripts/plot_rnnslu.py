#!/usr/bin/env python
"""F1 and training-loss curves of one rnnslu run folder (its log.jsonl), with the published test
F1 dotted when the folder's run.json (a results record) names one.

    python scripts/plot_rnnslu.py results/rnnslu-dlt-elman-fold3 -o results/rnnslu-dlt-elman-fold3/curves.png

The same picture ``rnnslu train --plot`` leaves in a run folder, drawn again from a record.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root


def main(argv=None):
    from rnnrepro.cli import ArgumentParser, run_script
    from rnnrepro.figures import check_figure_output
    from rnnrepro.files import InputError, read_json
    from rnnrepro.results import check_kinds
    from rnnslu.plot import plot_run
    p = ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run", help="a run folder or results/<id> record with log.jsonl")
    p.add_argument("-o", "--output", default=None,
                   help="the picture to write (.png, .pdf or .svg; never over another file); "
                        "default RUN/curves.png")
    a = p.parse_args(argv)

    def plot():
        out = a.output or os.path.join(a.run, "curves.png")
        check_figure_output(out)   # before reading anything
        if not os.path.exists(os.path.join(a.run, "log.jsonl")):
            raise InputError(f"{os.path.join(a.run, 'log.jsonl')}: no log.jsonl in this run folder")
        rj = os.path.join(a.run, "run.json")
        pub = check_kinds(rj, read_json(rj, "run record", finite=True),
                          {"published": "number?"}).get("published") \
            if os.path.exists(rj) else None
        print(plot_run(a.run, out, published=pub))
    run_script("plot_rnnslu.py", plot)


if __name__ == "__main__":
    main()
