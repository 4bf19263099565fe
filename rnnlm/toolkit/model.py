"""Mikolov's RNNLM toolkit (rnnlm 0.3e/0.4b ``rnnlmlib.cpp``): class-based RNN LM and RNNME.

Model (``computeNet``), one word at a time, one-hot input ``w(t-1)`` and sigmoid hidden layer::

    s(t)   = sigmoid(U[w(t-1)] + W s(t-1))                    (syn0; pre-activations clipped +-50)
    P(c|h) = softmax_c(C1 s(t) + d_class(history))             (syn1 class rows, direct feats)
    P(w|c,h) = softmax_{w in c}(V1[w] s(t) + d_word(c, history))
    P(w|h) = P(class(w)|h) P(w|class(w), h)

Classes (``initNet``): words in toolkit vocabulary order (``</s>`` first, then by count) are cut
into ``class_size`` bins of equal sqrt-unigram mass (default) or equal unigram mass (the old
binning, ``old_classes``); each class is a contiguous block of the vocabulary.

Maxent part (RNNME, ``direct_size > 0``): hashed n-gram features of order 0..direct_order-1
(a bias, then the last 1, 2, ... words) connected straight to the class outputs (first half of
the ``syn_d`` hash) and to the word outputs of the predicted class (second half), learnt jointly.
With ``hidden=0`` the same loops run with an empty hidden layer: a class-factored
maximum-entropy n-gram model on the hashed features alone, trained by the same online SGD and
schedule (a second model for the thesis's maximum-entropy row; SRILM's ``-maxent``, which
matches that row, is ``rnnlm.ngram.maxent``).

Learning (``learnNet``): per-word online SGD of the output weights and ``syn_d`` with error
``onehot - p``; hidden errors clipped to +-``gradient_cutoff``; every ``bptt_block`` words the
errors of the block are backpropagated ``bptt + bptt_block - 2`` steps through time into a
temporary ``bptt_syn0`` that is then added to ``syn0``; L2 ``beta * alpha`` applied every 10th
word; ``independent`` resets the hidden state (to 1.0) at sentence ends.

Toolkit oddities reproduced on purpose (each named where it happens): ``FAST_EXP`` (Schraudolph's
bit-trick exponential, used for every sigmoid and softmax; ``fast_exp=False`` uses exact exp),
the flushed state is 0.1 (``netFlush``) but a reset state is 1.0 (``netReset``), BPTT buffers
carried from one epoch to the next, the validation pass starting with the n-gram history left
by training, rejected epochs not restoring ``syn_d``, the schedule's ``llogp`` taking the value
of a rejected epoch, 32-bit wrap-around in the feature hash, the word part of the hash dropping
an order once it wraps to index 0 (``word_spans``), and ``min_improvement`` being a C float.

Initial weights are the toolkit's own for the seed (``toolkit_init``: glibc ``rand()`` after
``srand(seed)``, reimplemented so any platform gets them); ``init="numpy"`` draws the same
distribution from numpy's RandomState instead.

The per-word loops exist twice: readable here (numpy, ``kernel="python"``) and compiled with
Numba in ``rnnlm.toolkit.kernel`` (``kernel="numba"``, the default where numba is installed),
operation for operation the same; only the order in which dot products and sums are added up
differs (BLAS and numpy's pairwise sums here), so the two agree to rounding in the last bits.
With ``FAST_EXP`` such a last-bit difference can, rarely, move the truncated exponent by one
step (2**-20 relative in one exp) and the runs then differ slightly more (about 1e-10 relative
in a summed log-probability after 20k words at hidden 500).

Differences (named): the test pass starts from the flushed state instead of the hidden vector
stored in the model file; the order in which colliding ``syn_d`` entries of different n-gram
orders are updated within one word (differences of order alpha*beta).
"""
import math

import numpy as np

from rnnlm.registry import register
from rnnlm.toolkit.classes import assign_classes
from rnnlm.toolkit.hash import MAX_NGRAM_ORDER, P01, _ngram_multipliers, word_spans
from rnnlm.toolkit.initnet import toolkit_init

