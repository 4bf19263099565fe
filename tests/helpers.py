"""Small things several test files share: a tiny PTB-layout corpus, a toy toolkit model,
central differences, graphs built in float64, a file on a full disk, and the checks of a
refused command (one line, exit status 2, folder unchanged)."""
import contextlib
import errno
import os
import subprocess
import sys

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
    """A 12-word toolkit class RNN (hidden 5 unless given, 3 classes, direct order 3 unless
    given) with fixed counts."""
    from rnnlm.toolkit import model as class_rnn
    rng = np.random.RandomState(0)
    vocab = [f"w{i}" for i in range(12)]
    counts = np.array([50] + sorted(rng.randint(1, 40, 11).tolist(), reverse=True))
    kw = dict(dict(hidden=5, direct_order=3), **kw)
    return class_rnn.ClassRNNLM(vocab, counts, class_size=3, direct_size=direct, **kw)


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


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def snapshot(folder):
    """Every file under ``folder`` (relative path -> bytes; folders -> None)."""
    out = {}
    for here, dirs, names in os.walk(folder):
        for d in dirs:
            out[os.path.relpath(os.path.join(here, d), folder)] = None
        for n in names:
            with open(os.path.join(here, n), "rb") as f:
                out[os.path.relpath(os.path.join(here, n), folder)] = f.read()
    return out


def refused(capsys, call, *needles, folder=None):
    """``call()`` exits with status 2 printing one line (no traceback) holding ``needles``;
    ``folder`` (if given) is byte-identical afterwards. Returns the line."""
    before = snapshot(folder) if folder else None
    capsys.readouterr()
    try:
        rc = call()
    except SystemExit as e:  # argparse, at parse time
        rc = e.code
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert rc == 2, (rc, err[-3000:])
    assert len(lines) == 1 and "Traceback" not in err, err[-3000:]
    for n in needles:
        assert n in lines[0], (n, lines[0])
    if folder:
        assert snapshot(folder) == before
    return lines[0]


def script_refused(folder, written, argv, needles):
    """``scripts/argv[0]`` run in ``folder`` (after writing ``written``: name -> text) exits
    with status 2 printing one line ``argv[0]: error: ...`` holding ``needles``; ``folder``
    is byte-identical afterwards."""
    for name, text in written.items():
        os.makedirs(folder / os.path.dirname(name), exist_ok=True)
        (folder / name).write_text(text)
    before = snapshot(folder)
    env = dict(os.environ, PYTHONPATH=ROOT)
    r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", argv[0]), *argv[1:]],
                       capture_output=True, text=True, env=env, cwd=folder, timeout=120)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert lines[0].startswith(argv[0] + ": error: ")
    for n in needles:
        assert n in lines[0], (n, lines[0])
    assert snapshot(folder) == before
