"""Interpolated modified Kneser-Ney n-grams as SRILM's
``ngram-count -order N -kndiscount -interpolate [-gtNmin K]`` estimates them, in numpy
(and SRILM's default Good-Turing / Katz back-off estimator: ``GoodTuring`` below).

The equations, order by order (``i`` = 1..N, ``h`` a context of ``i-1`` words, ``h'`` = ``h``
without its first word)::

    c(h w)    the count of order i: the raw count at the highest order N, and at lower
              orders the continuation count N1+(. h w) = number of distinct words v with
              c(v h w) > 0; an n-gram that starts with <s> keeps its raw count (nothing can
              precede it; SRILM's KneserNey::prepareCounts skips n-grams led by a non-event)
    n_k       count-of-counts of order i: n-grams with c = k (k = 1..4), taken over *all*
              n-grams of the order, those a cutoff then drops included
    Y = n1 / (n1 + 2 n2),  D1 = 1 - 2Y n2/n1,  D2 = 2 - 3Y n3/n2,  D3+ = 3 - 4Y n4/n3
              (Chen & Goodman 1998; SRILM ModKneserNey::estimate; zero n_k or a negative D
              is an error there and here)
    T(h)      sum of c(h w) over every w following h (again cutoff n-grams included)
    gamma(h)  = (D1 N1(h) + D2 N2(h) + D3+ N3+(h)) / T(h), N_k(h) = number of w with
              c(h w) = k (N3+: >= 3)
    p_i(w|h)  = (c(h w) - D(c)) / T(h) + gamma(h) P_{i-1}(w|h')   for every kept n-gram
              (c(h w) >= the order's minimum count, SRILM's -gtNmin)
    P_i(w|h)  = p_i(w|h) if h w is kept, else bow(h) P_{i-1}(w|h'), with
    bow(h)    = (1 - sum_kept p_i(.|h)) / (1 - sum_kept P_{i-1}(.|h'))   (Ngram::computeBOW)
    P_0(w)    = 1 / |V|, |V| = the vocabulary less <s> (interpolation ends at the uniform
              distribution, as SRILM's ``lowerOrderProb = -log10(vocabSize)`` does)

Without cutoffs bow(h) = gamma(h); with them the mass of dropped n-grams goes to the lower
order through bow(h), exactly as in the ARPA file SRILM writes. A context never seen at
order i has P_i = P_{i-1}.

Conventions (SRILM's, with ``-unk`` semantics for PTB, whose text spells ``<unk>``):

- every line is a sentence ``<s> w1 .. wn </s>``; n-grams never cross a line; ``<s>`` is
  context only (a non-event: never predicted, unigram log-probability -99 in the ARPA file,
  left out of |V| and of every count-of-counts and total); ``</s>`` is a word, scored;
- ``<unk>`` is an ordinary word when the training text has it (PTB does): scored like any
  other; a test word outside the vocabulary is then scored as ``<unk>`` (SRILM ``-unk``).
  Without ``<unk>`` in training such a word is an OOV: not scored, counted, and contexts
  holding it back off past it (SRILM's closed vocabulary);
- perplexity = 10 ** (-sum log10 P / (words - OOVs + sentences)), SRILM's ``ppl``;
- per-word probabilities come one per scored token in text order, each line's words then its
  ``</s>``: the order of the toolkit's ``-debug 2`` test pass over the same file, so the two
  can be mixed (``rnnlm.ngram.mix``).

SRILM's retry hack (a context whose explicit probabilities already sum to 1 re-estimated
without interpolation) is not reproduced for KN: with every D > 0 interpolation always leaves
mass, so it never fires there (``GoodTuring`` has its own retry). Back-off weights follow
``computeBOW``'s 3e-6 thresholds; its rescaling of a context that covers every word is not
reproduced (no context of a realistic vocabulary does). SRILM stores log-probabilities as float32; we keep float64
(a difference of ~1e-7 in log10, invisible in perplexity). Cutoffs below 1, and a unigram
cutoff above 1, are refused (SRILM's ``distributeProb`` path for dropped unigrams is not
reproduced).

References followed: SRILM ``lm/src/Discount.cc`` (``ModKneserNey::estimate``,
``discount``, ``lowerOrderWeight``, ``KneserNey::prepareCounts``, ``GoodTuring::estimate``),
``lm/src/NgramLM.cc`` (``Ngram::estimate2``, ``computeBOW(s)``, ``distributeProb``,
``fixupProbs``), ``lm/src/ngram-count.cc`` (defaults ``gtmin = 1, 1, 2, 2, ...`` and
``gtmax = 1, 7, 7, ...`` by order; ``-unk`` keeps ``<unk>``: without it SRILM drops ``<unk>``
from the model and leaves it unscored, which the toolkit's example.sh does not pass; the
thesis's 141.2 / 148.3 match the scored-``<unk>`` numbers here), the ``ngram-discount(7)``
man page; Chen & Goodman, "An empirical study of
smoothing techniques for language modeling" (TR-10-98), section 3.
"""
import numpy as np

