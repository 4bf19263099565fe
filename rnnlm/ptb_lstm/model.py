"""Zaremba et al. (2014) LSTM language model, as in the TensorFlow PTB tutorial (ptb_word_lm.py).

Graph (per window of ``num_steps`` words, ``batch_size`` rows, state carried across windows)::

    x_t = E[w_t]                          (embedding, dropout keep_prob when training)
    [i, j, f, o] = [x_t, h_{t-1}] W + b   (BasicLSTMCell: one kernel, gates in this order)
    c_t = c_{t-1} * sigmoid(f + forget_bias) + sigmoid(i) * tanh(j)
    h_t = tanh(c_t) * sigmoid(o)          (dropout keep_prob on every layer's output)
    p(w_{t+1}) = softmax(h_t softmax_w + softmax_b)

cost = sum over steps of the batch-averaged cross entropy (``sequence_loss`` with
``average_across_timesteps=False, average_across_batch=True`` then ``reduce_sum``); plain SGD
on ``tf.clip_by_global_norm(grads, max_grad_norm)``; every variable ``uniform(-init_scale,
init_scale)`` except the LSTM biases, which BasicLSTMCell creates as zeros. The tutorial passes
``forget_bias=0.0`` (BasicLSTMCell's own default is 1.0); so do we.

Only the recurrence is inside ``scan`` (one scan per layer); embedding lookups, each layer's
input projection, the softmax and the loss run for all steps at once (BLAS-3).

Licence of the original: Apache License 2.0 (The TensorFlow Authors). See LICENSE.
"""
import numpy as np

from rnnrepro.engine import T, asfloat, config, function, grad, linker, scan, shared, sigmoid, \
    softmax, tensor, th

from rnnrepro.rng import counter_uniform
from rnnlm.registry import register

# The tutorial's configurations and published numbers live in rnnlm.ptb_lstm.configs (no engine
# import there, so the command line can list them before --engine is applied).
from rnnlm.ptb_lstm.configs import CONFIGS, PUBLISHED, PUBLISHED_SOURCE  # noqa: E402,F401

FORGET_BIAS = 0.0


def softmax_nll(logits, targets):
    """-log softmax(logits)[n, targets[n]], computed stably as TF's
    ``sparse_softmax_cross_entropy_with_logits`` is: ``logsumexp(logits) - logits[n, target]``
    with the row maximum subtracted inside the exponential.

    An earlier form, ``-log(softmax(logits)[n, target])``, is the same function but turns a
    target probability that underflows float32 (a logit gap over about 87) into an infinite
    cost and NaN gradients: the large config's first epoch reached that within 11 windows
    (the cost spikes early at lr 1.0), where TF's fused op gives a large finite cost that the
    global-norm clip absorbs. On the CPU (C and Numba) no slowdown against the old form is
    measurable: results/bench-ptb-loss-forms.
    """
    m = th.gradient.disconnected_grad(T.max(logits, axis=-1, keepdims=True))
    lse = m[:, 0] + T.log(T.sum(T.exp(logits - m), axis=-1))
    return lse - logits[T.arange(targets.shape[0]), targets]


def learning_rate(config_, epoch):
    """``lr * lr_decay ** max(epoch + 1 - max_epoch, 0)`` for 0-based ``epoch``."""
    return config_["learning_rate"] * config_["lr_decay"] ** max(epoch + 1 - config_["max_epoch"],
                                                                  0.0)


def init_params(vocab_size, hidden_size, num_layers, init_scale, rng):
    """uniform(+-init_scale) for every variable; BasicLSTMCell biases start at zero."""
    u = lambda *shape: rng.uniform(-init_scale, init_scale, size=shape)
    H = hidden_size
    params = {"embedding": u(vocab_size, H)}
    for layer in range(num_layers):
        params[f"kernel_{layer}"] = u(2 * H, 4 * H)  # rows: [inputs; h]
        params[f"bias_{layer}"] = np.zeros(4 * H)
    params["softmax_w"] = u(H, vocab_size)
    params["softmax_b"] = u(vocab_size)
    return {k: asfloat(v) for k, v in params.items()}


def lstm_step_numpy(x_proj, c, h, W_h, forget_bias=FORGET_BIAS):
    """One BasicLSTMCell step in numpy (for the scorer)."""
    z = x_proj + h @ W_h
    i, j, f, o = np.split(z, 4, axis=-1)
    sig = lambda a: 1.0 / (1.0 + np.exp(-a))
    c = c * sig(f + forget_bias) + sig(i) * np.tanh(j)
    h = np.tanh(c) * sig(o)
    return c, h


