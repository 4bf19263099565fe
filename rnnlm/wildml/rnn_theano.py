"""``RNNTheano``: the WildML part-2 RNN language model as a symbolic (aesara/PyTensor) graph.

Same model as ``RNNNumpy`` (s_t = tanh(U[:, x_t] + W s_{t-1}), o_t = softmax(V s_t)), with
gradients from the engine. The graph keeps inside ``scan`` only what recurs:

* the input is one-hot, so ``U x_t`` is the column lookup ``U[:, x_t]``, done for all steps at
  once before the scan (and the SGD update of U touches only the looked-up columns);
* the output ``softmax(V s_t)`` is computed for all steps at once after the scan, one
  (T x H) x (H x C) matrix product instead of T matrix-vector products inside the loop.

Truncated BPTT (``bptt_truncate = k``, -1 = full): Theano's ``scan(truncate_gradient=k)``
runs the backward pass over the *last k steps of the sequence only*. In the tutorial's graph
the softmax sat inside the scan, so outputs before step T-k contributed nothing to any gradient,
not even to dV. ``faithful_truncation=True`` (default) reproduces exactly that: the outputs
before T-k are cut out of the gradient. ``faithful_truncation=False`` keeps their dV term (the
numpy tutorial's ``bptt`` does, and it truncates per output instead: each output goes back k+1
steps). The three agree whenever nothing is truncated (k = -1, or k >= T; numpy: k >= T-1).

Linkers: C (default) and Numba. There is no JAX graph for ``RNNTheano`` or ``GRUTheano``
(``--linker jax`` is refused in one line, ``rnnrepro.engine.UNSUPPORTED``). One call takes one
sentence of its own length, and PyTensor's JAX backend needs static shapes: with symbolic
lengths tracing fails (``truncate_gradient``'s slice of the last k steps: "Array slice indices
must have static start/stop/step"; full BPTT: "Shapes must be 1D sequences of concrete
values", PyTensor 3.3.7 / JAX 0.12). Static shapes would mean one compiled function per
sentence length (tens of lengths, seconds each), or length buckets with a mask. Buckets can
keep the arithmetic only with the padding *in front* (held at a zero state), so that
"the last k steps" stay the sentence's own; that is a different graph from the tutorial's,
left undone here.

Licence of the original: Apache License 2.0 (rnn-tutorial-rnnlm, Denny Britz). See LICENSE.
"""
import warnings

import numpy as np

from rnnrepro.engine import T, asfloat, config, function, grad, log_softmax, scan, shared, th
from rnnlm.registry import register
from rnnlm.wildml.rnn_numpy import RNNNumpy, init_parameters, scorer_from_state, tutorial_shapes


def _zero_grad(x):
    return th.gradient.zero_grad(x)


def column_lookup(M, idx):
    """``M[:, idx]`` for an int vector ``idx``, returned as rows ``(len(idx), M.shape[0])``.

    Written as ``M[arange(rows)[:, None], idx[None, :]]`` on purpose: aesara rewrites the plain
    ``M[:, idx].T`` into a row gather on the transposed (non-contiguous) matrix, whose C code
    copies the whole matrix first (for every lookup, however few columns); the gradient
    and ``inc_subtensor`` of this form scatter only into the looked-up columns.
    """
    rows = T.arange(M.shape[0]).dimshuffle(0, "x")
    return M[rows, idx.dimshuffle("x", 0)].T


def column_update(M, idx, delta_rows):
    """``M`` with ``delta_rows`` (len(idx), M.shape[0]) added to the columns ``idx``
    (repeated indices accumulate, as in a dense ``M + dM``)."""
    rows = T.arange(M.shape[0]).dimshuffle(0, "x")
    return T.inc_subtensor(M[rows, idx.dimshuffle("x", 0)], delta_rows.T)


