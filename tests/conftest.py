"""Suite-wide choices made before any test imports ``rnnrepro.engine``.

The linker is chosen deliberately: C (``RNN_LINKER=c``) unless the environment names another.
C is the reference linker (the Theano lineage's own path, the only one aesara runs, and the one
every other linker is compared against in ``tests/test_linkers.py``). PyTensor 3 would otherwise
default some models to Numba, whose cold cache made the whole suite 13x slower when measured
(each new graph is JIT-compiled by LLVM on first use); a CI leg starts with a cold cache.
``RNN_LINKER=numba pytest`` still runs the suite under Numba on purpose.
"""
import os

os.environ.setdefault("RNN_LINKER", "c")
