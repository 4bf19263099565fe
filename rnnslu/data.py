"""ATIS data: Mesnil's pickles loaded safely, checked, and the tutorial's window helpers.

The files are Python-2 cPickles ``(train, valid, test, dicts)`` (``atis.foldN.pkl.gz``) or
``(train, test, dicts)`` (``atis.pkl.gz``); each split is ``(words, tables, labels)``, lists
of int32 arrays, one per sentence. They are read with a restricted unpickler that can build
only numpy arrays: any other global in the stream is refused, never executed.
"""
import gzip
import io
import os
import pickle
import random
import zlib

import numpy as np

ENV_DIR = "ATISDATA"
FOLDS = (0, 1, 2, 3, 4)
PAD = -1  # contextwin's padding index: selects the extra, last embedding row (see RNNSLU)


class DataError(ValueError):
    """A data file is missing or is not what it should be; the message names the file."""


# ----------------------------------------------------------------------------- loading
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    # Python 3 writes bytes in protocol-2 pickles as _codecs.encode(text, 'latin1'): harmless,
    # and needed for copies of the files re-saved from Python 3
    ("_codecs", "encode"),
}


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the numpy array reconstruction globals the ATIS files use."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"global '{module}.{name}' is not allowed in an ATIS pickle")


def safe_load(path):
    """Unpickle a (gzip'd) Python-2 pickle of numpy arrays; anything else is a DataError."""
    if not os.path.exists(path):
        raise DataError(f"{path}: file not found (set --data-dir or ${ENV_DIR}, "
                        f"or run scripts/download_atis.py)")
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot read the gzip stream ({exc}); the file is truncated "
                        f"or corrupt, download it again") from exc
    try:
        return RestrictedUnpickler(io.BytesIO(raw), encoding="latin1").load()
    except pickle.UnpicklingError as exc:
        raise DataError(f"{path}: refused: {exc}") from exc
    except Exception as exc:  # malformed stream: EOFError, ValueError, TypeError, ...
        raise DataError(f"{path}: not a valid ATIS pickle ({type(exc).__name__}: {exc})") from exc


def data_dir(explicit=None):
    """The ATIS folder: ``--data-dir`` if given, else ``$ATISDATA``, else ``data/atis``."""
    return explicit or os.environ.get(ENV_DIR) or os.path.join("data", "atis")


def atis_path(fold, directory=None):
    name = "atis.pkl.gz" if fold == "full" else f"atis.fold{int(fold)}.pkl.gz"
    return os.path.join(data_dir(directory), name)


def _sequence(x):
    """A list, tuple or 1-D array: what a split's parts and the sentences may be."""
    return isinstance(x, (list, tuple)) or isinstance(x, np.ndarray) and x.ndim == 1


def _check_split_shape(path, name, split):
    """``split`` is (words, tables, labels), three sequences of one length."""
    if not (isinstance(split, (tuple, list)) and len(split) == 3):
        what = type(split).__name__ + (f" of length {len(split)}"
                                       if isinstance(split, (tuple, list)) else "")
        raise DataError(f"{path}: split '{name}' is a {what}, not (words, tables, labels)")
    for part, x in zip(("words", "tables", "labels"), split):
        if not _sequence(x):
            raise DataError(f"{path}: split '{name}': its {part} are a {type(x).__name__}, "
                            f"not a list of sentences")
    words, tables, labels = split
    if not (len(words) == len(tables) == len(labels)):
        raise DataError(f"{path}: split '{name}' has {len(words)} word, {len(tables)} table "
                        f"and {len(labels)} label sequences")


def _int_array(x):
    try:
        a = np.asarray(x)
    except (ValueError, TypeError):   # ragged nested lists
        return None
    return a if a.ndim == 1 and a.dtype.kind in "iu" else None


def _check_split(path, name, split, dicts):
    _check_split_shape(path, name, split)
    words, tables, labels = split
    nw, nl = len(dicts["words2idx"]), len(dicts["labels2idx"])
    for i, (w, l) in enumerate(zip(words, labels)):
        w, l = _int_array(w), _int_array(l)
        if w is None or l is None:
            raise DataError(f"{path}: split '{name}' sentence {i} is not a 1-D integer array")
        if len(w) != len(l) or len(w) == 0:
            raise DataError(f"{path}: split '{name}' sentence {i} has {len(w)} words but "
                            f"{len(l)} labels")
        if w.min() < 0 or w.max() >= nw:
            raise DataError(f"{path}: split '{name}' sentence {i}: word index "
                            f"{int(w.max() if w.max() >= nw else w.min())} out of range [0, {nw})")
        if l.min() < 0 or l.max() >= nl:
            raise DataError(f"{path}: split '{name}' sentence {i}: label index "
                            f"{int(l.max() if l.max() >= nl else l.min())} out of range [0, {nl})")


