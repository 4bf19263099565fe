"""One home for the symbolic engine (the Theano lineage).

aesara is the default. PyTensor, its maintained fork with the same API, is used when
``RNN_ENGINE=pytensor`` or when aesara cannot be imported. ``RNN_FLOATX`` (float32 or
float64) sets ``floatX`` before any graph is built; ``set_floatx`` does the same later.
Models import everything symbolic from here, never from aesara/pytensor directly::

    from rnnrepro.engine import th, T, shared, function, scan, grad
"""
import importlib
import os
import warnings

import numpy as np

ENGINES = ("aesara", "pytensor")


def _blas_flags(name):
    """Link the C ops against OpenBLAS when it is installed (Debian: libopenblas-dev).

    Without it both engines fall back to calling BLAS through NumPy's C API (and run some
    dot products as Python ops), about 3x slower on the rnnslu step. aesara finds OpenBLAS by
    itself; pip-installed PyTensor does not. ``RNN_BLAS=none`` leaves the engine's own choice
    (used by the benchmarks to measure the difference); explicit ``*_FLAGS`` always win.
    """
    var = name.upper() + "_FLAGS"
    if os.environ.get("RNN_BLAS", "").lower() == "none":
        if "blas__ldflags" not in os.environ.get(var, ""):
            os.environ[var] = ",".join(filter(None, [os.environ.get(var), "blas__ldflags="]))
        return
    if "blas__ldflags" in os.environ.get(var, ""):
        return
    import ctypes.util
    if ctypes.util.find_library("openblas"):
        os.environ[var] = ",".join(filter(None, [os.environ.get(var), "blas__ldflags=-lopenblas"]))


def _import_engine():
    requested = os.environ.get("RNN_ENGINE", "aesara").strip().lower() or "aesara"
    if requested not in ENGINES:
        raise ImportError(f"RNN_ENGINE={requested!r}: choose one of {', '.join(ENGINES)}")
    order = [requested] + [e for e in ENGINES if e != requested and requested == "aesara"]
    errors = []
    for name in order:
        try:
            _blas_flags(name)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # BLAS-detection chatter at import
                return importlib.import_module(name)
        except ImportError as exc:  # aesara missing: fall back to PyTensor
            errors.append(f"{name}: {exc}")
    raise ImportError("no symbolic engine could be imported (" + "; ".join(errors) + ")")


th = _import_engine()
NAME = th.__name__
VERSION = th.__version__
T = importlib.import_module(NAME + ".tensor")
_special = importlib.import_module(NAME + ".tensor.special")
_random = importlib.import_module(NAME + ".tensor.random.utils")

shared = th.shared
function = th.function
scan = th.scan
grad = th.grad
config = th.config
softmax = _special.softmax
log_softmax = _special.log_softmax
sigmoid = T.sigmoid
RandomStream = _random.RandomStream

FLOATX_CHOICES = ("float32", "float64")


def set_floatx(dtype):
    """Select the float type of every graph built from now on (float32 or float64)."""
    if dtype not in FLOATX_CHOICES:
        raise ValueError(f"floatX must be one of {FLOATX_CHOICES}, not {dtype!r}")
    config.floatX = dtype


def floatx():
    return config.floatX


def asfloat(a):
    """``a`` as a numpy array of the current floatX."""
    return np.asarray(a, dtype=config.floatX)


def hard_sigmoid(x):
    """Theano's ``T.nnet.hard_sigmoid``: clip(0.2 x + 0.5, 0, 1) (used by the WildML GRU)."""
    return T.clip(0.2 * x + 0.5, 0.0, 1.0)


def describe():
    """Short engine description for logs and result tables."""
    return {"engine": NAME, "engine_version": VERSION, "floatX": config.floatX,
            "blas": config.blas__ldflags or "numpy C-API fallback"}


if os.environ.get("RNN_FLOATX"):
    set_floatx(os.environ["RNN_FLOATX"])
