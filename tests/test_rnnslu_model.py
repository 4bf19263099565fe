"""Elman and Jordan graphs: gradients against finite differences, the fused update."""
import numpy as np
import pytest

from rnnrepro import engine
from rnnslu.model import Jordan, RNNSLU

NE, NC, DE, CS, NH = 6, 4, 3, 3, 5
X = np.array([0, 3, 5, 2], dtype="int32")
Y = np.array([1, 0, 3, 2], dtype="int32")


@pytest.fixture(scope="module", params=[RNNSLU, Jordan], ids=["elman", "jordan"])
def model(request):
    old = engine.floatx()
    engine.set_floatx("float64")
    m = request.param(nh=NH, nc=NC, ne=NE, de=DE, cs=CS, seed=3)
    # non-zero biases and initial state so their gradients are exercised too
    rng = np.random.RandomState(1)
    m.set_params({k: v + 0.1 * rng.randn(*v.shape) for k, v in m.get_params().items()})
    yield m
    engine.set_floatx(old)


def _check_grads(m, fname, args, eps=1e-6, n=6):
    f = m._compile(fname)
    cost, *grads = f(*args)
    rng = np.random.RandomState(0)
    for p, g in zip(m.params, grads):
        v = p.get_value()
        for flat in rng.choice(v.size, size=min(n, v.size), replace=False):
            i = np.unravel_index(flat, v.shape)
            w = v.copy(); w[i] += eps; p.set_value(w); up = f(*args)[0]
            w[i] -= 2 * eps; p.set_value(w); down = f(*args)[0]
            p.set_value(v)
            num = (up - down) / (2 * eps)
            assert abs(num - g[i]) <= 1e-6 + 1e-5 * abs(num), (p.name, i, num, g[i])
    return cost


def test_sentence_gradient_matches_finite_differences(model):
    cost = _check_grads(model, "sentence_cost_grads", (model.windows(X), Y))
    assert np.isfinite(cost) and cost > 0


def test_word_gradient_matches_finite_differences(model):
    w = model.windows(X)
    _check_grads(model, "word_cost_grads", (w[:3], int(Y[2])))


def test_padding_row_is_explicit(model):
    w = model.windows(X)
    assert w[0, 0] == NE and w[-1, -1] == NE and model.emb.get_value().shape == (NE + 1, DE)
    # the tutorial's -1 (numpy indexing) selects the same row
    raw = np.asarray([[-1, 0, 3], [0, 3, 5], [3, 5, 2], [5, 2, -1]], dtype="int32")
    assert (model.classify(raw) == model.classify(w)).all()


def test_fused_update_equals_train_then_normalize(model):
    start = model.get_params()
    w = model.windows(X)
    model.sentence_train(w, Y, 0.1)
    model.normalize()
    two_calls = model.get_params()
    model.set_params(start)
    model._compile("sentence_train_normalize")(w, Y, 0.1)
    fused = model.get_params()
    model.set_params(start)
    for k in start:
        np.testing.assert_allclose(fused[k], two_calls[k], rtol=1e-12, atol=1e-14)
    assert np.allclose(np.linalg.norm(fused["embeddings"], axis=1), 1.0)
