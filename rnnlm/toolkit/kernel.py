"""``trainNet``'s per-word loop (``computeNet``, ``learnNet`` with its BPTT block, ``netReset``)
and the test pass compiled with Numba: ``ClassRNNLM``'s ``kernel="numba"``.

The same arithmetic as the readable loop in ``rnnlm.toolkit.model``, operation for operation (the
clips, ``FAST_EXP``'s bit trick, ``onehot - p``, the syn_d spans and their order, the L2 decay
every 10th word, the BPTT gradients gathered per word and added once, decayed once per
appearance), written as loops over preallocated buffers instead of numpy calls. What differs is
only the order in which sums are added up, which numpy leaves to BLAS and to its pairwise
summation: here the dot products of the forward pass (row of a weight matrix times a vector)
may be reassociated by the compiler (vectorised partial sums), the vector-matrix products of
the backward pass and the BPTT gradient add term by term in order, and the softmax sums
sequentially, as the C toolkit does. With ``FAST_EXP`` those orders rarely matter: its
exponentials keep 20 mantissa bits, so a softmax's sum is exact in any order and a last-bit
difference in a pre-activation is truncated away. Measured on two epochs over the first 60k PTB
training words at hidden 100 (and a 20k-word validation pass): every per-word log-probability
and every V1 and C1 weight bitwise equal to the numpy loop's; U and W (the BPTT sums) within
2e-13. Tests: tests/test_toolkit_kernel.py (1e-11 relative on toy models).

Imported only when the numba kernel is used: ``numba`` is an optional dependency (installed
with PyTensor 3); without it ``ClassRNNLM`` runs the numpy loop.
"""
import math

import numba
import numpy as np

from rnnlm.toolkit.hash import P01

EXP_A = 1048576 / math.log(2)
EXP_K = float(1072693248 - 60801)
PROGRESS_EVERY = 10000  # train_epoch's progress callback: every 10000 words, as the numpy loop

_jit = numba.njit(cache=True, nogil=True)
# Only the forward dot products may be summed in any order (vectorised); no contraction to
# fused multiply-add anywhere, as in numpy's elementwise operations and the C toolkit at -O2.
_jit_reassoc = numba.njit(cache=True, nogil=True, fastmath={"reassoc"})


@_jit
def _exp_inplace(x, n, fast, ibuf, fbuf):
    """x[:n] = exp(x[:n]); ``fast``: the toolkit's FAST_EXP (high 32 bits of a double set to the
    truncated EXP_A*y + 1072693248 - EXP_C, low bits 0). ``fbuf`` is ``ibuf`` viewed as float64."""
    if fast:
        for i in range(n):
            ibuf[i] = np.int64(EXP_A * x[i] + EXP_K) << 32
        for i in range(n):
            x[i] = fbuf[i]
    else:
        for i in range(n):
            x[i] = math.exp(x[i])


@_jit
def _sigmoid_inplace(a, n, fast, ibuf, fbuf):
    """a = 1 / (1 + exp(-clip(a, -50, 50)))."""
    for i in range(n):
        v = a[i]
        if v < -50.0:
            v = -50.0
        elif v > 50.0:
            v = 50.0
        a[i] = -v
    _exp_inplace(a, n, fast, ibuf, fbuf)
    for i in range(n):
        a[i] = 1.0 / (1.0 + a[i])


@_jit
def _softmax_inplace(z, n, fast, ibuf, fbuf):
    """The toolkit's softmax: clip to +-50 (no max subtracted), exp, divide by the sum."""
    for i in range(n):
        v = z[i]
        if v < -50.0:
            z[i] = -50.0
        elif v > 50.0:
            z[i] = 50.0
    _exp_inplace(z, n, fast, ibuf, fbuf)
    s = 0.0
    for i in range(n):
        s += z[i]
    for i in range(n):
        z[i] = z[i] / s


@_jit_reassoc
def _matvec(M, r0, nrows, x, out):
    """out[:nrows] = M[r0:r0+nrows] @ x."""
    H = x.shape[0]
    for r in range(nrows):
        s = 0.0
        for j in range(H):
            s += M[r0 + r, j] * x[j]
        out[r] = s


@_jit
def _vecmat(v, M, r0, nrows, out):
    """out = v[:nrows] @ M[r0:r0+nrows], term by term in row order."""
    H = out.shape[0]
    for j in range(H):
        out[j] = 0.0
    for r in range(nrows):
        vr = v[r]
        for j in range(H):
            out[j] += vr * M[r0 + r, j]


