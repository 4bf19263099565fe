"""A counter-based random generator that gives the same bits in numpy and in any compiled graph.

Threefry-2x32 with 20 rounds (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
SC 2011; the generator JAX uses by default): 32-bit words, only additions, rotations and
exclusive ors, so it is exact in numpy, in PyTensor's C and Numba code and under JAX (which
keeps uint32 without ``jax_enable_x64``). One call maps a key (two words) and a counter (two
words per element) to two random words per element: nothing is carried from call to call, so
the numbers of window ``w`` depend only on the seed and ``w`` (a resumed run draws what the
uninterrupted one drew; a GPU run draws what a CPU run draws).

The same code runs on numpy ``uint32`` arrays and on symbolic ``uint32`` tensors: it uses
only ``+ * // ^ |`` with ``uint32`` constants (a rotation is a multiplication and a division
by powers of two, which wrap and truncate as shifts do). ``ops=np`` or the engine's tensor
module gives the constants their type.
"""
import functools

import numpy as np

ROTATIONS = (13, 15, 26, 6, 17, 29, 16, 24)
PARITY = 0x1BD11BDA  # the Threefish key-schedule parity constant, 32-bit


def _u32(v, symbolic):
    if symbolic is None:
        return np.uint32(v)
    return symbolic.constant(np.uint32(v))


def _rotl(x, r, symbolic):
    return (x * _u32(1 << r, symbolic)) | (x // _u32(1 << (32 - r), symbolic))


def threefry2x32(k0, k1, x0, x1, symbolic=None):
    """Threefry-2x32-20 of counters ``(x0, x1)`` under key ``(k0, k1)``: two uint32 words.

    numpy ``uint32`` arrays/scalars, or (``symbolic``: the engine's tensor module ``T``)
    symbolic ``uint32`` tensors; ``x0``/``x1`` broadcast against each other.
    """
    ks = (k0, k1, k0 ^ k1 ^ _u32(PARITY, symbolic))
    x0, x1 = x0 + ks[0], x1 + ks[1]
    for i in range(20):
        x0 = x0 + x1
        x1 = _rotl(x1, ROTATIONS[i % 8], symbolic) ^ x0
        if i % 4 == 3:
            s = (i + 1) // 4
            x0 = x0 + ks[s % 3]
            x1 = x1 + ks[(s + 1) % 3] + _u32(s, symbolic)
    return x0, x1


def uniform_from_bits(bits, symbolic=None, dtype="float32"):
    """Uniform [0, 1) numbers from uint32 words: the top 24 bits times 2**-24 (exact in
    float32, so every engine and device rounds nothing)."""
    top = bits // _u32(1 << 8, symbolic)
    if symbolic is None:
        return top.astype(dtype) * np.asarray(2.0 ** -24, dtype=dtype)
    return symbolic.cast(top, dtype) * symbolic.constant(np.asarray(2.0 ** -24, dtype=dtype))


def counter_uniform(seed, stream, counter, shape, symbolic=None, dtype="float32"):
    """Uniform numbers of ``shape`` for draw ``counter`` of ``stream`` under ``seed``.

    Key ``(seed, stream)``; element ``n`` (C order) has counter words ``(counter, n)``. numpy:
    Python ints; symbolic: ``seed``/``stream``/``counter`` uint32 scalars (or Python ints),
    ``shape`` may hold symbolic dimensions.
    """
    if all(isinstance(d, (int, np.integer)) for d in shape) and np.prod(shape) >= 2 ** 32:
        raise ValueError(f"counter_uniform: {np.prod(shape)} numbers in one draw (at most "
                         f"2**32 - 1)")
    if symbolic is None:
        size = int(np.prod(shape))
        u = lambda v: np.uint32(v)
        x1 = np.arange(size, dtype=np.uint32).reshape(shape)
        with np.errstate(over="ignore"):
            bits, _ = threefry2x32(u(seed), u(stream), u(counter), x1)
        return uniform_from_bits(bits, None, dtype)
    T = symbolic
    as32 = lambda v: T.cast(v, "uint32") if hasattr(v, "type") else _u32(v, T)
    size = functools.reduce(lambda a, b: a * b, shape)  # symbolic dimensions allowed
    x1 = T.arange(size, dtype="uint32").reshape(shape)
    bits, _ = threefry2x32(as32(seed), as32(stream), as32(counter), x1, T)
    return uniform_from_bits(bits, T, dtype)
