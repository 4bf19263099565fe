"""Penn Treebank text (Mikolov's simple-examples split), read the way both PTB tutorials read it.

Shared by ``rnnlm.ptb_lstm`` (TF's ``reader.py``) and ``rnnlm.toolkit`` (the RNNLM toolkit's
``readWord``): where the files are (``resolve_data_dir``) and the token stream of one file, with
``<eos>`` at every line end (``read_words``; the toolkit spells it ``</s>``). Also the n-gram
side's reading (SRILM's, shared by ``rnnlm ngram``, ``rnnlm cache`` and ``rnnlm fnn``): the
non-empty lines (``read_sentences``) and the words scored, ``</s>`` after each line
(``scored_words``).
"""
import os

from rnnrepro import files

EOS = "<eos>"
DEFAULT_DATA_DIR = os.path.join("data", "ptb")
SPLITS = ("train", "valid", "test")


def resolve_data_dir(data_dir=None):
    """The folder holding ``ptb.train.txt``: ``--data-dir``, else ``$PTBDATA``, else
    ``$RNNLM_DATA/ptb``, else ``data/ptb``.

    A folder that holds ``ptb/ptb.train.txt`` instead (the layout ``rnnlm train`` and the
    download scripts use: one data folder with ``reddit/`` and ``ptb/`` inside) is accepted
    too, so the same ``--data-dir`` works for every ``rnnlm`` subcommand.
    """
    d = data_dir or os.environ.get("PTBDATA")
    if d is None:
        root = os.environ.get("RNNLM_DATA")
        d = os.path.join(root, "ptb") if root else DEFAULT_DATA_DIR
    if not os.path.isfile(split_path(d, "train")) and os.path.isfile(
            split_path(os.path.join(d, "ptb"), "train")):
        d = os.path.join(d, "ptb")
    return d


def split_path(data_dir, split):
    return os.path.join(data_dir, f"ptb.{split}.txt")


def _read_text(path):
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{path}: PTB file not found (pass --data-dir or set PTBDATA to the folder holding "
            f"ptb.train.txt, ptb.valid.txt, ptb.test.txt; scripts/download_ptb.py fetches them "
            f"into data/ptb)")
    text = files.read_text(path, "PTB file")  # names the file if not UTF-8; drops a BOM
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # line ends as open() reads them
    if not text.split():
        from rnnlm.wildml.data import DataError  # a ValueError: one line from the command line
        raise DataError(f"{path}: file is empty (no words)")
    return text


def read_words(path):
    """``_read_words``: the whole file as one token list, ``<eos>`` at every line end."""
    return _read_text(path).replace("\n", f" {EOS} ").split()


def read_sentences(path, limit=None):
    """The non-empty lines of a PTB file as word lists (SRILM skips empty lines); the first
    ``limit`` of them if given."""
    lines = [ln.split() for ln in _read_text(path).split("\n") if ln.split()]
    return lines[:limit] if limit else lines


def scored_words(path, eos=EOS):
    """The tokens an n-gram model scores (SRILM ``ngram -ppl``), in its order: each non-empty
    line's words, then ``eos`` (SRILM's ``</s>``; ``<eos>`` in the PTB vocabulary)."""
    return [w for line in read_sentences(path) for w in line + [eos]]


def require_words(data_dir, split, known, tokens, need=1, why=""):
    """Refuse a split that holds no word of the training vocabulary (``known``: such words,
    line ends not counted) or fewer than ``need`` ``tokens`` (line ends counted) for ``why``:
    one line naming the file, before any training (not after an epoch, which would be lost)."""
    path = split_path(data_dir, split)
    if not known:
        raise files.InputError(f"{path}: no word of the training vocabulary (only line ends "
                               f"and unknown words); nothing to evaluate")
    if tokens < need:
        raise files.InputError(f"{path}: {tokens} tokens of the training vocabulary (line ends "
                               f"included), too few: {why} needs {need}")
