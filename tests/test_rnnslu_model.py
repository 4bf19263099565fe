"""Elman and Jordan graphs: gradients against finite differences, the fused update."""
import numpy as np
import pytest

from rnnrepro import engine
from rnnslu.model import Jordan, RNNSLU

from helpers import central_differences

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


def _np_probs(p, kind, idxs):
    """The tutorials' step function written out in numpy: (n, nc) output distributions."""
    sig = lambda a: 1 / (1 + np.exp(-a))
    x = p["embeddings"][idxs].reshape(len(idxs), DE * CS)
    prev = p["h0"] if kind == "elman" else p["s0"]
    out = []
    for t in range(len(idxs)):
        rec = prev @ (p["wh"] if kind == "elman" else p["ws"])
        h = sig(x[t] @ p["wx"] + rec + p["bh"])
        z = h @ p["w"] + p["b"]
        s = np.exp(z - z.max())
        s /= s.sum()
        out.append(s)
        prev = h if kind == "elman" else s
    return np.array(out)


def _np_sentence_nll(p, kind, idxs, y):
    probs = _np_probs(p, kind, idxs)
    return -np.mean(np.log(probs[np.arange(len(y)), y]))


def _np_word_nll(p, kind, idxs, label):
    return -np.log(_np_probs(p, kind, idxs)[-1, label])


def _np_sgd_normalize(p, cost, lr, eps=1e-6):
    """p - lr * (central-difference gradient of cost), then every embedding row (the padding
    row too) scaled to unit length: the tutorials' train + normalize."""
    grads = central_differences(cost, p, eps)
    new = {k: v - lr * grads[k] for k, v in p.items()}
    e = new["embeddings"]
    new["embeddings"] = e / np.sqrt((e ** 2).sum(axis=1))[:, None]
    return new


def _np_windows(sentence):
    pad = [NE] * (CS // 2)
    padded = pad + list(sentence) + pad
    return np.array([padded[i:i + CS] for i in range(len(sentence))], dtype="int32")


def test_fused_update_is_sgd_then_normalize(model):
    """The fused call against lr * finite-difference gradient and a literal renormalisation
    (a wrong learning-rate scale or sign, or a missed row, changes the result)."""
    start = model.get_params()
    w = _np_windows(X)
    np.testing.assert_array_equal(model.windows(X), w)
    lr = 0.3
    try:
        cost = model._compile("sentence_train_normalize")(w, Y, lr)
        fused = model.get_params()
    finally:
        model.set_params(start)
    assert cost == pytest.approx(_np_sentence_nll(start, model.kind, w, Y), rel=1e-12)
    expect = _np_sgd_normalize(start, lambda p: _np_sentence_nll(p, model.kind, w, Y), lr)
    for k in start:
        np.testing.assert_allclose(fused[k], expect[k], rtol=0, atol=1e-8, err_msg=k)
    assert np.abs(fused["wx"] - start["wx"]).max() > 1e-4  # a step big enough to see


def test_is13_word_epoch_is_a_literal_loop(model):
    """One is13 epoch (``train_epoch``, regime 'word') on three sentences, against the loop of
    elman-forward.py written out: for each sentence in the given order, for each word i, the
    last ``bs`` context windows up to i (``minibatch``), the label of word i, one SGD step on
    the NLL of the last word, then normalise."""
    from rnnslu.train import train_epoch
    sents = [np.array([0, 3, 5, 2], dtype="int32"), np.array([4, 1], dtype="int32"),
             np.array([2, 2, 5, 0, 1], dtype="int32")]
    labels = [np.array([1, 0, 3, 2], dtype="int32"), np.array([0, 2], dtype="int32"),
              np.array([3, 3, 1, 0, 2], dtype="int32")]
    order, bs, lr = [2, 0, 1], 3, 0.2
    start = model.get_params()
    try:
        s = dict(regime="word", bs=bs, verbose=0)
        mean_cost = train_epoch(model, s, [model.windows(x) for x in sents], labels, order, lr,
                                "test")
        got = model.get_params()
    finally:
        model.set_params(start)
    p, costs = start, []
    for i in order:
        win = _np_windows(sents[i])
        for t in range(len(sents[i])):
            batch, label = win[max(0, t - bs + 1):t + 1], int(labels[i][t])
            costs.append(_np_word_nll(p, model.kind, batch, label))
            p = _np_sgd_normalize(p, lambda q: _np_word_nll(q, model.kind, batch, label), lr)
    assert mean_cost == pytest.approx(np.mean(costs), rel=1e-9)
    for k in start:
        np.testing.assert_allclose(got[k], p[k], rtol=0, atol=1e-7, err_msg=k)
