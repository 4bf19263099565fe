"""Elman and Jordan RNNs for slot filling (Mesnil et al. 2013; deeplearning.net rnnslu.py, is13),
and the models of Mesnil et al. beyond the tutorials: the hybrid Elman-Jordan RNN (``Hybrid``)
and bidirectional Jordan and Elman RNNs (``BiJordan``, ``BiElman``).

Each word is represented by the concatenated embeddings of its context window
(``contextwin``), x_t = [e(w_{t-k}); ...; e(w_{t+k})].

Elman (``RNNSLU``)::   h_t = sigmoid(x_t Wx + h_{t-1} Wh + bh),   s_t = softmax(h_t W + b)
Jordan (``Jordan``)::  h_t = sigmoid(x_t Wx + s_{t-1} Ws + bh),   s_t = softmax(h_t W + b)

Hybrid, Bi*: see their classes.

h0 (Elman) and s0 (Jordan, a full output distribution as in is13) are learned. Parameters are
drawn as in the tutorials: uniform(-1, 1) * 0.2 in the order emb, Wx, Wh|Ws, W from a numpy
RNG seeded with ``seed``; biases and initial states are zero.

Only what truly recurs stays inside ``scan``: the input projection x_t Wx + bh is computed for
all steps at once before it, and for Elman the output softmax after it (same mathematics as
the tutorials' step function, matrix-matrix products instead of many vector ones).

Licences of the originals: is13 (mesnilgr/is13) is CC BY-NC 4.0 (non-commercial; see its
README); the deeplearning.net tutorial's ``rnnslu.py`` is BSD 3-Clause (Deep Learning Tutorials
Development Team). See LICENSE.
"""
import functools
import os
from collections import OrderedDict

import numpy as np

from rnnrepro import engine
from rnnrepro.engine import T, grad, scan, shared, softmax, sigmoid, config
from rnnrepro.files import save_npy

function = functools.partial(engine.function, model="rnnslu")  # rnnslu's linker for every graph

from .data import PAD


def unit_rows(e):
    """The rows of ``e`` scaled to unit length (the tutorials' embedding ``normalize``)."""
    return e / T.sqrt((e ** 2).sum(axis=1)).dimshuffle(0, "x")


# -- the step functions every model is built from (``p``: parameters by name; ``sfx``: the
# suffix of a bidirectional model's direction, "_f" or "_b") ----------------------------------
def _project(p, x, sfx=""):
    """The input projection of all the rows of ``x`` at once: x Wx + bh."""
    return T.dot(x, p["wx" + sfx]) + p["bh" + sfx]


def _output(p, h, sfx=""):
    """s = softmax(h W + b)."""
    return softmax(T.dot(h, p["w" + sfx]) + p["b" + sfx], axis=-1)


def _elman_step(p, xp_t, h_tm1, sfx=""):
    """Elman: h_t = sigmoid(x_t Wx + bh + h_{t-1} Wh)."""
    return sigmoid(xp_t + T.dot(h_tm1, p["wh" + sfx]))


def _jordan_step(p, xp_t, s_tm1, sfx=""):
    """Jordan: (s_t, h_t) with h_t = sigmoid(x_t Wx + bh + s_{t-1} Ws), s_t = softmax(h_t W + b)."""
    h_t = sigmoid(xp_t + T.dot(s_tm1, p["ws" + sfx]))
    return _output(p, h_t, sfx), h_t


def _elman_hidden(p, xp, sfx=""):
    """The Elman hidden states of all the rows of ``xp`` (a scan from h0)."""
    h, _ = scan(fn=lambda xp_t, h_tm1: _elman_step(p, xp_t, h_tm1, sfx), sequences=xp,
                outputs_info=[p["h0" + sfx]])
    return h


def _jordan_scan(p, xp, sfx=""):
    """The Jordan output distributions and hidden states of all the rows of ``xp`` (a scan
    from s0): (s, h)."""
    (s, h), _ = scan(fn=lambda xp_t, s_tm1: _jordan_step(p, xp_t, s_tm1, sfx), sequences=xp,
                     outputs_info=[p["s0" + sfx], None])
    return s, h