@_jit
def _clip(x, cutoff):
    for i in range(x.shape[0]):
        v = x[i]
        if v < -cutoff:
            x[i] = -cutoff
        elif v > cutoff:
            x[i] = cutoff


@_jit
def _hashes(history, mult, direct_order, half, hc, sums):
    """ngram_sums and class_hashes: fills sums[:ns] and hc[:nc]; returns (ns, nc)."""
    ns = 0
    for a in range(direct_order):
        if a > 0 and history[a - 1] == -1:
            break
        s = 0
        for b in range(1, a + 1):
            s += mult[a, b] * (history[b - 1] + 1)
        sums[ns] = s
        ns += 1
    nc = 0
    for i in range(ns):
        h = (P01 + sums[i]) % half
        if h == 0:  # the toolkit's `if (hash[b]) ... else break`
            break
        hc[nc] = h
        nc += 1
    return ns, nc


@_jit
def _word_hashes(sums, ns, c, half, hw):
    for i in range(ns):
        hw[i] = (P01 * (c + 1) + sums[i]) % half + half


@_jit
def _forward_word(U, W, V1, C1, syn_d, cstart, cend, prev, last_word, h, word, c, pc, pw,
                  hc, nc, hw, nw, fast, ibuf, fbuf, direct_size):
    """computeNet: h (always); pc, pw for an in-vocabulary word (``word != -1``)."""
    H = h.shape[0]
    _matvec(W, 0, H, prev, h)
    if last_word != -1:
        for j in range(H):
            h[j] += U[last_word, j]
    _sigmoid_inplace(h, H, fast, ibuf, fbuf)
    if word == -1:
        return
    ncls = C1.shape[0]
    _matvec(C1, 0, ncls, h, pc)
    for t in range(nc):
        hb = hc[t]
        for i in range(ncls):
            pc[i] += syn_d[hb + i]
    _softmax_inplace(pc, ncls, fast, ibuf, fbuf)
    s, e = cstart[c], cend[c]
    k = e - s
    _matvec(V1, s, k, h, pw)
    lim = k
    for t in range(nw):  # word_spans: an order wrapped to index 0 drops it and all higher
        hb = hw[t]
        if direct_size - hb < lim:
            lim = direct_size - hb
        for i in range(lim):
            pw[i] += syn_d[hb + i]
    _softmax_inplace(pw, k, fast, ibuf, fbuf)


@_jit
def _bptt_block(U, W, bh_ac, bh_er, bhist, er_h, h, prev, alpha, beta2, l2, cutoff, steps,
                er, e0, ers, inps, acc, du, slot):
    """learnNet's BPTT block (model.ClassRNNLM._bptt_block)."""
    H = h.shape[0]
    for j in range(H):
        er[j] = er_h[j]
    ac = h
    inp = prev
    nslot = 0
    for step in range(steps):
        for j in range(H):
            er[j] = er[j] * ac[j] * (1 - ac[j])
        a = bhist[step]
        if a != -1:  # dU[a]: alpha * er summed over a word's appearances, in order
            sl = -1
            for t in range(step):
                if bhist[t] == a:
                    sl = slot[t]
                    break
            if sl == -1:
                sl = nslot
                nslot += 1
                for j in range(H):
                    du[sl, j] = alpha * er[j]
            else:
                for j in range(H):
                    du[sl, j] = du[sl, j] + alpha * er[j]
            slot[step] = sl
        for j in range(H):  # ers.append(er), inps.append(inp)
            ers[step, j] = er[j]
            inps[step, j] = inp[j]
        _vecmat(er, W, 0, H, e0)  # propagate errors 1->0
        _clip(e0, cutoff)
        for j in range(H):
            er[j] = e0[j] + bh_er[step + 1, j]
        if step < steps - 1:
            ac = bh_ac[step + 1]
            inp = bh_ac[step + 2]
    bh_er[:, :] = 0.0
    # dW = ers.T @ inps, one row at a time (summed over the steps in order), then
    # W += alpha * dW (- W * beta2): one pass over W instead of one per step
    for i in range(H):
        for j in range(H):
            acc[j] = ers[0, i] * inps[0, j]
        for step in range(1, steps):
            e = ers[step, i]
            for j in range(H):
                acc[j] += e * inps[step, j]
        if l2:
            for j in range(H):
                W[i, j] += alpha * acc[j] - W[i, j] * beta2
        else:
            for j in range(H):
                W[i, j] += alpha * acc[j]
    for step in range(steps):
        a = bhist[step]
        if a == -1:
            continue
        first = True  # a word seen twice gets its gradient once and the decay twice
        for t in range(step):
            if bhist[t] == a:
                first = False
                break
        if first:
            sl = slot[step]
            for j in range(H):
                U[a, j] += du[sl, j]
        if l2:
            for j in range(H):
                U[a, j] -= U[a, j] * beta2