from rnnrepro.files import InputError
from rnnrepro.runsafe import RunError

BOS, EOS, UNK = "<s>", "</s>", "<unk>"
LOG10_ZERO = -99.0   # SRILM's LogP_Zero as written in ARPA files


def srilm_min_counts(order, given=None):
    """SRILM ngram-count's minimum counts per order (``-gtNmin``): 1 for unigrams and bigrams,
    2 above, overridden by ``given`` ({order: count})."""
    mins = {i: (1 if i <= 2 else 2) for i in range(1, order + 1)}
    for i, k in (given or {}).items():
        if not 1 <= i <= order:
            raise InputError(f"--min-count {i}={k}: the model has orders 1..{order}")
        if k < 1 or (i == 1 and k != 1):
            raise InputError(f"--min-count {i}={k}: a minimum count is >= 1 (and 1 for "
                             f"unigrams)")
        mins[i] = int(k)
    return [mins[i] for i in range(1, order + 1)]


class Vocabulary:
    """Word ids: 0 = ``<s>``, 1 = ``</s>``, then the training words in first-seen order."""

    def __init__(self, sentences):
        self.words = [BOS, EOS]
        self.index = {BOS: 0, EOS: 1}
        for s in sentences:
            for w in s:
                if w not in self.index:
                    self.index[w] = len(self.words)
                    self.words.append(w)
        self.unk = self.index.get(UNK, -1)

    def __len__(self):
        return len(self.words)

    @property
    def events(self):
        """|V| of the formulas: every word but ``<s>``."""
        return len(self.words) - 1


def stream(sentences, vocab, where="text"):
    """(tokens, positions): ``<s> w.. </s>`` per sentence; a word outside ``vocab`` is
    ``<unk>``'s id if the vocabulary has one, else -1 (an OOV); position 0 is ``<s>``."""
    for i, s in enumerate(sentences):
        for w in s:
            if w in (BOS, EOS):
                raise InputError(f"{where}: line {i + 1} holds {w}, which the n-gram model "
                                 f"adds itself at each line's start and end")
    idx, unk = vocab.index, vocab.unk
    ids, pos = [], []
    for s in sentences:
        ids.append(0)
        ids.extend(idx.get(w, unk) for w in s)
        ids.append(1)
        pos.extend(range(len(s) + 2))
    return np.asarray(ids, dtype=np.int64), np.asarray(pos, dtype=np.int64)


def _keys(prev_ids, tokens, pos, j, V):
    """Key of the j-gram ending at each position (prefix (j-1)-gram id * V + word), -1 where
    none: too near the line start, an OOV inside, or an unknown prefix."""
    key = np.full(len(tokens), -1, dtype=np.int64)
    prefix = np.full(len(tokens), -1, dtype=np.int64)
    prefix[1:] = prev_ids[:-1]
    ok = (pos >= j - 1) & (tokens >= 0) & (prefix >= 0)
    key[ok] = prefix[ok] * V + tokens[ok]
    return key


PROB_EPSILON = 3e-6   # SRILM's Prob_Epsilon (Prob.h)