class PTBLSTM:
    """The tutorial's ``PTBModel``: compiled training and evaluation functions.

    ``train_step(x, y, c0, h0, lr[, masks]) -> (cost, c, h)`` with ``c0``/``h0`` of shape
    (num_layers, batch, hidden); ``evaluate(x, y, c0, h0) -> (cost, c, h)`` (no dropout, any
    window length; cost = sum over steps of the batch mean).
    """

    def __init__(self, config_, vocab_size, params=None, seed=0, compile_train=True,
                 masks="numpy", unroll=False):
        if masks not in MASK_SOURCES:
            raise ValueError(f"masks={masks!r}: one of {', '.join(MASK_SOURCES)}")
        self.config = dict(config_)
        self.masks, self.unroll, self.mask_seed = masks, bool(unroll), seed
        self.vocab_size = vocab_size
        c = self.config
        self.num_layers, self.hidden_size = c["num_layers"], c["hidden_size"]
        if params is None:
            params = init_params(vocab_size, c["hidden_size"], c["num_layers"], c["init_scale"],
                                 np.random.RandomState(seed))
        self.params = {k: shared(asfloat(v), name=k) for k, v in params.items()}
        self.use_dropout = c["keep_prob"] < 1.0
        self._build(compile_train)

    @property
    def static_shapes(self):
        """Whether the functions are compiled per window shape (JAX traces static shapes; an
        unrolled window needs its number of steps)."""
        return self.linker == "jax" or self.unroll

    def param_names(self):
        return list(self.params)

    def get_params(self):
        """numpy copies (under JAX the shared values live on the device as JAX arrays)."""
        return {k: np.array(v.get_value()) for k, v in self.params.items()}

    def set_params(self, arrays):
        for k, v in self.params.items():
            v.set_value(asfloat(arrays[k]))

    # -- graph -----------------------------------------------------------------------------
    def _layer(self, inp, layer, c0, h0, n_steps=None):
        """One LSTM layer over all steps: ``inp`` (T, B, H) -> outputs (T, B, H), last c, h.

        ``scan`` over the steps, or (``unroll``, ``n_steps`` known) the steps written out one
        after another as TF's own graph does (``ptb_word_lm.py`` loops over ``num_steps`` in
        Python): the same step, the same arithmetic, no loop for the compiler to run."""
        H = self.hidden_size
        W = self.params[f"kernel_{layer}"]
        b = self.params[f"bias_{layer}"]
        W_x, W_h = W[:H], W[H:]
        x_proj = T.dot(inp, W_x) + b  # all steps at once, outside scan

        def step(xp, c_prev, h_prev, W_h_):
            z = xp + T.dot(h_prev, W_h_)
            i, j, f, o = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
            c_new = c_prev * sigmoid(f + FORGET_BIAS) + sigmoid(i) * T.tanh(j)
            h_new = T.tanh(c_new) * sigmoid(o)
            return c_new, h_new

        if self.unroll and n_steps is not None:
            c, h, outs = c0, h0, []
            for t in range(n_steps):
                c, h = step(x_proj[t], c, h, W_h)
                outs.append(h)
            return T.stack(outs), c, h
        (cs, hs), _ = scan(step, sequences=[x_proj], outputs_info=[c0, h0],
                           non_sequences=[W_h], strict=True)
        return hs, cs[-1], hs[-1]

    def _forward(self, x, y, c0, h0, masks, n_steps=None):
        """Returns cost (sum over steps of batch-mean NLL), final states, gathered embeddings."""
        emb = self.params["embedding"][x.T]  # (T, B, H): time-major
        inp = emb * masks[0] if masks is not None else emb
        cs, hs = [], []
        for layer in range(self.num_layers):
            out, c_last, h_last = self._layer(inp, layer, c0[layer], h0[layer], n_steps)
            inp = out * masks[layer + 1] if masks is not None else out
            cs.append(c_last)
            hs.append(h_last)
        n_steps, batch = inp.shape[0], inp.shape[1]
        flat = inp.reshape((n_steps * batch, self.hidden_size))
        logits = T.dot(flat, self.params["softmax_w"]) + self.params["softmax_b"]
        targets = y.T.flatten()
        nll = softmax_nll(logits, targets)
        cost = nll.sum() / T.cast(batch, config.floatX)
        return cost, T.stack(cs), T.stack(hs), emb

    def _build(self, compile_train):
        self._compile_train = compile_train
        self._fns = {}
        self.linker = linker("ptb-lstm")
        if not self.static_shapes:  # C / Numba: shapes stay symbolic, one function each
            self._fns[None] = self._compile(None)

    def _compile(self, shape):
        """(evaluate, train_step) for windows of ``shape`` = (batch, steps), or any shape
        (None). JAX needs static shapes: there the inputs are typed with them and one pair is
        compiled per window shape met (the training windows, a last partial window, the
        batch-1 test stream)."""
        B, N = shape or (None, None)
        L, H = self.num_layers, self.hidden_size
        x, y = (tensor(n, "int32", (B, N)) for n in ("x", "y"))
        c0, h0 = (tensor(n, config.floatX, (L, B, H)) for n in ("c0", "h0"))
        cost, c_n, h_n, _ = self._forward(x, y, c0, h0, None, N)
        evaluate = function([x, y, c0, h0], [cost, c_n, h_n], linker_name=self.linker)
        if not self._compile_train:
            return evaluate, None
        lr = T.scalar("lr")
        mask_inputs, masks = self._mask_graph(x)
        cost, c_n, h_n, emb = self._forward(x, y, c0, h0, masks, N)
        dense = [k for k in self.params if k != "embedding"]
        grads = grad(cost, [self.params[k] for k in dense] + [emb])
        g_dense, g_emb = grads[:-1], grads[-1]
        # tf.clip_by_global_norm: the embedding gradient is an IndexedSlices whose norm is
        # taken over the gathered rows *before* duplicates are summed (a TF detail kept here).
        global_norm = T.sqrt(sum(T.sum(g ** 2) for g in grads))
        clip = T.cast(self.config["max_grad_norm"], config.floatX)
        scale = clip / T.maximum(global_norm, clip)
        updates = [(self.params[k], self.params[k] - lr * scale * g) for k, g in zip(dense, g_dense)]
        E = self.params["embedding"]
        updates.append((E, T.inc_subtensor(E[x.T.flatten()],
                                           -lr * scale * g_emb.reshape((-1, self.hidden_size)))))
        inputs = [x, y, c0, h0, lr] + mask_inputs
        train_step = function(inputs, [cost, c_n, h_n, global_norm], updates=updates,
                              linker_name=self.linker)
        if self.linker == "jax":
            # Skip PyTensor's input filtering, which turns the carried c/h (JAX arrays on the
            # device) into numpy: a device-to-host copy and a wait every window. The dtypes are
            # ensured by evaluate/train_step instead (_typed).
            evaluate.trust_input = train_step.trust_input = True
        return evaluate, train_step

    def _mask_graph(self, x):
        """(the train step's dropout inputs, the masks (N, B, H) per layer + 1, or None).

        ``numpy``: the masks are inputs drawn on the host (``dropout_masks``). ``counter``:
        the inputs are the seed and the window number and the graph draws the masks itself
        (``counter_masks``, the same numbers on every linker and device: no host draw and no
        copy per window on a GPU)."""
        if not self.use_dropout:
            return [], None
        L, H = self.num_layers, self.hidden_size
        B, N = x.type.shape
        if self.masks == "numpy":
            masks = [tensor(f"mask{i}", config.floatX, (N, B, H)) for i in range(L + 1)]
            return masks, masks
        seed, window = tensor("mask_seed", "uint32", ()), tensor("mask_window", "uint32", ())
        shape = (x.shape[1], x.shape[0], H)
        keep, scale = _keep_and_scale(self.config["keep_prob"])
        masks = [T.cast(counter_uniform(seed, layer, window, shape, symbolic=T,
                                        dtype=config.floatX) < T.constant(keep), config.floatX)
                 * T.constant(scale) for layer in range(L + 1)]
        return [seed, window], masks

    def loss_and_gradients(self, x, y, c0, h0, *masks):
        """[cost, d cost / d param for each of ``param_names()``] (dense gradients, with the
        dropout ``masks`` if the config has dropout); for tests across linkers."""
        key = tuple(np.shape(x)) if self.static_shapes else None
        fn = self._fns.get(("grads", key))
        if fn is None:
            B, N = key or (None, None)
            L, H = self.num_layers, self.hidden_size
            xv, yv = (tensor(n, "int32", (B, N)) for n in ("x", "y"))
            cv, hv = (tensor(n, config.floatX, (L, B, H)) for n in ("c0", "h0"))
            mv = [tensor(f"mask{i}", config.floatX, (N, B, H))
                  for i in range(L + 1)] if self.use_dropout else None
            cost = self._forward(xv, yv, cv, hv, mv, N)[0]
            fn = self._fns["grads", key] = function(
                [xv, yv, cv, hv] + (mv or []),
                [cost] + grad(cost, [self.params[k] for k in self.params]),
                linker_name=self.linker)
        return fn(x, y, c0, h0, *masks)

    def _functions(self, x):
        key = tuple(np.shape(x)) if self.static_shapes else None
        fns = self._fns.get(key)
        if fns is None:
            fns = self._fns[key] = self._compile(key)
        return fns

    def compile_for(self, batch_size, num_steps):
        """Compile now, not at the first call, the functions for this window shape. Numba and
        JAX compile at the first call: they get one call on zeros, parameters restored."""
        evaluate, train_step = self._functions(np.zeros((batch_size, num_steps)))
        if self.linker == "c":
            return
        x = np.zeros((batch_size, num_steps), dtype=np.int32)
        c, h = self.zero_state(batch_size)
        evaluate(x, x, c, h)
        if train_step is not None:
            saved = self.get_params()
            train_step(x, x, c, h, asfloat(0.0),
                       *self.dropout_args(np.random.RandomState(0), batch_size, num_steps, 0))
            self.set_params(saved)

    def evaluate(self, x, y, c0, h0):
        if self.linker == "jax":
            x, y, c0, h0 = _typed((x, "int32"), (y, "int32"), (c0, None), (h0, None))
        return self._functions(x)[0](x, y, c0, h0)

    def train_step(self, x, y, c0, h0, lr, *masks):
        fn = self._functions(x)[1]
        if fn is None:
            raise RuntimeError("this PTBLSTM was built with compile_train=False")
        args = (x, y, c0, h0, lr) + tuple(masks)
        if self.linker == "jax":  # trust_input: nothing else checks or casts the inputs
            kinds = [None] * len(masks) if self.masks == "numpy" else ["uint32"] * len(masks)
            args = _typed((x, "int32"), (y, "int32"), (c0, None), (h0, None), (lr, None),
                          *zip(masks, kinds))
        return fn(*args)

    def zero_state(self, batch_size):
        z = np.zeros((self.num_layers, batch_size, self.hidden_size), dtype=config.floatX)
        return z, z.copy()

    def dropout_masks(self, rng, batch_size, num_steps):
        """DropoutWrapper / tf.nn.dropout masks (kept units scaled by 1/keep_prob), new ones at
        every step, drawn in numpy so that a resumed run replays them exactly."""
        keep = self.config["keep_prob"]
        shape = (num_steps, batch_size, self.hidden_size)
        return [asfloat((rng.uniform(size=shape) < keep) / keep)
                for _ in range(self.num_layers + 1)]

    def counter_masks(self, seed, window, batch_size, num_steps):
        """On the host, the masks a ``masks="counter"`` graph draws for window ``window``: layer
        ``l``'s mask has key (seed, l), counter (window, element) (``rnnrepro.rng``)."""
        keep, scale = _keep_and_scale(self.config["keep_prob"])
        shape = (num_steps, batch_size, self.hidden_size)
        return [(counter_uniform(seed, layer, window, shape, dtype=config.floatX) < keep)
                .astype(config.floatX) * scale for layer in range(self.num_layers + 1)]

    def dropout_args(self, rng, batch_size, num_steps, window):
        """What ``train_step`` takes after ``lr`` for training window number ``window`` (counted
        from the start of the run): the masks drawn from ``rng`` (``masks="numpy"``), or the
        seed and the window number that the graph draws them from (``"counter"``)."""
        if not self.use_dropout:
            return []
        if self.masks == "numpy":
            return self.dropout_masks(rng, batch_size, num_steps)
        return [np.uint32(self.mask_seed), np.uint32(window)]


