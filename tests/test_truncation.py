"""Every truncated-BPTT window pinned to the original's length, against a reference that knows
nothing of the implementation: central differences of the loss with the hidden state *before*
the window held fixed. A window one step longer or shorter gives other gradients (checked
here first, so each test can tell the three apart), and then fails.

- WildML ``RNNNumpy.bptt`` (``bptt_truncate = k``): each output t goes back k+1 steps
  (``range(max(0, t - k), t + 1)``): the states s_{t-k}..s_t are trained, s_{t-k-1} is fixed.
- ``RNNTheano``/``GRUTheano`` (``scan(truncate_gradient=k)``, the tutorials' graphs with the
  softmax inside the scan): the last k steps of the sentence only; the outputs before T-k
  contribute nothing, not even to V (and c).
- The toolkit (``-bptt b -bptt-block n``): every n words the errors of those n words go back
  ``b + n - 2`` steps from the newest word (learnNet's ``step < bptt+bptt_block-2``).
"""
import numpy as np
import pytest

from helpers import float64, toy_class_rnn

EPS = 1e-6


def _fd(f, params):
    """Central differences of f at every entry of the arrays in ``params`` (changed in place
    and restored)."""
    out = {}
    for name, v in params.items():
        g = np.zeros_like(v)
        for i in np.ndindex(v.shape):
            old = v[i]
            v[i] = old + EPS
            up = f()
            v[i] = old - EPS
            g[i] = (up - f()) / (2 * EPS)
            v[i] = old
        out[name] = g
    return out


def _discriminates(ref, window, names, atol):
    """The reference for ``window`` differs from those one step shorter and longer."""
    for other in (window - 1, window + 1):
        r = ref(other)
        assert any(np.abs(r[n] - ref(window)[n]).max() > 100 * atol for n in names), other


# ----------------------------------------------------------------------------- WildML RNN
X = [0, 3, 5, 7, 2, 9, 11, 4, 6]
Y = [3, 5, 7, 2, 9, 11, 4, 6, 1]
C, H = 12, 4


def _rnn_params(seed=3):
    rng = np.random.RandomState(seed)  # large enough weights that distant steps matter
    return {"U": rng.uniform(-1, 1, (H, C)), "V": rng.uniform(-1, 1, (C, H)),
            "W": rng.uniform(-1, 1, (H, H))}


def _states(p, x, s0, start, stop):
    """s_start .. s_{stop-1} from s_{start-1} = s0 (tanh RNN)."""
    s, out = s0, {}
    for t in range(start, stop):
        s = np.tanh(p["U"][:, x[t]] + p["W"].dot(s))
        out[t] = s
    return out


def _nll(p, s, y):
    z = p["V"].dot(s)
    return -(z[y] - z.max() - np.log(np.exp(z - z.max()).sum()))


def _frozen_before(p, base_states, start):
    return base_states[start - 1] if start > 0 else np.zeros(H)


def numpy_reference(p, k):
    """d/dp of sum_t L_t, each L_t through s_{t-k}..s_t only (s_{t-k-1} fixed)."""
    base = _states(p, X, np.zeros(H), 0, len(X))
    q = {n: v.copy() for n, v in p.items()}

    def loss():
        total = 0.0
        for t in range(len(X)):
            start = max(0, t - k)
            s = _states(q, X, _frozen_before(p, base, start), start, t + 1)[t]
            total += _nll(q, s, Y[t])
        return total
    return _fd(loss, q)


def scan_reference(p, k, early_outputs_train_v=False):
    """``truncate_gradient=k``: sum_{t >= T-k} L_t through s_{T-k}..s_t (s_{T-k-1} fixed)."""
    T_ = len(X)
    base = _states(p, X, np.zeros(H), 0, T_)
    q = {n: v.copy() for n, v in p.items()}
    start = max(0, T_ - k)

    def loss():
        s = _states(q, X, _frozen_before(p, base, start), start, T_)
        total = sum(_nll(q, s[t], Y[t]) for t in range(start, T_))
        if early_outputs_train_v:  # their V term only (the states stay the base ones)
            total += sum(_nll(q, base[t], Y[t]) for t in range(start))
        return total
    return _fd(loss, q)


@pytest.mark.parametrize("k", [2, 3])
def test_rnn_numpy_bptt_truncate_window(k):
    from rnnlm.wildml.rnn_numpy import RNNNumpy
    p = _rnn_params()
    _discriminates(lambda w: numpy_reference(p, w), k, ("U", "W"), 1e-7)
    m = RNNNumpy(C, H, bptt_truncate=k)
    m.U, m.V, m.W = (p[n].copy() for n in ("U", "V", "W"))
    dU, dV, dW = m.bptt(X, Y)
    ref = numpy_reference(p, k)
    for name, g in (("U", dU), ("V", dV), ("W", dW)):
        np.testing.assert_allclose(g, ref[name], rtol=0, atol=1e-7, err_msg=name)


def _theano_with(p, k, **kw):
    from rnnlm.wildml.rnn_theano import RNNTheano
    with float64():
        m = RNNTheano(C, H, bptt_truncate=k, **kw)
        for n in ("U", "V", "W"):
            getattr(m, n).set_value(p[n].copy())
    return m


@pytest.mark.parametrize("k", [2, 4])
def test_rnn_theano_truncate_gradient_window(k):
    p = _rnn_params()
    _discriminates(lambda w: scan_reference(p, w), k, ("U", "W", "V"), 1e-7)
    ref = scan_reference(p, k)
    for name, g in zip(("U", "V", "W"), _theano_with(p, k).bptt(X, Y)):
        np.testing.assert_allclose(g, ref[name], rtol=0, atol=1e-7, err_msg=name)
    # --per-output-dv: U and W as the tutorial's graph, V from every output
    ref_dv = scan_reference(p, k, early_outputs_train_v=True)
    for name, g in zip(("U", "V", "W"), _theano_with(p, k, faithful_truncation=False).bptt(X, Y)):
        np.testing.assert_allclose(g, ref_dv[name], rtol=0, atol=1e-7, err_msg=name)