@_jit
def train_words(words, lo, hi, U, W, V1, C1, syn_d, word_class, cstart, cend, mult,
                bh_ac, bh_er, prev, history, bhist, istate, fstate, logp_out,
                alpha, beta, cutoff, bptt, bptt_block, independent, fast, direct_order):
    """trainNet's inner loop over words[lo:hi] (model.ClassRNNLM.train_epoch); the loop state
    lives in ``prev``, ``history``, ``bhist``, ``istate`` = (last_word, counter, wordcn) and
    ``fstate`` = (logp,), so that a pass can be cut into pieces (progress in between).
    ``logp_out[i]``: word i's log10 probability (NaN for an OOV word), when it has the length
    of ``words``."""
    H = prev.shape[0]
    ncls = C1.shape[0]
    kmax = 1
    for c in range(cstart.shape[0]):
        if cend[c] - cstart[c] > kmax:
            kmax = cend[c] - cstart[c]
    nmax = max(H, ncls, kmax)
    ibuf = np.zeros(nmax, dtype=np.int64)
    fbuf = ibuf.view(np.float64)
    h = np.empty(H)
    pc = np.empty(ncls)
    pw = np.empty(kmax)
    er_c = np.empty(ncls)
    er_w = np.empty(kmax)
    er_h = np.empty(H)
    tmp = np.empty(H)
    er = np.empty(H)
    e0 = np.empty(H)
    nb = bptt + bptt_block
    steps = bptt + bptt_block - 2
    ers = np.empty((max(steps, 1), H))
    inps = np.empty((max(steps, 1), H))
    acc = np.empty(H)
    du = np.empty((max(steps, 1), H))
    slot = np.empty(max(steps, 1), dtype=np.int64)
    direct_size = syn_d.shape[0]
    half = direct_size // 2
    hc = np.empty(max(direct_order, 1), dtype=np.int64)
    hw = np.empty(max(direct_order, 1), dtype=np.int64)
    sums = np.empty(max(direct_order, 1), dtype=np.int64)
    trace = logp_out.shape[0] == words.shape[0]
    beta2 = beta * alpha
    beta3 = beta2 * 1  # toolkit: "beta3 can be possibly larger than beta2"
    last_word, counter, wordcn = istate[0], istate[1], istate[2]
    logp = fstate[0]
    for i in range(lo, hi):
        counter += 1
        word = words[i]
        nc = 0
        nw = 0
        c = 0
        if word != -1:
            c = word_class[word]
            if direct_size > 0:
                ns, nc = _hashes(history, mult, direct_order, half, hc, sums)
                _word_hashes(sums, ns, c, half, hw)
                nw = ns
        _forward_word(U, W, V1, C1, syn_d, cstart, cend, prev, last_word, h, word, c, pc, pw,
                      hc, nc, hw, nw, fast, ibuf, fbuf, direct_size)
        s = cstart[c]
        if word != -1:
            lp = math.log10(pc[c] * pw[word - s])
            logp += lp
            wordcn += 1
            if trace:
                logp_out[i] = lp
        elif trace:
            logp_out[i] = np.nan
        if bptt > 0:  # the BPTT memory moves one step back
            for a in range(nb - 1, 0, -1):
                bhist[a] = bhist[a - 1]
                for j in range(H):
                    bh_ac[a, j] = bh_ac[a - 1, j]
                    bh_er[a, j] = bh_er[a - 1, j]
            bhist[0] = last_word
        if word != -1:  # learnNet
            k = cend[c] - s
            l2 = (counter % 10) == 0
            for t in range(k):
                er_w[t] = -pw[t]
            er_w[word - s] += 1.0
            for t in range(ncls):
                er_c[t] = -pc[t]
            er_c[c] += 1.0
            if direct_size > 0:
                lim = k
                for t in range(nw):
                    hb = hw[t]
                    if direct_size - hb < lim:
                        lim = direct_size - hb
                    for q in range(lim):
                        syn_d[hb + q] += alpha * er_w[q] - syn_d[hb + q] * beta3
                for t in range(nc):
                    hb = hc[t]
                    for q in range(ncls):
                        syn_d[hb + q] += alpha * er_c[q] - syn_d[hb + q] * beta3
            # hidden error from the word rows, then from the class rows (each clipped)
            _vecmat(er_w, V1, s, k, er_h)
            _clip(er_h, cutoff)
            _vecmat(er_c, C1, 0, ncls, tmp)
            for j in range(H):
                er_h[j] = er_h[j] + tmp[j]
            _clip(er_h, cutoff)
            if l2:
                for t in range(k):
                    for j in range(H):
                        V1[s + t, j] += alpha * (er_w[t] * h[j]) - V1[s + t, j] * beta2
                for t in range(ncls):
                    for j in range(H):
                        C1[t, j] += alpha * (er_c[t] * h[j]) - C1[t, j] * beta2
            else:
                for t in range(k):
                    for j in range(H):
                        V1[s + t, j] += alpha * (er_w[t] * h[j])
                for t in range(ncls):
                    for j in range(H):
                        C1[t, j] += alpha * (er_c[t] * h[j])
            if bptt <= 1:  # plain backpropagation
                for j in range(H):
                    er[j] = er_h[j] * h[j] * (1 - h[j])
                if last_word != -1:
                    if l2:
                        for j in range(H):
                            U[last_word, j] += alpha * er[j] - U[last_word, j] * beta2
                    else:
                        for j in range(H):
                            U[last_word, j] += alpha * er[j]
                if l2:
                    for t in range(H):
                        for j in range(H):
                            W[t, j] += alpha * (er[t] * prev[j]) - W[t, j] * beta2
                else:
                    for t in range(H):
                        for j in range(H):
                            W[t, j] += alpha * (er[t] * prev[j])
            else:
                for j in range(H):
                    bh_ac[0, j] = h[j]
                    bh_er[0, j] = er_h[j]
                if counter % bptt_block == 0 or (independent and word == 0):
                    _bptt_block(U, W, bh_ac, bh_er, bhist, er_h, h, prev, alpha, beta2, l2,
                                cutoff, steps, er, e0, ers, inps, acc, du, slot)
        # ---- next word
        for j in range(H):
            prev[j] = h[j]
        last_word = word
        for a in range(history.shape[0] - 1, 0, -1):
            history[a] = history[a - 1]
        history[0] = last_word
        if independent and word == 0:  # netReset
            for a in range(1, nb):
                bhist[a] = 0
            for a in range(2, nb):
                for j in range(H):
                    bh_ac[a, j] = 0.0
                    bh_er[a, j] = 0.0
            for j in range(H):
                prev[j] = 1.0
            history[:] = 0
    istate[0], istate[1], istate[2] = last_word, counter, wordcn
    fstate[0] = logp


