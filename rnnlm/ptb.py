"""Penn Treebank reader (Mikolov's simple-examples split), as in the TensorFlow PTB tutorial.

Mirrors ``tensorflow/models/tutorials/rnn/ptb/reader.py``: the file is read as one stream with
``<eos>`` standing for each line end; the vocabulary comes from the training file sorted by
count (descending) then word; ``ptb_producer`` cuts the id stream into ``batch_size`` rows and
yields windows of ``num_steps`` (targets shifted by one).

The RNNLM toolkit reads the same files word by word with ``</s>`` at each newline
(``readWord`` in rnnlmlib.cpp); ``toolkit_vocab`` reproduces its vocabulary order.
"""
import collections
import os

import numpy as np

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
            f"ptb.train.txt, ptb.valid.txt, ptb.test.txt)")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if not text.split():
        from rnnlm.data import DataError  # a ValueError: one line from the command line
        raise DataError(f"{path}: file is empty (no words)")
    return text


def read_words(path):
    """``_read_words``: the whole file as one token list, ``<eos>`` at every line end."""
    return _read_text(path).replace("\n", f" {EOS} ").split()


def build_vocab(path):
    """``_build_vocab``: word -> id, sorted by (-count, word) over the training file."""
    counter = collections.Counter(read_words(path))
    count_pairs = sorted(counter.items(), key=lambda x: (-x[1], x[0]))
    words = [w for w, _ in count_pairs]
    return dict(zip(words, range(len(words))))


def file_to_word_ids(path, word_to_id):
    """``_file_to_word_ids``: words outside the vocabulary are dropped, as in the tutorial."""
    return np.array([word_to_id[w] for w in read_words(path) if w in word_to_id], dtype=np.int32)


def ptb_raw_data(data_dir=None):
    """``ptb_raw_data``: (train_ids, valid_ids, test_ids, vocab) with vocab a list id -> word."""
    data_dir = resolve_data_dir(data_dir)
    paths = {s: split_path(data_dir, s) for s in SPLITS}
    word_to_id = build_vocab(paths["train"])
    ids = {s: file_to_word_ids(paths[s], word_to_id) for s in SPLITS}
    vocab = sorted(word_to_id, key=word_to_id.get)
    return ids["train"], ids["valid"], ids["test"], vocab


def batchify(raw_data, batch_size):
    """The stream cut into ``batch_size`` contiguous rows (the remainder is dropped)."""
    raw_data = np.asarray(raw_data, dtype=np.int32)
    batch_len = len(raw_data) // batch_size
    if batch_len < 2:
        raise ValueError(f"{len(raw_data)} words are too few for batch_size {batch_size}")
    return raw_data[:batch_size * batch_len].reshape(batch_size, batch_len)


def epoch_size(n_words, batch_size, num_steps):
    """Windows per epoch: ``(batch_len - 1) // num_steps``."""
    return ((n_words // batch_size) - 1) // num_steps


def ptb_producer(raw_data, batch_size, num_steps):
    """Yield ``(x, y)`` int32 arrays of shape (batch_size, num_steps), y = x shifted by one.

    Same windows as ``reader.ptb_producer`` (and the older ``ptb_iterator``).
    """
    data = batchify(raw_data, batch_size)
    n = (data.shape[1] - 1) // num_steps
    if n == 0:
        raise ValueError("epoch_size == 0, decrease batch_size or num_steps")
    for i in range(n):
        x = data[:, i * num_steps:(i + 1) * num_steps]
        y = data[:, i * num_steps + 1:(i + 1) * num_steps + 1]
        yield x, y


ptb_iterator = ptb_producer


def stream_windows(raw_data, num_steps):
    """Batch-1 windows covering *every* next-word target, the last one shorter.

    Equals the tutorial's test setting (batch_size 1, num_steps 1: state carried word to word)
    but runs ``num_steps`` words per call.
    """
    data = np.asarray(raw_data, dtype=np.int32)
    for start in range(0, len(data) - 1, num_steps):
        stop = min(start + num_steps, len(data) - 1)
        yield data[None, start:stop], data[None, start + 1:stop + 1]


# ---------------------------------------------------------------------------------------------
# RNNLM toolkit view of the same files


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