# ----------------------------------------------------------------------------- WildML GRU
GC, GH = 8, 3
GX = [0, 3, 5, 7, 2, 6, 1]
GY = [3, 5, 7, 2, 6, 1, 4]


def _gru_states(p, x, s0, start, stop):
    """(s1, s2) of the two GRU layers for steps start..stop-1 from s0 = (s1, s2)_{start-1}
    (the numpy step the scorer uses, ``gru_numpy_step``)."""
    from rnnlm.wildml.gru_theano import gru_numpy_step
    state, out = s0, {}
    for t in range(start, stop):
        _, state = gru_numpy_step(p, state, x[t])
        out[t] = state
    return out


def gru_reference(p, k):
    """The tutorial's GRU graph (softmax inside the scan) with ``truncate_gradient=k``."""
    T_ = len(GX)
    base = _gru_states(p, GX, (np.zeros(GH), np.zeros(GH)), 0, T_)
    q = {n: v.copy() for n, v in p.items()}
    start = max(0, T_ - k)
    s0 = base[start - 1] if start > 0 else (np.zeros(GH), np.zeros(GH))

    def loss():
        s = _gru_states(q, GX, s0, start, T_)
        total = 0.0
        for t in range(start, T_):
            z = q["V"].dot(s[t][1]) + q["c"]
            total -= z[GY[t]] - z.max() - np.log(np.exp(z - z.max()).sum())
        return total
    return _fd(loss, q)


def test_gru_truncate_gradient_window():
    from rnnlm.wildml.gru_theano import GRUTheano
    rng = np.random.RandomState(5)
    p = {"E": rng.uniform(-1, 1, (GH, GC)), "U": rng.uniform(-1, 1, (6, GH, GH)),
         "W": rng.uniform(-1, 1, (6, GH, GH)), "V": rng.uniform(-1, 1, (GC, GH)),
         "b": rng.uniform(-0.5, 0.5, (6, GH)), "c": rng.uniform(-0.5, 0.5, GC)}
    k = 3
    _discriminates(lambda w: gru_reference(p, w), k, ("E", "W", "V"), 1e-7)
    with float64():
        m = GRUTheano(GC, hidden_dim=GH, bptt_truncate=k)
        for n, v in p.items():
            getattr(m, n).set_value(v.copy())
        grads = m.bptt(GX, GY)
    ref = gru_reference(p, k)
    for name, g in zip(("E", "U", "W", "V", "b", "c"), grads):
        np.testing.assert_allclose(g, ref[name], rtol=0, atol=1e-7, err_msg=name)


# ----------------------------------------------------------------------------- toolkit
TK = dict(gradient_cutoff=1e9, beta=0.0, fast_exp=False, seed=3)
STREAM = np.array([3, 7, 8, 5, 11, 2, 4, 9, 1, 6, 10, 3])  # 12 words: blocks end at 4, 8, 12


def toolkit_reference(m0, words, block, steps):
    """d ln P / d(U, W) of the toolkit's blocks: every ``block`` words, the log-probability of
    the block's words through the last ``steps`` hidden states only (the state before them
    fixed at its value in the untrained run). Output weights fixed (alpha -> 0)."""
    hs = [np.zeros(m0.hidden)]  # h_0: the flushed state as BPTT's buffer sees it (zeros)
    last = 0
    for w in words:
        hs.append(m0.hidden_step(hs[-1], last))
        last = int(w)
    q = {"U": m0.U, "W": m0.W}

    def logp():
        total = 0.0
        for c in range(block, len(words) + 1, block):  # the block ending at word c (1-based)
            first = max(1, c - steps + 1)
            h = hs[first - 1]
            for t in range(first, c + 1):
                h = m0.hidden_step(h, int(words[t - 2]) if t >= 2 else 0)
                if t > c - block:
                    w = int(words[t - 1])
                    cl = m0.word_class[w]
                    pw = m0.word_probs(h, cl, ())
                    total += np.log(m0.class_probs(h, ())[cl] * pw[w - m0.cstart[cl]])
        return total
    return _fd(logp, q)


def _toolkit_model(bptt, block):
    m = toy_class_rnn(bptt=bptt, bptt_block=block, **TK)
    m.flush_value = 0.0
    m.U *= 6  # weights large enough that the oldest steps of a window matter
    m.W *= 6
    return m


@pytest.mark.parametrize("bptt, block", [(2, 4), (3, 4), (3, 3)])
def test_toolkit_bptt_and_block_window(bptt, block):
    steps = bptt + block - 2
    stream = STREAM[:len(STREAM) // block * block]
    m0 = _toolkit_model(bptt, block)
    _discriminates(lambda s: toolkit_reference(m0, stream, block, s), steps, ("U", "W"), 1e-6)
    for other in (block - 1, block + 1):  # the block length matters as well
        r = toolkit_reference(m0, stream, other, steps)
        assert np.abs(r["W"] - toolkit_reference(m0, stream, block, steps)["W"]).max() > 1e-4
    ref = toolkit_reference(m0, stream, block, steps)
    m = _toolkit_model(bptt, block)
    base = {k: getattr(m, k).copy() for k in ("U", "W")}
    alpha = 1e-8
    m.train_epoch(stream, alpha)
    for k in ("U", "W"):
        np.testing.assert_allclose((getattr(m, k) - base[k]) / alpha, ref[k], rtol=0, atol=1e-6,
                                   err_msg=k)
