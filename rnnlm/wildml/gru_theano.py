"""``GRUTheano``: the two-layer GRU language model of WildML RNN tutorial part 4.

Per step (tutorial part 4, "GRU" and "Adding a second GRU layer"), with x_e = E[:, x_t]::

    z1 = hard_sigmoid(U[0] x_e + W[0] s1_prev + b[0])
    r1 = hard_sigmoid(U[1] x_e + W[1] s1_prev + b[1])
    c1 = tanh(U[2] x_e + W[2] (s1_prev * r1) + b[2])
    s1 = (1 - z1) * c1 + z1 * s1_prev
    (layer 2: the same with U[3..5], W[3..5], b[3..5] and input s1)
    o_t = softmax(V s2 + c)

E (hidden_dim, word_dim); U, W (6, hidden_dim, hidden_dim); b (6, hidden_dim); V (word_dim,
hidden_dim); c (word_dim). Trained with RMSProp (decay 0.9, eps 1e-6 inside the sqrt) and full
BPTT (bptt_truncate=-1). As in ``RNNTheano``, the embedding lookup, the layer-1 input
projections and the output softmax are computed for all steps outside the scan.

Licence of the original: rnn-tutorial-gru-lstm states no licence (part 2's rnn-tutorial-rnnlm is Apache License 2.0). See LICENSE.
"""
import numpy as np

from rnnrepro.engine import T, asfloat, config, grad, hard_sigmoid, log_softmax, scan, shared
from rnnlm.registry import register
from rnnlm.wildml.rnn_numpy import gru_shapes
from rnnlm.wildml.rnn_theano import LazyFunctions, _zero_grad, column_lookup


def init_gru_parameters(word_dim, hidden_dim):
    """E, U, W, V ~ uniform(+-1/sqrt(n)) in the tutorial's order; b, c zeros."""
    E = np.random.uniform(-np.sqrt(1. / word_dim), np.sqrt(1. / word_dim), (hidden_dim, word_dim))
    U = np.random.uniform(-np.sqrt(1. / hidden_dim), np.sqrt(1. / hidden_dim), (6, hidden_dim, hidden_dim))
    W = np.random.uniform(-np.sqrt(1. / hidden_dim), np.sqrt(1. / hidden_dim), (6, hidden_dim, hidden_dim))
    V = np.random.uniform(-np.sqrt(1. / hidden_dim), np.sqrt(1. / hidden_dim), (word_dim, hidden_dim))
    b = np.zeros((6, hidden_dim))
    c = np.zeros(word_dim)
    return dict(E=E, U=U, W=W, V=V, b=b, c=c)


PARAMS = ("E", "U", "W", "V", "b", "c")


