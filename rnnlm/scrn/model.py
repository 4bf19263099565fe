"""``SCRN``: the structurally constrained RNN of ``scrnn.lua``/``mfactory.lua`` as a scan graph.

Equations (``mfactory.lua`` ``makeModelNets``, the ``scrnn`` branch; x_t a word id, B the
batch rows)::

    c_t = 0.05 B[x_t] + 0.95 c_{t-1}                       (slow state, 0.95 fixed)
    h_t = sigmoid(A[x_t] + h_{t-1} R + c_{t-1} P)          (fast state; P reads c_{t-1})
    p(x_{t+1}) = softmax(h_t U + c_t V)                     (full softmax over [h_t; c_t])

Names: the paper's A, B, R, P, U, V; the code's ``emb_fast``, ``emb_slow``, ``proj_fast``,
``proj_slow2fast`` and the decoder ``LinearNB(nhid + nslow, ncls)`` split in its U and V
columns. Our matrices multiply from the right (torch's ``LinearNB`` weights transposed).
No biases anywhere (``LinearNB``, ``LookupTable``). ``n_slow = 0`` leaves A, R, U: the plain
SRN of ``srnn_sm`` (``rnn.lua``), the same graph with empty slow parts.

Training is ``SCRNN:newInputTrain`` (``scrnn.lua``), done ``backprop_freq`` steps per call:
each step runs forward and the decoder's backward at once (its gradient accumulates, and
the gradient with respect to [h_t; c_t] is kept); every ``backprop_freq`` steps one backward
pass walks the last ``backprop_len`` steps from the newest, adding the kept decoder gradients
of the newest ``backprop_freq + 1`` steps, clipping the fast and the slow state gradient each
to norm 50 at every step, and backpropagating through the encoder of every step but the
window's oldest; then ``w -= lr * dw`` with the slow recurrence's gradient zeroed. Kept
oddities, each also in the code below:

* Original: the window's oldest step is never backpropagated through the encoder
  (``if i ~= 1``): its input state lived in a buffer the newest step has overwritten. So
  "BPTT 10" reaches 9 encoder steps back.
* Original: the decoder gradient of the step ``backprop_freq`` back was already used by the
  previous pass (as its newest) and is added again (``j <= self.backprop_freq`` counts from
  1 after the newest), clipped: the previous pass clipped that tensor in place.
* Original: the backward pass uses the weights of the moment (updated since some of the
  window's steps ran forward) with the activations stored at the forward pass.
* Original: steps past the last multiple of ``backprop_freq`` in an epoch run forward only;
  their decoder gradients are dropped when the next epoch starts (``reset`` zeroes dw).

Only the recurrences are inside ``scan`` (the forward over the block, the backward over the
window); lookups, the softmax and every parameter gradient are computed for all steps at once.

Licence of the original: BSD (facebookarchive/SCRNNs, Facebook, Inc.). See LICENSE.
"""
import numpy as np

from rnnrepro.engine import T, asfloat, config, function, log_softmax, scan, shared, sigmoid

PARAMS = ("A", "B", "R", "P", "U", "V")


def init_params(cfg, vocab_size, rng):
    """``util.lua`` ``initSCRNN``/``initRNN`` (``-winit frand``): every weight N(0, 0.05),
    the decoder (U, V) zero. The fixed slow recurrence (0.95 I) is no parameter here."""
    H, S, N = cfg.n_hidden, cfg.n_slow, vocab_size
    shapes = {"A": (N, H), "B": (N, S), "R": (H, H), "P": (S, H), "U": (H, N), "V": (S, N)}
    out = {k: rng.normal(0.0, 1.0, shapes[k]) * cfg.init_std for k in ("A", "B", "R", "P")}
    out.update(U=np.zeros(shapes["U"]), V=np.zeros(shapes["V"]))
    return out


def param_shapes(cfg, vocab_size):
    H, S, N = cfg.n_hidden, cfg.n_slow, vocab_size
    return {"A": (N, H), "B": (N, S), "R": (H, H), "P": (S, H), "U": (H, N), "V": (S, N)}


def clip_scale(g, th):
    """``scale_clip`` (``scrnn.lua``): if the norm of the whole (batch x units) gradient is
    above ``th``, divide it by norm / th. ``th`` 0: no clipping (``-gradinputclip 0``)."""
    if not th:
        return g
    norm = T.sqrt(T.sum(g ** 2))
    return T.switch(T.gt(norm, th), g / (norm / th), g)


def rows(a):
    """(n, b, k) -> (n * b, k), also for k = 0 (the SRN's empty slow state)."""
    return a.reshape((a.shape[0] * a.shape[1], a.shape[2]))


