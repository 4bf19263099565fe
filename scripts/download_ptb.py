#!/usr/bin/env python
"""Download Penn Treebank (Mikolov's simple-examples.tgz, the file the TF PTB tutorial points to)
and keep only ptb.{train,valid,test}.txt, each sha256-checked, in DIR/ptb/.

    python scripts/download_ptb.py [--data-dir DIR]   # default $RNNLM_DATA or data/

The archive's own sha256 is not published; the three files kept are checked instead. Offline
or on any other failure: one line naming the file and the cause, exit status 2.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnlm.ptb_download import PTB_URLS, download_ptb  # noqa: E402
from rnnlm.wildml.data import data_dir  # noqa: E402
from rnnrepro.cli import ArgumentParser, run_command  # noqa: E402


def main(argv=None):
    p = ArgumentParser(prog="download_ptb.py", description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default=None,
                   help="data folder; the files go to its ptb/ (default $RNNLM_DATA or data/)")
    p.add_argument("--url", action="append", help="try this address of simple-examples.tgz "
                   "(repeatable) instead of the original")
    a = p.parse_args(argv)
    dest = os.path.join(data_dir(a.data_dir), "ptb")
    return run_command(p.prog, lambda _: download_ptb(dest, a.url or PTB_URLS), None)


if __name__ == "__main__":
    sys.exit(main())
