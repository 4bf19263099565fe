"""The toolkit's view of the PTB files (rnnlmlib.cpp ``readWord``, ``learnVocabFromTrainFile``,
``sortVocab``): tokens with ``</s>`` at each newline, the vocabulary in the toolkit's order, and
word ids with -1 for out-of-vocabulary words.
"""
import numpy as np

from rnnlm.ptb_text import EOS, SPLITS, read_words, require_words, split_path



def toolkit_words(path):
    """``readWord``: tokens with ``</s>`` (here spelled ``<eos>``) at each newline."""
    return read_words(path)


def toolkit_vocab(train_path):
    """``learnVocabFromTrainFile`` + ``sortVocab``: returns (words, counts).

    Index 0 is the sentence end (``</s>`` in the toolkit, ``<eos>`` here) and stays first; the
    rest start in first-occurrence order and are put in descending count order by the toolkit's
    selection sort (``max`` = first maximum, then swapped into place: not a stable sort, and
    reproduced exactly because the class boundaries depend on the order of ties).
    """
    words = toolkit_words(train_path)
    index = {EOS: 0}
    order = [EOS]
    counts = [0]
    for w in words:
        i = index.get(w)
        if i is None:
            index[w] = len(order)
            order.append(w)
            counts.append(1)
        else:
            counts[i] += 1
    cn = np.array(counts, dtype=np.int64)
    perm = np.arange(len(cn))
    for a in range(1, len(cn)):
        m = a + int(np.argmax(cn[a:]))  # first maximum, like the strict '<' in sortVocab
        if m != a:
            cn[[a, m]] = cn[[m, a]]
            perm[[a, m]] = perm[[m, a]]
    return [order[p] for p in perm], cn


def toolkit_ids(path, word_to_index):
    """Word ids of a file in toolkit order; out-of-vocabulary words are -1 (toolkit OOV)."""
    return np.array([word_to_index.get(w, -1) for w in toolkit_words(path)], dtype=np.int64)


def toolkit_data(data_dir, train_words=None):
    """(vocab, counts, ids per split) for ``trainNet``; ``train_words`` keeps the first N."""
    vocab, counts = toolkit_vocab(split_path(data_dir, "train"))
    w2i = {w: i for i, w in enumerate(vocab)}
    ids = {s: toolkit_ids(split_path(data_dir, s), w2i) for s in SPLITS}
    for s in ("valid", "test"):  # known words besides </s> (0); out of vocabulary: -1
        require_words(data_dir, s, int(np.count_nonzero(ids[s] > 0)), len(ids[s]))
    if train_words:
        ids["train"] = ids["train"][:train_words]
    return vocab, counts, ids
