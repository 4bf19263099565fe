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
from collections import namedtuple

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


# What the loops take, as in the toolkit's CRnnLM: the weights (written in place), the class
# layout, the loop's recurrent state, scratch buffers, and the options. Numba takes them as
# named tuples of arrays and scalars.
Net = namedtuple("Net", "U W V1 C1 syn_d")
Classes = namedtuple("Classes", "word_class cstart cend mult")
# prev: the hidden state fed back (neu0); history: the n-gram history; bhist, bh_ac, bh_er:
# the BPTT memory (bptt_history, bptt_hidden); counts: (last_word, counter, words scored);
# logp: (log10 probability sum,) - so that a pass can be cut into pieces (progress between)
State = namedtuple("State", "prev history bhist bh_ac bh_er counts logp")
# h, pc, pw: computeNet's layers; hc, hw, sums, n: the direct features' hashes, n = (class
# hashes, word hashes); the rest: learnNet's errors and BPTT's gathered gradients
Buffers = namedtuple("Buffers", "h pc pw ibuf fbuf hc hw sums n er_c er_w er_h tmp er e0 ers "
                                "inps acc du slot")
Options = namedtuple("Options", "alpha beta cutoff bptt bptt_block independent fast "
                                "direct_order")


@_jit
def _compute_net(net, cls, buf, opt, st, last_word, word):
    """computeNet: buf.h (always); for an in-vocabulary ``word`` (``!= -1``) its n-gram hashes
    (``buf.n`` = their counts), buf.pc and buf.pw (the distribution over its class)."""
    U, W, V1, C1, syn_d = net
    h, pc, pw, ibuf, fbuf, hc, hw = buf.h, buf.pc, buf.pw, buf.ibuf, buf.fbuf, buf.hc, buf.hw
    H = h.shape[0]
    _matvec(W, 0, H, st.prev, h)
    if last_word != -1:
        for j in range(H):
            h[j] += U[last_word, j]
    _sigmoid_inplace(h, H, opt.fast, ibuf, fbuf)
    if word == -1:
        return
    c = cls.word_class[word]
    direct_size = syn_d.shape[0]
    nc = 0
    nw = 0
    if direct_size > 0:
        half = direct_size // 2
        ns, nc = _hashes(st.history, cls.mult, opt.direct_order, half, hc, buf.sums)
        _word_hashes(buf.sums, ns, c, half, hw)
        nw = ns
    buf.n[0], buf.n[1] = nc, nw
    ncls = C1.shape[0]
    _matvec(C1, 0, ncls, h, pc)
    for t in range(nc):
        hb = hc[t]
        for i in range(ncls):
            pc[i] += syn_d[hb + i]
    _softmax_inplace(pc, ncls, opt.fast, ibuf, fbuf)
    s, e = cls.cstart[c], cls.cend[c]
    k = e - s
    _matvec(V1, s, k, h, pw)
    lim = k
    for t in range(nw):  # word_spans: an order wrapped to index 0 drops it and all higher
        hb = hw[t]
        if direct_size - hb < lim:
            lim = direct_size - hb
        for i in range(lim):
            pw[i] += syn_d[hb + i]
    _softmax_inplace(pw, k, opt.fast, ibuf, fbuf)


@_jit
def _score(cls, buf, word, i, logp_out):
    """The log10 probability of ``word`` (computeNet's output), into ``logp_out[i]`` where it
    traces the pass (NaN for an OOV word, which scores 0 here and is not counted)."""
    lp = 0.0
    if word != -1:
        c = cls.word_class[word]
        lp = math.log10(buf.pc[c] * buf.pw[word - cls.cstart[c]])
    if logp_out.shape[0] > i:
        logp_out[i] = lp if word != -1 else np.nan
    return lp


@_jit
def _next_word(buf, st, word, independent):
    """copyHiddenLayerToInput and the n-gram history; ``netReset`` after a sentence end in
    independent mode (the BPTT memory is cleared by the training loop)."""
    H = buf.h.shape[0]
    for j in range(H):
        st.prev[j] = buf.h[j]
    history = st.history
    for a in range(history.shape[0] - 1, 0, -1):
        history[a] = history[a - 1]
    history[0] = word
    if independent and word == 0:
        for j in range(H):
            st.prev[j] = 1.0
        history[:] = 0