class SCRN:
    """The model and its training state (``SCRNN``): ``reset``, ``new_inputs_train``, ``test``.

    ``new_inputs_train(inputs, labels, lr)`` takes ``backprop_freq`` steps (rows of
    ``inputs``, each a batch of word ids) and returns the summed negative log-likelihood;
    ``test(inputs, labels)`` runs forward only, state carried, and returns (sum, count).
    """

    def __init__(self, cfg, vocab_size, params=None):
        self.cfg, self.vocab_size = cfg, vocab_size
        if params is None:
            params = init_params(cfg, vocab_size, np.random.RandomState(cfg.seed))
        self.params = {k: shared(asfloat(params[k]), name=k) for k in PARAMS}
        self.alpha = 1.0 - cfg.semb_scale   # the fixed slow recurrence (util.lua orthInit)
        self._test_fn = self._compile_test()
        self._train_fn = self._compile_train()
        self.reset()

    # -- parameters ------------------------------------------------------------------------
    def get_params(self):
        return {k: np.array(v.get_value()) for k, v in self.params.items()}

    def set_params(self, arrays):
        for k, v in self.params.items():
            v.set_value(asfloat(arrays[k]))

    # -- graph -----------------------------------------------------------------------------
    def _encoder(self, x, h0, c0):
        """The encoder over the steps of ``x`` (n, batch): all h (n, b, H), all c (n, b, S)."""
        p = self.params
        ax, bx = p["A"][x], self.cfg.semb_scale * p["B"][x]

        def step(ax_t, bx_t, h_prev, c_prev, R, P):
            h = sigmoid(ax_t + T.dot(h_prev, R) + T.dot(c_prev, P))
            c = bx_t + self.alpha * c_prev
            return h, c
        (hs, cs), _ = scan(step, sequences=[ax, bx], outputs_info=[h0, c0],
                           non_sequences=[p["R"], p["P"]], strict=True)
        return hs, cs

    def _decoder(self, hs, cs, y):
        """Log-probabilities (n * b, vocab) of the rows, and the summed NLL of ``y``."""
        h2, c2 = rows(hs), rows(cs)
        logp = log_softmax(T.dot(h2, self.params["U"]) + T.dot(c2, self.params["V"]), axis=-1)
        targets = y.flatten()
        return logp, -logp[T.arange(targets.shape[0]), targets].sum()

    def _inputs(self):
        x, y = T.imatrix("x"), T.imatrix("y")
        h0, c0 = T.matrix("h0"), T.matrix("c0")
        return x, y, h0, c0

    def _compile_test(self):
        x, y, h0, c0 = self._inputs()
        hs, cs = self._encoder(x, h0, c0)
        _, nll = self._decoder(hs, cs, y)
        return function([x, y, h0, c0], [nll, hs[-1], cs[-1]], model="scrn")

    def _backward(self, dec_h, dec_c, win_h, active):
        """The backward pass of ``newInputTrain`` over window positions L..2 (newest first):
        per position the encoder's delta (pre-sigmoid gradient) and the slow state gradient,
        both zero where the position is not active (before the epoch's first step)."""
        th = self.cfg.gradInput_clip
        R, P, alpha = self.params["R"], self.params["P"], self.alpha

        def back(dh, dc, h, act, gh, gc, R_, P_):
            gh, gc = clip_scale(gh + dh, th), clip_scale(gc + dc, th)
            delta = gh * h * (1.0 - h) * act
            return delta, gc * act, T.dot(delta, R_.T), T.dot(delta, P_.T) + alpha * gc
        rev = slice(None, 0, -1)   # positions L, L-1, ..., 2 (the oldest, 1, is skipped)
        zh, zc = T.zeros_like(win_h[0]), T.zeros_like(dec_c[0])
        (deltas, gcs, _, _), _ = scan(back, sequences=[dec_h[rev], dec_c[rev], win_h[rev],
                                                       active[rev]],
                                      outputs_info=[None, None, zh, zc],
                                      non_sequences=[R, P], strict=True)
        return deltas[::-1], gcs[::-1]     # positions 2..L

    def _compile_train(self):
        cfg, p = self.cfg, self.params
        F, W = cfg.backprop_freq, cfg.backprop_len - cfg.backprop_freq
        x, y, h0, c0 = self._inputs()
        old_x = T.imatrix("old_x")                        # (W, b): the window's older steps
        old_h, old_c = T.tensor3("old_h"), T.tensor3("old_c")
        prev_dh, prev_dc = T.matrix("prev_dh"), T.matrix("prev_dc")   # clipped, see below
        lo, lr = T.iscalar("lo"), T.scalar("lr")
        hs, cs = self._encoder(x, h0, c0)
        logp, nll = self._decoder(hs, cs, y)
        # the decoder's backward at every step: d nll / d logits = softmax - onehot
        targets = y.flatten()
        dlogits = T.inc_subtensor(T.exp(logp)[T.arange(targets.shape[0]), targets], -1.0)
        h2, c2 = rows(hs), rows(cs)
        dec_h = T.dot(dlogits, p["U"].T).reshape(hs.shape)
        dec_c = T.dot(dlogits, p["V"].T).reshape(cs.shape)
        # the window, positions 1..L: W older steps then this block's F
        win_x = T.concatenate([old_x, x]) if W else x
        win_h = T.concatenate([old_h, hs]) if W else hs
        win_c = T.concatenate([old_c, cs]) if W else cs
        if W:   # Original: the previous pass's newest decoder gradient is added again
            win_dh = T.concatenate([T.zeros_like(old_h[1:]), prev_dh[None], dec_h])
            win_dc = T.concatenate([T.zeros_like(old_c[1:]), prev_dc[None], dec_c])
        else:
            win_dh, win_dc = dec_h, dec_c
        active = T.cast(T.ge(T.arange(1, cfg.backprop_len + 1), lo), config.floatX)
        deltas, gcs = self._backward(win_dh, win_dc, win_h, active)
        grads = {"R": T.tensordot(win_h[:-1], deltas, axes=[[0, 1], [0, 1]]),
                 "P": T.tensordot(win_c[:-1], deltas, axes=[[0, 1], [0, 1]]),
                 "U": T.dot(h2.T, dlogits), "V": T.dot(c2.T, dlogits)}
        # the slow recurrence's gradient is zeroed (zeroSomeGradients): it is no parameter here
        updates = [(p[k], p[k] - lr * g) for k, g in grads.items()]
        ids = win_x[1:].flatten()
        updates.append((p["A"], T.inc_subtensor(p["A"][ids],
                                                -lr * rows(deltas))))
        updates.append((p["B"], T.inc_subtensor(p["B"][ids], -lr * cfg.semb_scale
                                                * rows(gcs))))
        # the newest decoder gradient, clipped as the pass clipped it in place
        th = cfg.gradInput_clip
        outs = [nll, hs[-1], cs[-1], win_x[F:], win_h[F:], win_c[F:],
                clip_scale(dec_h[-1], th), clip_scale(dec_c[-1], th)]
        return function([x, y, h0, c0, old_x, old_h, old_c, prev_dh, prev_dc, lo, lr], outs,
                        updates=updates, model="scrn",
                        on_unused_input="ignore")   # W = 0: no older steps

    # -- the original's methods -----------------------------------------------------------
    def initial_state(self, batch_size):
        """``get_initial_state``: both states filled with ``initial_val`` (0.1)."""
        fill = self.cfg.initial_val
        return (np.full((batch_size, self.cfg.n_hidden), fill, config.floatX),
                np.full((batch_size, self.cfg.n_slow), fill, config.floatX))

    def reset(self):
        """``RNN:reset``: no steps seen, the initial state next, no gradient kept."""
        b, W = self.cfg.batch_size, self.cfg.backprop_len - self.cfg.backprop_freq
        h, c = self.initial_state(b)
        self.i_input, self.state = 0, None
        self.window = (np.zeros((W, b), np.int32), np.repeat(h[None], W, 0),
                       np.repeat(c[None], W, 0))
        self.prev_dec = (np.zeros_like(h), np.zeros_like(c))

    def new_inputs_train(self, inputs, labels, lr):
        """``backprop_freq`` steps of ``newInputTrain``: the summed NLL of ``labels``."""
        h, c = self.state or self.initial_state(inputs.shape[1])
        self.i_input += len(inputs)
        lo = max(1, self.cfg.backprop_len - self.i_input + 1)   # unroll_bound
        nll, h, c, wx, wh, wc, dh, dc = self._train_fn(
            inputs, labels, h, c, *self.window, *self.prev_dec, lo, asfloat(lr))
        self.state, self.window, self.prev_dec = (h, c), (wx, wh, wc), (dh, dc)
        return float(nll)

    def test(self, inputs, labels):
        """``SCRNN:test``: forward only from the current state, which it carries on."""
        h, c = self.state or self.initial_state(inputs.shape[1])
        nll, h, c = self._test_fn(inputs, labels, h, c)
        self.state = (h, c)
        return float(nll), inputs.size
