"""Which model types ``rnnlm score`` and ``rnnlm generate`` can load, by checkpoint.

Every rnnlm checkpoint is an ``rnnrepro.checkpoint`` file whose state holds ``model_type``.
A module that defines a model registers a loader for its type::

    @register("rnn-theano")
    def _load(arrays, state): return MyScorer(...)

and the loader returns a *language-model scorer*, an object with

- ``vocab``: list of words, index -> word; ``word_to_index``: dict word -> index;
- ``begin_token`` / ``end_token``: the words that open and close a sentence
  (SENTENCE_START/SENTENCE_END for the WildML models, ``<eos>``/``<eos>`` for PTB);
- ``unknown_token``: the out-of-vocabulary word (UNKNOWN_TOKEN or ``<unk>``);
- ``start()``: the state before the first word;
- ``advance(state, word_index)`` -> ``(probs, state)``: feed one word, get the distribution of
  the next word (a 1-D numpy array summing to one over ``vocab``) and the new state.

Scoring and sampling (``rnnlm.generate``) only use this protocol, so they work for every model.
"""
import importlib

from rnnrepro import checkpoint

LOADERS = {}
# modules that register loaders when imported; missing ones are skipped
MODEL_MODULES = ("rnnlm.rnn_numpy", "rnnlm.rnn_theano", "rnnlm.gru_theano",
                 "rnnlm.lstm", "rnnlm.class_rnn")


def register(model_type):
    def deco(fn):
        LOADERS[model_type] = fn
        return fn
    return deco


def _import_all():
    for name in MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


def load_language_model(path):
    """Load any registered rnnlm checkpoint as a language-model scorer (see module doc)."""
    arrays, state = checkpoint.load(path)
    model_type = state.get("model_type")
    _import_all()
    if model_type not in LOADERS:
        raise checkpoint.CheckpointError(
            f"{path}: model_type {model_type!r} is not one of {sorted(LOADERS)}")
    return LOADERS[model_type](arrays, state)