class LazyFunctions:
    """Compile each graph function on first use (``self.sgd_step`` etc. stay plain attributes
    for the caller). Building a model only builds the graph; unused functions cost nothing."""

    def _define(self, name, inputs, outputs, updates=None):
        self.__dict__.setdefault("_graphs", {})[name] = (inputs, outputs, updates)

    def __getattr__(self, name):
        graphs = self.__dict__.get("_graphs", {})
        if name not in graphs:
            raise AttributeError(name)
        inputs, outputs, updates = graphs[name]
        fn = function(inputs, outputs, updates=updates or [], allow_input_downcast=True,
                      model=self.model_type)
        setattr(self, name, fn)
        return fn

    def compile_training(self):
        """Compile now what training calls (``ce_error`` and the SGD step), so that a trainer
        can do it visibly, before its epochs and outside their times."""
        graphs = self.__dict__.get("_graphs", {})
        for name in ("ce_error", "sgd_step", "_rmsprop_step"):
            if name in graphs:
                getattr(self, name)


class RNNTheano(LazyFunctions):
    model_type = "rnn-theano"

    def __init__(self, word_dim, hidden_dim=100, bptt_truncate=4, faithful_truncation=True):
        self.word_dim = word_dim
        self.hidden_dim = hidden_dim
        self.bptt_truncate = bptt_truncate
        self.faithful_truncation = faithful_truncation
        U, V, W = init_parameters(word_dim, hidden_dim)
        self.U = shared(name="U", value=asfloat(U))
        self.V = shared(name="V", value=asfloat(V))
        self.W = shared(name="W", value=asfloat(W))
        self._batch_fn = None
        self.__theano_build__()

    def _truncate(self):
        k = self.bptt_truncate
        return -1 if k is None or k < 0 else int(k)

    def __theano_build__(self):
        U, V, W = self.U, self.V, self.W
        x = T.ivector("x")
        y = T.ivector("y")
        k = self._truncate()

        Ux = column_lookup(U, x)  # (T, H): the columns U[:, x_t], outside the recurrence

        def forward_prop_step(ux_t, s_t_prev, W):
            return T.tanh(ux_t + W.dot(s_t_prev))

        s, _ = scan(forward_prop_step, sequences=Ux,
                    outputs_info=T.zeros((self.hidden_dim,), dtype=config.floatX),
                    non_sequences=[W], truncate_gradient=k, strict=True)
        logits = s.dot(V.T)  # (T, C)
        n = x.shape[0]
        logits_g = logits
        if k > 0 and self.faithful_truncation:
            # tutorial graph: outputs before step T-k lie outside the truncated backward scan
            late = T.ge(T.arange(n), n - k)
            logits_g = T.switch(late.dimshuffle(0, "x"), logits, _zero_grad(logits))
        o = T.exp(log_softmax(logits, axis=-1))
        o_error = -T.sum(log_softmax(logits_g, axis=-1)[T.arange(y.shape[0]), y])
        prediction = T.argmax(logits, axis=1)

        dU, dV, dW = grad(o_error, [U, V, W])
        dUx = grad(o_error, Ux)

        self._define("forward_propagation", [x], o)
        self._define("predict", [x], prediction)
        self._define("ce_error", [x, y], o_error)
        self._define("bptt", [x, y], [dU, dV, dW])

        learning_rate = T.scalar("learning_rate", dtype=config.floatX)
        # U - lr * dU, written as a sparse update of the looked-up columns (same numbers)
        new_U = column_update(U, x, -learning_rate * dUx)
        self._define("sgd_step", [x, y, learning_rate], [],
                     updates=[(U, new_U), (V, V - learning_rate * dV), (W, W - learning_rate * dW)])

    # ------------------------------------------------------------------ loss
    def calculate_total_loss(self, X, Y):
        return float(np.sum([self.ce_error(x, y) for x, y in zip(X, Y)]))

    def calculate_loss(self, X, Y):
        num_words = np.sum([len(y) for y in Y])
        return self.calculate_total_loss(X, Y) / float(num_words)

    # ------------------------------------------------------------------ mini-batch (opt-in)
    def _build_batch(self):
        U, V, W = self.U, self.V, self.W
        X = T.imatrix("X")  # (B, Tmax), padded
        Y = T.imatrix("Y")
        M = T.matrix("mask", dtype=config.floatX)  # 1 for real words, 0 for padding
        Ux = column_lookup(U, X.T.flatten()).reshape((X.shape[1], X.shape[0], self.hidden_dim))

        def step(ux_t, s_prev, W):
            return T.tanh(ux_t + s_prev.dot(W.T))

        s0 = T.zeros((X.shape[0], self.hidden_dim), dtype=config.floatX)
        s, _ = scan(step, sequences=Ux, outputs_info=s0, non_sequences=[W],
                    truncate_gradient=self._truncate(), strict=True)
        s2 = s.reshape((s.shape[0] * s.shape[1], self.hidden_dim))
        lp = log_softmax(s2.dot(V.T), axis=-1)
        yt = Y.T.flatten()
        cost = -T.sum(lp[T.arange(yt.shape[0]), yt] * M.T.flatten())
        dU, dV, dW = grad(cost, [U, V, W])
        lr = T.scalar("learning_rate", dtype=config.floatX)
        return function([X, Y, M, lr], cost, model=self.model_type,
                        updates=[(U, U - lr * dU), (V, V - lr * dV), (W, W - lr * dW)],
                        allow_input_downcast=True)

    def sgd_step_batch(self, X, Y, learning_rate):
        """One step on the *summed* gradient of several sentences (opt-in, not the tutorial).

        Differences from per-sentence SGD: all sentences of the batch see the same parameters
        (one update instead of len(X)); the step is the sum, not the mean, so it is about
        len(X) times larger; padding is masked out of the loss, and with ``bptt_truncate`` the
        truncation window is counted from the end of the *padded* batch.
        """
        if self._batch_fn is None:
            self._batch_fn = self._build_batch()
        B, Tm = len(X), max(len(x) for x in X)
        Xp = np.zeros((B, Tm), dtype=np.int32)
        Yp = np.zeros((B, Tm), dtype=np.int32)
        Mp = np.zeros((B, Tm), dtype=config.floatX)
        for i, (x, y) in enumerate(zip(X, Y)):
            Xp[i, :len(x)] = x
            Yp[i, :len(y)] = y
            Mp[i, :len(y)] = 1
        return self._batch_fn(Xp, Yp, Mp, learning_rate)

    # ------------------------------------------------------------------ io
    def get_parameters(self):
        return {"U": self.U.get_value(), "V": self.V.get_value(), "W": self.W.get_value()}

    def set_parameters(self, arrays):
        for name in ("U", "V", "W"):
            getattr(self, name).set_value(asfloat(arrays[name]))

    def config(self):
        return {"word_dim": self.word_dim, "hidden_dim": self.hidden_dim,
                "bptt_truncate": self.bptt_truncate,
                "faithful_truncation": self.faithful_truncation}


