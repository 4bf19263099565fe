"""Elman, Jordan, hybrid and bidirectional graphs: gradients against finite differences, the
probabilities and updates against the equations written out in numpy, the fused update."""
import numpy as np
import pytest

from rnnrepro import engine
from rnnslu.model import BiElman, BiJordan, Hybrid, Jordan, RNNSLU

from helpers import central_differences

NE, NC, DE, CS, NH = 6, 4, 3, 3, 5
X = np.array([0, 3, 5, 2], dtype="int32")
Y = np.array([1, 0, 3, 2], dtype="int32")


@pytest.fixture(scope="module", params=[RNNSLU, Jordan, Hybrid, BiJordan, BiElman],
                ids=["elman", "jordan", "hybrid", "bi-jordan", "bi-elman"])
def model(request):
    old = engine.floatx()
    engine.set_floatx("float64")
    m = request.param(nh=NH, nc=NC, ne=NE, de=DE, cs=CS, seed=3)
    # non-zero biases and initial state so their gradients are exercised too
    rng = np.random.RandomState(1)
    m.set_params({k: v + 0.1 * rng.randn(*v.shape) for k, v in m.get_params().items()})
    yield m
    engine.set_floatx(old)


TUTORIAL = ("elman", "jordan")


def _shared_code(model, what):
    """The models beyond the tutorials share ``what`` with Elman and Jordan (checked there);
    skipped for them to keep the suite's compilation time down."""
    if model.kind not in TUTORIAL:
        pytest.skip(f"{what}: the same code as Elman's and Jordan's, checked there")


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
    if model.bidirectional:   # the NLL of word 1 of a window reaching two words past it
        _check_grads(model, "word_cost_grads", (w, 1, int(Y[1])))
    else:
        _check_grads(model, "word_cost_grads", (w[:3], int(Y[2])))


def test_costs_are_the_equations(model):
    """The compiled sentence and word NLLs against the models' equations in numpy (``_np_probs``:
    a hybrid missing one feedback, or a bidirectional model combining the wrong states, differ)."""
    w = model.windows(X)
    p = model.get_params()
    cost = model._compile("sentence_cost_grads")(w, Y)[0]
    assert cost == pytest.approx(_np_sentence_nll(p, model.kind, w, Y), rel=1e-12)
    if model.bidirectional:
        got = model._compile("word_cost_grads")(w, 1, int(Y[1]))[0]
        assert got == pytest.approx(-np.log(_np_probs(p, model.kind, w)[1, Y[1]]), rel=1e-12)


def test_padding_row_is_explicit(model):
    _shared_code(model, "the windows")
    w = model.windows(X)
    assert w[0, 0] == NE and w[-1, -1] == NE and model.emb.get_value().shape == (NE + 1, DE)
    # the tutorial's -1 (numpy indexing) selects the same row
    raw = np.asarray([[-1, 0, 3], [0, 3, 5], [3, 5, 2], [5, 2, -1]], dtype="int32")
    assert (model.classify(raw) == model.classify(w)).all()


def _sig(a):
    return 1 / (1 + np.exp(-a))


def _np_softmax(z):
    s = np.exp(z - z.max())
    return s / s.sum()


def _np_run(p, x, sfx=""):
    """One recurrence over the rows of ``x`` in numpy, its feedback read off which parameters
    exist: Elman h_{t-1} Wh, Jordan s_{t-1} Ws, the hybrid both; (hidden states, outputs)."""
    h, s, hs, ss = p.get("h0" + sfx), p.get("s0" + sfx), [], []
    for xt in x:
        a = xt @ p["wx" + sfx] + p["bh" + sfx]
        if "wh" + sfx in p:
            a = a + h @ p["wh" + sfx]
        if "ws" + sfx in p:
            a = a + s @ p["ws" + sfx]
        h = _sig(a)
        if "w" + sfx in p:
            s = _np_softmax(h @ p["w" + sfx] + p["b" + sfx])
        hs.append(h)
        ss.append(s)
    return hs, ss