@_jit
def _shift_bptt_memory(st, last_word, nb):
    """The BPTT memory moves one step back (trainNet, before learnNet)."""
    bhist, bh_ac, bh_er = st.bhist, st.bh_ac, st.bh_er
    for a in range(nb - 1, 0, -1):
        bhist[a] = bhist[a - 1]
        for j in range(bh_ac.shape[1]):
            bh_ac[a, j] = bh_ac[a - 1, j]
            bh_er[a, j] = bh_er[a - 1, j]
    bhist[0] = last_word


@_jit
def _reset_bptt_memory(st, nb):
    """netReset's part of the BPTT memory: cleared past the newest entry."""
    for a in range(1, nb):
        st.bhist[a] = 0
    for a in range(2, nb):
        for j in range(st.bh_ac.shape[1]):
            st.bh_ac[a, j] = 0.0
            st.bh_er[a, j] = 0.0


@_jit
def _learn_direct(syn_d, buf, k, ncls, alpha, beta3):
    """learnNet's direct connections: the word features over the class's k words (spans
    shortened where the hash wraps), then the class features."""
    direct_size = syn_d.shape[0]
    er_w, er_c = buf.er_w, buf.er_c
    lim = k
    for t in range(buf.n[1]):
        hb = buf.hw[t]
        if direct_size - hb < lim:
            lim = direct_size - hb
        for q in range(lim):
            syn_d[hb + q] += alpha * er_w[q] - syn_d[hb + q] * beta3
    for t in range(buf.n[0]):
        hb = buf.hc[t]
        for q in range(ncls):
            syn_d[hb + q] += alpha * er_c[q] - syn_d[hb + q] * beta3


@_jit
def _learn_rows(M, r0, nrows, err, h, alpha, beta2, l2):
    """M[r0:r0+nrows] += alpha * outer(err, h), less M * beta2 when ``l2``."""
    H = h.shape[0]
    if l2:
        for t in range(nrows):
            for j in range(H):
                M[r0 + t, j] += alpha * (err[t] * h[j]) - M[r0 + t, j] * beta2
    else:
        for t in range(nrows):
            for j in range(H):
                M[r0 + t, j] += alpha * (err[t] * h[j])


@_jit
def _learn_net(net, cls, buf, opt, st, last_word, word, counter):
    """learnNet for an in-vocabulary word (model.ClassRNNLM.learn_net): output errors
    ``onehot - p``, the direct and output-row updates, the clipped hidden error, then plain
    backpropagation (``bptt <= 1``) or, every ``bptt_block`` words, the BPTT block."""
    h, er_w, er_c, er_h = buf.h, buf.er_w, buf.er_c, buf.er_h
    H, ncls = h.shape[0], net.C1.shape[0]
    c = cls.word_class[word]
    s = cls.cstart[c]
    k = cls.cend[c] - s
    l2 = (counter % 10) == 0
    alpha = opt.alpha
    beta2 = opt.beta * alpha
    beta3 = beta2 * 1  # toolkit: "beta3 can be possibly larger than beta2"
    for t in range(k):
        er_w[t] = -buf.pw[t]
    er_w[word - s] += 1.0
    for t in range(ncls):
        er_c[t] = -buf.pc[t]
    er_c[c] += 1.0
    if net.syn_d.shape[0] > 0:
        _learn_direct(net.syn_d, buf, k, ncls, alpha, beta3)
    # hidden error from the word rows, then from the class rows (each clipped)
    _vecmat(er_w, net.V1, s, k, er_h)
    _clip(er_h, opt.cutoff)
    _vecmat(er_c, net.C1, 0, ncls, buf.tmp)
    for j in range(H):
        er_h[j] = er_h[j] + buf.tmp[j]
    _clip(er_h, opt.cutoff)
    _learn_rows(net.V1, s, k, er_w, h, alpha, beta2, l2)
    _learn_rows(net.C1, 0, ncls, er_c, h, alpha, beta2, l2)
    if opt.bptt <= 1:  # plain backpropagation
        _learn_plain(net, buf, st.prev, last_word, alpha, beta2, l2)
    else:
        for j in range(H):
            st.bh_ac[0, j] = h[j]
            st.bh_er[0, j] = er_h[j]
        if counter % opt.bptt_block == 0 or (opt.independent and word == 0):
            _bptt_block(net, buf, opt, st, l2)


