"""Elman and Jordan RNNs for slot filling (Mesnil et al. 2013; deeplearning.net rnnslu.py, is13).

Each word is represented by the concatenated embeddings of its context window
(``contextwin``), x_t = [e(w_{t-k}); ...; e(w_{t+k})].

Elman (``RNNSLU``)::   h_t = sigmoid(x_t Wx + h_{t-1} Wh + bh),   s_t = softmax(h_t W + b)
Jordan (``Jordan``)::  h_t = sigmoid(x_t Wx + s_{t-1} Ws + bh),   s_t = softmax(h_t W + b)

h0 (Elman) and s0 (Jordan, a full output distribution as in is13) are learned. Parameters are
drawn as in the tutorials: uniform(-1, 1) * 0.2 in the order emb, Wx, Wh|Ws, W from a numpy
RNG seeded with ``seed``; biases and initial states are zero.

Only what truly recurs stays inside ``scan``: the input projection x_t Wx + bh is computed for
all steps at once before it, and for Elman the output softmax after it (same mathematics as
the tutorials' step function, matrix-matrix products instead of many vector ones).
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


class _SLUBase:
    """Shared plumbing: parameters, compiled functions (built on first use), save/load."""

    kind = None
    param_names = ()

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
        self._build()

    # -- graph -------------------------------------------------------------------------
    def _build(self):
        self.idxs = T.imatrix("idxs")       # one row per word: its context window
        self.y_sentence = T.ivector("y_sentence")
        self.y = T.iscalar("y")
        self.lr = T.scalar("lr")
        n = self.idxs.shape[0]
        x = self.emb[self.idxs].reshape((n, self.de * self.cs))
        xp = T.dot(x, self.wx) + self.bh    # input projection for all steps, outside scan
        self.p_y_given_x_sentence = self._recurrence(xp)
        self.y_pred = T.argmax(self.p_y_given_x_sentence, axis=1)
        # dlt (rnnslu.py): mean NLL over the sentence
        self.sentence_nll = -T.mean(T.log(self.p_y_given_x_sentence)[T.arange(n), self.y_sentence])
        # is13 (elman/jordan.py): NLL of the last word of a window of <= bs words
        self.nll = -T.log(self.p_y_given_x_sentence[-1])[self.y]

    def _sgd_updates(self, cost, normalize=True):
        """Plain SGD on every parameter, then (optionally) the embeddings renormalised to unit
        length -- the tutorials' ``train`` followed by ``normalize``, fused into one call."""
        grads = grad(cost, self.params)
        updates = OrderedDict((p, p - self.lr * g) for p, g in zip(self.params, grads))
        if normalize:
            e = updates[self.emb]
            updates[self.emb] = unit_rows(e)
        return updates

    # -- is13, fast: one compiled function per window length ---------------------------------
    def _word_window_graph(self, L):
        """is13's ``train`` + ``normalize`` for one word whose ``minibatch`` window has exactly
        ``L`` rows (``L`` = min(t + 1, bs) for word t): (idxs (L, cs), y (1,), lr) -> the
        word's NLL, with every parameter updated in place.

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
        and every window was padded to bs steps, so it was only ~1.2x faster than the
        per-word loop; results/bench_is13_run2.)
        """
        idxs, y, lr = T.imatrix("window"), T.ivector("y_word"), T.scalar("lr")
        p = {q.name: q for q in self.params}
        flat = idxs.flatten()
        rows = self.emb[flat]
        xp = T.dot(rows.reshape((L, self.de * self.cs)), self.wx) + self.bh
        cost = -T.log(self._unrolled_last(p, xp, L))[y[0]]
        grads = grad(cost, [rows] + self.params[1:])
        updates = OrderedDict((q, q - lr * g) for q, g in zip(self.params[1:], grads[1:]))
        emb = T.inc_subtensor(self.emb[flat], -lr * grads[0])  # duplicates: summed
        if L == 1:
            emb = unit_rows(emb)
        else:
            emb = T.set_subtensor(emb[flat], unit_rows(emb[flat]))
        updates[self.emb] = emb
        f = function([idxs, y, lr], cost, updates=updates)
        f.trust_input = True   # sentence_words_train hands it int32 / floatX arrays only
        return f

    def _compile(self, name):
        if name in self._fns:
            return self._fns[name]
        i, ys, y, lr = self.idxs, self.y_sentence, self.y, self.lr
        if name == "classify":
            f = function([i], self.y_pred)
        elif name == "sentence_train":      # update only, as the tutorial's sentence_train
            f = function([i, ys, lr], self.sentence_nll,
                         updates=self._sgd_updates(self.sentence_nll, normalize=False))
        elif name == "sentence_train_normalize":
            f = function([i, ys, lr], self.sentence_nll, updates=self._sgd_updates(self.sentence_nll))
        elif name == "word_train":           # is13's ``model.train``
            f = function([i, y, lr], self.nll, updates=self._sgd_updates(self.nll, normalize=False))
        elif name == "word_train_normalize":
            f = function([i, y, lr], self.nll, updates=self._sgd_updates(self.nll))
        elif name.startswith("word_window_train_normalize_L"):  # is13, fast trainer
            f = self._word_window_graph(int(name.rsplit("L", 1)[1]))
        elif name == "normalize":
            e = self.emb
            f = function([], [], updates={e: unit_rows(e)})
        elif name == "sentence_cost_grads":  # for gradient checks
            f = function([i, ys], [self.sentence_nll] + grad(self.sentence_nll, self.params))
        elif name == "word_cost_grads":
            f = function([i, y], [self.nll] + grad(self.nll, self.params))
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
            for L in range(1, int(bs) + 1):
                self._compile(f"word_window_train_normalize_L{L}")
        else:
            step = self._compile("sentence_train_normalize" if regime == "sentence" else
                                 "word_train_normalize")
        classify = self._compile("classify")
        if engine.linker("rnnslu") == "c":
            return
        saved = {k: v.copy() for k, v in self.get_params().items()}
        w = self.windows(np.zeros(int(bs) if fast else 1, dtype="int32"))
        classify(w)
        if fast:
            self.sentence_words_train(w, np.zeros(len(w), dtype="int32"), 0.0, bs)
        else:
            step(w, np.zeros(1, dtype="int32") if regime == "sentence" else 0, 0.0)
        self.set_params(saved)

    # -- the tutorials' entry points -----------------------------------------------------
    def classify(self, idxs):
        return self._compile("classify")(idxs)

    def sentence_train(self, idxs, y, lr):
        return self._compile("sentence_train")(idxs, y, lr)

    def word_train(self, idxs, y, lr):
        return self._compile("word_train")(idxs, y, lr)

    def normalize(self):
        self._compile("normalize")()

    def sentence_words_train(self, idxs, y, lr, bs):
        """is13's inner loop over one sentence (``word_train`` + ``normalize`` for each of its
        ``minibatch(idxs, bs)`` windows, in order), each word through the compiled function
        of its window's length; returns the per-word costs."""
        bs = int(bs)
        fns = [None] + [self._compile(f"word_window_train_normalize_L{L}")
                        for L in range(1, bs + 1)]
        idxs = np.ascontiguousarray(idxs, dtype="int32")   # trust_input: exact dtypes
        y = np.asarray(y, dtype="int32")
        lr = np.asarray(lr, dtype=config.floatX)
        costs = []
        for t in range(len(y)):
            lo = max(0, t - bs + 1)
            costs.append(fns[t + 1 - lo](idxs[lo:t + 1], y[t:t + 1], lr))
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

    def _recurrence(self, xp):
        def recurrence(xp_t, h_tm1):
            return sigmoid(xp_t + T.dot(h_tm1, self.wh))

        h, _ = scan(fn=recurrence, sequences=xp, outputs_info=[self.h0])
        return softmax(T.dot(h, self.w) + self.b, axis=-1)   # all steps at once

    def _unrolled_last(self, p, xp, L):
        """The output distribution after ``L`` unrolled steps over the rows of ``xp`` (the
        input projections), from h0."""
        h = p["h0"]
        for k in range(L):
            h = sigmoid(xp[k] + T.dot(h, p["wh"]))
        return softmax(T.dot(h, p["w"]) + p["b"], axis=-1)


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

    def _recurrence(self, xp):
        def recurrence(xp_t, s_tm1):
            h_t = sigmoid(xp_t + T.dot(s_tm1, self.ws))
            return softmax(T.dot(h_t, self.w) + self.b, axis=-1)

        s, _ = scan(fn=recurrence, sequences=xp, outputs_info=[self.s0])
        return s

    def _unrolled_last(self, p, xp, L):
        s = p["s0"]
        for k in range(L):
            s = softmax(T.dot(sigmoid(xp[k] + T.dot(s, p["ws"])), p["w"]) + p["b"], axis=-1)
        return s


MODELS = {"elman": RNNSLU, "jordan": Jordan}
