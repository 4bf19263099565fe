"""Recurrent-network language models, one home per tutorial:

- ``rnnlm.wildml``: the WildML reddit RNN LM (``RNNNumpy``, ``RNNTheano``, ``GRUTheano``,
  ``train_with_sgd``, the corpus pipeline);
- ``rnnlm.ptb_lstm``: the TensorFlow PTB tutorial (``reader``, ``configs``, the ``PTBLSTM``
  model, ``ptb_word_lm``'s ``run_epoch``/``main``);
- ``rnnlm.toolkit``: Mikolov's RNNLM toolkit (class-based RNN / RNNME and its ``trainNet``).

Shared by the three: ``registry`` (which checkpoints ``score``/``generate`` can load),
``generate`` (sampling and scoring over any checkpoint), ``ptb_text`` (where the PTB files are,
their token stream), ``plot`` and ``cli`` (the ``rnnlm`` command).

The symbolic engine is imported only where a graph is built (so ``--engine`` can pick it).
``from rnnlm import RNNTheano`` and the old flat module names (``rnnlm.lstm``,
``rnnlm.class_rnn``, ... see ``rnnlm._moved``) work for this release, with a
DeprecationWarning; import from the homes instead (``from rnnlm.wildml import RNNTheano``).
"""
import importlib
import warnings

from rnnlm import _moved

_moved.install()

_LAZY = {
    "RNNNumpy": "rnnlm.wildml.rnn_numpy",
    "RNNTheano": "rnnlm.wildml.rnn_theano",
    "GRUTheano": "rnnlm.wildml.gru_theano",
    "train_with_sgd": "rnnlm.wildml.train",
    "load_model_parameters_theano": "rnnlm.wildml.rnn_theano",
    "save_model_parameters_theano": "rnnlm.wildml.rnn_theano",
    "generate_sentence": "rnnlm.generate",
    "score_text": "rnnlm.generate",
    "load_corpus": "rnnlm.wildml.data",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        module = _LAZY[name]
        home = module.rsplit(".", 1)[0] if module.startswith("rnnlm.wildml.") else module
        warnings.warn(f"from rnnlm import {name} is deprecated: from {home} import {name}",
                      DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rnnlm' has no attribute {name!r}")