def gradient_check_theano(model, x, y, h=0.001, error_threshold=0.01, verbose=True):
    """The tutorial's ``gradient_check_theano``: central differences vs ``model.bptt``.

    (The tutorial sets ``model.bptt_truncate = 1000`` first, which has no effect on an already
    compiled graph; build the model with ``bptt_truncate=-1`` to check full gradients.)
    """
    bptt_gradients = model.bptt(x, y)
    for pidx, pname in enumerate(["U", "V", "W"]):
        parameter_T = getattr(model, pname)
        parameter = parameter_T.get_value()
        it = np.nditer(parameter, flags=["multi_index"], op_flags=["readwrite"])
        while not it.finished:
            ix = it.multi_index
            original_value = parameter[ix]
            parameter[ix] = original_value + h
            parameter_T.set_value(parameter)
            gradplus = model.calculate_total_loss([x], [y])
            parameter[ix] = original_value - h
            parameter_T.set_value(parameter)
            gradminus = model.calculate_total_loss([x], [y])
            estimated_gradient = (gradplus - gradminus) / (2 * h)
            parameter[ix] = original_value
            parameter_T.set_value(parameter)
            backprop_gradient = bptt_gradients[pidx][ix]
            denom = np.abs(backprop_gradient) + np.abs(estimated_gradient)
            rel = 0.0 if denom == 0 else np.abs(backprop_gradient - estimated_gradient) / denom
            if rel > error_threshold:
                if verbose:
                    print("Gradient Check ERROR: parameter=%s ix=%s relative error %f" % (pname, ix, rel))
                return False
            it.iternext()
        if verbose:
            print("Gradient check for parameter %s passed." % pname)
    return True


