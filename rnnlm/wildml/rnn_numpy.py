"""``RNNNumpy``: the plain-numpy RNN language model of WildML RNN tutorial part 2.

Equations (tutorial part 2, "Building the RNN")::

    s_t = tanh(U x_t + W s_{t-1})        x_t one-hot, so U x_t is the column U[:, x_t]
    o_t = softmax(V s_t)
    L(y, o) = -1/N sum_n log o_n[y_n]     (calculate_loss; calculate_total_loss is the sum)

Shapes: U (hidden_dim, word_dim), V (word_dim, hidden_dim), W (hidden_dim, hidden_dim),
initialised uniformly in +-1/sqrt(n) (n = incoming connections), drawn in the order U, V, W
from the global numpy RNG (the tutorial seeds it with ``np.random.seed(10)``).

Truncation (``bptt_truncate = k``): for *each output* t the tutorial's ``bptt`` walks back over
the steps ``max(0, t-k) .. t``, i.e. k+1 steps per output. This is not what Theano's
``scan(truncate_gradient=k)`` does (see ``rnnlm.wildml.rnn_theano``); both agree only when no
output is truncated (k >= T-1 here, k >= T there, or k = -1 for RNNTheano). Pinned by
``tests/test_truncation.py``.

Licence of the original: Apache License 2.0 (rnn-tutorial-rnnlm, Denny Britz). See LICENSE.
"""
import operator

import numpy as np

from rnnlm.registry import register


def softmax(x):
    """The tutorial's ``utils.softmax`` (one vector, max-shifted)."""
    xt = np.exp(x - np.max(x))
    return xt / np.sum(xt)


def init_parameters(word_dim, hidden_dim):
    """U, V, W ~ uniform(+-1/sqrt(n)) drawn in the tutorial's order from the global RNG."""
    U = np.random.uniform(-np.sqrt(1. / word_dim), np.sqrt(1. / word_dim), (hidden_dim, word_dim))
    V = np.random.uniform(-np.sqrt(1. / hidden_dim), np.sqrt(1. / hidden_dim), (word_dim, hidden_dim))
    W = np.random.uniform(-np.sqrt(1. / hidden_dim), np.sqrt(1. / hidden_dim), (hidden_dim, hidden_dim))
    return U, V, W


class RNNNumpy:
    model_type = "rnn-numpy"

    def __init__(self, word_dim, hidden_dim=100, bptt_truncate=4):
        self.word_dim = word_dim
        self.hidden_dim = hidden_dim
        self.bptt_truncate = bptt_truncate
        self.U, self.V, self.W = init_parameters(word_dim, hidden_dim)

    # ------------------------------------------------------------------ forward
    def forward_propagation(self, x):
        """Returns ``[o, s]``; ``s`` has T+1 rows, the last one is the zero initial state.

        (The blog's version; one notebook revision allocates only T rows, so that ``bptt`` reads
        the *final* state as s_{-1} at t=0 and the W gradient check fails. Not reproduced.)
        """
        T = len(x)
        s = np.zeros((T + 1, self.hidden_dim))
        o = np.zeros((T, self.word_dim))
        for t in range(T):
            s[t] = np.tanh(self.U[:, x[t]] + self.W.dot(s[t - 1]))
            o[t] = softmax(self.V.dot(s[t]))
        return [o, s]

    def predict(self, x):
        o, _ = self.forward_propagation(x)
        return np.argmax(o, axis=1)

    def calculate_total_loss(self, x, y):
        L = 0.0
        for i in range(len(y)):
            o, _ = self.forward_propagation(x[i])
            correct_word_predictions = o[np.arange(len(y[i])), y[i]]
            L += -1 * np.sum(np.log(correct_word_predictions))
        return L

    def calculate_loss(self, x, y):
        """Mean cross-entropy per word (the tutorial divides by the number of words)."""
        N = np.sum([len(y_i) for y_i in y])
        return self.calculate_total_loss(x, y) / N

    # ------------------------------------------------------------------ backward
    def bptt(self, x, y):
        """Gradients ``[dLdU, dLdV, dLdW]`` of the total loss, tutorial part 2/3 BPTT.

        delta_o = o - onehot(y); dL/dV = sum_t delta_o[t] s_t^T; for each output t the error
        delta_t = V^T delta_o[t] * (1 - s_t^2) is walked back at most ``bptt_truncate`` steps.
        """
        T = len(y)
        o, s = self.forward_propagation(x)
        dLdU = np.zeros(self.U.shape)
        dLdW = np.zeros(self.W.shape)
        delta_o = o
        delta_o[np.arange(len(y)), y] -= 1.
        # the tutorial accumulates np.outer(delta_o[t], s[t]) per t: the same sum, one matmul
        dLdV = delta_o.T.dot(s[:T])
        for t in range(T)[::-1]:
            delta_t = self.V.T.dot(delta_o[t]) * (1 - (s[t] ** 2))
            for bptt_step in range(max(0, t - self.bptt_truncate), t + 1)[::-1]:
                dLdW += np.outer(delta_t, s[bptt_step - 1])
                dLdU[:, x[bptt_step]] += delta_t
                delta_t = self.W.T.dot(delta_t) * (1 - s[bptt_step - 1] ** 2)
        return [dLdU, dLdV, dLdW]

    def gradient_check(self, x, y, h=0.001, error_threshold=0.01, verbose=True):
        """Central differences vs ``bptt`` for every entry of U, V, W (tutorial part 2).

        Returns True when every relative error is below ``error_threshold``. (The tutorial's
        version reads the global ``model`` instead of ``self``; fixed here.)
        """
        bptt_gradients = self.bptt(x, y)
        for pidx, pname in enumerate(["U", "V", "W"]):
            parameter = operator.attrgetter(pname)(self)
            if verbose:
                print("Performing gradient check for parameter %s with size %d."
                      % (pname, np.prod(parameter.shape)))
            it = np.nditer(parameter, flags=["multi_index"], op_flags=["readwrite"])
            while not it.finished:
                ix = it.multi_index
                original_value = parameter[ix]
                parameter[ix] = original_value + h
                gradplus = self.calculate_total_loss([x], [y])
                parameter[ix] = original_value - h
                gradminus = self.calculate_total_loss([x], [y])
                estimated_gradient = (gradplus - gradminus) / (2 * h)
                parameter[ix] = original_value
                backprop_gradient = bptt_gradients[pidx][ix]
                denom = np.abs(backprop_gradient) + np.abs(estimated_gradient)
                relative_error = 0.0 if denom == 0 else np.abs(backprop_gradient - estimated_gradient) / denom
                if relative_error > error_threshold:
                    if verbose:
                        print("Gradient Check ERROR: parameter=%s ix=%s" % (pname, ix))
                        print("+h Loss: %f\n-h Loss: %f" % (gradplus, gradminus))
                        print("Estimated_gradient: %f\nBackpropagation gradient: %f"
                              % (estimated_gradient, backprop_gradient))
                        print("Relative Error: %f" % relative_error)
                    return False
                it.iternext()
            if verbose:
                print("Gradient check for parameter %s passed." % pname)
        return True

    def sgd_step(self, x, y, learning_rate):
        """One plain SGD step on one sentence (the tutorial's ``numpy_sdg_step``)."""
        dLdU, dLdV, dLdW = self.bptt(x, y)
        self.U -= learning_rate * dLdU
        self.V -= learning_rate * dLdV
        self.W -= learning_rate * dLdW

    # ------------------------------------------------------------------ io
    def get_parameters(self):
        return {"U": self.U, "V": self.V, "W": self.W}

    def set_parameters(self, arrays):
        for name in ("U", "V", "W"):
            setattr(self, name, np.array(arrays[name], dtype=np.float64))
        self.hidden_dim, self.word_dim = self.U.shape

    def config(self):
        return {"word_dim": self.word_dim, "hidden_dim": self.hidden_dim,
                "bptt_truncate": self.bptt_truncate}

    # scorer protocol helpers (see rnnlm.registry)
    def initial_state(self):
        return np.zeros(self.hidden_dim)

    def step(self, state, idx):
        s = np.tanh(self.U[:, idx] + self.W.dot(state))
        return softmax(self.V.dot(s)), s