MASK_SOURCES = ("numpy", "counter")


def _keep_and_scale(keep_prob):
    """keep_prob and 1/keep_prob in floatX: a counter mask is ``(u < keep) * scale`` with the
    same two constants in the graph and on the host (bit for bit)."""
    return np.asarray(keep_prob, dtype=config.floatX), np.asarray(1.0 / keep_prob,
                                                                   dtype=config.floatX)


def _typed(*pairs):
    """For the JAX functions (``trust_input``): host inputs as numpy arrays of the graph's
    dtypes (``None``: floatX); arrays already on the device (JAX outputs carried from the last
    window) pass through as they are. As PyTensor's own input filter (used by the C and Numba
    linkers), a numpy array is cast only where no precision is lost: float64 data given to a
    float32 graph is refused, not silently rounded (Python scalars are cast, as PyTensor does;
    integer token ids are cast to int32)."""
    out = []
    for a, dtype in pairs:
        dtype = np.dtype(dtype or config.floatX)
        if isinstance(a, (np.ndarray, np.generic)):
            if a.dtype != dtype and not np.can_cast(a.dtype, dtype, casting="same_kind"
                                                    if a.dtype.kind in "iu" else "safe"):
                raise TypeError(f"input of dtype {a.dtype} given where {dtype} is expected "
                                f"(would lose precision); cast it first")
            a = np.asarray(a, dtype=dtype)
        elif isinstance(a, (int, float, list)):
            a = np.asarray(a, dtype=dtype)
        out.append(a)
    return out


