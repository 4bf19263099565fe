"""``rnnlm import-npz``: a tutorial's saved parameters (``save_model_parameters_theano``'s npz)
and its vocabulary file wrapped into an rnnlm checkpoint that ``score``/``generate`` load.

Here, beside the WildML models, and not in ``rnnlm.registry``: it needs their shapes, and the
models import the registry to register their loaders.
"""
import zipfile

import numpy as np

from rnnrepro import checkpoint, files
from rnnlm.wildml.data import SENTENCE_END_TOKEN, SENTENCE_START_TOKEN, UNKNOWN_TOKEN
from rnnlm.wildml.rnn_numpy import gru_shapes, tutorial_shapes


def import_tutorial_npz(npz, vocab_path, output):
    """Wrap a tutorial npz (``U, V, W`` or the GRU's ``E, U, W, V, b, c``) and its vocabulary
    file (index_to_word, one word per line) into a checkpoint; returns (kind, hidden, words).
    Every problem with the inputs is a ``CheckpointError`` naming the file."""
    try:
        with np.load(npz, allow_pickle=False) as z:
            if not hasattr(z, "files"):
                raise ValueError("a single array, not an npz archive")
            arrays = {k: z[k] for k in z.files if k != checkpoint.STATE_KEY}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise checkpoint.CheckpointError(f"{npz}: not a readable npz file ({exc})") from None
    kind = "gru-theano" if "E" in arrays else "rnn-theano"
    need = ("E", "U", "W", "V", "b", "c") if kind == "gru-theano" else ("U", "V", "W")
    missing = [k for k in need if k not in arrays]
    if missing:
        raise checkpoint.CheckpointError(f"{npz}: lacks the array(s) {', '.join(missing)} of a "
                                         f"tutorial {kind} model")
    first = arrays["E" if kind == "gru-theano" else "U"]
    if first.ndim != 2:
        raise checkpoint.CheckpointError(f"{npz}: {'E' if kind == 'gru-theano' else 'U'} "
                                         f"has shape {first.shape}, expected (hidden, words)")
    hidden, word_dim = first.shape
    vocab = files.read_vocabulary(vocab_path)   # a blank line or a word twice: refused
    if len(vocab) != word_dim:
        raise checkpoint.CheckpointError(f"{vocab_path}: {len(vocab)} words but {npz} has "
                                         f"word_dim {word_dim}")
    config = {"word_dim": word_dim, "hidden_dim": hidden}
    shapes = gru_shapes if kind == "gru-theano" else tutorial_shapes
    checkpoint.check_contents(npz, arrays, {}, expect=shapes({"config": config,
                                                               "index_to_word": vocab}))
    absent = [t for t in (SENTENCE_START_TOKEN, SENTENCE_END_TOKEN, UNKNOWN_TOKEN)
              if t not in vocab]
    if absent:
        raise checkpoint.CheckpointError(f"{vocab_path}: the vocabulary lacks {', '.join(absent)} "
                                         f"(the tutorial's begin, end and unknown tokens)")
    checkpoint.save(output, arrays, {
        "model_type": kind, "config": config,
        "index_to_word": vocab, "begin_token": SENTENCE_START_TOKEN,
        "end_token": SENTENCE_END_TOKEN, "unknown_token": UNKNOWN_TOKEN, "tokenizer": "nltk",
        "imported_from": npz})
    return kind, hidden, word_dim