class RecurrentScorer:
    """Adapts a model with ``initial_state()`` and ``step(state, idx) -> (probs, state)`` plus a
    vocabulary to the language-model-scorer protocol of ``rnnlm.registry``."""

    def __init__(self, model, index_to_word, begin_token, end_token, unknown_token):
        self.model = model
        self.vocab = list(index_to_word)
        self.word_to_index = {w: i for i, w in enumerate(self.vocab)}
        self.begin_token, self.end_token, self.unknown_token = begin_token, end_token, unknown_token

    def start(self):
        return self.model.initial_state()

    def advance(self, state, idx):
        probs, state = self.model.step(state, int(idx))
        return np.asarray(probs, dtype=np.float64), state


def scorer_from_state(model, state):
    from rnnlm.wildml.data import SENTENCE_END_TOKEN, SENTENCE_START_TOKEN, UNKNOWN_TOKEN
    vocab = state.get("index_to_word")
    if not vocab:
        raise ValueError("this checkpoint has no vocabulary (index_to_word); pass --vocab FILE")
    return RecurrentScorer(model, vocab, state.get("begin_token", SENTENCE_START_TOKEN),
                           state.get("end_token", SENTENCE_END_TOKEN),
                           state.get("unknown_token", UNKNOWN_TOKEN))


def tutorial_shapes(state):
    """U (H, V), V (V, H), W (H, H) for the vocabulary and hidden size of ``state``."""
    H, V = state["config"]["hidden_dim"], len(state["index_to_word"])
    return {"U": (H, V), "V": (V, H), "W": (H, H)}


def gru_shapes(state):
    """GRUTheano's ``E, U, W, V, b, c`` for ``state`` (here, not in gru_theano: ``rnnlm
    import-npz`` checks a GRU npz without importing the symbolic engine)."""
    H, V = state["config"]["hidden_dim"], len(state["index_to_word"])
    return {"E": (H, V), "U": (6, H, H), "W": (6, H, H), "V": (V, H), "b": (6, H), "c": (V,)}


@register("rnn-numpy", shapes=tutorial_shapes, state_keys=("config", "index_to_word"))
def _load(arrays, state):
    cfg = state.get("config", {})
    hidden_dim, word_dim = arrays["U"].shape
    model = RNNNumpy.__new__(RNNNumpy)
    model.bptt_truncate = cfg.get("bptt_truncate", 4)
    model.set_parameters(arrays)
    return scorer_from_state(model, state)
