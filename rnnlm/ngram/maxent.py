"""A maximum-entropy n-gram model as SRILM's ``ngram-count -order N -maxent`` estimates it
(Alumäe & Kurimo, "Efficient estimation of maximum entropy language models with N-gram
features: an SRILM extension", Interspeech 2010; in SRILM since 1.7), in numpy and scipy.

The model (``h`` the history, ``h_k`` its last ``k`` words, ``<s>`` included)::

    P(w | h)  = exp(s(h, w)) / Z(h),   Z(h) = sum over every word w' but <s> of exp(s(h, w'))
    s(h, w)   = sum over k = 0..N-1 of lambda(h_k w), over the n-grams h_k w seen in training
              (one feature, one weight, per distinct n-gram of orders 1..N: no cutoffs)

and its weights maximise the regularised training log-likelihood (Chen's l1 + l2^2 prior,
SRILM's ``-maxent-alpha`` and ``-maxent-sigma2``, defaults 0.5 and 6 for estimation)::

    F(lambda) = sum over training events of log P(w | h)
                - alpha * sum |lambda| - sum lambda^2 / (2 sigma2)

F is concave, so its maximum does not depend on the optimiser: here scipy's L-BFGS-B on
lambda = u - v with u, v >= 0 (the usual exact rewrite of the l1 term), where SRILM's library
has its own quasi-Newton code. What the two share is the objective and its optimum; they part
only in how closely each converges (the record keeps the iterations and the final gradient).

Z(h) and the expected feature counts cost O(number of features) per evaluation, not
O(contexts x vocabulary), by the hierarchy of Wu & Khudanpur (2000) that SRILM's extension
uses: a word's score changes from its suffix-context's only where a longer n-gram feature
exists, so

    Z(c) = Z(c') + sum over features (c w) of [exp(s(c, w)) - exp(s(c', w))]

for each context ``c`` seen in training (``c'``: ``c`` without its first word), and the
expectation of feature ``(c w)`` collects ``count(n) P(w | n)`` over the contexts ``n`` ending
in ``c`` the same way, from the longest n-grams down (``_expectations``).

Conventions are those of ``rnnlm.ngram.kn`` (SRILM ``ngram -ppl``: ``</s>`` scored, ``<s>``
context only, ``<unk>`` a word). A test history is cut to its longest suffix seen in training
as a context (a longer one has no feature). Not reproduced: SRILM's ``-maxent-convert-to-arpa``
(an ARPA file of the model) and adaptation from a prior model (``-init-lm``).

Read here: SRILM's ``ngram-count.cc``, which hands ``MEModel::estimate`` the raw n-gram counts
(no ``-gtNmin`` cutoff reaches it: every n-gram is a feature) with ``-maxent-alpha`` (default
0.5) and ``-maxent-sigma2`` (0 means 6 for estimation). Not read: ``MEModel.cc`` and its
optimiser; the prior's scale is taken from Chen (2009, "Shrinking exponential language models"),
whose alpha = 0.5, sigma2 = 6 these defaults are: (alpha / D) |lambda|_1 + |lambda|^2 / (2 sigma2 D)
added to the mean negative log-likelihood over the D training events, the objective above
divided by D. Not established: that Mikolov's thesis (Table 4.1, "Maximum entropy 5-gram
model", 142.1) used this estimator; the records say so.
"""
import numpy as np

from rnnrepro.files import InputError
from rnnrepro.runsafe import RunError

from rnnlm.ngram.kn import Vocabulary, count_ngrams, lookup_ngrams, ngram_id, stream

ALPHA, SIGMA2 = 0.5, 6.0     # ngram-count's defaults for -maxent-alpha, -maxent-sigma2
GTOL = 1e-4                  # L-BFGS-B stops once no gradient entry (total objective) exceeds it