@_jit
def _learn_plain(net, buf, prev, last_word, alpha, beta2, l2):
    """Plain backpropagation (``bptt <= 1``): the hidden error through the sigmoid into the
    input word's U row and into W."""
    er, er_h, h, U = buf.er, buf.er_h, buf.h, net.U
    H = h.shape[0]
    for j in range(H):
        er[j] = er_h[j] * h[j] * (1 - h[j])
    if last_word != -1:
        if l2:
            for j in range(H):
                U[last_word, j] += alpha * er[j] - U[last_word, j] * beta2
        else:
            for j in range(H):
                U[last_word, j] += alpha * er[j]
    _learn_rows(net.W, 0, H, er, prev, alpha, beta2, l2)


@_jit
def _bptt_block(net, buf, opt, st, l2):
    """learnNet's BPTT block (model.ClassRNNLM._bptt_block): the block's errors propagated
    ``bptt + bptt_block - 2`` steps back through syn0 (``_bptt_errors``), then syn0 updated
    once with the gathered gradients (``bptt_syn0``) and the L2 decay."""
    steps = opt.bptt + opt.bptt_block - 2
    alpha = opt.alpha
    beta2 = opt.beta * alpha
    _bptt_errors(net.W, buf, st, alpha, opt.cutoff, steps)
    st.bh_er[:, :] = 0.0
    # dW = ers.T @ inps, one row at a time (summed over the steps in order), then
    # W += alpha * dW (- W * beta2): one pass over W instead of one per step
    W, ers, inps, acc = net.W, buf.ers, buf.inps, buf.acc
    H = W.shape[0]
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
    U, bhist = net.U, st.bhist
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
            sl = buf.slot[step]
            for j in range(H):
                U[a, j] += buf.du[sl, j]
        if l2:
            for j in range(H):
                U[a, j] -= U[a, j] * beta2


@_jit
def _bptt_errors(W, buf, st, alpha, cutoff, steps):
    """The BPTT block's backward steps: per step the error through the sigmoid, its dU row
    (``alpha * er`` summed over a word's appearances, in order; ``buf.slot`` says which row
    of ``buf.du``), the error and input kept (``ers``, ``inps``), then propagated 1->0."""
    bh_ac, bh_er, bhist = st.bh_ac, st.bh_er, st.bhist
    er, e0, ers, inps, du, slot = buf.er, buf.e0, buf.ers, buf.inps, buf.du, buf.slot
    H = er.shape[0]
    for j in range(H):
        er[j] = buf.er_h[j]
    ac = buf.h
    inp = st.prev
    nslot = 0
    for step in range(steps):
        for j in range(H):
            er[j] = er[j] * ac[j] * (1 - ac[j])
        a = bhist[step]
        if a != -1:
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


@_jit
def train_words(words, net, cls, buf, st, opt, logp_out):
    """trainNet's inner loop over ``words`` (model.ClassRNNLM.train_epoch): per word
    computeNet, the BPTT memory shifted, learnNet, then the next word (netReset in
    independent mode). The loop's state lives in ``st``, so that an epoch can be run in
    pieces; ``logp_out[i]``: word i's log10 probability (NaN for an OOV word), when it has
    the length of ``words``."""
    nb = opt.bptt + opt.bptt_block
    last_word, counter, wordcn = st.counts[0], st.counts[1], st.counts[2]
    logp = st.logp[0]
    for i in range(words.shape[0]):
        counter += 1
        word = words[i]
        _compute_net(net, cls, buf, opt, st, last_word, word)
        lp = _score(cls, buf, word, i, logp_out)
        if word != -1:
            logp += lp
            wordcn += 1
        if opt.bptt > 0:
            _shift_bptt_memory(st, last_word, nb)
        if word != -1:
            _learn_net(net, cls, buf, opt, st, last_word, word, counter)
        # ---- next word
        last_word = word
        _next_word(buf, st, word, opt.independent)
        if opt.independent and word == 0:  # netReset
            _reset_bptt_memory(st, nb)
    st.counts[0], st.counts[1], st.counts[2] = last_word, counter, wordcn
    st.logp[0] = logp


@_jit
def eval_words(words, net, cls, buf, st, opt, logp_out):
    """The validation/test pass (model.ClassRNNLM.evaluate) from ``st.prev`` and
    ``st.history``: returns (log10 prob sum, words scored); ``logp_out`` as for
    ``train_words``."""
    last_word = 0
    logp = 0.0
    wordcn = 0
    for i in range(words.shape[0]):
        word = words[i]
        _compute_net(net, cls, buf, opt, st, last_word, word)
        lp = _score(cls, buf, word, i, logp_out)
        if word != -1:
            logp += lp
            wordcn += 1
        last_word = word
        _next_word(buf, st, word, opt.independent)
    return logp, wordcn


