#!/usr/bin/env python
"""Fetch NLTK's punkt_tab tables (needed by sent_tokenize/word_tokenize) with the nltk downloader.

    python scripts/download_punkt.py [--dir DIR]   # then: export NLTK_DATA=DIR

Offline or on any other failure: one line with nltk's reason, exit status 2.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnlm.wildml.download import download_punkt  # noqa: E402
from rnnrepro.cli import ArgumentParser, run_command  # noqa: E402


def main(argv=None):
    p = ArgumentParser(prog="download_punkt.py", description=__doc__.split("\n")[0])
    p.add_argument("--dir", default=None, help="target folder (default: nltk's first data path)")
    p.add_argument("--index-url", default=None, metavar="URL",
                   help="nltk data index to use instead of nltk's default (a mirror)")
    a = p.parse_args(argv)
    return run_command(p.prog, lambda _: download_punkt(a.dir, index_url=a.index_url), None)


if __name__ == "__main__":
    sys.exit(main())