def count_ngrams(tokens, pos, V, N):
    """Every n-gram of orders 1..N in a token stream (``stream``): (ids, keys, ctx, word, raw,
    rep), each a list by order (index ``j-1``; ``None`` at index 0 where order 1 has none):
    ``ids[j-1]`` the j-gram id at each position (-1: none), ``keys`` the sorted keys (prefix
    (j-1)-gram id * V + word), ``ctx`` the prefix (j-1)-gram id, ``word`` the last word,
    ``raw`` the counts, ``rep`` one position where each ends."""
    ids = [tokens.copy()]          # unigram id = word id
    keys, ctx, word, raw, rep = [None], [None], [None], [], []
    raw.append(np.bincount(tokens, minlength=V).astype(np.int64))
    first = np.full(V, -1, dtype=np.int64)
    first[tokens[::-1]] = np.arange(len(tokens) - 1, -1, -1)
    rep.append(first)
    for j in range(2, N + 1):
        key = _keys(ids[-1], tokens, pos, j, V)
        ok = np.flatnonzero(key >= 0)
        uniq, fidx, inv, cnt = np.unique(key[ok], return_index=True, return_inverse=True,
                                         return_counts=True)
        idj = np.full(len(tokens), -1, dtype=np.int64)
        idj[ok] = inv.reshape(-1)
        ids.append(idj)
        keys.append(uniq)
        ctx.append(uniq // V)
        word.append(uniq % V)
        raw.append(cnt.astype(np.int64))
        rep.append(ok[fidx])
    return ids, keys, ctx, word, raw, rep


def lookup_ngrams(keys, tokens, pos, V, N):
    """The ids among ``keys`` (``count_ngrams``) of the n-grams of orders 1..N ending at
    every position of a token stream, by order; -1 where the n-gram was never counted."""
    ids = [tokens.copy()]
    for j in range(2, N + 1):
        key = _keys(ids[-1], tokens, pos, j, V)
        kj = keys[j - 1]
        idx = np.searchsorted(kj, key)
        idx[idx >= len(kj)] = 0
        found = (key >= 0) & (len(kj) > 0)
        found &= kj[idx] == key if len(kj) else False
        ids.append(np.where(found, idx, -1))
    return ids


def ngram_id(keys, V, words):
    """id of the n-gram ``words`` (word ids) among ``keys`` (``count_ngrams``), -1 if not
    counted."""
    if not words or min(words) < 0:
        return -1
    gid = words[0]
    for j in range(2, len(words) + 1):
        key = gid * V + words[j - 1]
        i = int(np.searchsorted(keys[j - 1], key))
        if i >= len(keys[j - 1]) or keys[j - 1][i] != key:
            return -1
        gid = i
    return gid


def _srilm_bow(num, den):
    """Back-off weights from Ngram::computeBOW/computeBOWs: numerator and denominator under
    Prob_Epsilon count as zero; both zero gives 1; a negative numerator, or no denominator
    with a numerator left, is SRILM's improper-model case (weight 0, LogP_Zero)."""
    num = np.where(np.abs(num) < PROB_EPSILON, 0.0, num)
    den = np.where(np.abs(den) < PROB_EPSILON, 0.0, den)
    with np.errstate(divide="ignore", invalid="ignore"):
        bow = np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)
    bow = np.where((num < PROB_EPSILON) & (den < PROB_EPSILON), 1.0, bow)
    return np.where(num < 0, 0.0, bow)


