"""The WildML RNN language model tutorial (Denny Britz, parts 2-4: dennybritz/rnn-tutorial-rnnlm
and rnn-tutorial-gru-lstm), one module per piece of it:

- ``data``: ``utils.py``'s preprocessing (reddit CSV or PTB text -> vocabulary -> X, y);
- ``rnn_numpy``: ``RNNNumpy`` (forward, BPTT, gradient check; the notebook of part 2);
- ``rnn_theano``: ``RNNTheano`` (``rnn_theano.py``, part 2/3);
- ``gru_theano``: ``GRUTheano`` (``gru_theano.py``, part 4);
- ``train``: ``train_with_sgd`` (``train-theano.py`` / ``train.py``) and ``train_run``, what
  ``rnnlm train`` does;
- ``download``: the reddit CSV and NLTK's punkt.

Generation and scoring (``generate_sentence``, ``score_sentences``) work on every rnnlm
checkpoint and live beside the homes, in ``rnnlm.generate``.

``from rnnlm.wildml import RNNTheano`` imports the symbolic engine only when the name is used.

Licences of the originals: rnn-tutorial-rnnlm is Apache License 2.0 (its NOTICE: Copyright 2015
Denny Britz); rnn-tutorial-gru-lstm states no licence. See LICENSE.
"""
import importlib

_LAZY = {
    "RNNNumpy": "rnn_numpy", "RNNTheano": "rnn_theano", "GRUTheano": "gru_theano",
    "train_with_sgd": "train", "TrainOptions": "train", "TrainRun": "train",
    "load_model_parameters_theano": "rnn_theano",
    "save_model_parameters_theano": "rnn_theano", "load_corpus": "data",
}
__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
