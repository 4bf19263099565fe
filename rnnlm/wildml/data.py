"""Sentences -> vocabulary -> (X_train, y_train), as in the WildML tutorial (parts 2 and 4).

Part-2 pipeline (``style="rnnlm"``, the default): read the CSV's first column (header skipped),
lowercase, ``nltk.sent_tokenize``, wrap each sentence as ``SENTENCE_START ... SENTENCE_END``,
``nltk.word_tokenize``; vocabulary = ``FreqDist.most_common(vocabulary_size - 1)`` followed by
UNKNOWN_TOKEN (so UNK has the last index); x = tokens[:-1], y = tokens[1:].

Part-4 pipeline (``style="gru"``): additionally drops sentences shorter than
``min_sent_characters`` and sentences containing "http"; the vocabulary is the
``vocabulary_size - 2`` most frequent words (ties broken by the word, descending), laid out as
``["<MASK/>", UNKNOWN_TOKEN] + words sorted by increasing count``.

``corpus="ptb"`` reads Penn Treebank text (one sentence per line, already lowercased and
tokenised) as a proxy while the reddit CSV is unavailable: lines are the sentences and tokens
are split on whitespace (``word_tokenize`` would split PTB's ``<unk>`` into ``<``, ``unk``,
``>``); wrapping, vocabulary and indexing are the same code.

Processed corpora are cached under ``<cache_dir>/rnnlm-<corpus>-<sha256 of input bytes + options>.npz``
(``$RNNLM_CACHE`` or ``~/.cache/rnnlm``).

Licence of the original: Apache License 2.0 (rnn-tutorial-rnnlm, Denny Britz). See LICENSE.
"""
import csv
import dataclasses
import hashlib
import io
import itertools
import json
import operator
import os
from typing import Optional

import numpy as np

from rnnrepro import checkpoint, files

SENTENCE_START_TOKEN = "SENTENCE_START"
SENTENCE_END_TOKEN = "SENTENCE_END"
UNKNOWN_TOKEN = "UNKNOWN_TOKEN"
MASK_TOKEN = "<MASK/>"

ENV_DIR = "RNNLM_DATA"
REDDIT_CSV = os.path.join("reddit", "reddit-comments-2015-08.csv")
PTB_FILES = {s: os.path.join("ptb", f"ptb.{s}.txt") for s in ("train", "valid", "test")}
PRETRAINED = os.path.join("reddit", "trained-model-theano.npz")
CACHE_VERSION = 1


class DataError(ValueError):
    """A data file is missing or malformed; the message names the file (and line)."""


class PunktMissingError(DataError):
    """NLTK's punkt sentence-tokenizer tables cannot be found."""


def data_dir(explicit=None):
    """``--data-dir`` if given, else ``$RNNLM_DATA``, else ``data``."""
    return explicit or os.environ.get(ENV_DIR) or "data"


