"""Which model types ``rnnlm score`` and ``rnnlm generate`` can load, by checkpoint.

Every rnnlm checkpoint is an ``rnnrepro.checkpoint`` file whose state holds ``model_type``.
A module that defines a model registers a loader for its type, with the array shapes its
state implies (checked before the loader runs: a wrong-shape array is one line naming it)::

    @register("rnn-theano", shapes=lambda state: {"U": (H, V), ...}, state_keys=("config",))
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
SHAPES = {}  # model type -> (state -> {array name: shape}, the state keys that needs)
# modules that register loaders when imported; missing ones are skipped
MODEL_MODULES = ("rnnlm.wildml.rnn_numpy", "rnnlm.wildml.rnn_theano", "rnnlm.wildml.gru_theano",
                 "rnnlm.ptb_lstm.model", "rnnlm.toolkit.model")


def register(model_type, shapes=None, state_keys=()):
    def deco(fn):
        LOADERS[model_type] = fn
        SHAPES[model_type] = (shapes, tuple(state_keys))
        return fn
    return deco


def _import_all():
    for name in MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


# Tokenizer of checkpoints written before it was stored: the PTB models were trained on
# whitespace-split text; the WildML ones (reddit) with nltk, except ``rnnlm train --corpus ptb``,
# whose old checkpoints keep ``corpus.options`` (see ``tokenizer_of``).
WHITESPACE_MODELS = ("lstm", "class-rnn")


def tokenizer_of(state):
    """'whitespace' or 'nltk': how the text of this checkpoint's model was tokenised."""
    if state.get("tokenizer"):
        return state["tokenizer"]
    if state.get("model_type") in WHITESPACE_MODELS or \
            (state.get("corpus") or {}).get("corpus") == "ptb":
        return "whitespace"
    return "nltk"


def load_language_model(path):
    """Load any registered rnnlm checkpoint as a language-model scorer (see module doc); the
    scorer's ``tokenizer`` is the one the model was trained with (``tokenizer_of``)."""
    arrays, state = checkpoint.load(path)
    model_type = state.get("model_type")
    _import_all()
    if model_type not in LOADERS:
        raise checkpoint.CheckpointError(
            f"{path}: model_type {model_type!r} is not one of {sorted(LOADERS)}")
    shapes, state_keys = SHAPES[model_type]
    checkpoint.check_contents(path, arrays, state, state_keys=state_keys)
    checkpoint.check_finite(path, arrays)
    try:
        if shapes is not None:
            checkpoint.check_contents(path, arrays, state, expect=shapes(state))
        scorer = LOADERS[model_type](arrays, state)
    except (KeyError, ValueError, IndexError, TypeError) as exc:
        raise checkpoint.CheckpointError(f"{path}: not a usable {model_type} checkpoint "
                                         f"({type(exc).__name__}: {exc})") from None
    absent = [t for t in dict.fromkeys((scorer.begin_token, scorer.end_token))
              if t not in scorer.word_to_index]
    if absent:  # e.g. trained with a --vocabulary-size that left them out
        raise checkpoint.CheckpointError(f"{path}: the model's vocabulary lacks "
                                         f"{' and '.join(absent)}; no sentence can be scored "
                                         f"or sampled (its --vocabulary-size was too small?)")
    scorer.tokenizer = tokenizer_of(state)
    scorer.path = path   # named when its probabilities turn out non-finite (rnnlm.generate)
    return scorer