_MODEL_CACHE = {}


def get_model(config_, vocab_size, params=None, seed=0, masks="numpy", unroll=False):
    """A ``PTBLSTM`` for this config, reusing compiled functions within the process.

    Compiling the scan graphs dominates short runs (tests, resume checks); a cached instance
    gets fresh parameters (``params`` or a new seeded initialisation) and the ``seed`` of its
    counter masks, and is otherwise identical to a new one.
    """
    from rnnrepro.engine import NAME, linker
    # only what shapes the compiled graph
    key = tuple(config_[k] for k in ("hidden_size", "num_layers", "keep_prob", "max_grad_norm")) \
        + (vocab_size, config.floatX, NAME, linker("ptb-lstm"), masks, bool(unroll))
    if params is None:
        c = config_
        params = init_params(vocab_size, c["hidden_size"], c["num_layers"], c["init_scale"],
                             np.random.RandomState(seed))
    model = _MODEL_CACHE.get(key)
    if model is None:
        model = _MODEL_CACHE[key] = PTBLSTM(config_, vocab_size, params=params, seed=seed,
                                            masks=masks, unroll=unroll)
    else:
        model.set_params(params)
        model.config = dict(config_)
        model.mask_seed = seed
    return model


# ---------------------------------------------------------------------------------------------
# language-model scorer (rnnlm score / rnnlm generate)