class MaxEnt:
    """An estimated maximum-entropy n-gram model: per order ``i`` (index ``i-1``) the n-gram
    features (``count_ngrams``'s keys) and their weights ``lam[i-1]``. ``alpha`` / ``sigma2``
    as SRILM's; ``sigma2=None`` drops the l2 term, ``alpha=0`` the l1 term. ``max_iter`` bounds
    L-BFGS-B's iterations; ``say`` gets a line every ``report`` evaluations of the objective."""

    def __init__(self, sentences, order=5, alpha=ALPHA, sigma2=SIGMA2, name="training text",
                 max_iter=2000, say=None, report=50):
        if order < 1:
            raise InputError(f"order {order}: must be at least 1")
        if alpha < 0 or (sigma2 is not None and sigma2 <= 0):
            raise InputError(f"-maxent-alpha {alpha} / -maxent-sigma2 {sigma2}: alpha must "
                             f"be >= 0 and sigma2 > 0")
        self.order, self.alpha, self.sigma2 = order, float(alpha), sigma2
        self.vocab = Vocabulary(sentences)
        tokens, pos = stream(sentences, self.vocab, name)
        if len(tokens) == 0:
            raise InputError(f"{name}: no sentences")
        self._structure(tokens, pos)
        self._fit(max_iter, say, report)

    # ------------------------------------------------------------------ structure
    def _structure(self, tokens, pos):
        """Features, the suffix links between orders, observed counts and context counts."""
        N, V = self.order, len(self.vocab)
        ids, self.keys, ctx, _, raw, rep = count_ngrams(tokens, pos, V, N)
        self.sizes = [len(r) for r in raw]
        # ctx[i]: the context (an order-i n-gram; order 0: the empty one) of each feature of
        # order i+1; suffix[i]: the order-i feature with the same word and one context word
        # less (the n-gram ending where it ends)
        self.ctx = [np.zeros(V, dtype=np.int64)] + ctx[1:]
        self.suffix = [None] + [ids[i - 1][rep[i]] for i in range(1, N)]
        obs = [r.astype(np.float64) for r in raw]
        obs[0][0] = 0.0                                    # <s>: never predicted, no feature
        self.observed = obs
        # each scored token is one event; its history reaches back min(N-1, position) tokens
        # (<s> included), its longest feature is the n-gram of that order + 1
        scored = pos > 0
        top = np.minimum(pos, N - 1) + 1
        self.context_count = [np.zeros(1)] + [np.zeros(n) for n in self.sizes[:N - 1]]
        for j in range(1, N + 1):
            at = scored & (top == j)
            if not at.any():
                continue
            f = ids[j - 1][at]
            self.context_count[j - 1] += np.bincount(self.ctx[j - 1][f],
                                                     minlength=len(self.context_count[j - 1]))
        self.events = int(np.count_nonzero(scored))
        self.is_event = np.ones(V, dtype=bool)
        self.is_event[0] = False

    def _parent_context(self, k):
        """For each context of length k >= 1 (an order-k n-gram), its context of length k-1."""
        return np.zeros(self.sizes[0], dtype=np.int64) if k == 1 else self.suffix[k - 1]

    # ------------------------------------------------------------------ the objective
    def _scores(self, lam):
        s = [lam[0]]
        for i in range(1, self.order):
            s.append(lam[i] + s[i - 1][self.suffix[i]])
        e = [np.exp(x) for x in s]
        e[0] = np.where(self.is_event, e[0], 0.0)
        return s, e

    def _normalisers(self, e):
        """Z of every context seen in training, by length (0: the empty context)."""
        Z = [np.array([e[0].sum()])]
        for k in range(1, self.order):
            delta = e[k] - e[k - 1][self.suffix[k]]
            Z.append(Z[k - 1][self._parent_context(k)]
                     + np.bincount(self.ctx[k], weights=delta, minlength=self.sizes[k - 1]))
        return Z

    def _expectations(self, e, Z):
        """Expected count of every feature under the model over the training histories."""
        N = self.order
        # M(c): sum of count(n) / Z(n) over the contexts n ending in c
        M = [None] * N
        M[N - 1] = self.context_count[N - 1] / Z[N - 1]
        for k in range(N - 2, -1, -1):
            M[k] = self.context_count[k] / Z[k] + np.bincount(
                self._parent_context(k + 1), weights=M[k + 1], minlength=len(Z[k]))
        E = [None] * N
        E[N - 1] = e[N - 1] * M[N - 1][self.ctx[N - 1]]
        for i in range(N - 2, -1, -1):
            # contexts below a longer feature of the same word take that feature's share
            child = E[i + 1] - e[i][self.suffix[i + 1]] * M[i + 1][self.ctx[i + 1]]
            E[i] = e[i] * M[i][self.ctx[i]] + np.bincount(self.suffix[i + 1], weights=child,
                                                          minlength=self.sizes[i])
        return E

    def log_likelihood(self, lam=None, gradient=False):
        """The training log-likelihood (natural log) at ``lam`` (default: the model's), and
        with ``gradient`` its gradient by order (observed minus expected counts)."""
        lam = self.lam if lam is None else lam
        s, e = self._scores(lam)
        Z = self._normalisers(e)
        ll = sum(float(self.observed[i] @ lam[i]) for i in range(self.order))
        ll -= sum(float(self.context_count[k] @ np.log(Z[k])) for k in range(self.order))
        if not gradient:
            return ll
        E = self._expectations(e, Z)
        g = [self.observed[i] - E[i] for i in range(self.order)]
        g[0][0] = 0.0
        return ll, g

    def _split(self, flat):
        return np.split(flat, np.cumsum(self.sizes)[:-1])

    def _fit(self, max_iter, say, report):
        from scipy.optimize import minimize
        n = sum(self.sizes)
        a, inv_s2 = self.alpha, (0.0 if self.sigma2 is None else 1.0 / self.sigma2)
        D = float(self.events)
        calls = [0]

        def f(x):
            u, v = x[:n], x[n:]
            lam = u - v
            ll, g = self.log_likelihood(self._split(lam), gradient=True)
            g = np.concatenate(g)
            obj = -ll + a * x.sum() + 0.5 * inv_s2 * float(lam @ lam)
            gl = -g + inv_s2 * lam
            calls[0] += 1
            if say and calls[0] % report == 0:
                say(f"  evaluation {calls[0]}: objective per event {obj / D:.6f}, "
                    f"training ppl {np.exp(-ll / D):.3f}")
            # per event: the scale at which L-BFGS-B's tolerances are read
            return obj / D, np.concatenate([gl + a, -gl + a]) / D

        # start from the unigram maximum-likelihood weights (log relative frequencies, an
        # exact optimum of the unregularised unigram model): fewer iterations, same optimum
        x0 = np.zeros(2 * n)
        uni = np.where(self.is_event, np.log(np.maximum(self.observed[0], 1.0) / D), 0.0)
        uni -= uni[self.is_event].mean()
        x0[:len(uni)] = np.maximum(uni, 0.0)
        x0[n:n + len(uni)] = np.maximum(-uni, 0.0)
        res = minimize(f, x0, jac=True, method="L-BFGS-B",
                       bounds=[(0.0, None)] * (2 * n),
                       options=dict(maxiter=max_iter, maxfun=2 * max_iter, gtol=GTOL / D,
                                    ftol=1e-12, maxcor=10))
        lam = res.x[:n] - res.x[n:]
        if not np.all(np.isfinite(lam)):
            raise RunError("maxent estimation: the weights are not finite")
        self.lam = self._split(lam)
        self.fit = {"iterations": int(res.nit), "evaluations": int(res.nfev),
                    "converged": bool(res.success), "message": str(res.message),
                    "objective_per_event": float(res.fun),
                    "nonzero_weights": int(np.count_nonzero(lam)), "weights": n - 1}   # <s>: none
        self._final = self._normalisers(self._scores(self.lam)[1])

    # ------------------------------------------------------------------ scoring
    def word_log10probs(self, sentences, where="text"):
        """Per scored token: log10 P (each line's words, then ``</s>``), and the counts of
        ``ngram -ppl``, as ``KneserNey.word_log10probs``."""
        V, N = len(self.vocab), self.order
        tokens, pos = stream(sentences, self.vocab, where)
        ids = lookup_ngrams(self.keys, tokens, pos, V, N)
        s, _ = self._scores(self.lam)
        Z = self._final
        n = len(tokens)
        score = np.zeros(n)
        logz = np.full(n, np.log(Z[0][0]))
        ok = tokens >= 0
        for j in range(1, N + 1):
            f = ids[j - 1]
            hit = (f >= 0) & ok & (pos > 0)
            score[hit] = s[j - 1][f[hit]]
            if j < N:        # the context of length j: the j-gram ending one token earlier
                c = np.full(n, -1, dtype=np.int64)
                c[1:] = f[:-1]
                has = c >= 0
                logz[has] = np.log(Z[j][c[has]])
        scored = (pos > 0) & ok
        return {"log10": (score[scored] - logz[scored]) / np.log(10.0),
                "words": int(np.count_nonzero(pos > 0)) - len(sentences),
                "oovs": int(np.count_nonzero((pos > 0) & ~ok)), "sentences": len(sentences)}

    def perplexity(self, sentences, where="text"):
        r = self.word_log10probs(sentences, where)
        n = r["words"] - r["oovs"] + r["sentences"]
        return float(10 ** (-r["log10"].sum() / n)), r

    def distribution(self, history):
        """P(w | history) for every word id (``<s>`` gets 0), word by word from the features:
        the full row, for checks."""
        V = len(self.vocab)
        hist = [self.vocab.index.get(w, self.vocab.unk) for w in history]
        if 0 in hist:
            hist = hist[max(i for i, h in enumerate(hist) if h == 0):]
        hist = hist[-(self.order - 1):] if self.order > 1 else []
        out = np.zeros(V)
        for w in range(1, V):
            total = 0.0
            for k in range(len(hist) + 1):
                gid = ngram_id(self.keys, V, hist[len(hist) - k:] + [w])
                if gid >= 0:
                    total += self.lam[k][gid]
            out[w] = np.exp(total)
        return out / out.sum()
