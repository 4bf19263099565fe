"""``initNet``'s weights after ``srand(seed)``: glibc's ``rand()`` reimplemented, so the toolkit's
own initial weights come out the same on any platform.
"""
import numpy as np

from rnnlm.toolkit.hash import U32


def glibc_rand(seed, n):
    """The first ``n`` values of glibc's ``rand()`` after ``srand(seed)``, in pure Python so
    the toolkit's initial weights come out the same on any platform.

    glibc's default generator (TYPE_3): r[0] = seed, r[i] = 16807 r[i-1] mod (2**31 - 1)
    (Schrage's method, 32-bit signed) for i < 31, r[31..33] = r[0..2], then
    r[i] = r[i-3] + r[i-31] mod 2**32; the outputs are r[344:] >> 1.
    """
    from array import array
    seed &= U32
    seed = seed or 1
    word = seed - (1 << 32) if seed >= (1 << 31) else seed  # int32_t
    r = array("I", [seed])
    for _ in range(1, 31):
        hi = int(word / 127773)  # C division truncates toward zero
        lo = word - hi * 127773
        word = 16807 * lo - 2836 * hi
        if word < 0:
            word += 2147483647
        r.append(word)
    r.extend(r[0:3])
    for i in range(34, 344 + n):
        r.append((r[i - 31] + r[i - 3]) & U32)
    return np.frombuffer(r, dtype=np.uint32)[344:] >> 1


def toolkit_init(vocab_size, hidden, class_size, seed):
    """``initNet`` after ``srand(seed)``: every weight is random(-0.1,0.1) drawn three times and
    summed, with ``random(min,max) = rand()/(real)RAND_MAX*(max-min)+min`` in double.

    Draw order: ``syn0`` row by row (hidden unit b: the vocab_size word inputs, then the hidden
    inputs), then ``syn1`` row by row (the vocab_size word outputs, then the class outputs).
    Returns (U, W, V1, C1) in this module's layout.
    """
    V, H, C = vocab_size, hidden, class_size
    n0, n1 = H * (V + H), (V + C) * H
    x = glibc_rand(seed, 3 * (n0 + n1)).astype(np.float64) / 2147483647.0 * 0.2 + (-0.1)
    x = x.reshape(-1, 3)
    w = (x[:, 0] + x[:, 1]) + x[:, 2]
    syn0 = w[:n0].reshape(H, V + H)
    syn1 = w[n0:].reshape(V + C, H)
    return syn0[:, :V].T.copy(), syn0[:, V:].copy(), syn1[:V].copy(), syn1[V:].copy()