class LSTMScorer:
    """Scorer protocol of ``rnnlm.registry`` for a trained PTB LSTM (numpy forward)."""

    begin_token = "<eos>"
    end_token = "<eos>"
    unknown_token = "<unk>"

    def __init__(self, arrays, state):
        self.vocab = list(state["vocab"])
        self.word_to_index = {w: i for i, w in enumerate(self.vocab)}
        self.num_layers = int(state["config"]["num_layers"])
        self.H = int(state["config"]["hidden_size"])
        self.p = {k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()}

    def start(self):
        z = np.zeros((self.num_layers, self.H))
        return (z, z.copy())

    def advance(self, state, idx):
        c, h = (s.copy() for s in state)
        inp = self.p["embedding"][idx]
        for layer in range(self.num_layers):
            W = self.p[f"kernel_{layer}"]
            c[layer], h[layer] = lstm_step_numpy(inp @ W[:self.H] + self.p[f"bias_{layer}"],
                                                 c[layer], h[layer], W[self.H:])
            inp = h[layer]
        logits = inp @ self.p["softmax_w"] + self.p["softmax_b"]
        logits -= logits.max()
        probs = np.exp(logits)
        return probs / probs.sum(), (c, h)


def param_shapes(config_, vocab_size):
    """The shapes of ``init_params``'s arrays for ``config_`` and ``vocab_size`` words."""
    H, V = config_["hidden_size"], vocab_size
    shapes = {"embedding": (V, H), "softmax_w": (H, V), "softmax_b": (V,)}
    for layer in range(config_["num_layers"]):
        shapes.update({f"kernel_{layer}": (2 * H, 4 * H), f"bias_{layer}": (4 * H,)})
    return shapes


@register("lstm", shapes=lambda state: param_shapes(state["config"], len(state["vocab"])),
          state_keys=("config", "vocab"))
def _load(arrays, state):
    return LSTMScorer(arrays, state)


__all__ = ["CONFIGS", "PUBLISHED", "PTBLSTM", "get_model", "LSTMScorer", "learning_rate", "init_params",
           "param_shapes", "softmax"]
