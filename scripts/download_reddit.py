#!/usr/bin/env python
"""Download the WildML tutorial's reddit CSV and check its sha256 (offline: one clear line).

    python scripts/download_reddit.py [--data-dir DIR]   # writes DIR/reddit/reddit-comments-2015-08.csv
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnlm.wildml.data import REDDIT_CSV, data_dir  # noqa: E402
from rnnlm.wildml.download import REDDIT_URLS, download_reddit  # noqa: E402
from rnnrepro.cli import ArgumentParser, run_command  # noqa: E402


def main(argv=None):
    p = ArgumentParser(prog="download_reddit.py", description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default=None, help="default $RNNLM_DATA or data/")
    p.add_argument("--url", action="append", help="try this address (repeatable) instead of "
                   "the tutorial repository's")
    a = p.parse_args(argv)
    dest = os.path.join(data_dir(a.data_dir), REDDIT_CSV)
    return run_command(p.prog, lambda _: download_reddit(dest, a.url or REDDIT_URLS), None)


if __name__ == "__main__":
    sys.exit(main())