def _elman_unrolled(p, xps, sfx=""):
    """The Elman hidden state after the steps ``xps`` (a list of rows), unrolled; h0 for none."""
    h = p["h0" + sfx]
    for xp_t in xps:
        h = _elman_step(p, xp_t, h, sfx)
    return h


def _jordan_unrolled(p, xps, sfx=""):
    """The output distribution after the Jordan steps ``xps`` (at least one), unrolled."""
    s = p["s0" + sfx]
    for xp_t in xps:
        s = _jordan_step(p, xp_t, s, sfx)[0]
    return s


class _SLUBase:
    """Shared plumbing: parameters, compiled functions (built on first use), save/load."""

    kind = None
    param_names = ()
    bidirectional = False

    def __init__(self, nh, nc, ne, de, cs, seed=None):
        self.nh, self.nc, self.ne, self.de, self.cs = nh, nc, ne, de, cs
        rng = np.random.RandomState(seed) if seed is not None else np.random
        fx = config.floatX

        def uni(shape):
            return (0.2 * rng.uniform(-1.0, 1.0, shape)).astype(fx)

        # Row ``ne`` is the padding embedding: contextwin pads with -1, and index -1 selects
        # this last row (numpy indexing); ``windows`` maps PAD to ``ne`` explicitly.
        self.emb = shared(uni((ne + 1, de)), name="embeddings")
        self.wx = shared(uni((de * cs, nh)), name="wx")
        self._init_recurrent(uni, fx)
        self._fns = {}
        self._window_fns = {}   # the fast trainer's functions by name (sentence_words_train)
        self._build()

    # -- graph -------------------------------------------------------------------------
    def _build(self):
        self.idxs = T.imatrix("idxs")       # one row per word: its context window
        self.y_sentence = T.ivector("y_sentence")
        self.y = T.iscalar("y")
        self.pos = T.iscalar("pos")         # bidirectional: the trained word's row in its window
        self.lr = T.scalar("lr")
        self.p = {q.name: q for q in self.params}
        n = self.idxs.shape[0]
        x = self.emb[self.idxs].reshape((n, self.de * self.cs))
        self.p_y_given_x_sentence = self._recurrence(x)
        self.y_pred = T.argmax(self.p_y_given_x_sentence, axis=1)
        # dlt (rnnslu.py): mean NLL over the sentence
        self.sentence_nll = -T.mean(T.log(self.p_y_given_x_sentence)[T.arange(n), self.y_sentence])
        # is13 (elman/jordan.py): NLL of the last word of a window of <= bs words; a
        # bidirectional model's window reaches past the word (``word_window``): its row ``pos``
        self.nll = -T.log(self.p_y_given_x_sentence[self.pos if self.bidirectional else -1])[self.y]
        self.word_inputs = [self.idxs] + ([self.pos] if self.bidirectional else [])

    def _sgd_updates(self, cost, normalize=True):
        """Plain SGD on every parameter, then (optionally) the embeddings renormalised to unit
        length -- the tutorials' ``train`` followed by ``normalize``, fused into one call."""
        grads = grad(cost, self.params)
        updates = OrderedDict((p, p - self.lr * g) for p, g in zip(self.params, grads))
        if normalize:
            e = updates[self.emb]
            updates[self.emb] = unit_rows(e)
        return updates

    # -- is13's per-word windows -------------------------------------------------------------
    def word_window(self, t, n, bs):
        """(lo, hi): the rows of an ``n``-word sentence that train its word ``t`` (is13's
        ``minibatch``: the last ``bs`` windows up to t, so hi = t + 1; a bidirectional model
        reaches ``bs - 1`` words past t too, see ``_Bidirectional``)."""
        return max(0, t - bs + 1), (min(n, t + bs) if self.bidirectional else t + 1)

    # -- is13, fast: one compiled function per window length ---------------------------------
    def _word_window_graph(self, L):
        """is13's ``train`` + ``normalize`` for one word whose ``minibatch`` window has exactly
        ``L`` rows (``L`` = min(t + 1, bs) for word t): (idxs (L, cs), y (1,), lr) -> the
        word's NLL, with every parameter updated in place.

        A bidirectional model (``L`` None: any window; ``first``: the sentence's first word)
        takes (idxs, pos, y, lr), its window reaching past the word (``word_window``), and
        computes only what the word's NLL reads (``_word_probs``: two scans, each over the
        rows on its side of the word): unrolled, its (L, R) window shapes would make 81
        compiled functions for bs 9, too many to compile. It keeps the sparse embedding
        update below.

        Same mathematics as the per-word loop, less arithmetic and far fewer operations (equal
        to rounding, see tests): the ``L`` steps of the recurrence are unrolled, so there is
        no ``scan`` (and no padding steps) in the word's forward and backward pass; the
        embedding gradient is applied to the L * cs rows the word touches instead of through a
        dense (ne+1, de) matrix, and only those rows are renormalised: the others are unit
        length already, so renormalising them again changes nothing but rounding. A one-row
        window (the first word of every sentence, and every word when bs is 1) renormalises
        all rows, as is13 does after every word.

        (A first version ran a whole sentence per call, carrying the parameters through a
        ``scan`` over its words: the carried embeddings and weights were copied at every word
        and every window was padded to bs steps, so it gained little over the per-word
        loop; results/bench_is13_run2.)
        """
        idxs, y, lr = T.imatrix("window"), T.ivector("y_word"), T.scalar("lr")
        flat = idxs.flatten()
        rows = self.emb[flat]
        if self.bidirectional:
            pos = T.iscalar("pos")
            x = rows.reshape((idxs.shape[0], self.de * self.cs))
            probs, inputs = self._word_probs(self.p, x, pos), [idxs, pos, y, lr]
        else:
            probs = self._unrolled(self.p, rows.reshape((L, self.de * self.cs)), L)
            inputs = [idxs, y, lr]
        cost = -T.log(probs)[y[0]]
        grads = grad(cost, [rows] + self.params[1:])
        updates = OrderedDict((q, q - lr * g) for q, g in zip(self.params[1:], grads[1:]))
        emb = T.inc_subtensor(self.emb[flat], -lr * grads[0])  # duplicates: summed
        if L == 1:   # the first word of a sentence
            emb = unit_rows(emb)
        else:
            emb = T.set_subtensor(emb[flat], unit_rows(emb[flat]))
        updates[self.emb] = emb
        f = function(inputs, cost, updates=updates)
        f.trust_input = True   # sentence_words_train hands it int32 / floatX arrays only
        return f

    def _compile(self, name):
        if name in self._fns:
            return self._fns[name]
        i, ys, y, lr = self.idxs, self.y_sentence, self.y, self.lr
        if name == "classify":
            f = function([i], self.y_pred)
        elif name == "probabilities":       # every word's output distribution (tests)
            f = function([i], self.p_y_given_x_sentence)
        elif name == "sentence_train":      # update only, as the tutorial's sentence_train
            f = function([i, ys, lr], self.sentence_nll,
                         updates=self._sgd_updates(self.sentence_nll, normalize=False))
        elif name == "sentence_train_normalize":
            f = function([i, ys, lr], self.sentence_nll, updates=self._sgd_updates(self.sentence_nll))
        elif name == "word_train":           # is13's ``model.train``
            f = function(self.word_inputs + [y, lr], self.nll,
                         updates=self._sgd_updates(self.nll, normalize=False))
        elif name == "word_train_normalize":
            f = function(self.word_inputs + [y, lr], self.nll, updates=self._sgd_updates(self.nll))
        elif name.startswith("word_window_train_normalize_L"):  # is13, fast trainer
            f = self._word_window_graph(int(name.rsplit("L", 1)[1]))
        elif name.startswith("word_window_train_normalize_bi"):  # (see _word_window_graph)
            f = self._word_window_graph(1 if name.endswith("first") else None)
        elif name == "normalize":
            e = self.emb
            f = function([], [], updates={e: unit_rows(e)})
        elif name == "sentence_cost_grads":  # for gradient checks
            f = function([i, ys], [self.sentence_nll] + grad(self.sentence_nll, self.params))
        elif name == "word_cost_grads":
            f = function(self.word_inputs + [y], [self.nll] + grad(self.nll, self.params))
        else:
            raise KeyError(name)
        self._fns[name] = f
        return f

    def compile_training(self, regime, is13_trainer="word", bs=9):
        """Compile now the functions a training run uses (the ``regime``'s step and
        ``classify``). Numba and JAX compile at the first call: they get one call on a
        one-word sentence (the fast is13 trainer: a ``bs``-word one, reaching every window
        length), parameters restored, so no compilation lands in an epoch."""
        fast = regime != "sentence" and is13_trainer == "fast"
        if fast:
            for name in self._window_names(int(bs)):
                self._compile(name)
        else:
            step = self.training_step(regime)
        classify = self._compile("classify")
        if engine.linker("rnnslu") == "c":
            return
        saved = {k: v.copy() for k, v in self.get_params().items()}
        w = self.windows(np.zeros(int(bs) if fast else 1, dtype="int32"))
        classify(w)
        if fast:
            self.sentence_words_train(w, np.zeros(len(w), dtype="int32"), 0.0, bs)
        else:
            pos = [0] if regime != "sentence" and self.bidirectional else []
            step(w, *pos, np.zeros(1, dtype="int32") if regime == "sentence" else 0, 0.0)
        self.set_params(saved)

    def training_step(self, regime):
        """The compiled SGD step of a training ``regime``, the embeddings renormalised after it:
        ``"sentence"`` (rnnslu.py's ``train``: (windows, labels, lr) -> the mean sentence NLL)
        or ``"word"`` (is13's ``train`` + ``normalize``: (window rows[, pos], label, lr) -> the
        word's NLL; ``pos`` for a bidirectional model, see ``word_window``)."""
        return self._compile("sentence_train_normalize" if regime == "sentence" else
                             "word_train_normalize")

    def _window_name(self, L):
        if self.bidirectional:   # any window: the first word's, the others'
            return "word_window_train_normalize_bi" + ("first" if L == 1 else "")
        return f"word_window_train_normalize_L{L}"

    def _window_names(self, bs):
        """The fast trainer's compiled functions: one per window length L (bidirectional:
        two, see ``_word_window_graph``)."""
        return sorted({self._window_name(L) for L in range(1, bs + 1)})

    # -- the tutorials' entry points -----------------------------------------------------
    def classify(self, idxs):
        return self._compile("classify")(idxs)

    def sentence_train(self, idxs, y, lr):
        return self._compile("sentence_train")(idxs, y, lr)

    def word_train(self, idxs, y, lr, pos=None):
        """is13's ``train``: one SGD step on the NLL of the last word of ``idxs`` (a
        bidirectional model: of its row ``pos``)."""
        return self._compile("word_train")(idxs, *([pos] if self.bidirectional else []), y, lr)

    def normalize(self):
        self._compile("normalize")()

    def sentence_words_train(self, idxs, y, lr, bs):
        """is13's inner loop over one sentence (``word_train`` + ``normalize`` for each of its
        ``minibatch(idxs, bs)`` windows, in order; ``word_window``), each word through the
        compiled function of its window's shape; returns the per-word costs."""
        bs, n = int(bs), len(y)
        idxs = np.ascontiguousarray(idxs, dtype="int32")   # trust_input: exact dtypes
        y = np.asarray(y, dtype="int32")
        lr = np.asarray(lr, dtype=config.floatX)
        costs = []
        for t in range(n):
            lo, hi = self.word_window(t, n, bs)
            name = self._window_name(t + 1 - lo)
            f = self._window_fns.get(name) or self._window_fns.setdefault(name, self._compile(name))
            if self.bidirectional:
                costs.append(f(idxs[lo:hi], np.asarray(t - lo, dtype="int32"), y[t:t + 1], lr))
            else:
                costs.append(f(idxs[lo:hi], y[t:t + 1], lr))
        return costs

    def windows(self, sentence):
        """``contextwin`` as an int32 matrix with the padding made explicit (PAD -> row ne)."""
        from .data import contextwin
        w = np.asarray(contextwin(sentence, self.cs), dtype="int32")
        w[w == PAD] = self.ne
        return w

    def train(self, x, y, window_size, learning_rate):
        """rnnslu.py's ``RNNSLU.train``: one SGD step on the mean sentence NLL, then normalise."""
        assert window_size == self.cs
        return self._compile("sentence_train_normalize")(self.windows(x), y, learning_rate)

    def predict(self, sentence):
        return self.classify(self.windows(sentence))

    # -- parameters ----------------------------------------------------------------------
    def get_params(self):
        return {p.name: p.get_value() for p in self.params}

    def set_params(self, values):
        for p in self.params:
            if p.name not in values:
                raise KeyError(f"parameter {p.name!r} missing")
            v = np.asarray(values[p.name])
            if v.shape != p.get_value(borrow=True).shape:
                raise ValueError(f"parameter {p.name!r}: shape {v.shape} != "
                                 f"{p.get_value(borrow=True).shape}")
            p.set_value(v.astype(config.floatX))

    def save(self, folder):
        """The tutorials' layout: one ``<name>.npy`` per parameter."""
        os.makedirs(folder, exist_ok=True)
        for name, value in self.get_params().items():
            save_npy(os.path.join(folder, name + ".npy"), value)  # atomic, names the file

    def load(self, folder):
        self.set_params({p.name: np.load(os.path.join(folder, p.name + ".npy"))
                         for p in self.params})