@_jit
def eval_words(words, U, W, V1, C1, syn_d, word_class, cstart, cend, mult, prev, history,
               independent, fast, direct_order, logp_out):
    """The validation/test pass (model.ClassRNNLM.evaluate) from ``prev`` and ``history``:
    returns (log10 prob sum, words scored); ``logp_out`` as for ``train_words``."""
    H = prev.shape[0]
    ncls = C1.shape[0]
    kmax = 1
    for c in range(cstart.shape[0]):
        if cend[c] - cstart[c] > kmax:
            kmax = cend[c] - cstart[c]
    ibuf = np.zeros(max(H, ncls, kmax), dtype=np.int64)
    fbuf = ibuf.view(np.float64)
    h = np.empty(H)
    pc = np.empty(ncls)
    pw = np.empty(kmax)
    direct_size = syn_d.shape[0]
    half = direct_size // 2
    hc = np.empty(max(direct_order, 1), dtype=np.int64)
    hw = np.empty(max(direct_order, 1), dtype=np.int64)
    sums = np.empty(max(direct_order, 1), dtype=np.int64)
    trace = logp_out.shape[0] == words.shape[0]
    last_word = 0
    logp = 0.0
    wordcn = 0
    for i in range(words.shape[0]):
        word = words[i]
        nc = 0
        nw = 0
        c = 0
        if word != -1:
            c = word_class[word]
            if direct_size > 0:
                ns, nc = _hashes(history, mult, direct_order, half, hc, sums)
                _word_hashes(sums, ns, c, half, hw)
                nw = ns
        _forward_word(U, W, V1, C1, syn_d, cstart, cend, prev, last_word, h, word, c, pc, pw,
                      hc, nc, hw, nw, fast, ibuf, fbuf, direct_size)
        if word != -1:
            lp = math.log10(pc[c] * pw[word - cstart[c]])
            logp += lp
            wordcn += 1
            if trace:
                logp_out[i] = lp
        elif trace:
            logp_out[i] = np.nan
        for j in range(H):
            prev[j] = h[j]
        last_word = word
        for a in range(history.shape[0] - 1, 0, -1):
            history[a] = history[a - 1]
        history[0] = word
        if independent and word == 0:
            for j in range(H):
                prev[j] = 1.0
            history[:] = 0
    return logp, wordcn


