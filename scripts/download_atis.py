#!/usr/bin/env python3
"""Download Mesnil's ATIS pickles (the five folds and the full split) into data/atis/.

    python scripts/download_atis.py [--data-dir DIR] [FILE ...]

Offline or on any other failure: one line naming the file and the cause, exit status 2.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnrepro.cli import ArgumentParser, run_command  # noqa: E402
from rnnslu.data import data_dir  # noqa: E402
from rnnslu.download import SHA256, download_atis  # noqa: E402


def main(argv=None):
    p = ArgumentParser(prog="download_atis.py", description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", help="target folder (default $ATISDATA or data/atis)")
    p.add_argument("--mirror", action="append", metavar="URL",
                   help="base address holding the pickles, tried instead of the original two "
                        "(repeatable)")
    p.add_argument("files", nargs="*", choices=[[]] + sorted(SHA256), default=[],
                   help="which files (default: all)")
    a = p.parse_args(argv)
    return run_command(p.prog, lambda _: download_atis(data_dir(a.data_dir), a.files or None,
                                                       mirrors=a.mirror), None)


if __name__ == "__main__":
    sys.exit(main())
