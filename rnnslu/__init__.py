"""Slot filling on ATIS with Elman and Jordan RNNs (Mesnil et al. 2013), on aesara.

The tutorial names: ``from rnnslu import RNNSLU, contextwin, minibatch``. They are loaded on
first use, so ``python -m rnnslu.conlleval`` and ``rnnslu --help`` never import the symbolic
engine.
"""
import importlib

_LAZY = {
    "RNNSLU": "rnnslu.model",
    "Jordan": "rnnslu.model",
    "contextwin": "rnnslu.data",
    "minibatch": "rnnslu.data",
    "shuffle": "rnnslu.data",
    "load_atis": "rnnslu.data",
}

__all__ = ["RNNSLU", "Jordan", "contextwin", "minibatch", "shuffle", "load_atis"]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rnnslu' has no attribute {name!r}")