class RNNSLU(_SLUBase):
    """Elman RNN (rnnslu.py ``RNNSLU``; is13 ``rnn/elman.py``)."""

    kind = "elman"

    def _init_recurrent(self, uni, fx):
        nh, nc = self.nh, self.nc
        self.wh = shared(uni((nh, nh)), name="wh")
        self.w = shared(uni((nh, nc)), name="w")
        self.bh = shared(np.zeros(nh, dtype=fx), name="bh")
        self.b = shared(np.zeros(nc, dtype=fx), name="b")
        self.h0 = shared(np.zeros(nh, dtype=fx), name="h0")
        self.params = [self.emb, self.wx, self.wh, self.w, self.bh, self.b, self.h0]

    def _recurrence(self, x):
        return _output(self.p, _elman_hidden(self.p, _project(self.p, x)))  # softmax: all steps at once

    def _unrolled(self, p, x, L):
        """The output distribution after ``L`` unrolled steps over the rows of ``x``, from h0."""
        xp = _project(p, x)
        return _output(p, _elman_unrolled(p, [xp[k] for k in range(L)]))


class Jordan(_SLUBase):
    """Jordan RNN (is13 ``rnn/jordan.py``): the hidden layer reads the previous output
    distribution s_{t-1}, so the softmax is part of the recurrence and stays inside scan."""

    kind = "jordan"

    def _init_recurrent(self, uni, fx):
        nh, nc = self.nh, self.nc
        self.ws = shared(uni((nc, nh)), name="ws")
        self.w = shared(uni((nh, nc)), name="w")
        self.bh = shared(np.zeros(nh, dtype=fx), name="bh")
        self.b = shared(np.zeros(nc, dtype=fx), name="b")
        self.s0 = shared(np.zeros(nc, dtype=fx), name="s0")
        self.params = [self.emb, self.wx, self.ws, self.w, self.bh, self.b, self.s0]

    def _recurrence(self, x):
        return _jordan_scan(self.p, _project(self.p, x))[0]

    def _unrolled(self, p, x, L):
        xp = _project(p, x)
        return _jordan_unrolled(p, [xp[k] for k in range(L)])