def _np_probs(p, kind, idxs, aligned=False):
    """The models' equations written out in numpy: (n, nc) output distributions. Forward
    models: the tutorials' step function. Bidirectional: a forward and a backward recurrence
    (its own parameters ``_f``/``_b``), combined as sigmoid(x_t Wx + f_{t-1} Wf + g_{t+1} Wb
    + bh) with h0_f / h0_b past the sentence ends (``aligned``: f_t and g_t)."""
    x = p["embeddings"][idxs].reshape(len(idxs), DE * CS)
    if not kind.startswith("bi-"):
        return np.array(_np_run(p, x)[1])
    n, f = len(x), _np_run(p, x, "_f")[0]
    g = _np_run(p, x[::-1], "_b")[0][::-1]
    out = []
    for t in range(n):
        ft = f[t] if aligned else f[t - 1] if t > 0 else p["h0_f"]
        gt = g[t] if aligned else g[t + 1] if t + 1 < n else p["h0_b"]
        h = _sig(x[t] @ p["wx"] + ft @ p["wf"] + gt @ p["wb"] + p["bh"])
        out.append(_np_softmax(h @ p["w"] + p["b"]))
    return np.array(out)


def _np_sentence_nll(p, kind, idxs, y):
    probs = _np_probs(p, kind, idxs)
    return -np.mean(np.log(probs[np.arange(len(y)), y]))


def _np_word_nll(p, kind, idxs, label, pos=-1):
    return -np.log(_np_probs(p, kind, idxs)[pos, label])


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
    _shared_code(model, "SGD + normalise (its costs: test_costs_are_the_equations)")
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
    the NLL of the last word, then normalise. A bidirectional model's window also reaches
    ``bs - 1`` words past i (clipped to the sentence), its NLL at word i's row."""
    if model.kind == "hybrid":
        _shared_code(model, "the forward models' window loop")
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
        n = len(sents[i])
        for t in range(n):
            lo = max(0, t - bs + 1)
            hi = min(n, t + bs) if model.bidirectional else t + 1
            batch, label, pos = win[lo:hi], int(labels[i][t]), t - lo
            costs.append(_np_word_nll(p, model.kind, batch, label, pos))
            p = _np_sgd_normalize(p, lambda q: _np_word_nll(q, model.kind, batch, label, pos), lr)
    assert mean_cost == pytest.approx(np.mean(costs), rel=1e-9)
    for k in start:
        np.testing.assert_allclose(got[k], p[k], rtol=0, atol=1e-7, err_msg=k)


def _later_and_earlier_words_move(probs, windows):
    """How much word 3's output distribution moves when word 6 (later) or word 0 (earlier)
    changes: both lie outside the context windows (cs 3) of words 2-4, so they reach word 3
    only through the recurrences, not through a neighbour's window."""
    sent = np.array([0, 3, 5, 2, 1, 4, 0, 2], dtype="int32")
    base = probs(windows(sent))[3]
    later, earlier = sent.copy(), sent.copy()
    later[6], earlier[0] = 4, 4
    return tuple(np.abs(probs(windows(s))[3] - base).max() for s in (later, earlier))


def test_only_a_bidirectional_model_reads_later_words(model):
    """A word's output distribution changes when a later word changes (one outside its context
    window) in a bidirectional model, never in a forward one; an earlier word changes it in
    both. (The backward pass run forwards, or a missing one, reads no later word.)"""
    later, earlier = _later_and_earlier_words_move(model._compile("probabilities"), model.windows)
    # float64, and a word the graph does not read leaves it bit for bit the same: any
    # dependence shows (Jordan's, through the small softmax feedback, is ~1e-8)
    assert earlier > 1e-12
    if model.bidirectional:
        assert later > 1e-12
    else:
        assert later == 0.0


@pytest.mark.parametrize("cls", [BiElman, BiJordan])
def test_bidirectional_aligned_combination(cls):
    """``combine='aligned'``: the forward and backward states at t itself (the option), against
    the numpy equations; later words still reach the word; and it trains: every parameter
    is read (a bi-jordan that kept h0, read only by the shifted combination, failed to
    compile its gradient in every trainer)."""
    old = engine.floatx()
    engine.set_floatx("float64")
    try:
        m = cls(nh=NH, nc=NC, ne=NE, de=DE, cs=CS, seed=5, combine="aligned")
        p = m.get_params()
        w = m.windows(X)
        probs = m._compile("probabilities")
        np.testing.assert_allclose(probs(w), _np_probs(p, m.kind, w, aligned=True), rtol=1e-12)
        zero = {k: np.zeros(NH) for k in ("h0_f", "h0_b")}               # as initialised
        assert np.abs(probs(w) - _np_probs({**zero, **p}, m.kind, w)).max() > 1e-6  # not shifted
        later, earlier = _later_and_earlier_words_move(probs, m.windows)
        assert later > 1e-12 and earlier > 1e-12
        _check_grads(m, "sentence_cost_grads", (w, Y), n=2)
        _check_grads(m, "word_cost_grads", (w, 1, int(Y[1])), n=2)
    finally:
        engine.set_floatx(old)