def default_cache_dir():
    """``$RNNLM_CACHE``, else ``~/.cache/rnnlm`` (never inside the data folder or the repo)."""
    return os.environ.get("RNNLM_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "rnnlm")


# ----------------------------------------------------------------------------- nltk
def ensure_punkt():
    """Raise one clear error if the punkt_tab tables (used by sent/word_tokenize) are missing."""
    import nltk
    try:
        nltk.data.find("tokenizers/punkt_tab/english/")
    except LookupError:
        searched = os.pathsep.join(nltk.data.path)
        raise PunktMissingError(
            "NLTK's punkt_tab tables (tokenizers/punkt_tab/english/) were not found; searched "
            f"{searched}. Set NLTK_DATA to a folder that holds tokenizers/punkt_tab (a copy is in "
            "../shared/data/nltk_data) or run `python scripts/download_punkt.py`.") from None


def sent_tokenize(text):
    import nltk
    ensure_punkt()
    return nltk.sent_tokenize(text)


def word_tokenize(text):
    import nltk
    ensure_punkt()
    return nltk.word_tokenize(text)


# ----------------------------------------------------------------------------- reading
def read_csv_comments(path, column=0):
    """Yield ``(line_number, text)`` of column ``column`` for every row after the header.

    A row whose number of fields differs from the header's, or that the csv module cannot
    parse (e.g. an unterminated quote), raises ``DataError("path:line: ...")``. Blank lines
    are skipped (the tutorial would crash on them).
    """
    if not os.path.exists(path):
        raise DataError(f"{path}: file not found (run scripts/download_reddit.py, or pass "
                        f"--data-dir / set ${ENV_DIR}; use --corpus ptb for the proxy corpus)")
    with open(path, "rb") as fb:
        raw = fb.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise DataError(f"{path}:{line}: not valid UTF-8 ({exc.reason})") from None
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise DataError(f"{path}: empty file (expected a header row)") from None
    except csv.Error as exc:
        raise DataError(f"{path}:{reader.line_num}: malformed CSV header ({exc})") from None
    if column >= len(header):
        raise DataError(f"{path}:1: header has {len(header)} field(s), no column {column}")
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise DataError(f"{path}:{start}: malformed CSV row ({exc})") from None
        if not row:
            continue
        if len(row) != len(header):
            raise DataError(f"{path}:{start}: malformed CSV row: {len(row)} field(s), the header "
                            f"has {len(header)} (an unquoted comma or quote?)")
        yield start, row[column]


def comments_to_sentences(comments):
    """Lowercase each comment and split it with ``nltk.sent_tokenize`` (tutorial)."""
    return list(itertools.chain(*[sent_tokenize(c.lower()) for c in comments]))


def read_ptb_sentences(path):
    if not os.path.exists(path):
        raise DataError(f"{path}: file not found (pass --data-dir or set ${ENV_DIR} to the folder "
                        f"holding ptb/ptb.train.txt)")
    text = files.read_text(path, "PTB file")  # lines as open() reads them: \n, \r\n or \r
    return [line.strip() for line in io.StringIO(text, newline=None) if line.strip()]


# ----------------------------------------------------------------------------- corpus
class Corpus:
    """X_train / y_train (lists of int32 arrays) with the vocabulary and statistics."""

    def __init__(self, X_train, y_train, index_to_word, stats, options):
        self.X_train, self.y_train = X_train, y_train
        self.index_to_word = list(index_to_word)
        self.word_to_index = {w: i for i, w in enumerate(self.index_to_word)}
        self.stats, self.options = stats, options

    @property
    def vocabulary_size(self):
        return len(self.index_to_word)

    def __len__(self):
        return len(self.X_train)

    def head(self, n):
        """The first ``n`` sentences, same vocabulary (the tutorial's ``X_train[:100]``)."""
        return Corpus(self.X_train[:n], self.y_train[:n], self.index_to_word, self.stats,
                      dict(self.options, head=n))

    def vocab_state(self):
        # the tokenizer goes into the checkpoint: `rnnlm score` must split text the same way
        tokenizer = "whitespace" if self.options.get("corpus") == "ptb" else "nltk"
        return {"index_to_word": self.index_to_word, "begin_token": SENTENCE_START_TOKEN,
                "end_token": SENTENCE_END_TOKEN, "unknown_token": UNKNOWN_TOKEN,
                "tokenizer": tokenizer}


def build_vocabulary(tokenized_sentences, vocabulary_size, style="rnnlm"):
    """Returns ``(index_to_word, stats)`` following the tutorial's part-2 or part-4 code."""
    import nltk
    word_freq = nltk.FreqDist(itertools.chain(*tokenized_sentences))
    if style == "gru":
        vocab = sorted(word_freq.items(), key=lambda x: (x[1], x[0]), reverse=True)[:vocabulary_size - 2]
        sorted_vocab = sorted(vocab, key=operator.itemgetter(1))
        index_to_word = [MASK_TOKEN, UNKNOWN_TOKEN] + [x[0] for x in sorted_vocab]
    else:
        # Counter.most_common breaks ties by first occurrence (Python 3); Python 2's order was
        # the dict's hash order, so tie order at the cut can differ from the original run.
        vocab = word_freq.most_common(vocabulary_size - 1)
        index_to_word = [x[0] for x in vocab] + [UNKNOWN_TOKEN]
    least = vocab[-1] if vocab else ("", 0)
    stats = {"unique_tokens": len(word_freq), "vocabulary_size": len(index_to_word),
             "requested_vocabulary_size": vocabulary_size,
             "least_frequent_word": least[0], "least_frequent_count": int(least[1])}
    return index_to_word, stats


def build_corpus(sentences, vocabulary_size=8000, style="rnnlm", tokenizer=None, options=None,
                 verbose=True):
    """Wrap, tokenise, build the vocabulary and index ``sentences`` (a list of strings)."""
    tokenizer = tokenizer or word_tokenize
    wrapped = ["%s %s %s" % (SENTENCE_START_TOKEN, x, SENTENCE_END_TOKEN) for x in sentences]
    if verbose:
        print("Parsed %d sentences." % len(wrapped))
    tokenized_sentences = [tokenizer(sent) for sent in wrapped]
    index_to_word, stats = build_vocabulary(tokenized_sentences, vocabulary_size, style)
    stats["sentences"] = len(wrapped)
    if verbose:
        print("Found %d unique words tokens." % stats["unique_tokens"])
        print("Using vocabulary size %d." % stats["vocabulary_size"])
        print("The least frequent word in our vocabulary is '%s' and appeared %d times."
              % (stats["least_frequent_word"], stats["least_frequent_count"]))
    word_to_index = {w: i for i, w in enumerate(index_to_word)}
    unk = word_to_index[UNKNOWN_TOKEN]
    ids = [np.array([word_to_index.get(w, unk) for w in sent], dtype=np.int32)
           for sent in tokenized_sentences]
    X_train = [s[:-1] for s in ids]
    y_train = [s[1:] for s in ids]
    stats["words"] = int(sum(len(y) for y in y_train))
    return Corpus(X_train, y_train, index_to_word, stats, options or {})


def filter_sentences_gru(sentences, min_sent_characters=0):
    """Part 4's filters: drop short sentences and sentences containing 'http'."""
    sentences = [s for s in sentences if len(s) >= min_sent_characters]
    return [s for s in sentences if "http" not in s]


# ----------------------------------------------------------------------------- cache
def _hash_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def cache_key(input_path, options):
    h = hashlib.sha256()
    h.update(_hash_file(input_path).encode())
    h.update(json.dumps(dict(options, cache_version=CACHE_VERSION), sort_keys=True).encode())
    return h.hexdigest()[:24]


def _save_cache(path, corpus):
    lengths = np.array([len(x) for x in corpus.X_train], dtype=np.int64)
    flat_x = np.concatenate(corpus.X_train) if corpus.X_train else np.zeros(0, np.int32)
    flat_y = np.concatenate(corpus.y_train) if corpus.y_train else np.zeros(0, np.int32)
    checkpoint.save(path, {"lengths": lengths, "X": flat_x, "Y": flat_y},
                    {"index_to_word": corpus.index_to_word, "stats": corpus.stats,
                     "options": corpus.options})


def _load_cache(path):
    arrays, state = checkpoint.load(path)
    cuts = np.cumsum(arrays["lengths"])[:-1]
    X = np.split(arrays["X"].astype(np.int32), cuts) if len(arrays["lengths"]) else []
    Y = np.split(arrays["Y"].astype(np.int32), cuts) if len(arrays["lengths"]) else []
    return Corpus(X, Y, state["index_to_word"], state["stats"], state["options"])


def corpus_file(corpus="reddit", directory=None, split="train"):
    """The file of ``corpus`` under ``directory`` (``data_dir``): the reddit CSV, or the PTB
    ``split`` (in ``directory/ptb/`` or in ``directory`` itself, as ``rnnlm ptb-*`` take it)."""
    if corpus not in ("reddit", "ptb"):
        raise ValueError(f"corpus must be 'reddit' or 'ptb', not {corpus!r}")
    root = data_dir(directory)
    path = os.path.join(root, REDDIT_CSV if corpus == "reddit" else PTB_FILES[split])
    flat = os.path.join(root, os.path.basename(PTB_FILES[split]))
    if corpus == "ptb" and not os.path.exists(path) and os.path.exists(flat):
        path = flat  # --data-dir named the ptb folder itself (as for `rnnlm ptb-*`)
    return path


@dataclasses.dataclass(frozen=True)
class CorpusCache:
    """Where processed corpora are kept: ``folder`` (None: ``default_cache_dir()``); with
    ``write=False`` a cache that is there is read but none is written (``--dry-run``)."""
    folder: Optional[str] = None
    write: bool = True


def load_corpus(corpus="reddit", path=None, vocabulary_size=8000, style="rnnlm",
                min_sent_characters=0, max_sentences=None, cache=CorpusCache(), verbose=True):
    """Load (from ``cache``, or preprocess) the reddit CSV or the PTB proxy as a ``Corpus``
    (``path``: default ``corpus_file(corpus)``; ``cache=None``: preprocess, keep nothing).

    ``max_sentences`` keeps the first N sentences *before* the vocabulary is built (the GRU
    tutorial's ``max_sents``); use ``Corpus.head(n)`` to subsample after it (part 2's
    ``X_train[:100]``).
    """
    if corpus not in ("reddit", "ptb"):
        raise ValueError(f"corpus must be 'reddit' or 'ptb', not {corpus!r}")
    path = path or corpus_file(corpus)
    options = {"corpus": corpus, "vocabulary_size": int(vocabulary_size), "style": style,
               "min_sent_characters": int(min_sent_characters), "max_sentences": max_sentences,
               "file": os.path.basename(path)}
    if not os.path.exists(path):
        if corpus == "reddit":
            list(read_csv_comments(path))  # raises the download hint
        read_ptb_sentences(path)
    cache_path = cache and os.path.join(cache.folder or default_cache_dir(),
                                        f"rnnlm-{corpus}-{cache_key(path, options)}.npz")
    if cache_path and os.path.exists(cache_path):
        try:
            c = _load_cache(cache_path)
            if verbose:
                s = c.stats
                print(f"Loaded cached corpus {cache_path}: {s['sentences']} sentences, "
                      f"{s['unique_tokens']} unique tokens, vocabulary {s['vocabulary_size']}, "
                      f"least frequent '{s['least_frequent_word']}' ({s['least_frequent_count']})")
            return c
        except checkpoint.CheckpointError:
            pass  # rebuild
    if corpus == "reddit":
        if verbose:
            print("Reading CSV file...")
        comments = [text for _, text in read_csv_comments(path)]
        sentences = comments_to_sentences(comments)
        tokenizer = word_tokenize
    else:
        sentences = read_ptb_sentences(path)
        tokenizer = str.split
    if style == "gru":
        sentences = filter_sentences_gru(sentences, min_sent_characters)
    if max_sentences:
        sentences = sentences[:int(max_sentences)]
    if not sentences:  # e.g. a header-only CSV: the loss would be NaN
        raise DataError(f"{path}: no sentences to train on"
                        + (" after the part-4 filters" if style == "gru" else ""))
    c = build_corpus(sentences, vocabulary_size, style, tokenizer, options, verbose)
    c.stats["source"] = os.path.abspath(path)
    if cache_path and cache.write:  # optional: a cache that cannot be written is a warning
        files.optional_write("the corpus cache", cache_path, lambda: _save_cache(cache_path, c))
    return c


def encode_sentence(scorer_or_vocab, text, tokenizer=None):
    """Token ids of one sentence under a vocabulary (unknown words -> the unknown token)."""
    w2i = scorer_or_vocab.word_to_index
    unk = w2i.get(scorer_or_vocab.unknown_token)
    toks = (tokenizer or str.split)(text)
    return [w2i.get(t, unk) for t in toks]