# ----------------------------------------------------------------------------- the drivers
def _weights(model):
    """The model's arrays as the kernel takes them (float64, C order, written in place)."""
    for k in ("U", "W", "V1", "C1", "syn_d", "bptt_hidden_ac", "bptt_hidden_er"):
        a = getattr(model, k)
        if a.dtype != np.float64 or not a.flags.c_contiguous or not a.flags.writeable:
            setattr(model, k, np.array(a, dtype=np.float64, order="C"))
    order = max(model.direct_order, 1)
    mult = np.zeros((order, order), dtype=np.int64)
    for a, row in enumerate(model._mult[:order]):
        mult[a, :len(row)] = row
    return (model.U, model.W, model.V1, model.C1, model.syn_d,
            np.ascontiguousarray(model.word_class, dtype=np.int64),
            np.ascontiguousarray(model.cstart, dtype=np.int64),
            np.ascontiguousarray(model.cend, dtype=np.int64), mult)


def _trace(logp_out, n):
    if logp_out is None:
        return np.empty(0), None
    if len(logp_out) != n:
        raise ValueError(f"logp_out has {len(logp_out)} entries for {n} words")
    if isinstance(logp_out, np.ndarray) and logp_out.dtype == np.float64 \
            and logp_out.flags.c_contiguous:
        return logp_out, None
    return np.empty(n), logp_out


def train_epoch(model, words, alpha, progress=None, logp_out=None):
    """``ClassRNNLM.train_epoch`` on the compiled loop (same arguments and result)."""
    from rnnlm.toolkit.hash import MAX_NGRAM_ORDER
    words = np.ascontiguousarray(words, dtype=np.int64)
    U, W, V1, C1, syn_d, word_class, cstart, cend, mult = _weights(model)
    nb = model.bptt + model.bptt_block
    prev = np.full(model.hidden, model.flush_value)  # netFlush
    history = np.zeros(MAX_NGRAM_ORDER, dtype=np.int64)
    bhist = np.zeros(max(nb, 1), dtype=np.int64)  # trainNet: bptt_history[a]=0 at epoch start
    istate = np.zeros(3, dtype=np.int64)  # last_word 0, counter, words scored
    fstate = np.zeros(1)
    out, copy_to = _trace(logp_out, len(words))
    lo = 0
    while lo < len(words):
        # progress(counter) before the word that makes the count a multiple of PROGRESS_EVERY
        hi = min(len(words), (lo // PROGRESS_EVERY + 1) * PROGRESS_EVERY - 1) \
            if progress is not None else len(words)
        if hi == lo:
            hi = min(len(words), lo + PROGRESS_EVERY)
        if progress is not None and lo > 0 and (lo + 1) % PROGRESS_EVERY == 0:
            progress(lo + 1)
        train_words(words, lo, hi, U, W, V1, C1, syn_d, word_class, cstart, cend, mult,
                    model.bptt_hidden_ac, model.bptt_hidden_er, prev, history, bhist, istate,
                    fstate, out, float(alpha), float(model.beta), float(model.gradient_cutoff),
                    int(model.bptt), int(model.bptt_block), bool(model.independent),
                    bool(model.fast_exp), int(model.direct_order))
        lo = hi
    if copy_to is not None:
        copy_to[:] = out
    return float(fstate[0]), int(istate[2]), [int(w) for w in history]


def evaluate(model, words, history, prev, logp_out=None):
    """``ClassRNNLM.evaluate`` on the compiled loop from ``prev`` and ``history``."""
    words = np.ascontiguousarray(words, dtype=np.int64)
    U, W, V1, C1, syn_d, word_class, cstart, cend, mult = _weights(model)
    out, copy_to = _trace(logp_out, len(words))
    logp, n = eval_words(words, U, W, V1, C1, syn_d, word_class, cstart, cend, mult,
                         np.array(prev, dtype=np.float64), np.array(history, dtype=np.int64),
                         bool(model.independent), bool(model.fast_exp),
                         int(model.direct_order), out)
    if copy_to is not None:
        copy_to[:] = out
    return float(logp), int(n)