class GRUTheano(LazyFunctions):
    model_type = "gru-theano"

    def __init__(self, word_dim, hidden_dim=128, bptt_truncate=-1):
        self.word_dim = word_dim
        self.hidden_dim = hidden_dim
        self.bptt_truncate = bptt_truncate
        p = init_gru_parameters(word_dim, hidden_dim)
        for name in PARAMS:
            setattr(self, name, shared(name=name, value=asfloat(p[name])))
            # RMSProp caches mE, mU, ... start at zero
            setattr(self, "m" + name, shared(name="m" + name, value=asfloat(np.zeros_like(p[name]))))
        self.__theano_build__()

    def __theano_build__(self):
        E, U, W, V, b, c = (getattr(self, n) for n in PARAMS)
        x = T.ivector("x")
        y = T.ivector("y")
        x_e = column_lookup(E, x)  # (T, H) embedding lookup E[:, x_t] for all steps
        # layer-1 input projections for all steps: U[i] x_e + b[i], i = 0, 1, 2
        in1 = [x_e.dot(U[i].T) + b[i] for i in range(3)]

        def forward_prop_step(a_z, a_r, a_c, s_t1_prev, s_t2_prev, U, W, b):
            z_t1 = hard_sigmoid(a_z + W[0].dot(s_t1_prev))
            r_t1 = hard_sigmoid(a_r + W[1].dot(s_t1_prev))
            c_t1 = T.tanh(a_c + W[2].dot(s_t1_prev * r_t1))
            s_t1 = (T.ones_like(z_t1) - z_t1) * c_t1 + z_t1 * s_t1_prev
            z_t2 = hard_sigmoid(U[3].dot(s_t1) + W[3].dot(s_t2_prev) + b[3])
            r_t2 = hard_sigmoid(U[4].dot(s_t1) + W[4].dot(s_t2_prev) + b[4])
            c_t2 = T.tanh(U[5].dot(s_t1) + W[5].dot(s_t2_prev * r_t2) + b[5])
            s_t2 = (T.ones_like(z_t2) - z_t2) * c_t2 + z_t2 * s_t2_prev
            return [s_t1, s_t2]

        zeros = T.zeros((self.hidden_dim,), dtype=config.floatX)
        k = -1 if self.bptt_truncate is None or self.bptt_truncate < 0 else int(self.bptt_truncate)
        [s, s2], _ = scan(forward_prop_step, sequences=in1, outputs_info=[zeros, zeros],
                          non_sequences=[U, W, b], truncate_gradient=k, strict=True)
        logits = s2.dot(V.T) + c
        logp = log_softmax(logits, axis=-1)
        o = T.exp(logp)
        prediction = T.argmax(logp, axis=1)
        if k > 0:
            # the tutorial's graph has the softmax inside the truncated scan: the outputs before
            # step T-k contribute nothing to any gradient, V and c included (as RNNTheano's
            # faithful_truncation); the same cost
            n = x.shape[0]
            late = T.ge(T.arange(n), n - k)
            logp = log_softmax(T.switch(late.dimshuffle(0, "x"), logits, _zero_grad(logits)),
                               axis=-1)
        cost = -T.sum(logp[T.arange(y.shape[0]), y])

        params = [E, U, W, V, b, c]
        grads = grad(cost, params)
        self._define("predict", [x], o)
        self._define("forward_propagation", [x], o)  # alias of predict (part-2 name)
        self._define("predict_class", [x], prediction)
        self._define("ce_error", [x, y], cost)
        self._define("bptt", [x, y], grads)

        learning_rate = T.scalar("learning_rate", dtype=config.floatX)
        decay = T.scalar("decay", dtype=config.floatX)
        updates = []
        for p, g in zip(params, grads):
            m_old = getattr(self, "m" + p.name)
            m_new = decay * m_old + (1 - decay) * g ** 2
            updates += [(p, p - learning_rate * g / T.sqrt(m_new + 1e-6)), (m_old, m_new)]
        self._define("_rmsprop_step", [x, y, learning_rate, decay], [], updates=updates)

    def sgd_step(self, x, y, learning_rate, decay=0.9):
        """One RMSProp step (the tutorial's ``sgd_step``, decay defaults to 0.9)."""
        return self._rmsprop_step(x, y, learning_rate, decay)

    def calculate_total_loss(self, X, Y):
        return float(np.sum([self.ce_error(x, y) for x, y in zip(X, Y)]))

    def calculate_loss(self, X, Y):
        num_words = np.sum([len(y) for y in Y])
        return self.calculate_total_loss(X, Y) / float(num_words)

    # ------------------------------------------------------------------ io
    def get_parameters(self, with_cache=False):
        out = {n: getattr(self, n).get_value() for n in PARAMS}
        if with_cache:
            out.update({"m" + n: getattr(self, "m" + n).get_value() for n in PARAMS})
        return out

    def set_parameters(self, arrays):
        for n in PARAMS:
            getattr(self, n).set_value(asfloat(arrays[n]))
            if "m" + n in arrays:
                getattr(self, "m" + n).set_value(asfloat(arrays["m" + n]))

    def config(self):
        return {"word_dim": self.word_dim, "hidden_dim": self.hidden_dim,
                "bptt_truncate": self.bptt_truncate}

    # scorer protocol: one step in numpy (same arithmetic as the graph)
    def initial_state(self):
        return (np.zeros(self.hidden_dim), np.zeros(self.hidden_dim))

    def step(self, state, idx):
        return gru_numpy_step(self._np_params(), state, idx)

    def _np_params(self):
        return {n: np.asarray(v, dtype=np.float64) for n, v in self.get_parameters().items()}


def _hs(v):
    return np.clip(0.2 * v + 0.5, 0.0, 1.0)


def gru_numpy_step(p, state, idx):
    """One GRU step and output distribution in numpy (for scoring and sampling)."""
    E, U, W, V, b, c = (p[n] for n in PARAMS)
    s1p, s2p = state
    x_e = E[:, idx]
    z1 = _hs(U[0].dot(x_e) + W[0].dot(s1p) + b[0])
    r1 = _hs(U[1].dot(x_e) + W[1].dot(s1p) + b[1])
    c1 = np.tanh(U[2].dot(x_e) + W[2].dot(s1p * r1) + b[2])
    s1 = (1 - z1) * c1 + z1 * s1p
    z2 = _hs(U[3].dot(s1) + W[3].dot(s2p) + b[3])
    r2 = _hs(U[4].dot(s1) + W[4].dot(s2p) + b[4])
    c2 = np.tanh(U[5].dot(s1) + W[5].dot(s2p * r2) + b[5])
    s2 = (1 - z2) * c2 + z2 * s2p
    logits = V.dot(s2) + c
    e = np.exp(logits - logits.max())
    return e / e.sum(), (s1, s2)


class _NumpyGRU:
    def __init__(self, arrays):
        self.p = {n: np.asarray(arrays[n], dtype=np.float64) for n in PARAMS}
        self.hidden_dim = self.p["E"].shape[0]

    def initial_state(self):
        return (np.zeros(self.hidden_dim), np.zeros(self.hidden_dim))

    def step(self, state, idx):
        return gru_numpy_step(self.p, state, idx)


@register("gru-theano", shapes=gru_shapes, state_keys=("config", "index_to_word"))
def _load(arrays, state):
    from rnnlm.wildml.rnn_numpy import scorer_from_state
    return scorer_from_state(_NumpyGRU(arrays), state)