def _check_names(path, name, mapping):
    """``mapping`` (words2idx or labels2idx) maps names to the indices 0..n-1, each once.
    Every name is a non-empty string without white space: conlleval reads its file as
    white-space separated columns, so a label with a space would fail only after an epoch."""
    if not isinstance(mapping, dict):
        raise DataError(f"{path}: {name} is a {type(mapping).__name__}, not a dict "
                        f"(name -> index)")
    for k, v in mapping.items():
        if not isinstance(k, str) or not k or k.split() != [k]:
            why = "not a string" if not isinstance(k, str) else "empty" if not k else \
                "contains white space"
            raise DataError(f"{path}: {name} has the key {k!r} ({why}); names must be "
                            f"non-empty strings without white space")
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise DataError(f"{path}: {name}[{k!r}] is {v!r}, not an integer index")
    values = sorted(int(v) for v in mapping.values())
    if values != list(range(len(values))):  # index_to_name would fail or mislabel
        bad = next(v for i, v in enumerate(values) if v != i)
        raise DataError(f"{path}: {name} has index {bad!r}; its indices must be "
                        f"0..{len(values) - 1}, each once")


def check_dataset(path, splits, dicts):
    """Validate types, shapes and index ranges; sizes come from the dicts, never the index
    lists. Anything malformed is a ``DataError`` naming the file, before any training."""
    if not isinstance(dicts, dict) or not {"words2idx", "labels2idx"} <= set(dicts):
        got = type(dicts).__name__ if not isinstance(dicts, dict) else \
            "a dict with " + (", ".join(sorted(map(repr, dicts))) or "no keys")
        raise DataError(f"{path}: the last element should be the dicts "
                        f"(words2idx, tables2idx, labels2idx), not {got}")
    for name in ("words2idx", "labels2idx"):
        _check_names(path, name, dicts[name])
    for name, split in splits.items():
        _check_split(path, name, split, dicts)
        if len(split[0]) == 0:  # an empty valid split would keep F1 0.0 "best" forever
            raise DataError(f"{path}: split '{name}' is empty (no sentences)")


def load_atis(fold=3, directory=None, path=None):
    """Load one fold: ``(train, valid, test, dicts)``; ``fold='full'`` reads ``atis.pkl.gz``.

    The full split has no validation set; the last 10% of its training sentences serve as one
    (``atis.pkl.gz`` is train+valid of every fold, so this is a fold-like split).
    """
    if fold != "full" and fold not in FOLDS:
        raise DataError(f"fold must be one of {FOLDS} or 'full', not {fold!r}")
    path = path or atis_path(fold, directory)
    obj = safe_load(path)
    if not isinstance(obj, tuple) or len(obj) not in (3, 4):
        raise DataError(f"{path}: expected a tuple (train, valid, test, dicts) or "
                        f"(train, test, dicts), got {type(obj).__name__}"
                        + (f" of length {len(obj)}" if isinstance(obj, (tuple, list)) else ""))
    if len(obj) == 4:
        train, valid, test, dicts = obj
    else:
        train, test, dicts = obj
        _check_split_shape(path, "train", train)   # before it is cut into train and valid
        n = len(train[0]) - len(train[0]) // 10
        valid = tuple(list(part[n:]) for part in train)
        train = tuple(list(part[:n]) for part in train)
    check_dataset(path, {"train": train, "valid": valid, "test": test}, dicts)
    return train, valid, test, dicts


def index_to_name(mapping):
    """Invert a ``words2idx``/``labels2idx`` dict into an index-ordered list of names."""
    names = [None] * len(mapping)
    for k, v in mapping.items():
        names[v] = k
    return names


# ------------------------------------------------------------------ tutorial helpers
def shuffle(lol, seed):
    """Shuffle each list of ``lol`` in place in the same order (the tutorials' ``shuffle``).

    Faithful oddity: the tutorials call this every epoch with the *same* seed, so each epoch
    applies the same permutation once more to the already shuffled lists. (Python 3's
    ``random.shuffle`` draws differently from Python 2's, so the orders differ from 2013's.)
    """
    for l in lol:
        random.seed(seed)
        random.shuffle(l)


def contextwin(l, win):
    """Context windows of size ``win`` (odd) around each word, padded with -1.

    >>> contextwin([0, 1, 2, 3], 3)
    [[-1, 0, 1], [0, 1, 2], [1, 2, 3], [2, 3, -1]]
    """
    assert (win % 2) == 1
    assert win >= 1
    l = list(l)
    lpadded = win // 2 * [PAD] + l + win // 2 * [PAD]
    out = [lpadded[i:i + win] for i in range(len(l))]
    assert len(out) == len(l)
    return out


def minibatch(l, bs):
    """For each position i, the last ``bs`` items up to i (is13's BPTT windows).

    >>> minibatch([0, 1, 2, 3], 3)
    [[0], [0, 1], [0, 1, 2], [1, 2, 3]]
    """
    out = [l[:i] for i in range(1, min(bs, len(l) + 1))]
    out += [l[i - bs:i] for i in range(bs, len(l) + 1)]
    assert len(l) == len(out)
    return out
