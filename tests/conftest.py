"""Suite-wide choices made before any test imports ``rnnrepro.engine``, and the fixtures
several test files share (pytest finds them here by name; test files import nothing from one
another, and the plain helpers they share are in ``helpers.py``).

The linker is chosen deliberately: C (``RNN_LINKER=c``) unless the environment names another.
C is the reference linker (the Theano lineage's own path, the only one aesara runs, and the one
every other linker is compared against in ``tests/test_linkers.py``). PyTensor 3 would otherwise
default some models to Numba, whose cold cache made the whole suite 13x slower when measured
(each new graph is JIT-compiled by LLVM on first use); a CI leg starts with a cold cache.
``RNN_LINKER=numba pytest`` still runs the suite under Numba on purpose.
"""
import os

os.environ.setdefault("RNN_LINKER", "c")

import shutil  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import RNNLM, SENTENCES, SLU, TRAIN, rnnlm_cmd, slu_cmd, write_ptb_corpus  # noqa: E402


# ----------------------------------------------------------------- a finished rnnslu run
@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished 2-epoch toy run (its folder; copy it before changing anything)."""
    out = tmp_path_factory.mktemp("slu") / "run"
    assert slu_cmd("train", *SLU, "--epochs", "2", "--out", out) == 0
    return out


@pytest.fixture
def run(finished_run, tmp_path):
    """A copy of the module's finished run (``finished_run``) to change."""
    out = tmp_path / "run"
    shutil.copytree(finished_run, out)
    return out


# ----------------------------------------------------------------- the rnnlm commands' inputs
@pytest.fixture(scope="module")
def w(tmp_path_factory):
    """The module's inputs: ``t.txt`` (toy text), ``ptb/`` (40 lines per split), a trained
    rnn-numpy run ``run/`` with ``vocab.txt`` and the tutorial npz ``tut.npz``, a ptb-rnnlm
    run ``rr/``, a hand-written PTB LSTM checkpoint ``lstm.npz``. Copy before changing."""
    from rnnrepro import checkpoint
    w = tmp_path_factory.mktemp("lm")
    (w / "t.txt").write_text("".join(SENTENCES[i % 5] + "\n" for i in range(10)))
    (w / "ptb").mkdir()
    write_ptb_corpus(w / "ptb", {"train": 40, "valid": 40, "test": 40}, SENTENCES)
    assert rnnlm_cmd("train", *TRAIN, "--path", w / "t.txt", "--epochs", 1,
                     "--out", w / "run") == 0
    arrays, state = checkpoint.load(str(w / "run" / "checkpoint.npz"))
    (w / "vocab.txt").write_text("\n".join(state["index_to_word"]) + "\n")
    np.savez(w / "tut.npz", U=arrays["U"], V=arrays["V"], W=arrays["W"])
    assert rnnlm_cmd("ptb-rnnlm", *RNNLM, "--epochs", 1, "--data-dir", w / "ptb",
                     "--out", w / "rr") == 0
    from rnnlm.ptb_lstm import model as lstm, reader
    vocab = reader.ptb_raw_data(str(w / "ptb"))[3]
    cfg = lstm.CONFIGS["test"]
    params = lstm.init_params(len(vocab), cfg["hidden_size"], cfg["num_layers"], 0.1,
                              np.random.RandomState(0))
    checkpoint.save(str(w / "lstm.npz"), params, {
        "model_type": "lstm", "config_name": "test", "config": cfg, "epochs_done": 1,
        "seed": 0, "vocab": vocab, "tokenizer": "whitespace"})
    return w


@pytest.fixture
def tmp(w, tmp_path):
    """A copy of the module's inputs to change."""
    shutil.copytree(w, tmp_path / "w")
    return tmp_path / "w"


@pytest.fixture
def keep_floatx():
    """ptb-eval, ptb-lstm and ptb-rnnlm set the engine's floatX in this process: restore it.
    A module running them takes it for every test:
    ``pytestmark = pytest.mark.usefixtures("keep_floatx")``."""
    from rnnrepro import engine
    old = engine.floatx()
    yield
    engine.set_floatx(old)