class KneserNey:
    """An estimated model: per order ``i`` (list index ``i-1``) the sorted n-gram keys, their
    context id and word, count (modified below the top order), kept flag, probability
    ``p_i`` (kept ones) and the back-off weight of each n-gram as a context.

    ``min_counts``: SRILM's -gtNmin per order (default ``srilm_min_counts``); ``discounts``:
    per order, parameters to use instead of estimating them from the counts (SRILM's
    ``-knN``/``-gtN`` parameter files; the tests' hand-computed cases)."""

    def __init__(self, sentences, order=5, min_counts=None, discounts=None, name="training text"):
        if order < 1:
            raise InputError(f"order {order}: must be at least 1")
        self.order = order
        self.min_counts = list(min_counts) if min_counts else srilm_min_counts(order)
        if len(self.min_counts) != order:
            raise InputError(f"{len(self.min_counts)} minimum counts for order {order}")
        self.vocab = Vocabulary(sentences)
        tokens, pos = stream(sentences, self.vocab, name)
        if len(tokens) == 0:
            raise InputError(f"{name}: no sentences")
        self.sentences = len(sentences)
        self._estimate(tokens, pos, discounts)

    # ------------------------------------------------------------------ counting
    def _count(self, tokens, pos):
        ids, self.keys, self.ctx, self.word, self.raw, self.rep = count_ngrams(
            tokens, pos, len(self.vocab), self.order)
        return ids

    def _modified_counts(self, ids):
        """Counts as KN uses them: continuation counts below the top order (raw for n-grams
        led by ``<s>``), raw at the top."""
        N = self.order
        starts_bos = [np.arange(len(self.vocab)) == 0]
        for j in range(2, N + 1):
            starts_bos.append(starts_bos[-1][self.ctx[j - 1]])
        counts = []
        for j in range(1, N + 1):
            if j == N:
                counts.append(self.raw[j - 1].copy())
                continue
            # suffix of each (j+1)-gram = the j-gram ending at the same position
            suffix = ids[j - 1][self.rep[j]]
            cont = np.bincount(suffix, minlength=len(self.raw[j - 1])).astype(np.int64)
            counts.append(np.where(starts_bos[j - 1], self.raw[j - 1], cont))
        return counts

    # ------------------------------------------------------------------ estimation
    @staticmethod
    def discounts_from_counts(c, order_name="order"):
        """(D1, D2, D3+) from the count-of-counts of ``c`` (SRILM ModKneserNey::estimate)."""
        n = [int(np.count_nonzero(c == k)) for k in (1, 2, 3, 4)]
        if min(n) == 0:
            raise RunError(f"{order_name}: count-of-counts n1..n4 = {n}; modified Kneser-Ney "
                           f"needs all four above zero (SRILM refuses the same corpus)")
        y = n[0] / (n[0] + 2 * n[1])
        d = (1 - 2 * y * n[1] / n[0], 2 - 3 * y * n[2] / n[1], 3 - 4 * y * n[3] / n[2])
        if min(d) < 0:
            raise RunError(f"{order_name}: a modified Kneser-Ney discount is negative "
                           f"({', '.join(f'{x:.4f}' for x in d)}); SRILM refuses it too")
        return d

    def _estimate(self, tokens, pos, discounts):
        N, V = self.order, len(self.vocab)
        ids = self._count(tokens, pos)
        self.counts = self._modified_counts(ids)
        self.discounts, self.prob, self.kept, self.bow, self.count_of_counts = [], [], [], [], []
        P_prev = np.full(len(tokens), 1.0 / self.vocab.events)   # P_0: uniform over |V|
        P_prev_ngram = []          # P_i at each counted n-gram (kept: p_i; else its back-off)
        for j in range(1, N + 1):
            c = self.counts[j - 1]
            ev = np.ones(len(c), dtype=bool)
            if j == 1:
                ev[0] = False      # <s>: a non-event
            ctx = np.zeros(len(c), dtype=np.int64) if j == 1 else self.ctx[j - 1]
            nctx = 1 if j == 1 else len(self.raw[j - 2])
            self.count_of_counts.append([int(np.count_nonzero(c[ev] == k)) for k in (1, 2, 3, 4)])
            lower = P_prev[self.rep[j - 1]]
            kept = ev & (c >= self.min_counts[j - 1])
            p = self._order_probs(j, c, ev, kept, ctx, nctx, lower,
                                  None if discounts is None else discounts[j - 1])
            if j == 1:
                # computeBOWs(0) -> distributeProb: unigram mass left over (Good-Turing) goes
                # to every word alike (no vocabulary word is unseen here); under 3e-6: none
                left = 1.0 - p[kept].sum()
                if left >= PROB_EPSILON:
                    p = np.where(ev, p + left / self.vocab.events, 0.0)
            else:
                num = 1.0 - np.bincount(ctx, weights=np.where(kept, p, 0.0), minlength=nctx)
                den = 1.0 - np.bincount(ctx, weights=np.where(kept, lower, 0.0),
                                        minlength=nctx)
                self.bow[j - 2] = _srilm_bow(num, den)
            self.prob.append(p)
            self.kept.append(kept)
            self.bow.append(np.ones(len(c)))
            # P_j at every training position, for the next order's lower-order term
            P_prev = self._prob_at(j, ids, pos, P_prev)
            P_prev_ngram.append(P_prev[self.rep[j - 1]])
        self.ngram_prob = P_prev_ngram
        self.ngram_prob[0][0] = 0.0        # <s>

    def _order_probs(self, j, c, ev, kept, ctx, nctx, lower, given):
        """p_j of every counted n-gram of order ``j`` (interpolated modified KN)."""
        d = given if given is not None else self.discounts_from_counts(c[ev], f"order {j}")
        d = tuple(float(x) for x in d)
        self.discounts.append(d)
        D = np.where(c == 1, d[0], np.where(c == 2, d[1], d[2]))
        T = np.bincount(ctx, weights=np.where(ev, c, 0).astype(np.float64), minlength=nctx)
        Dmass = np.bincount(ctx, weights=np.where(ev, D, 0.0), minlength=nctx)
        Ts = np.where(T > 0, T, 1)
        gamma = Dmass / Ts
        return np.where(ev, (c - D) / Ts[ctx] + gamma[ctx] * lower, 0.0)

    def _prob_at(self, j, ids, pos, P_lower):
        """P_j(w_t | history) at every position from P_{j-1} (``ids``: n-gram ids by order)."""
        idj = ids[j - 1]
        hit = idj >= 0
        hit[hit] = self.kept[j - 1][idj[hit]]
        out = np.empty_like(P_lower)
        out[hit] = self.prob[j - 1][idj[hit]]
        if j == 1:
            miss = ~hit
            out[miss] = P_lower[miss]   # only <s> (never scored) or OOV positions
            return out
        ctx = np.full(len(idj), -1, dtype=np.int64)
        ctx[1:] = ids[j - 2][:-1]
        ctx[pos == 0] = -1             # <s>: nothing before it is its context
        bow = np.ones(len(idj))
        has = ctx >= 0
        bow[has] = self.bow[j - 2][ctx[has]]
        miss = ~hit
        out[miss] = bow[miss] * P_lower[miss]
        return out

    # ------------------------------------------------------------------ scoring
    def lookup_ids(self, tokens, pos):
        """n-gram ids (by order) of every position of a token stream, -1 where the n-gram
        was never counted."""
        return lookup_ngrams(self.keys, tokens, pos, len(self.vocab), self.order)

    def word_log10probs(self, sentences, where="text"):
        """Per scored token: log10 P (each line's words, then ``</s>``), plus the counts
        SRILM's ``ngram -ppl`` reports: {"log10": array, "words", "oovs", "sentences"}."""
        tokens, pos = stream(sentences, self.vocab, where)
        ids = self.lookup_ids(tokens, pos)
        P = np.full(len(tokens), 1.0 / self.vocab.events)
        for j in range(1, self.order + 1):
            P = self._prob_at(j, ids, pos, P)
        scored = (pos > 0) & (tokens >= 0)
        oov = (pos > 0) & (tokens < 0)
        return {"log10": np.log10(P[scored]), "words": int(np.count_nonzero(pos > 0)) - len(sentences),
                "oovs": int(np.count_nonzero(oov)), "sentences": len(sentences)}

    def perplexity(self, sentences, where="text"):
        r = self.word_log10probs(sentences, where)
        n = r["words"] - r["oovs"] + r["sentences"]
        return float(10 ** (-r["log10"].sum() / n)), r

    def distribution(self, history):
        """P(w | history) for every word id (``<s>`` gets 0): the full row, for checks."""
        hist = [self.vocab.index.get(w, self.vocab.unk) for w in history]
        out = np.zeros(len(self.vocab))
        for w in range(1, len(self.vocab)):
            out[w] = self.log10prob(hist, w, as_ids=True)
        out[1:] = 10 ** out[1:]
        return out

    def log10prob(self, history, word, as_ids=False):
        """log10 P(word | history) by the back-off recursion (one query; for checks)."""
        if not as_ids:
            history = [self.vocab.index.get(w, self.vocab.unk) for w in history]
            word = self.vocab.index.get(word, self.vocab.unk)
        hist = list(history)[-(self.order - 1):] if self.order > 1 else []
        if 0 in hist:      # nothing before <s> counts
            hist = hist[max(i for i, h in enumerate(hist) if h == 0):]
        return float(np.log10(self._backoff(hist, word)))

    def _id(self, words):
        """id of the n-gram ``words`` (ids), -1 if not counted."""
        return ngram_id(self.keys, len(self.vocab), words)

    def _backoff(self, hist, w):
        if w < 0:
            return 0.0
        j = len(hist) + 1
        gid = self._id(hist + [w])
        if gid >= 0 and self.kept[j - 1][gid]:
            return float(self.prob[j - 1][gid])
        lower = self._backoff(hist[1:], w) if hist else 1.0 / self.vocab.events
        if not hist:
            return lower
        cid = self._id(hist)
        return (float(self.bow[j - 2][cid]) if cid >= 0 else 1.0) * lower

    # ------------------------------------------------------------------ ARPA
    def write_arpa(self, path):
        """The model as an ARPA back-off file (SRILM's layout: log10 probabilities, back-off
        weights on the n-grams that are contexts, ``<s>`` at -99). Kept n-grams, plus any
        prefix of one that a cutoff dropped, written with its backed-off probability (SRILM's
        ``fixupProbs``; the distribution is unchanged)."""
        from rnnrepro.files import naming, write_text
        N = self.order
        written = [k.copy() for k in self.kept]
        written[0][0] = True                                  # <s>
        for j in range(N, 1, -1):
            need = np.zeros(len(written[j - 2]), dtype=bool)
            need[self.ctx[j - 1][written[j - 1]]] = True
            written[j - 2] |= need
        is_ctx = [np.zeros(len(w), dtype=bool) for w in written]
        for j in range(2, N + 1):
            is_ctx[j - 2][self.ctx[j - 1][written[j - 1]]] = True
        names = [list(self.vocab.words)]
        for j in range(2, N + 1):
            prev, vw = names[-1], self.vocab.words
            names.append([prev[c] + " " + vw[w] for c, w in
                          zip(self.ctx[j - 1].tolist(), self.word[j - 1].tolist())])
        lines = ["", "\\data\\"]
        lines += [f"ngram {j}={int(np.count_nonzero(written[j - 1]))}" for j in range(1, N + 1)]
        for j in range(1, N + 1):
            lines += ["", f"\\{j}-grams:"]
            with np.errstate(divide="ignore"):
                lp = np.log10(self.ngram_prob[j - 1])
                lb = np.log10(self.bow[j - 1])
            if j == 1:
                lp[0] = LOG10_ZERO
            nm = names[j - 1]
            for g in np.flatnonzero(written[j - 1]).tolist():
                if is_ctx[j - 1][g] and j < N:
                    lines.append(f"{lp[g]:.10g}\t{nm[g]}\t{lb[g]:.10g}")
                else:
                    lines.append(f"{lp[g]:.10g}\t{nm[g]}")
        lines += ["", "\\end\\", ""]
        with naming(path):
            write_text(path, "\n".join(lines))


