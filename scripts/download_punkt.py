#!/usr/bin/env python
"""Fetch NLTK's punkt_tab tables (needed by sent_tokenize/word_tokenize) with the nltk downloader.

    python scripts/download_punkt.py [--dir DIR]   # then: export NLTK_DATA=DIR
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnlm.wildml.download import download_punkt


def main(argv=None):
    from rnnrepro.cli import ArgumentParser
    p = ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dir", default=None, help="target folder (default: nltk's first data path)")
    a = p.parse_args(argv)
    return download_punkt(a.dir)


if __name__ == "__main__":
    sys.exit(main())