def load_model_parameters_theano(path, model=None, bptt_truncate=4):
    """Read the tutorial's npz (U, V, W); the hidden size comes from the file.

    The original needed ``RNNTheano(8000, hidden_dim=50)`` built by hand before loading (a
    model built with the default 80 or 100 fails on the shipped 50-unit file). Returns a new
    ``RNNTheano`` unless ``model`` is given, in which case its shapes must match.
    """
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in ("U", "V", "W")}
    hidden_dim, word_dim = arrays["U"].shape
    if model is None:
        model = RNNTheano(word_dim, hidden_dim=hidden_dim, bptt_truncate=bptt_truncate)
    elif model.U.get_value().shape != arrays["U"].shape:
        raise ValueError(f"{path}: U is {arrays['U'].shape} but the model has "
                         f"{model.U.get_value().shape}; build it with hidden_dim={hidden_dim}, "
                         f"word_dim={word_dim}")
    model.set_parameters(arrays)
    print("Loaded model parameters from %s (hidden_dim=%d word_dim=%d)." % (path, hidden_dim, word_dim))
    return model


def save_model_parameters_theano(outfile, model):
    """The tutorial's plain npz layout (U, V, W), readable by the original code."""
    np.savez(outfile, **model.get_parameters())


@register("rnn-theano", shapes=tutorial_shapes, state_keys=("config", "index_to_word"))
def _load(arrays, state):
    # scoring/sampling needs one step at a time: use the numpy step (same arithmetic, no compile)
    model = RNNNumpy.__new__(RNNNumpy)
    model.bptt_truncate = state.get("config", {}).get("bptt_truncate", 4)
    model.set_parameters(arrays)
    return scorer_from_state(model, state)


def tutorial_graph(model, with_sgd=True):
    """The tutorial's own ``RNNTheano`` graph on ``model``'s shared variables, for reference:
    U[:, x_t] and softmax(V s_t) inside the scan, dense updates. Returns a dict of compiled
    functions ``ce_error``, ``bptt`` and (``with_sgd``) ``sgd_step``. Used by the tests (the
    fast graph must give the same loss and gradients) and by ``scripts/bench_rnnlm.py``.
    """
    from rnnrepro.engine import softmax
    U, V, W = model.U, model.V, model.W
    x = T.ivector("x")
    y = T.ivector("y")

    def forward_prop_step(x_t, s_t_prev, U, V, W):
        s_t = T.tanh(U[:, x_t] + W.dot(s_t_prev))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Softmax no longer converts a vector to a row"
            o_t = softmax(V.dot(s_t), axis=-1)
        return [o_t, s_t]

    [o, s], _ = scan(forward_prop_step, sequences=x,
                     outputs_info=[None, dict(initial=T.zeros((model.hidden_dim,), dtype=config.floatX))],
                     non_sequences=[U, V, W], truncate_gradient=model._truncate(), strict=True)
    o_error = -T.sum(T.log(o[T.arange(y.shape[0]), y]))  # = sum categorical_crossentropy(o, y)
    dU, dV, dW = grad(o_error, [U, V, W])
    kind = {"model": model.model_type}
    out = {"ce_error": function([x, y], o_error, **kind),
           "bptt": function([x, y], [dU, dV, dW], **kind)}
    if with_sgd:
        lr = T.scalar("learning_rate", dtype=config.floatX)
        out["sgd_step"] = function([x, y, lr], [], updates=[(U, U - lr * dU), (V, V - lr * dV),
                                                            (W, W - lr * dW)],
                                   allow_input_downcast=True, **kind)
    return out