class GoodTuring(KneserNey):
    """SRILM's default estimator (``ngram-count -order N`` without ``-kndiscount``): Katz
    back-off with Good-Turing discounts, raw counts at every order, no interpolation::

        p_i(w|h) = d(c) c(h w) / T(h)    for kept n-grams (c >= -gtNmin)
        d(c)     = ((c+1) n_{c+1} / (c n_c) - A) / (1 - A),  A = (K+1) n_{K+1} / n_1,
                   for 1 <= c <= K (-gtNmax: K = 1 for unigrams, 7 above); d(c) = 1 above K
                   and wherever the formula leaves (0, 1] or n_c = 0 (GoodTuring::estimate:
                   K is lowered while n_{K+1} = 0, and no n_1 disables discounting)
        P_i(w|h) = p_i(w|h) if kept, else bow(h) P_{i-1}(w|h')   (bow as for KN)

    T(h) counts the dropped n-grams too. A context whose kept probabilities leave no mass
    (under 3e-6) while it has not seen every word gets T(h) + 1 until they do (SRILM's
    "incrementing denominator" retry); unigram mass left over is spread over all words
    (``distributeProb``); ``<s>`` and the other conventions are those of ``KneserNey``.
    """

    MAX_COUNTS = (1, 7)   # ngram-count's gtmax: -gt1max 1, -gtNmax 7 for N >= 2

    def _modified_counts(self, ids):
        return [r.copy() for r in self.raw]

    @staticmethod
    def coefficients(c, max_count, order_name="order"):
        """d(1..K) (index 0 unused) and K from the count-of-counts of ``c``."""
        n = np.bincount(np.minimum(c, max_count + 2), minlength=max_count + 3).astype(float)
        K = max_count if n[1] > 0 else 0
        while K > 0 and n[K + 1] == 0:
            K -= 1
        d = np.ones(max_count + 1)
        if K > 0:
            common = (K + 1) * n[K + 1] / n[1]
            for i in range(1, K + 1):
                if n[i] == 0:
                    continue
                c0 = (i + 1) * n[i + 1] / (i * n[i])
                with np.errstate(divide="ignore", invalid="ignore"):
                    coeff = (c0 - common) / (1.0 - common)
                if np.isfinite(coeff) and coeff > PROB_EPSILON and c0 <= 1.0:
                    d[i] = coeff
        return d, K

    def _order_probs(self, j, c, ev, kept, ctx, nctx, lower, given):
        max_count = self.MAX_COUNTS[min(j, 2) - 1]
        d, K = (given if given is not None
                else self.coefficients(c[ev], max_count, f"order {j}"))
        self.discounts.append([float(x) for x in d[1:K + 1]])
        disc = np.where(c <= K, d[np.minimum(c, len(d) - 1)], 1.0)
        T = np.bincount(ctx, weights=np.where(ev, c, 0).astype(np.float64), minlength=nctx)
        seen = np.bincount(ctx, weights=ev.astype(np.float64), minlength=nctx)
        num = np.where(kept, disc * c, 0.0)
        while True:   # the retry: T + 1 where nothing is left for unseen words
            Ts = np.where(T > 0, T, 1)
            total = np.bincount(ctx, weights=num / Ts[ctx], minlength=nctx)
            retry = (T > 0) & (seen < self.vocab.events) & (total > 1.0 - PROB_EPSILON)
            if not retry.any():
                break
            T = T + retry
        return np.where(ev, disc * c / Ts[ctx], 0.0)


