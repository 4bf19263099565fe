"""Nearest neighbours of word embeddings by cosine similarity (the tutorial's table)."""
import numpy as np

from .data import index_to_name


def nearest_neighbors(emb, words2idx, words, k=10):
    """For each word, its ``k`` nearest words by cosine similarity of the embeddings.

    ``emb`` has one row per word index plus the padding row, which is never a neighbour.
    """
    idx2word = index_to_name(words2idx)
    e = np.asarray(emb[: len(idx2word)], dtype="float64")
    e = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
    table = {}
    for w in words:
        if w not in words2idx:
            raise KeyError(f"word {w!r} is not in the vocabulary")
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