# The clip ufunc itself: np.clip's Python wrapper costs more than the work (5.7 vs 2.2 us on a
# 100-vector). numpy has no public name for the ufunc; numpy._core.umath is its home in numpy 2
# and a warning-free alias in numpy 1.26 (np.core is deprecated in numpy 2).
try:
    from numpy._core.umath import clip as _clip  # noqa: E402
except ImportError:  # numpy < 1.26
    _clip = np.core.umath.clip
KERNELS = ("numba", "python")
PUBLISHED = {"rnn": 124.7, "me": 142.1}
# the thesis's RNN row is a 300-hidden model: a run of another size is not compared with it
PUBLISHED_HIDDEN = 300
PUBLISHED_SOURCE = "Mikolov 2012 PhD thesis (PTB, RNN with 300 hidden units 124.7, KN5 141.2)"
PUBLISHED_ME_SOURCE = "Mikolov 2012 PhD thesis, Table 4.1 (maximum entropy 5-gram 142.1)"


def published(hidden, direct_size, direct_order):
    """The thesis's figure for a model of this shape, and its source (None, None if none): the
    RNN row for the 300-hidden RNN without direct connections, the maximum-entropy 5-gram row
    for hidden 0 with direct connections of order 5."""
    if not direct_size and hidden == PUBLISHED_HIDDEN:
        return PUBLISHED["rnn"], PUBLISHED_SOURCE
    if direct_size and not hidden and direct_order == 5:
        return PUBLISHED["me"], PUBLISHED_ME_SOURCE
    return None, None


# FAST_EXP(y): high 32 bits of a double set to EXP_A*y + (1072693248 - EXP_C), low bits 0.
EXP_A = 1048576 / math.log(2)
EXP_C = 60801


def fast_exp(y):
    """The toolkit's ``FAST_EXP`` (Schraudolph 1999), elementwise on a float64 array."""
    hi = (EXP_A * np.asarray(y, dtype=np.float64) + (1072693248 - EXP_C)).astype(np.int64)
    return (hi << 32).view(np.float64)  # C's double->int conversion truncates, as astype does


def default_kernel():
    """``numba`` where the package is importable, else ``python`` (the numpy loop)."""
    import importlib.util
    return "numba" if importlib.util.find_spec("numba") is not None else "python"


def check_kernel(kernel):
    """``kernel`` resolved (None: ``default_kernel()``); a kernel that cannot run here is a
    ``RunError`` naming the option."""
    from rnnrepro.runsafe import RunError
    if kernel is None:
        return default_kernel()
    if kernel not in KERNELS:
        raise RunError(f"--kernel {kernel}: not one of {', '.join(KERNELS)}")
    if kernel == "numba" and default_kernel() != "numba":
        raise RunError("--kernel numba: the numba package is not installed here; "
                       "use --kernel python")
    return kernel


def warm_up_kernel():
    """Compile the numba kernel's two loops (or load them from numba's cache) on a throwaway
    3-word model, so that the first epoch's time is training time."""
    from rnnlm.toolkit import kernel
    m = ClassRNNLM(["</s>", "a", "b"], [3, 2, 1], hidden=2, class_size=2, direct_size=8,
                   init="numpy", kernel="numba")
    words = np.array([1, 2, -1, 0], dtype=np.int64)
    _, _, history = kernel.train_epoch(m, words, 0.1)
    kernel.evaluate(m, words, history, np.full(2, 0.1))


class _Net:
    """What ``computeNet`` leaves for ``learnNet`` (the toolkit keeps it in the layers)."""
    __slots__ = ("h", "hc", "pc", "c", "s", "e", "hw", "pw")


