"""The PTB LSTM's options for a fast device path, each equal to the reference path:
dropout masks drawn in the graph by a counter-based generator (``masks="counter"``) and the
window unrolled instead of ``scan`` (``unroll=True``). Tiny shapes, float64."""
import os

import numpy as np
import pytest

from helpers import float64, write_ptb_corpus
from rnnrepro import checkpoint

from rnnrepro import rng as crng
from rnnrepro.engine import NAME, T, function

# The options exist for PyTensor's JAX path (the GPU); aesara compiles only C and its three
# extra float64 models took minutes to build there. The generator itself is tested everywhere.
pytensor_only = pytest.mark.skipif(NAME != "pytensor", reason="the device-path options are "
                                   "PyTensor's (JAX); aesara runs the C linker only")

CFG = dict(init_scale=0.3, learning_rate=1.0, max_grad_norm=0.5, num_layers=2, num_steps=4,
           hidden_size=3, max_epoch=1, max_max_epoch=1, keep_prob=0.35, lr_decay=0.5,
           batch_size=2)
V = 10  # the vocabulary of helpers.write_ptb_corpus: the runs below reuse the compiled models


def _lstm(config_overrides=None, **flags):
    """``train_lstm`` of the test config with ``flags`` (fields of ``ptb_word_lm.Flags``)."""
    from rnnlm.ptb_lstm.ptb_word_lm import Flags, train_lstm
    return train_lstm(Flags("test", **flags), config_overrides)


@pytest.fixture(scope="module", autouse=True)
def in_float64():
    with float64():
        yield


def test_threefry_known_answers():
    """Random123's known-answer vectors for threefry2x32_20 (kat_vectors)."""
    z = np.zeros(1, np.uint32)
    f = np.full(1, 0xFFFFFFFF, np.uint32)
    pi = [np.full(1, v, np.uint32) for v in (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344)]
    with np.errstate(over="ignore"):
        assert [int(v[0]) for v in crng.threefry2x32(z[0], z[0], z, z)] == \
            [0x6B200159, 0x99BA4EFE]
        assert [int(v[0]) for v in crng.threefry2x32(f[0], f[0], f, f)] == \
            [0x1CB996FC, 0xBB002BE7]
        assert [int(v[0]) for v in crng.threefry2x32(pi[2][0], pi[3][0], pi[0], pi[1])] == \
            [0xC4923A9C, 0x483DF7A0]


def test_counter_uniform_compiled_equals_numpy():
    seed, win = T.scalar("seed", dtype="uint32"), T.scalar("win", dtype="uint32")
    n = T.scalar("n", dtype="int64")
    u = crng.counter_uniform(seed, 3, win, (n, 5, 7), symbolic=T, dtype="float64")
    f = function([seed, win, n], u)
    got = f(np.uint32(345), np.uint32(12), 4)
    ref = crng.counter_uniform(345, 3, 12, (4, 5, 7), dtype="float64")
    np.testing.assert_array_equal(got, ref)
    assert ref.min() >= 0 and ref.max() < 1 and 0.4 < ref.mean() < 0.6
    other = crng.counter_uniform(345, 3, 13, (4, 5, 7), dtype="float64")
    assert np.mean(other == ref) < 0.01  # the next window draws other numbers


@pytest.fixture(scope="module")
def models():
    from rnnlm.ptb_lstm import model as lstm
    ref = lstm.get_model(CFG, V, seed=4)
    return {"scan": ref, "counter": lstm.get_model(CFG, V, seed=4, masks="counter"),
            "unroll": lstm.get_model(CFG, V, seed=4, unroll=True)}


def _windows(n=3):
    rng = np.random.RandomState(1)
    return [(rng.randint(0, V, (2, 4)).astype(np.int32), rng.randint(0, V, (2, 4))
             .astype(np.int32)) for _ in range(n)]


