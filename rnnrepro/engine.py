"""One home for the symbolic engine (the Theano lineage).

aesara is the default. PyTensor, its maintained fork with the same API, is used when
``RNN_ENGINE=pytensor`` or when aesara cannot be imported (Python >= 3.12, numpy 2: aesara
does not install there; ``describe()`` then says ``engine: pytensor`` and why, in
``engine_fallback``, for the run records; ``summary()``, the line commands print, does not
repeat that expected fallback). ``RNN_FLOATX`` (float32 or float64) sets ``floatX`` before any graph is
built; ``set_floatx`` does the same later.

Linkers (how a compiled function is built): ``c`` (the C VM; the Theano lineage's reference
path), ``numba`` and ``jax`` (PyTensor only). ``RNN_LINKER=c|numba|jax`` or ``set_linker``
(the CLIs' ``--linker``) picks one for every function; otherwise each model uses its measured
default (``DEFAULT_LINKERS``). Models import everything symbolic from here, never from
aesara/pytensor directly::

    from rnnrepro.engine import th, T, shared, function, scan, grad
"""
import functools
import importlib
import importlib.util
import inspect
import os
import warnings

import numpy as np

from .settings import ENGINES, FLOATX_CHOICES, LINKERS, EngineError, LinkerError, env_value


def _blas_flags(name):
    """Link the C ops against OpenBLAS when it is installed (Debian: libopenblas-dev).

    Without it both engines fall back to calling BLAS through NumPy's C API (and run some
    dot products as Python ops), much slower on the rnnslu step (results/bench_rnnslu: the
    ``blas=none`` rows). aesara finds OpenBLAS by
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
    requested = env_value("RNN_ENGINE") or "aesara"
    if requested not in ENGINES:
        raise EngineError(f"RNN_ENGINE={requested!r}: choose one of {', '.join(ENGINES)}")
    order = [requested] + [e for e in ENGINES if e != requested and requested == "aesara"]
    errors = []
    for name in order:
        try:
            _blas_flags(name)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # BLAS-detection chatter at import
                return importlib.import_module(name), "; ".join(errors) or None
        except ImportError as exc:  # aesara missing: fall back to PyTensor
            errors.append(f"{name} not importable ({exc})")
    raise EngineError("no symbolic engine could be imported (" + "; ".join(errors) + ")")


th, FALLBACK = _import_engine()
NAME = th.__name__
VERSION = th.__version__
T = importlib.import_module(NAME + ".tensor")
_special = importlib.import_module(NAME + ".tensor.special")
_random = importlib.import_module(NAME + ".tensor.random.utils")
_mode = importlib.import_module(NAME + ".compile.mode")

shared = th.shared
grad = th.grad
config = th.config
softmax = _special.softmax
log_softmax = _special.log_softmax
sigmoid = T.sigmoid
RandomStream = _random.RandomStream

def set_floatx(dtype):
    """Select the float type of every graph built from now on (float32 or float64); another
    value is an ``EngineError`` (a ValueError)."""
    if dtype not in FLOATX_CHOICES:
        raise EngineError(f"floatX must be one of {', '.join(FLOATX_CHOICES)}, not {dtype!r}")
    config.floatX = dtype


def floatx():
    return config.floatX


def asfloat(a):
    """``a`` as a numpy array of the current floatX."""
    return np.asarray(a, dtype=config.floatX)


def tensor(name, dtype, shape):
    """A symbolic input of static ``shape`` (None: any length on that axis), on every engine
    (aesara's ``T.tensor`` has another signature). JAX compiles only static shapes."""
    return T.TensorType(dtype, shape=shape)(name)


def hard_sigmoid(x):
    """Theano's ``T.nnet.hard_sigmoid``: clip(0.2 x + 0.5, 0, 1) (used by the WildML GRU)."""
    return T.clip(0.2 * x + 0.5, 0.0, 1.0)


# -- linkers ---------------------------------------------------------------------------------

# Per-model defaults, chosen from the benchmark records (the figures are there, not here):
# - ptb-lstm: JAX where it is installed (the `.[jax]` extra, Python >= 3.12), else Numba: the
#   fastest at the small config's train step, then Numba, C last (results/bench-ptb-linkers,
#   bench-ptb-cpu-peer, bench-ptb-cpu-floor; the last two beside a PyTorch peer and the
#   window's matrix products alone). JAX compiles once per window shape met.
# - rnn-theano: Numba, ahead of C at sgd_step (results/bench-rnnlm-linkers).
# - rnnslu: C. Numba was not faster per sentence in every run (results/bench-rnnslu-linkers)
#   and its cold compile costs far more than C's, which a short run (the toy demo) never earns
#   back. C is also the reference linker. The is13 presets (45,000 calls per epoch) run
#   faster on Numba (results/bench_is13_linkers); pass --linker numba for them (not the
#   default yet).
# - gru-theano, class RNN graph: C (not measured).
# An explicit RNN_LINKER/--linker always wins; otherwise the first of a model's preferences
# that can run here (jax and numba need their packages; aesara runs C only), else C.
DEFAULT_LINKERS = {"ptb-lstm": ("jax", "numba"), "rnn-theano": ("numba",)}
# Graphs that cannot run under a linker, and why. JAX traces with static shapes: the WildML
# models and rnnslu take one variable-length sentence per call, and PyTensor's JAX backend
# fails on their symbolic lengths (scan steps, arange, truncate_gradient's slice of the last k
# steps: "Array slice indices must have static start/stop/step"); see rnnlm/rnn_theano.py.
_NO_JAX = ("one sentence of variable length per call; PyTensor's JAX backend needs static "
           "shapes (see rnnlm/rnn_theano.py); use --linker c or numba")
UNSUPPORTED = {("rnn-theano", "jax"): _NO_JAX, ("gru-theano", "jax"): _NO_JAX,
               ("rnnslu", "jax"): _NO_JAX}


def linker_problem(name, model=None):
    """None if linker ``name`` can run here (for ``model``), else one line saying why not."""
    if (model, name) in UNSUPPORTED:
        return f"linker {name!r} cannot run {model}: {UNSUPPORTED[model, name]}"
    if name not in LINKERS:
        return f"linker {name!r}: choose one of {', '.join(LINKERS)}"
    if name == "c":
        return None
    if NAME == "aesara":
        why = ("aesara's JAX scan is broken ('Scan' object has no attribute 'inputs')"
               if name == "jax" else "aesara's Numba backend is not maintained")
        return (f"linker {name!r} needs PyTensor ({why}); use RNN_ENGINE=pytensor or "
                f"--linker c")
    if importlib.util.find_spec(name) is None:
        return f"linker {name!r}: the {name} package is not installed (pip install {name})"
    return None


def set_linker(name, model=None):
    """Choose the linker of every function compiled from now on, in this process and in the
    workers it starts (it is kept in ``$RNN_LINKER``). ``None`` restores the per-model
    defaults. Raises ``LinkerError`` (one line) if it cannot run here (or cannot run
    ``model``)."""
    if name is None:
        os.environ.pop("RNN_LINKER", None)
        return
    problem = linker_problem(name, model)
    if problem:
        raise LinkerError(problem)
    os.environ["RNN_LINKER"] = name


def linker(model=None):
    """The linker in effect for ``model`` (a key of ``DEFAULT_LINKERS``, or None)."""
    chosen = os.environ.get("RNN_LINKER", "").strip().lower()
    if chosen:
        problem = linker_problem(chosen, model)
        if problem:
            raise LinkerError("RNN_LINKER=" + chosen + ": " + problem)
        return chosen
    return next((name for name in DEFAULT_LINKERS.get(model, ())
                 if linker_problem(name, model) is None), "c")


@functools.lru_cache(maxsize=None)
def mode(name):
    """The compile mode of linker ``name`` (the engine's usual optimizer, that linker)."""
    if name == "c":
        if "CVM" in _mode.predefined_modes:  # PyTensor 3: FAST_RUN follows config.linker (numba)
            return _mode.predefined_modes["CVM"]
        return _mode.Mode(linker="cvm", optimizer="fast_run")
    return _mode.get_mode(name.upper())


_used = []  # linkers compiled with in this process, in order (for describe())


def function(inputs, outputs=None, *, model=None, linker_name=None, **kwargs):
    """``th.function`` with the mode of the chosen linker (``linker_name``, else
    ``linker(model)``). An explicit ``mode=`` is passed through unchanged."""
    if "mode" not in kwargs:
        name = linker_name or linker(model)
        kwargs["mode"] = mode(name)
        if name not in _used:
            _used.append(name)
        if name == "jax":
            # JAX's 64-bit switch is global; PyTensor sets it from floatX once, at its first
            # JAX import. Set it from the current floatX at every compile instead: float32
            # graphs traced with x64 on hit dtype mismatches in scan carries (PyTensor 3.3.7).
            # So one floatX per process for the JAX functions that are called.
            import jax
            jax.config.update("jax_enable_x64", config.floatX == "float64")
            if config.floatX == "float32":
                # PyTensor sums float32 with a float64 accumulator (acc_dtype); C does that,
                # JAX with x64 off accumulates in float32 and says so at every trace (at the
                # first call, outside this function); known and expected, so not printed.
                warnings.filterwarnings("ignore", message="Explicitly requested dtype float64 "
                                        "requested in astype", category=UserWarning)
            with warnings.catch_warnings():
                # shape checks JAX enforces itself at trace time (our shared weights have no
                # static shapes, so PyTensor keeps broadcast asserts the JAX backend drops)
                warnings.filterwarnings("ignore", message="Skipping Assert")
                return th.function(inputs, outputs, **kwargs)
    return th.function(inputs, outputs, **kwargs)


_SCAN_RETURNS_UPDATES = "return_updates" not in inspect.signature(th.scan).parameters


def scan(*args, **kwargs):
    """``th.scan`` returning ``(outputs, updates)`` on every engine version.

    PyTensor 3 deprecates returning the updates (it warns unless ``return_updates=False``, and
    will return the outputs alone); our scans update no shared variable, so the updates are an
    empty dict there."""
    if _SCAN_RETURNS_UPDATES:
        return th.scan(*args, **kwargs)
    try:
        return th.scan(*args, return_updates=False, **kwargs), {}
    except ValueError as exc:  # a scan that does produce updates (random streams inside)
        if "return_updates=False" not in str(exc):
            raise
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return th.scan(*args, return_updates=True, **kwargs)


def describe(model=None):
    """Short engine description for logs, run records and result tables. ``linker`` is the
    one in effect for ``model``, or (no model) the one functions were compiled with."""
    try:
        if model is not None or not _used:
            lk = linker(model)
        else:
            lk = "+".join(_used)
    except LinkerError as exc:
        lk = f"invalid ({exc})"
    d = {"engine": NAME, "engine_version": VERSION, "linker": lk, "floatX": config.floatX,
         "blas": config.blas__ldflags or "numpy C-API fallback"}
    if FALLBACK:
        d["engine_fallback"] = FALLBACK
    return d


def summary(model=None):
    """``describe(model)`` as one calm line for what a command prints. The fallback to PyTensor
    where aesara is not installed (every Python >= 3.12) is the expected set-up, not a fault:
    it stays in ``describe()`` (run records) and is named here only when ``RNN_ENGINE=aesara``
    asked for aesara explicitly."""
    d = describe(model)
    text = (f"engine {d['engine']} {d['engine_version']}, linker {d['linker']}, "
            f"floatX {d['floatX']}, BLAS {d['blas']}")
    if FALLBACK and env_value("RNN_ENGINE") == "aesara":
        text += f" (RNN_ENGINE=aesara asked for aesara, but {FALLBACK})"
    return text


if env_value("RNN_FLOATX"):
    try:
        set_floatx(env_value("RNN_FLOATX"))
    except EngineError as exc:
        raise EngineError(f"RNN_FLOATX: {exc}") from None
