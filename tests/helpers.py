"""Small things several test files share: a tiny PTB-layout corpus, a toy toolkit model,
central differences, graphs built in float64 and a file on a full disk."""
import contextlib
import errno
import os

import numpy as np

SENTENCES = ["the cat sat on the mat", "the dog sat on the log", "a cat saw a dog",
             "the dog saw the cat", "a dog sat on a mat"]


def write_ptb_corpus(folder, sizes, sentences=SENTENCES, seed=0):
    """``ptb.{train,valid,test}.txt`` in ``folder`` in the simple-examples layout (a leading
    space, ' \\n' line ends): ``sizes[split]`` lines drawn from ``sentences`` (strings, or a
    callable ``rng -> line``)."""
    rng = np.random.RandomState(seed)
    for split in ("train", "valid", "test"):
        if callable(sentences):
            lines = [sentences(rng) for _ in range(sizes[split])]
        else:
            lines = [sentences[i] for i in rng.randint(0, len(sentences), sizes[split])]
        (folder / f"ptb.{split}.txt").write_text("".join(f" {s} \n" for s in lines))
    return str(folder)


def central_differences(f, params, eps=1e-6):
    """d f / d params[k][i] for every entry of every array in ``params`` (a dict), by central
    differences; ``f`` takes a dict of arrays like ``params``."""
    out = {}
    for k, v in params.items():
        g = np.zeros_like(v)
        for i in np.ndindex(v.shape):
            a = {kk: vv.copy() for kk, vv in params.items()}
            a[k][i] += eps
            up = f(a)
            a[k][i] -= 2 * eps
            g[i] = (up - f(a)) / (2 * eps)
        out[k] = g
    return out


def toy_class_rnn(direct=0, **kw):
    """A 12-word toolkit class RNN (hidden 5, 3 classes, direct order 3) with fixed counts."""
    from rnnlm.toolkit import model as class_rnn
    rng = np.random.RandomState(0)
    vocab = [f"w{i}" for i in range(12)]
    counts = np.array([50] + sorted(rng.randint(1, 40, 11).tolist(), reverse=True))
    return class_rnn.ClassRNNLM(vocab, counts, hidden=5, class_size=3, direct_size=direct,
                                direct_order=3, **kw)


@contextlib.contextmanager
def float64():
    """Graphs built inside are float64 (the engine's floatX restored after)."""
    from rnnrepro import engine
    old = engine.floatx()
    engine.set_floatx("float64")
    try:
        yield
    finally:
        engine.set_floatx(old)


class FullDisk:
    """A file object whose writes fail with ENOSPC after ``room`` bytes (wraps ``f``)."""

    def __init__(self, f, room):
        self.f, self.room = f, room

    def write(self, b):
        if self.room < len(b):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(b)
        return self.f.write(b)

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()
