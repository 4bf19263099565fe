"""Nearest neighbours of word embeddings by cosine similarity (the tutorial's table)."""
import os

import numpy as np

from rnnrepro import checkpoint
from rnnrepro.files import read_json
from rnnrepro.runsafe import RunError, recover

from .data import index_to_name


def nearest_neighbors(emb, words2idx, words, k=10):
    """For each word, its ``k`` nearest words by cosine similarity of the embeddings.

    ``emb`` has one row per word index plus the padding row, which is never a neighbour.
    """
    idx2word = index_to_name(words2idx)
    if len(emb) < len(idx2word):
        raise RunError(f"the embeddings have {len(emb)} rows but the vocabulary has "
                       f"{len(idx2word)} words: not this run's data")
    if k < 1:
        raise RunError(f"k must be >= 1, not {k}")
    e = np.asarray(emb[: len(idx2word)], dtype="float64")
    e = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
    table = {}
    for w in words:
        if w not in words2idx:
            raise RunError(f"word {w!r} is not in the vocabulary")
        sims = e @ e[words2idx[w]]
        sims[words2idx[w]] = -np.inf
        table[w] = [idx2word[i] for i in np.argsort(-sims, kind="stable")[:k]]
    return table


def format_table(table):
    """The neighbours as columns, one per query word (as the tutorial shows them)."""
    words = list(table)
    width = max([len(w) for w in words] + [len(n) for ns in table.values() for n in ns]) + 2
    lines = ["".join(w.ljust(width) for w in words).rstrip(),
             "".join(("-" * (width - 2)).ljust(width) for _ in words).rstrip()]
    for row in zip(*table.values()):
        lines.append("".join(n.ljust(width) for n in row).rstrip())
    return "\n".join(lines)


def neighbors_of_run(run, words, k=10, data_dir=None):
    """The neighbour table of ``words`` under the best embeddings of the run folder ``run``."""
    from .data import load_atis
    from .toy import toy_corpus
    recover(run)   # a killed --overwrite in the folder: its old run first
    emb_path = os.path.join(run, "best", "embeddings.npy")
    cfg_path = os.path.join(run, "config.json")
    for path in (cfg_path, emb_path):
        if not os.path.isfile(path):
            raise RunError(f"{path}: not found; is {run} a run folder written by 'rnnslu train'?")
    try:
        emb = np.load(emb_path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise RunError(f"{emb_path}: unreadable embeddings ({exc})") from None
    if not isinstance(emb, np.ndarray) or emb.ndim != 2 or emb.dtype.kind != "f":
        raise RunError(f"{emb_path}: not an embedding matrix (one float row per word; found "
                       f"{getattr(emb, 'dtype', type(emb).__name__)} of shape "
                       f"{getattr(emb, 'shape', '?')})")
    checkpoint.check_finite(emb_path, emb, "model's embeddings")
    cfg = read_json(cfg_path, "run configuration")
    dicts = toy_corpus()[3] if cfg.get("data") == "toy" else \
        load_atis(cfg.get("fold", 3), data_dir or cfg.get("data_dir"))[3]
    return format_table(nearest_neighbors(emb, dicts["words2idx"], words, k=k))