class Hybrid(_SLUBase):
    """Hybrid Elman-Jordan RNN (Mesnil et al., TASLP 2015, section III-B/IV; not in is13's
    code): the hidden layer reads both the previous hidden layer (Elman) and the previous
    output distribution (Jordan)::

        h_t = sigmoid(x_t Wx + s_{t-1} Ws + h_{t-1} Wh + bh),   s_t = softmax(h_t W + b)

    (TASLP: h(t) = f(U x(t) + U' P(y(t-1)) + U* h(t-1)), P(y(t-1)) the output distribution at
    t-1, as for is13's Jordan.) Initial states: h0 and s0, both learned and zero at the start,
    as Elman's h0 and Jordan's s0 in is13 (the paper does not say). Parameters are drawn in
    the order emb, Wx, Wh, Ws, W (Elman's, then Jordan's feedback).
    """

    kind = "hybrid"

    def _init_recurrent(self, uni, fx):
        nh, nc = self.nh, self.nc
        self.wh = shared(uni((nh, nh)), name="wh")
        self.ws = shared(uni((nc, nh)), name="ws")
        self.w = shared(uni((nh, nc)), name="w")
        self.bh = shared(np.zeros(nh, dtype=fx), name="bh")
        self.b = shared(np.zeros(nc, dtype=fx), name="b")
        self.h0 = shared(np.zeros(nh, dtype=fx), name="h0")
        self.s0 = shared(np.zeros(nc, dtype=fx), name="s0")
        self.params = [self.emb, self.wx, self.wh, self.ws, self.w, self.bh, self.b, self.h0,
                       self.s0]

    @staticmethod
    def _step(p, xp_t, h_tm1, s_tm1):
        # Jordan's step with the Elman feedback added to its input projection
        s_t, h_t = _jordan_step(p, xp_t + T.dot(h_tm1, p["wh"]), s_tm1)
        return h_t, s_t

    def _recurrence(self, x):
        p = self.p
        (h, s), _ = scan(fn=lambda xp_t, h_tm1, s_tm1: self._step(p, xp_t, h_tm1, s_tm1),
                         sequences=_project(p, x), outputs_info=[p["h0"], p["s0"]])
        return s

    def _unrolled(self, p, x, L):
        xp, h, s = _project(p, x), p["h0"], p["s0"]
        for k in range(L):
            h, s = self._step(p, xp[k], h, s)
        return s