# ----------------------------------------------------------------------------- the drivers
def _net(model):
    """The model's weights and class layout as the kernel takes them (float64, C order,
    written in place)."""
    for k in ("U", "W", "V1", "C1", "syn_d", "bptt_hidden_ac", "bptt_hidden_er"):
        a = getattr(model, k)
        if a.dtype != np.float64 or not a.flags.c_contiguous or not a.flags.writeable:
            setattr(model, k, np.array(a, dtype=np.float64, order="C"))
    order = max(model.direct_order, 1)
    mult = np.zeros((order, order), dtype=np.int64)
    for a, row in enumerate(model.ngram_multipliers[:order]):
        mult[a, :len(row)] = row
    ints = lambda a: np.ascontiguousarray(a, dtype=np.int64)
    return (Net(model.U, model.W, model.V1, model.C1, model.syn_d),
            Classes(ints(model.word_class), ints(model.cstart), ints(model.cend), mult))


def _buffers(model):
    """Scratch space for the loops, sized for the model."""
    H, ncls = model.hidden, model.n_classes
    kmax = max(1, int(np.max(np.asarray(model.cend) - np.asarray(model.cstart))))
    ibuf = np.zeros(max(H, ncls, kmax), dtype=np.int64)
    steps = max(model.bptt + model.bptt_block - 2, 1)
    order = max(model.direct_order, 1)
    return Buffers(h=np.empty(H), pc=np.empty(ncls), pw=np.empty(kmax), ibuf=ibuf,
                   fbuf=ibuf.view(np.float64), hc=np.empty(order, dtype=np.int64),
                   hw=np.empty(order, dtype=np.int64), sums=np.empty(order, dtype=np.int64),
                   n=np.zeros(2, dtype=np.int64), er_c=np.empty(ncls), er_w=np.empty(kmax),
                   er_h=np.empty(H), tmp=np.empty(H), er=np.empty(H), e0=np.empty(H),
                   ers=np.empty((steps, H)), inps=np.empty((steps, H)), acc=np.empty(H),
                   du=np.empty((steps, H)), slot=np.empty(steps, dtype=np.int64))


def _options(model, alpha=0.0):
    return Options(float(alpha), float(model.beta), float(model.gradient_cutoff),
                   int(model.bptt), int(model.bptt_block), bool(model.independent),
                   bool(model.fast_exp), int(model.direct_order))


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
    net, cls = _net(model)
    nb = model.bptt + model.bptt_block
    st = State(prev=np.full(model.hidden, model.flush_value),  # netFlush
               history=np.zeros(MAX_NGRAM_ORDER, dtype=np.int64),
               bhist=np.zeros(max(nb, 1), dtype=np.int64),  # trainNet: bptt_history[a]=0
               bh_ac=model.bptt_hidden_ac, bh_er=model.bptt_hidden_er,
               counts=np.zeros(3, dtype=np.int64),  # last_word 0, counter, words scored
               logp=np.zeros(1))
    buf, opt = _buffers(model), _options(model, alpha)
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
        train_words(words[lo:hi], net, cls, buf, st, opt, out[lo:hi])
        lo = hi
    if copy_to is not None:
        copy_to[:] = out
    return float(st.logp[0]), int(st.counts[2]), [int(w) for w in st.history]


def evaluate(model, words, history, prev, logp_out=None):
    """``ClassRNNLM.evaluate`` on the compiled loop from ``prev`` and ``history``."""
    words = np.ascontiguousarray(words, dtype=np.int64)
    net, cls = _net(model)
    none = np.zeros(1, dtype=np.int64)
    st = State(prev=np.array(prev, dtype=np.float64), history=np.array(history, dtype=np.int64),
               bhist=none, bh_ac=model.bptt_hidden_ac, bh_er=model.bptt_hidden_er,
               counts=none, logp=np.zeros(1))
    out, copy_to = _trace(logp_out, len(words))
    logp, n = eval_words(words, net, cls, _buffers(model), st, _options(model), out)
    if copy_to is not None:
        copy_to[:] = out
    return float(logp), int(n)
