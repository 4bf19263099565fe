"""Small things several test files share: a tiny PTB-layout corpus, a toy toolkit model,
central differences, graphs built in float64, a file on a full disk, the checks of a
refused command (one line, exit status 2, folder unchanged), the in-process ``rnnslu`` and
``rnnlm`` commands with their tiny options, and small made-up data (sweep rows, an ATIS fold,
Markov-chain sentences, a wildml corpus).

The fixtures several test files share are in ``conftest.py`` (pytest finds them by name);
test files import nothing from one another."""
import contextlib
import errno
import json
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


# ----------------------------------------------------------------- the commands, in process
# The toy rnnslu run (8 units, window 3) of the rnnslu command tests (conftest.finished_run).
SLU = ["--data", "toy", "--nhidden", "8", "--emb", "8", "--win", "3", "--quiet"]
# ``rnnlm train`` (wildml, rnn-numpy, hidden 4), ``ptb-rnnlm`` (hidden 4, 3 classes) and
# ``ptb-lstm`` (the test config, 1 epoch) options of the rnnlm command tests (conftest.w).
TRAIN = ["--corpus", "ptb", "--no-cache", "--quiet", "--model", "rnn-numpy", "--hidden-dim", 4,
         "--evaluate-loss-after", 1]
RNNLM = ["--hidden", 4, "--class", 3, "--quiet"]
LSTM = ["--config", "test", "--epochs", 1, "--quiet"]


def slu_cmd(*argv):
    """``rnnslu argv...`` in this process (``main(argv)``, every argument as a string): its
    exit status."""
    from rnnslu.cli import main
    return main([str(a) for a in argv])


def rnnlm_cmd(*argv):
    """``rnnlm argv...`` in this process (``main(argv)``, every argument as a string): its exit
    status."""
    from rnnlm.cli import main
    return main([str(a) for a in argv])


def rewrite(path, change):
    """The checkpoint at ``path`` rewritten as ``change(arrays, state)`` returns them."""
    from rnnrepro import checkpoint
    arrays, state = checkpoint.load(str(path))
    arrays, state = change(dict(arrays), dict(state))
    checkpoint.save(str(path), arrays, state)


# ----------------------------------------------------------------- small made-up data
def sweep_row(**kw):
    """One line of a ``sweep.jsonl`` (a finished run), with ``kw`` changed."""
    row = dict(preset="dlt", model="elman", data="atis", fold=0, seed=345, valid_f1=1.0,
               test_f1=1.0, best_epoch=1, epochs_run=2, seconds_per_epoch=1.0, out="x",
               trainer="sentence", commit="c", hardware="h", engine="aesara",
               engine_version="2.9.4", linker="c", floatX="float64")
    row.update(kw)
    return json.dumps(row) + "\n"


def _atis_split(rng, n, n_words=6, n_labels=3):
    lex = [rng.randint(0, n_words, size=4).astype("int32") for _ in range(n)]
    y = [rng.randint(0, n_labels, size=4).astype("int32") for _ in range(n)]
    return [lex, [np.zeros(4, "int32")] * n, y]


def atis_fold(full=False):
    """A small well-formed ATIS pickle's content (as lists, to change): a fold ``[train,
    valid, test, dicts]`` of 6 words and 3 labels, or (``full``) the full split ``[train,
    test, dicts]``."""
    rng = np.random.RandomState(0)
    dicts = {"words2idx": {f"w{i}": i for i in range(6)},
             "labels2idx": {"O": 0, "B-city": 1, "I-city": 2}, "tables2idx": {"O": 0}}
    if full:
        return [_atis_split(rng, 20), _atis_split(rng, 3), dicts]
    return [_atis_split(rng, 5), _atis_split(rng, 2), _atis_split(rng, 2), dicts]


def markov_corpus(n, seed, vocab=120, min_len=2, max_len=9):
    """Sentences from a sparse Markov chain (three likely successors per word, Zipf first
    words), so that 3- and 4-grams repeat: every order has n1..n4 > 0 for seed 1."""
    rng = np.random.RandomState(seed)
    words = [f"w{i}" for i in range(vocab - 1)] + ["<unk>"]
    succ = rng.randint(0, vocab, (vocab, 3))
    out = []
    for _ in range(n):
        w = min(int(rng.zipf(1.3)) - 1, vocab - 1)
        s = [w]
        for _ in range(rng.randint(min_len, max_len) - 1):
            w = (succ[w, rng.choice(3, p=[0.6, 0.25, 0.15])] if rng.rand() < 0.8
                 else rng.randint(vocab))
            s.append(w)
        out.append([words[i] for i in s])
    return out


def write_markov_ptb(folder, sizes, vocab=120):
    """``ptb.{train,valid,test}.txt`` in ``folder`` from ``markov_corpus`` (seeds 1, 5, 6),
    ``sizes[split]`` lines each; returns ``folder``."""
    for split, seed in (("train", 1), ("valid", 5), ("test", 6)):
        (folder / f"ptb.{split}.txt").write_text(
            "".join(f" {' '.join(s)} \n" for s in markov_corpus(sizes[split], seed, vocab=vocab)))
    return folder


def tiny_corpus(n_sentences=12, vocabulary_size=30):
    """A wildml corpus (``rnnlm.wildml.data.build_corpus``) of ``n_sentences`` random
    sentences of 3 to 7 words drawn from 13."""
    from rnnlm.wildml import data as D
    rng = np.random.RandomState(3)
    words = "the cat dog sat ran on a mat big small red fast slow".split()
    sents = [" ".join(rng.choice(words, size=rng.randint(3, 8))) for _ in range(n_sentences)]
    return D.build_corpus(sents, vocabulary_size, tokenizer=str.split, verbose=False)
