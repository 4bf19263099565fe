"""Slot filling on ATIS with Elman and Jordan RNNs (Mesnil et al. 2013), on aesara.

The tutorial names: ``from rnnslu import RNNSLU, contextwin, minibatch``.
"""
from .data import contextwin, load_atis, minibatch, shuffle
from .model import RNNSLU, Jordan

__all__ = ["RNNSLU", "Jordan", "contextwin", "minibatch", "shuffle", "load_atis"]
