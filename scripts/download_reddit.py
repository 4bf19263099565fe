#!/usr/bin/env python
"""Download the WildML tutorial's reddit CSV and check its sha256 (offline: one clear message).

    python scripts/download_reddit.py [--data-dir DIR]   # writes DIR/reddit/reddit-comments-2015-08.csv
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnlm.download import REDDIT_SHA256, REDDIT_SIZE, REDDIT_URL, download_checked
from rnnlm.data import REDDIT_CSV, data_dir


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default=None, help="default $RNNLM_DATA or data/")
    p.add_argument("--url", default=REDDIT_URL)
    a = p.parse_args(argv)
    import os
    dest = os.path.join(data_dir(a.data_dir), REDDIT_CSV)
    return download_checked(a.url, dest, REDDIT_SHA256, REDDIT_SIZE)


if __name__ == "__main__":
    sys.exit(main())
