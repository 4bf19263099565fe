#!/usr/bin/env python
"""Download the WildML tutorial's pretrained Theano RNN (trained-model-theano.npz: U, V, W with
hidden 50, vocabulary 8000), which `rnnlm import-npz` wraps; sha256-checked.

    python scripts/download_wildml_model.py [--data-dir DIR]   # writes DIR/reddit/trained-model-theano.npz

Offline or on any other failure: one line naming the file and the cause, exit status 2.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnlm.wildml.data import PRETRAINED, data_dir  # noqa: E402
from rnnlm.wildml.download import PRETRAINED_URLS, download_pretrained  # noqa: E402
from rnnrepro.cli import ArgumentParser, run_command  # noqa: E402


def main(argv=None):
    p = ArgumentParser(prog="download_wildml_model.py", description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default=None, help="default $RNNLM_DATA or data/")
    p.add_argument("--url", action="append", help="try this address (repeatable) instead of "
                   "the tutorial repository's")
    a = p.parse_args(argv)
    dest = os.path.join(data_dir(a.data_dir), PRETRAINED)
    return run_command(p.prog, lambda _: download_pretrained(dest, a.url or PRETRAINED_URLS),
                       None)


if __name__ == "__main__":
    sys.exit(main())