class ClassRNNLM:
    """Parameters and the faithful per-word trainer of the toolkit.

    Weights (toolkit names): ``U`` (vocab, hidden) = syn0 input columns, ``W`` (hidden, hidden)
    = syn0 recurrent part, ``V1`` (vocab, hidden) / ``C1`` (classes, hidden) = syn1 word / class
    rows, ``syn_d`` = direct-connection hash.
    """

    def __init__(self, vocab, counts, hidden=100, class_size=100, old_classes=False,
                 direct_size=0, direct_order=3, bptt=4, bptt_block=10, gradient_cutoff=15.0,
                 beta=1e-7, independent=False, seed=1, fast_exp=True, init="toolkit",
                 arrays=None, kernel=None):
        self.vocab = list(vocab)
        self.counts = np.asarray(counts, dtype=np.int64)
        self.hidden, self.class_size = hidden, class_size
        self.old_classes = old_classes
        self.direct_size = int(direct_size)
        self.direct_order = min(int(direct_order), MAX_NGRAM_ORDER) if self.direct_size else 0
        self.bptt, self.bptt_block = bptt, bptt_block
        self.gradient_cutoff, self.beta = gradient_cutoff, beta
        self.independent, self.seed, self.fast_exp = independent, seed, fast_exp
        # netFlush's "last hidden layer is initialized to vector of 0.1 values"; BPTT does not see
        # it (its buffer holds zeros there), so gradient checks set it to 0.
        self.flush_value = 0.1
        V, H = len(self.vocab), hidden
        self.word_class = assign_classes(self.counts, class_size, old_classes)
        C = self.n_classes = int(self.word_class.max()) + 1
        self.cstart = np.searchsorted(self.word_class, np.arange(C), side="left")
        self.cend = np.searchsorted(self.word_class, np.arange(C), side="right")
        self.ngram_multipliers = _ngram_multipliers(max(self.direct_order, 1))
        if init not in ("toolkit", "numpy"):
            raise ValueError(f"init must be 'toolkit' or 'numpy', not {init!r}")
        self.init = init
        if arrays is None:
            if init == "toolkit":  # the toolkit's own weights for this seed (glibc rand())
                U, W, V1, C1 = toolkit_init(V, H, class_size, seed)
            else:  # same distribution from numpy's RandomState (the choice before toolkit_init)
                rng = np.random.RandomState(seed)
                r = lambda *s: (rng.uniform(-0.1, 0.1, s) + rng.uniform(-0.1, 0.1, s)
                                + rng.uniform(-0.1, 0.1, s))  # random()+random()+random()
                U, W, V1, C1 = r(V, H), r(H, H), r(V, H), r(class_size, H)
            arrays = {"U": U, "W": W, "V1": V1, "C1": C1, "syn_d": np.zeros(self.direct_size)}
        self.U, self.W, self.V1, self.C1, self.syn_d = (
            np.array(arrays[k], dtype=np.float64) for k in ("U", "W", "V1", "C1", "syn_d"))
        # how the per-word loops run (not a hyper-parameter: both give the same numbers)
        self.kernel = check_kernel(kernel)
        self.reset_training_state()

    # -- bookkeeping ---------------------------------------------------------------------
    def hyper(self):
        return dict(hidden=self.hidden, class_size=self.class_size, old_classes=self.old_classes,
                    direct_size=self.direct_size, direct_order=self.direct_order, bptt=self.bptt,
                    bptt_block=self.bptt_block, gradient_cutoff=self.gradient_cutoff,
                    beta=self.beta, independent=self.independent, seed=self.seed,
                    fast_exp=self.fast_exp, init=self.init)

    def arrays(self):
        return {"U": self.U, "W": self.W, "V1": self.V1, "C1": self.C1, "syn_d": self.syn_d}

    def reset_training_state(self):
        n = self.bptt + self.bptt_block
        self.bptt_hidden_ac = np.zeros((n + 1, self.hidden))
        self.bptt_hidden_er = np.zeros((n + 1, self.hidden))

    def _exp(self, x):
        return fast_exp(x) if self.fast_exp else np.exp(x)

    def _sigmoid(self, a):
        _clip(a, -50, 50, out=a)
        return 1.0 / (1.0 + self._exp(-a))

    def _softmax(self, z):
        _clip(z, -50, 50, out=z)  # the toolkit clips instead of subtracting the max
        e = self._exp(z)
        return e / e.sum()

    def ngram_sums(self, history):
        """S[a] = sum_{b=1..a} M[a][b] (history[b-1]+1); stops at an OOV in the history."""
        sums = []
        for a in range(self.direct_order):
            if a > 0 and history[a - 1] == -1:
                break
            m = self.ngram_multipliers[a]
            sums.append(sum(m[b] * (history[b - 1] + 1) for b in range(1, a + 1)))
        return sums

    def class_hashes(self, sums):
        half = self.direct_size // 2
        out = []
        for s in sums:
            h = (P01 + s) % half
            if not h:  # the toolkit's `if (hash[b]) ... else break`
                break
            out.append(h)
        return out

    def word_hashes(self, sums, c):
        half = self.direct_size // 2
        return [(P01 * (c + 1) + s) % half + half for s in sums]  # never 0: >= half

    # -- the forward pass of one word (computeNet) ----------------------------------------
    def hidden_step(self, prev, last_word):
        a = self.W @ prev
        if last_word != -1:
            a += self.U[last_word]
        return self._sigmoid(a)

    def class_probs(self, h, hc):
        z = self.C1 @ h
        for hb in hc:
            z += self.syn_d[hb:hb + self.class_size]
        return self._softmax(z)

    def word_probs(self, h, c, hw):
        s, e = self.cstart[c], self.cend[c]
        z = self.V1[s:e] @ h
        for hb, lim in word_spans(hw, e - s, self.direct_size):
            z[:lim] += self.syn_d[hb:hb + lim]
        return self._softmax(z)

    # -- training: one epoch of trainNet's inner loop -------------------------------------
    def train_epoch(self, words, alpha, progress=None, logp_out=None):
        """``trainNet``'s inner loop, one epoch of online SGD over ``words`` (ids, -1 = OOV):
        per word ``computeNet``, shift the BPTT memory, ``learnNet``, then the next word
        (``copyHiddenLayerToInput``, history, ``netReset`` in independent mode). Returns (log10
        prob sum, words scored, final n-gram history). ``progress`` is called every 10000 words
        with the count; ``logp_out`` (an array as long as ``words``) receives each word's log10
        probability (NaN for an OOV word). ``self.kernel == "numba"`` runs the compiled copy of
        this loop (``rnnlm.toolkit.kernel``)."""
        if self.kernel == "numba":
            from rnnlm.toolkit import kernel
            return kernel.train_epoch(self, words, alpha, progress, logp_out)
        prev = np.full(self.hidden, self.flush_value)  # netFlush
        return self._online_sgd(words, alpha, prev, progress, logp_out)

    def _online_sgd(self, words, alpha, prev, progress=None, logp_out=None, counter=None):
        """The per-word loop of ``trainNet`` (and of ``testNet -dynamic``) from the hidden state
        ``prev``: ``computeNet``, score, shift the BPTT memory, ``learnNet``, next word.
        ``counter``: the value learnNet sees at every word (testNet's, never advanced); None:
        the running word count, as in training. Returns (log10 prob sum, words scored, final
        n-gram history)."""
        bptt_history = [0] * (self.bptt + self.bptt_block)  # bptt_history[a]=0 at the start
        history = [0] * MAX_NGRAM_ORDER
        last_word = 0
        n = 0
        logp, wordcn = 0.0, 0
        dU = {}
        for word in words:
            n += 1
            if progress is not None and n % 10000 == 0:
                progress(n)
            word = int(word)
            net = self.compute_net(prev, last_word, history, word)
            if word != -1:
                lp = math.log10(net.pc[net.c] * net.pw[word - net.s])
                logp += lp
                wordcn += 1
            if logp_out is not None:
                logp_out[n - 1] = lp if word != -1 else math.nan
            if self.bptt > 0:
                self._shift_bptt_memory(bptt_history, last_word)
            if word != -1:   # learnNet returns at once for an OOV word
                self.learn_net(net, word, prev, last_word, alpha, n if counter is None
                               else counter, bptt_history, dU)
            # ---- next word
            prev = net.h
            last_word = word
            history.insert(0, last_word)
            history.pop()
            if self.independent and word == 0:
                prev, history = self._net_reset(bptt_history)
        return logp, wordcn, history

    def compute_net(self, prev, last_word, history, word):
        """``computeNet`` for one word: the hidden state, the class distribution and, for an
        in-vocabulary ``word``, the distribution over its class (with the hashes used)."""
        net = _Net()
        net.h = self.hidden_step(prev, last_word)
        direct = self.direct_size > 0
        if direct:
            sums = self.ngram_sums(history)
            net.hc = self.class_hashes(sums)
        else:
            net.hc = ()
        net.pc = self.class_probs(net.h, net.hc)
        if word != -1:
            c = net.c = self.word_class[word]
            net.s, net.e = self.cstart[c], self.cend[c]
            net.hw = self.word_hashes(sums, c) if direct else ()
            net.pw = self.word_probs(net.h, c, net.hw)
        return net

    def _shift_bptt_memory(self, bptt_history, last_word):
        """The BPTT buffers move one step back: the input word and the hidden activations and
        errors of the last ``bptt + bptt_block`` steps (trainNet, before learnNet)."""
        nb = self.bptt + self.bptt_block
        bptt_history.insert(0, last_word)
        bptt_history.pop()
        self.bptt_hidden_ac[1:nb] = self.bptt_hidden_ac[0:nb - 1]
        self.bptt_hidden_er[1:nb] = self.bptt_hidden_er[0:nb - 1]

    def learn_net(self, net, word, prev, last_word, alpha, counter, bptt_history, dU):
        """``learnNet`` for one in-vocabulary word: output errors ``onehot - p``, the ``syn_d``
        and output-row updates, the clipped hidden error, then plain backpropagation
        (``bptt <= 1``) or, every ``bptt_block`` words, ``_bptt_block``. L2 ``beta * alpha``
        only on every 10th word ("regularization is done every 10. step")."""
        V1, C1 = self.V1, self.C1
        cutoff, beta2 = self.gradient_cutoff, self.beta * alpha
        beta3 = beta2 * 1  # toolkit: "beta3 can be possibly larger than beta2"
        h, s, e, c = net.h, net.s, net.e, net.c
        l2 = (counter % 10) == 0
        er_w = -net.pw
        er_w[word - s] += 1.0
        er_c = -net.pc
        er_c[c] += 1.0
        if self.direct_size > 0:
            syn_d = self.syn_d
            for hb, lim in word_spans(net.hw, e - s, self.direct_size):
                sl = slice(hb, hb + lim)
                syn_d[sl] += alpha * er_w[:lim] - syn_d[sl] * beta3
            for hb in net.hc:
                sl = slice(hb, hb + self.class_size)
                syn_d[sl] += alpha * er_c - syn_d[sl] * beta3
        # hidden error from the word rows, then from the class rows (each clipped)
        er_h = _clip(er_w @ V1[s:e], -cutoff, cutoff)
        er_h = _clip(er_h + er_c @ C1, -cutoff, cutoff)
        if l2:
            V1[s:e] += alpha * (er_w[:, None] * h) - V1[s:e] * beta2
            C1 += alpha * (er_c[:, None] * h) - C1 * beta2
        else:
            V1[s:e] += alpha * (er_w[:, None] * h)
            C1 += alpha * (er_c[:, None] * h)
        if self.bptt <= 1:  # plain backpropagation
            er = er_h * h * (1 - h)
            if last_word != -1:
                self.U[last_word] += alpha * er - (self.U[last_word] * beta2 if l2 else 0)
            self.W += alpha * (er[:, None] * prev) - (self.W * beta2 if l2 else 0)
        else:
            self.bptt_hidden_ac[0] = h
            self.bptt_hidden_er[0] = er_h
            if counter % self.bptt_block == 0 or (self.independent and word == 0):
                self._bptt_block(er_h, h, prev, alpha, l2, bptt_history, dU)

    def bptt_steps(self):
        """How far one block's errors go back in time: ``bptt + bptt_block - 2`` steps
        (learnNet's ``for (step=0; step<bptt+bptt_block-2; step++)``)."""
        return self.bptt + self.bptt_block - 2

    def _bptt_block(self, er_h, h, prev, alpha, l2, bptt_history, dU):
        """learnNet's BPTT block: the errors of the last ``bptt_block`` words propagated
        ``bptt_steps()`` steps back through ``syn0`` (errors clipped at every step), the
        gradients gathered in a temporary (``bptt_syn0``) and then added, with the L2 decay."""
        W, U, bh_ac, bh_er = self.W, self.U, self.bptt_hidden_ac, self.bptt_hidden_er
        cutoff, beta2 = self.gradient_cutoff, self.beta * alpha
        steps = self.bptt_steps()
        er, ac, inp = er_h, h, prev
        ers, inps = [], []
        for step in range(steps):
            er = er * ac * (1 - ac)
            a = bptt_history[step]
            if a != -1:
                g = dU.get(a)
                dU[a] = alpha * er if g is None else g + alpha * er
            e0 = _clip(er @ W, -cutoff, cutoff)  # propagate errors 1->0
            ers.append(er)
            inps.append(inp)
            er = e0 + bh_er[step + 1]
            if step < steps - 1:
                ac = bh_ac[step + 1]
                inp = bh_ac[step + 2]
        bh_er[:] = 0
        dW = alpha * (np.array(ers).T @ np.array(inps))
        if l2:
            W += dW - W * beta2
        else:
            W += dW
        for step in range(steps):
            a = bptt_history[step]
            if a == -1:
                continue
            # a word seen twice gets its gradient once and the decay twice
            g = dU.pop(a, None)
            if g is not None:
                U[a] += g
            if l2:
                U[a] -= U[a] * beta2
        dU.clear()

    def _net_reset(self, bptt_history):
        """``netReset``: hidden state 1.0, BPTT history cleared past the newest entry."""
        nb = self.bptt + self.bptt_block
        for a in range(1, nb):
            bptt_history[a] = 0
        self.bptt_hidden_ac[2:nb] = 0
        self.bptt_hidden_er[2:nb] = 0
        return np.ones(self.hidden), [0] * MAX_NGRAM_ORDER

    # -- evaluation ---------------------------------------------------------------------
    def evaluate(self, words, history=None, test=False, logp_out=None):
        """Validation/test pass (no learning): (log10 prob sum, words scored).

        Starts from the flushed state (0.1), ``last_word`` = sentence end; ``history`` is the
        n-gram history to start from (zeros unless given: validation in trainNet inherits the
        training history). ``test=True`` is testNet's start: with ``independent`` it calls
        netReset first, so the state starts at 1.0 (trainNet's validation pass does not).
        ``logp_out`` as for ``train_epoch`` (both kernels fill it): word i's log10 probability,
        NaN for an OOV word (-1, which the toolkit skips); ``10 ** logp_out`` without the NaNs is
        what ``-debug 2`` prints per word, the per-word file ``rnnlm mix`` reads beside an
        n-gram's (``trainnet.test_net`` writes it)."""
        history = list(history) if history is not None else [0] * MAX_NGRAM_ORDER
        prev = np.full(self.hidden, 1.0 if (test and self.independent) else self.flush_value)
        if self.kernel == "numba":
            from rnnlm.toolkit import kernel
            return kernel.evaluate(self, words, history, prev, logp_out)
        last_word, logp, wordcn = 0, 0.0, 0
        direct = self.direct_size > 0
        for i, word in enumerate(words):
            word = int(word)
            h = self.hidden_step(prev, last_word)
            if word != -1:
                sums = self.ngram_sums(history) if direct else ()
                c = self.word_class[word]
                pc = self.class_probs(h, self.class_hashes(sums) if direct else ())
                pw = self.word_probs(h, c, self.word_hashes(sums, c) if direct else ())
                lp = math.log10(pc[c] * pw[word - self.cstart[c]])
                logp += lp
                wordcn += 1
            if logp_out is not None:
                logp_out[i] = lp if word != -1 else math.nan
            prev, last_word = h, word
            history.insert(0, word)
            history.pop()
            if self.independent and word == 0:
                prev, history = np.ones(self.hidden), [0] * MAX_NGRAM_ORDER
        return logp, wordcn

    def evaluate_dynamic(self, words, alpha, logp_out=None):
        """``testNet`` with ``-dynamic ALPHA``: each word scored as ``evaluate(test=True)``
        scores it, then learnt (``learnNet`` at rate ``alpha``), so the model adapts to the
        text as it goes; returns (log10 prob sum, words scored). It changes the weights: run
        it on a model loaded for the purpose. The numpy loop only, whatever ``kernel``.

        As the toolkit does it: the BPTT word history starts at 0 and the buffers empty
        (``restoreNet`` allocates them zeroed); ``counter`` is never advanced in ``testNet``
        and ``trainNet`` leaves it at 0, so every word's ``learnNet`` sees counter 0: the L2
        decay (``counter % 10 == 0``) and the BPTT block (``counter % bptt_block == 0``) at
        every word."""
        self.bptt_hidden_ac[...] = 0
        self.bptt_hidden_er[...] = 0
        prev = np.full(self.hidden, 1.0 if self.independent else self.flush_value)
        logp, wordcn, _ = self._online_sgd(words, alpha, prev, logp_out=logp_out, counter=0)
        return logp, wordcn

    def sequence_logprob(self, words):
        """Natural-log probability of ``words`` (all of them scored)."""
        lp, _ = self.evaluate(words)
        return lp * math.log(10)

    # -- full distribution (scorer, generation) -----------------------------------------------
    def distribution(self, h, history):
        """P(w | h) for every word: P(class) * P(word | class), sums to one over the vocabulary."""
        direct = self.direct_size > 0
        sums = self.ngram_sums(history) if direct else ()
        pc = self.class_probs(h, self.class_hashes(sums) if direct else ())
        out = np.empty(len(self.vocab))
        for c in range(self.n_classes):
            s, e = self.cstart[c], self.cend[c]
            out[s:e] = pc[c] * self.word_probs(h, c, self.word_hashes(sums, c) if direct else ())
        return out


