#!/usr/bin/env python3
"""Download Mesnil's ATIS pickles (the five folds and the full split) into data/atis/."""
import argparse
import os
import sys
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnslu.data import data_dir
from rnnslu.download import SHA256, download_atis

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", help="target folder (default $ATISDATA or data/atis)")
    ap.add_argument("files", nargs="*", choices=[[]] + sorted(SHA256), default=[],
                    help="which files (default: all)")
    a = ap.parse_args()
    sys.exit(download_atis(data_dir(a.data_dir), a.files or None))