class _Bidirectional(_SLUBase):
    """A forward and a backward recurrence over the sentence, combined in a third hidden layer
    (Mesnil et al., IS13 section 2.3 for Jordan, TASLP 2015 section IV-C for both)::

        forward:   f_t = the ``direction`` model's hidden state at t, reading words 0 .. t
        backward:  g_t = the same recurrence with its own parameters, reading words n-1 .. t
        combined:  h_t = sigmoid(x_t Wx + f_{t-1} Wf + g_{t+1} Wb + bh),  s_t = softmax(h_t W + b)

    (TASLP, as transcribed: h_bi(t) = f(B x(t) + B' h_fwd(t-1) + B* h_bwd(t+1)).) Each
    direction has its own input projection Wx_f / Wx_b and biases; the embeddings are shared.

    Open choices, ours:

    - ``combine="shifted"`` (default) is the transcription above: the word reaches the
      combined layer through x_t only, its context through f_{t-1} and g_{t+1}; at the sentence
      ends f_{-1} = h0_f and g_n = h0_b, learned vectors (zero at the start, as is13's h0).
      ``combine="aligned"`` uses f_t and g_t instead (Schuster & Paliwal's bidirectional RNN).
    - Jordan directions (``BiJordan``) feed back their own output distribution: each has its
      own softmax layer W_f, b_f (W_b, b_b), s^f_t = softmax(f_t W_f + b_f), and reads
      s^f_{t-1} (s^b_{t+1}) from learned s0_f (s0_b). Feeding back the combined output s_t is
      not possible for the backward pass (s_{t+1} needs f_t, which needs ... s_t: a cycle), so
      the directions' outputs are trained only through the combined layer. The Elman
      directions (``BiElman``) feed back their hidden states from learned h0_f / h0_b.
    - is13's per-word training (``word_window``): the word t is trained on the NLL at its own
      row of a window that reaches ``bs - 1`` words back *and* ``bs - 1`` words forward
      (clipped to the sentence); with is13's window (up to t only) the backward pass would
      never see a later word in training. The dlt sentence trainer and ``classify`` run both
      recurrences over the whole sentence.
    """

    bidirectional = True
    direction = None    # "elman" | "jordan"

    def __init__(self, nh, nc, ne, de, cs, seed=None, combine="shifted"):
        if combine not in ("shifted", "aligned"):
            raise ValueError(f"combine must be 'shifted' or 'aligned', not {combine!r}")
        self.combine = combine
        super().__init__(nh, nc, ne, de, cs, seed)

    def _init_recurrent(self, uni, fx):
        nh, nc, nx = self.nh, self.nc, self.de * self.cs
        z = lambda n, name: shared(np.zeros(n, dtype=fx), name=name)
        params = [self.emb, self.wx]
        for sfx in ("_f", "_b"):
            params.append(shared(uni((nx, nh)), name="wx" + sfx))
            if self.direction == "elman":
                params.append(shared(uni((nh, nh)), name="wh" + sfx))
            else:
                params += [shared(uni((nc, nh)), name="ws" + sfx),
                           shared(uni((nh, nc)), name="w" + sfx), z(nc, "b" + sfx),
                           z(nc, "s0" + sfx)]
            params.append(z(nh, "bh" + sfx))
            # h0: the Elman recurrence's initial state; a Jordan direction (which starts from
            # s0) reads it only as the state past the sentence end of the shifted combination
            if self.direction == "elman" or self.combine == "shifted":
                params.append(z(nh, "h0" + sfx))
        params += [shared(uni((nh, nh)), name="wf"), shared(uni((nh, nh)), name="wb"),
                   shared(uni((nh, nc)), name="w"), z(nh, "bh"), z(nc, "b")]
        self.params = params
        for q in params[2:]:
            setattr(self, q.name, q)

    def _hidden(self, p, xp, sfx):
        """A direction's hidden states over the rows of ``xp``, in their order."""
        if self.direction == "elman":
            return _elman_hidden(p, xp, sfx)
        return _jordan_scan(p, xp, sfx)[1]

    def _recurrence(self, x):
        p = self.p
        f = self._hidden(p, _project(p, x, "_f"), "_f")
        g = self._hidden(p, _project(p, x, "_b")[::-1], "_b")[::-1]
        if self.combine == "shifted":
            f = T.concatenate([p["h0_f"].dimshuffle("x", 0), f[:-1]], axis=0)
            g = T.concatenate([g[1:], p["h0_b"].dimshuffle("x", 0)], axis=0)
        return self._combined(p, x, f, g)

    @staticmethod
    def _combined(p, x, f, g):
        """The combined layer's output distribution from input rows ``x`` and the forward and
        backward states ``f``, ``g`` it reads (rows or one row each)."""
        return _output(p, sigmoid(_project(p, x) + T.dot(f, p["wf"]) + T.dot(g, p["wb"])))

    def _word_probs(self, p, x, pos):
        """The output distribution of row ``pos`` alone, computing only what it reads: the
        forward direction over rows 0 .. pos, the backward one over rows n-1 .. pos, the
        combined layer at ``pos``. Equal to ``_recurrence(x)[pos]`` (the same operations on
        the same numbers for what it keeps; the per-word loop, which runs the whole window,
        is tested equal), with about half the recurrent steps and a third of the projections
        of a window in mid-sentence. Each scan includes the word's own row (read by
        ``combine='aligned'``, a wasted step for 'shifted') so that neither is ever empty."""
        f = self._hidden(p, _project(p, x[:pos + 1], "_f"), "_f")              # f_0 .. f_pos
        g = self._hidden(p, _project(p, x[pos:], "_b")[::-1], "_b")            # g_n-1 .. g_pos
        if self.combine == "shifted":   # f_{pos-1} and g_{pos+1}: h0 at the sentence ends
            f = T.concatenate([p["h0_f"].dimshuffle("x", 0), f], axis=0)[-2]
            g = T.concatenate([p["h0_b"].dimshuffle("x", 0), g], axis=0)[-2]
        else:
            f, g = f[-1], g[-1]
        return self._combined(p, x[pos], f, g)


class BiJordan(_Bidirectional):
    """Bidirectional Jordan RNN (IS13's best model on ATIS); see ``_Bidirectional``."""

    kind = "bi-jordan"
    direction = "jordan"


class BiElman(_Bidirectional):
    """Bidirectional Elman RNN (TASLP 2015); see ``_Bidirectional``."""

    kind = "bi-elman"
    direction = "elman"


MODELS = {"elman": RNNSLU, "jordan": Jordan, "hybrid": Hybrid, "bi-jordan": BiJordan,
          "bi-elman": BiElman}
