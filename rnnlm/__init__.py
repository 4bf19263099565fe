"""Recurrent-network language models: the WildML reddit RNN LM (numpy, aesara, GRU) and the PTB models.

``from rnnlm import RNNNumpy, RNNTheano, GRUTheano, train_with_sgd`` works; the symbolic
engine is imported only when a symbolic model is first used (so ``--engine`` can pick it).
"""
import importlib

_LAZY = {
    "RNNNumpy": "rnnlm.rnn_numpy",
    "RNNTheano": "rnnlm.rnn_theano",
    "GRUTheano": "rnnlm.gru_theano",
    "train_with_sgd": "rnnlm.train",
    "load_model_parameters_theano": "rnnlm.rnn_theano",
    "save_model_parameters_theano": "rnnlm.rnn_theano",
    "generate_sentence": "rnnlm.generate",
    "score_text": "rnnlm.generate",
    "load_corpus": "rnnlm.data",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rnnlm' has no attribute {name!r}")
