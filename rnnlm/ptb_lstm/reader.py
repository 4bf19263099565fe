"""TF's ``reader.py`` (tensorflow/models tutorials/rnn/ptb): PTB as one id stream, cut in windows.

The file is read as one stream with ``<eos>`` standing for each line end (``rnnlm.ptb_text``);
the vocabulary comes from the training file sorted by count (descending) then word;
``ptb_producer`` cuts the id stream into ``batch_size`` rows and yields windows of ``num_steps``
(targets shifted by one).

Licence of the original: Apache License 2.0 (The TensorFlow Authors). See LICENSE.
"""
import collections

import numpy as np

from rnnlm.ptb_text import (EOS, SPLITS, read_words, require_words, resolve_data_dir,  # noqa: F401
                            split_path)


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


def check_split(data_dir, split, ids, vocab, need, why):
    """``ids`` of ``split`` (``ptb_raw_data``) hold a known word and ``need`` ids at least."""
    eos = vocab.index(EOS) if EOS in vocab else -1
    require_words(data_dir, split, int(np.count_nonzero(np.asarray(ids) != eos)), len(ids),
                  need, why)


def check_splits(data_dir, data, batch_size, num_steps):
    """Before training: the training and validation splits fill one window of ``batch_size``
    rows of ``num_steps + 1`` ids, the test split one target (``evaluate_stream``)."""
    need = batch_size * (num_steps + 1)
    for split in ("train", "valid"):
        check_split(data_dir, split, data[split], data["vocab"], need,
                    f"one window (batch_size {batch_size} x (num_steps {num_steps} + 1))")
    check_split(data_dir, "test", data["test"], data["vocab"], 2, "one target")


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