def _train(model, args_of_window):
    c, h = model.zero_state(2)
    before = model.get_params()
    costs = []
    try:
        for w, (x, y) in enumerate(_windows()):
            cost, c, h, norm = model.train_step(x, y, c, h, 1.0, *args_of_window(w))
            costs.append((float(cost), float(norm)))
        return costs, model.get_params()
    finally:
        model.set_params(before)


@pytensor_only
def test_counter_masks_in_the_graph_equal_the_host_draw(models):
    """``masks="counter"`` draws in the graph exactly the masks ``counter_masks`` gives on the
    host: three windows train alike (clip active); seed, window and layer each change them."""
    ref, cm = models["scan"], models["counter"]
    masks = [ref.counter_masks(4, w, 2, 4) for w in range(3)]
    want = _train(ref, lambda w: masks[w])
    got = _train(cm, lambda w: cm.dropout_args(None, 2, 4, w))
    np.testing.assert_allclose(got[0], want[0], rtol=1e-13)
    assert max(n for _, n in want[0]) > CFG["max_grad_norm"]
    for k in want[1]:
        np.testing.assert_allclose(got[1][k], want[1][k], rtol=1e-12, atol=1e-15, err_msg=k)
    m = masks[0]
    assert all(set(np.unique(a)) <= {0.0, 1 / 0.35} for a in m)
    assert not np.array_equal(m[0], m[1])  # layers differ
    assert not np.array_equal(m[0], masks[1][0])  # windows differ
    assert not np.array_equal(m[0], ref.counter_masks(5, 0, 2, 4)[0])  # seeds differ


@pytensor_only
def test_unrolled_window_equals_scan(models):
    ref, un = models["scan"], models["unroll"]
    draw = lambda w: ref.dropout_masks(np.random.RandomState(w), 2, 4)
    want, got = _train(ref, draw), _train(un, draw)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    for k in want[1]:
        np.testing.assert_allclose(got[1][k], want[1][k], rtol=1e-11, atol=1e-14, err_msg=k)
    x, y = _windows(1)[0]
    c, h = ref.zero_state(2)
    np.testing.assert_allclose(un.evaluate(x, y, c, h)[0], ref.evaluate(x, y, c, h)[0],
                               rtol=1e-13)


@pytensor_only
def test_counter_masks_number_the_windows_across_epochs_and_resume_bit_for_bit(
        models, tmp_path, monkeypatch):
    """A ``--dropout-masks counter`` run asks for the masks of windows 0, 1, 2, ... across
    epochs (never the same window twice: masks of epoch 2 are not epoch 1's again), and a run
    cut into short jobs ends where the uninterrupted one does."""
    from rnnlm.ptb_lstm import model as lstm
    corpus = write_ptb_corpus(tmp_path, {"train": 30, "valid": 10, "test": 10})
    kw = dict(data_dir=corpus, seed=4, quiet=True, config_overrides=dict(CFG, max_max_epoch=2),
              max_epochs=2, evaluate_test=False, masks="counter")
    seen = []
    real = lstm.PTBLSTM.dropout_args

    def spy(self, rng, batch_size, num_steps, window):
        seen.append(window)
        return real(self, rng, batch_size, num_steps, window)
    monkeypatch.setattr(lstm.PTBLSTM, "dropout_args", spy)
    _lstm(out=str(tmp_path / "full"), **kw)
    monkeypatch.setattr(lstm.PTBLSTM, "dropout_args", real)
    assert seen[0] == 0 and seen == list(range(len(seen))) and len(seen) >= 8
    cut = str(tmp_path / "cut")
    s = _lstm(out=cut, checkpoint_every=3, time_limit=1e-9, **kw)
    while s["stopped"]:
        s = _lstm(out=cut, checkpoint_every=3, time_limit=1e-9, resume=True, **kw)
    a, _ = checkpoint.load(str(tmp_path / "full" / "checkpoint.npz"))
    b, state = checkpoint.load(os.path.join(cut, "checkpoint.npz"))
    assert state["identity"]["masks"] == "counter"
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