# ---------------------------------------------------------------------- ARPA reading
class ArpaModel:
    """An ARPA back-off model read back: ``probs[ngram] = (log10 p, log10 bow)``; scores with
    the standard back-off rule (for round-trip checks)."""

    def __init__(self, path):
        from rnnrepro.files import read_text
        self.path = path
        self.probs = {}
        self.order = 0
        section, declared = None, {}
        for n, line in enumerate(read_text(path, "ARPA file").splitlines(), 1):
            s = line.strip()
            if not s:
                continue
            if s == "\\data\\":
                section = "data"
            elif s == "\\end\\":
                break
            elif s.startswith("\\") and s.endswith("-grams:"):
                try:
                    section = int(s[1:-7])
                except ValueError:
                    raise InputError(f"{path}: line {n}: bad section header {s!r}") from None
                self.order = max(self.order, section)
            elif section == "data":
                if not s.startswith("ngram ") or "=" not in s:
                    raise InputError(f"{path}: line {n}: expected 'ngram N=count', got {s!r}")
                a, b = s[6:].split("=", 1)
                declared[int(a)] = int(b)
            elif isinstance(section, int):
                f = s.split()
                if len(f) not in (section + 1, section + 2):
                    raise InputError(f"{path}: line {n}: a {section}-gram line needs "
                                     f"{section + 1} or {section + 2} fields, has {len(f)}")
                try:
                    lp = float(f[0])
                    bow = float(f[-1]) if len(f) == section + 2 else 0.0
                except ValueError:
                    raise InputError(f"{path}: line {n}: not a number in {s!r}") from None
                self.probs[tuple(f[1:section + 1])] = (lp, bow)
            else:
                raise InputError(f"{path}: line {n}: text outside any section: {s!r}")
        for j, k in declared.items():
            got = sum(1 for g in self.probs if len(g) == j)
            if got != k:
                raise InputError(f"{path}: declares {k} {j}-grams, holds {got}")
        if not self.order:
            raise InputError(f"{path}: no n-gram sections (not an ARPA file?)")

    def log10prob(self, history, word):
        hist = tuple(history)[-(self.order - 1):] if self.order > 1 else ()
        if BOS in hist:
            hist = hist[len(hist) - 1 - hist[::-1].index(BOS):]
        if (UNK,) in self.probs and (word,) not in self.probs:
            word = UNK
        hist = tuple(h if (h,) in self.probs else UNK for h in hist)
        bow = 0.0
        while True:
            g = hist + (word,)
            if g in self.probs:
                return self.probs[g][0] + bow
            if not hist:
                return LOG10_ZERO + bow
            bow += self.probs.get(hist, (0.0, 0.0))[1]
            hist = hist[1:]

    def sentence_log10probs(self, words):
        """log10 P of each word and of ``</s>``, context starting at ``<s>``."""
        hist, out = [BOS], []
        for w in list(words) + [EOS]:
            out.append(self.log10prob(hist, w))
            hist.append(w)
        return out