class ClassRNNScorer:
    """Scorer protocol of ``rnnlm.registry`` for a toolkit-recipe model (``<eos>`` = ``</s>``)."""

    begin_token = "<eos>"
    end_token = "<eos>"
    unknown_token = "<unk>"

    def __init__(self, model):
        self.model = model
        self.vocab = model.vocab
        self.word_to_index = {w: i for i, w in enumerate(self.vocab)}

    def start(self):
        return (np.full(self.model.hidden, self.model.flush_value), [0] * MAX_NGRAM_ORDER)

    def advance(self, state, idx):
        prev, history = state
        m = self.model
        if m.independent and idx == 0:
            # independent mode: after reading </s> the toolkit resets (s = 1.0, empty history)
            prev, history = np.ones(m.hidden), [0] * MAX_NGRAM_ORDER
        h = m.hidden_step(prev, idx)
        history = [idx] + list(history[:-1])
        return m.distribution(h, history), (h, history)


def array_shapes(vocab_size, hyper):
    """The shapes of ``ClassRNNLM.arrays()`` for ``vocab_size`` words and ``hyper``."""
    V, H = vocab_size, hyper["hidden"]
    return {"U": (V, H), "W": (H, H), "V1": (V, H), "C1": (hyper["class_size"], H),
            "syn_d": (int(hyper["direct_size"]),)}


def load_model(arrays, state, kernel=None):
    return ClassRNNLM(state["vocab"], state["counts"], arrays=arrays, kernel=kernel,
                      **state["hyper"])


@register("class-rnn", shapes=lambda state: array_shapes(len(state["vocab"]), state["hyper"]),
          state_keys=("vocab", "counts", "hyper"))
def _load(arrays, state):
    return ClassRNNScorer(load_model(arrays, state))
