"""The RNNLM toolkit recipe against independent references.

* ``trainNet``'s schedule driven by a scripted sequence of validation log-probabilities: the
  rejected flags, the alpha sequence, the stop, the float32 ``min_improvement`` edge, the
  rejected epoch restoring U/W/V1/C1 but not ``syn_d``, resume at every stage, a non-finite
  validation stopping the run;
* the online updates of every ``syn_d`` entry against finite differences, with L2 (``beta``)
  read back as an integer count of touches and an out-of-vocabulary word in the stream;
* ``FAST_EXP`` pinned at exact values computed here with the C union's bit layout;
* the forward pass (and the ``independent`` reset) against a literal numpy loop.
"""
import math
import struct

import numpy as np
import pytest

from rnnrepro import checkpoint

from rnnlm.ptb_text import split_path
from rnnlm.toolkit import model as class_rnn
from rnnlm.toolkit.vocab import toolkit_words

from helpers import central_differences, toy_class_rnn as _toy_model, write_ptb_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_ptb_corpus(tmp_path_factory.mktemp("ptb"), dict(train=24, valid=6, test=6))


# ------------------------------------------------------------------ the trainNet schedule

# Validation log10-probabilities, one per epoch, and what trainNet (rnnlmlib.cpp) must do with
# them, worked out by hand from
#     if (logp < llogp) restoreWeights(); else saveWeights();
#     if (logp*min_improvement < llogp) { if (alpha_divide==0) alpha_divide=1; else break; }
#     if (alpha_divide) alpha /= 2;  llogp = logp;
# with llogp = -1e8 at the start and min_improvement the C float 1.003 (1.00300002098083...):
#  e0 -100            better than -1e8                 alpha 0.1
#  e1  -90            better                           alpha 0.1
#  e2  -95            worse: REJECTED; -95.285 < -90:  alpha_divide = 1; alpha 0.1 used, then /2
#  e3  -94            better than llogp = -95 (the rejected epoch's value, not the best -90)
#                     -94.282 >= -95: no stop          alpha 0.05
#  e4  -93            -93.279 >= -94                   alpha 0.025
#  e5  -92.7218335    -92.7218335 * 1.003 = -92.99999900 >= -93 in double, but
#                     -92.7218335 * 1.00300002098 = -93.00000095 < -93: STOP (second time)
SCRIPT = [-100.0, -90.0, -95.0, -94.0, -93.0, -92.7218335]
ALPHAS = [0.1, 0.1, 0.1, 0.05, 0.025, 0.0125]
REJECTED = [False, False, True, False, False, False]
TOOLKIT = dict(hidden=6, class_size=3, bptt=3, bptt_block=4, direct_size=400, direct_order=3,
               seed=1)


def test_script_sits_on_the_float32_edge():
    v, ll = SCRIPT[-1], SCRIPT[-2]
    assert not v * 1.003 < ll                        # double 1.003 would not stop here
    assert v * float(np.float32(1.003)) < ll          # the C float does


class ScriptedValidation:
    """Replaces the validation pass (``evaluate`` with a training history) by the script;
    the test-set pass (no history) stays real."""

    def __init__(self, monkeypatch, start=0):
        self.i = start
        real = class_rnn.ClassRNNLM.evaluate
        script = self

        def evaluate(model, words, history=None, **kw):
            if history is None:
                return real(model, words, **kw)
            if script.i >= len(SCRIPT):
                raise AssertionError(f"the schedule asked for validation epoch {script.i + 1}; "
                                     f"it must stop after {len(SCRIPT)}")
            n = sum(1 for w in words if w != -1)
            script.i += 1
            return SCRIPT[script.i - 1], n
        monkeypatch.setattr(class_rnn.ClassRNNLM, "evaluate", evaluate)


def _train(corpus, out, **kw):
    from rnnlm.toolkit.trainnet import ToolkitConfig, train_class_rnn
    config = ToolkitConfig(**TOOLKIT, max_epochs=kw.pop("max_epochs", None))
    return train_class_rnn(config, data_dir=corpus, out=str(out), quiet=True, **kw)


def _strip(records):
    return [{k: v for k, v in r.items() if "second" not in k and k != "peak_rss_mb"}
            for r in records]


@pytest.fixture(scope="module")
def scripted_run(corpus, tmp_path_factory):
    """The uninterrupted scripted run, plus the checkpoint after every epoch (by resuming one
    epoch at a time: each checkpoint is also compared with the uninterrupted run's end)."""
    mp = pytest.MonkeyPatch()
    try:
        root = tmp_path_factory.mktemp("sched")
        ScriptedValidation(mp)
        full = _train(corpus, root / "full")
        steps, out = [], root / "steps"
        for k in range(1, len(SCRIPT) + 1):
            ScriptedValidation(mp, start=k - 1)
            _train(corpus, out, max_epochs=k, resume=k > 1, evaluate_test=False)
            steps.append(checkpoint.load(str(out / "checkpoint.npz")))
        return full, steps, root
    finally:
        mp.undo()


def test_schedule_flags_alphas_and_stop(scripted_run, corpus):
    full, steps, root = scripted_run
    recs = full["records"]
    assert [r["alpha"] for r in recs] == ALPHAS
    assert [r["rejected"] for r in recs] == REJECTED
    assert full["finished"] is True and len(recs) == len(SCRIPT)
    vn = len(toolkit_words(split_path(corpus, "valid")))
    for r, v in zip(recs, SCRIPT):
        assert r["valid_perplexity"] == pytest.approx(10 ** (-v / vn), rel=1e-12)
    _, state = checkpoint.load(str(root / "full" / "checkpoint.npz"))
    sched = state["schedule"]
    assert sched["done"] and sched["llogp"] == SCRIPT[-2] and sched["iter"] == len(SCRIPT) - 1
    assert sched["alpha"] == ALPHAS[-1] and sched["alpha_divide"] == 1


def test_rejected_epoch_restores_syn0_syn1_but_not_syn_d(scripted_run):
    _, steps, _ = scripted_run
    (before, _), (after, _), (next_, _) = steps[1], steps[2], steps[3]
    for k in ("U", "W", "V1", "C1"):
        np.testing.assert_array_equal(after[k], before[k])   # restoreWeights
        np.testing.assert_array_equal(after["backup_" + k], before[k])
        assert not np.array_equal(next_[k], after[k])        # and training goes on from there
    assert np.abs(after["syn_d"] - before["syn_d"]).max() > 1e-4  # syn_d keeps epoch 2's work
    # an accepted epoch refreshes the backup (saveWeights)
    for k in ("U", "W", "V1", "C1"):
        np.testing.assert_array_equal(next_["backup_" + k], next_[k])


def test_resume_at_every_stage_equals_uninterrupted(scripted_run, corpus, tmp_path,
                                                    monkeypatch):
    full, steps, root = scripted_run
    a, sa = checkpoint.load(str(root / "full" / "checkpoint.npz"))
    drop = lambda s: {k: v for k, v in s["schedule"].items() if k != "seconds"}
    # the one-epoch-at-a-time chain ends where the uninterrupted run ends
    b, sb = steps[-1]
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert drop(sa) == drop(sb)
    # cut after k epochs, resume to the end, for every k (the last cut is the finished run)
    for k in range(1, len(SCRIPT)):
        out = tmp_path / f"cut{k}"
        ScriptedValidation(monkeypatch)
        _train(corpus, out, max_epochs=k, evaluate_test=False)
        ScriptedValidation(monkeypatch, start=k)
        resumed = _train(corpus, out, resume=True)
        c, sc = checkpoint.load(str(out / "checkpoint.npz"))
        for name in a:
            np.testing.assert_array_equal(a[name], c[name], err_msg=f"cut {k}: {name}")
        assert drop(sa) == drop(sc)
        assert _strip(resumed["records"]) == _strip(full["records"])
        assert resumed["test_perplexity"] == full["test_perplexity"]
    # resuming a finished schedule trains nothing and reports the same
    ScriptedValidation(monkeypatch, start=len(SCRIPT))
    again = _train(corpus, root / "full", resume=True)
    assert _strip(again["records"]) == _strip(full["records"]) and again["finished"]
    assert again["test_perplexity"] == full["test_perplexity"]


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_a_non_finite_validation_stops_and_keeps_the_last_good_epoch(corpus, tmp_path,
                                                                      monkeypatch, bad):
    """A NaN logp would pass trainNet's "worse than last time" test (``logp < llogp`` is
    false) and its weights would be kept as the backup: the run stops instead, the checkpoint
    and log of the epoch before kept."""
    from rnnrepro.runsafe import NonFiniteError
    real = class_rnn.ClassRNNLM.evaluate
    calls = []

    def evaluate(model, words, history=None, **kw):
        calls.append(history is not None)
        value = real(model, words, history=history, **kw)
        return (bad, value[1]) if len(calls) == 2 else value
    monkeypatch.setattr(class_rnn.ClassRNNLM, "evaluate", evaluate)
    out = tmp_path / "r"
    with pytest.raises(NonFiniteError, match="validation log-probability is"):
        _train(corpus, out, max_epochs=3)
    _, state = checkpoint.load(str(out / "checkpoint.npz"))
    assert state["schedule"]["iter"] == 1 and calls == [True, True]
    assert len((out / "log.jsonl").read_text().splitlines()) == 1


# ------------------------------------------------------------------ updates vs gradients

# 10 words; one BPTT block of 10 covers the whole stream and ends on the 10th word, where the
# toolkit also applies L2 ("every 10. step"). WITH_OOV has an out-of-vocabulary word (-1).
IN_VOCAB = np.array([3, 7, 8, 5, 11, 2, 4, 9, 1, 6])
WITH_OOV = np.array([3, 7, -1, 5, 11, 2, 4, 9, 1, 6])
D = 120
FD_KW = dict(bptt=6, bptt_block=10, gradient_cutoff=1e9, fast_exp=False, seed=3)
STEPS = 6 + 10 - 2


def _trained_delta(words, beta, alpha=1e-7):
    m = _toy_model(D, beta=beta, **FD_KW)
    m.flush_value = 0.0  # BPTT's buffer sees zeros before the first word
    m.syn_d[:] = np.random.RandomState(4).uniform(-0.3, 0.3, D)
    base = {k: v.copy() for k, v in m.arrays().items()}
    m.train_epoch(words, alpha)
    return base, {k: (getattr(m, k) - v) / alpha for k, v in base.items()}


_FD_CACHE = {}


def _fd_grads(words):
    """Central differences of ln P(words) (an OOV word is not scored) at every weight."""
    key = tuple(words)
    if key in _FD_CACHE:
        return _FD_CACHE[key]
    base, _ = _trained_delta(words, 0.0)

    def logprob(arrays):
        mm = _toy_model(D, arrays=arrays, **FD_KW)
        mm.flush_value = 0.0
        return mm.sequence_logprob(words)
    _FD_CACHE[key] = base, central_differences(logprob, base)
    return _FD_CACHE[key]


@pytest.fixture(scope="module")
def fd_grads():
    return _fd_grads(WITH_OOV)


def test_every_update_is_the_gradient_syn_d_included():
    """beta = 0: update / alpha equals the finite difference at *every* entry (the zero ones
    too: a part of the direct update left out shows up as a zero update beside a nonzero
    gradient)."""
    _, grads = _fd_grads(IN_VOCAB)
    _, upd = _trained_delta(IN_VOCAB, 0.0)
    for k, g in grads.items():
        np.testing.assert_allclose(upd[k], g, rtol=0, atol=2e-6, err_msg=k)
    assert np.count_nonzero(np.abs(grads["syn_d"]) > 1e-4) > 20   # class and word features
    half = D // 2
    assert np.abs(grads["syn_d"][:half]).max() > 1e-3 and np.abs(grads["syn_d"][half:]).max() > 1e-3


def test_oov_word_updates(fd_grads):
    """An OOV word is read (no U row), not scored, cuts the n-gram history, and learns nothing:
    the output and direct weights still get exact gradients. Faithful oddity: learnNet returns
    at ``if (word==-1) return;`` before storing the step in ``bptt_hidden``, so BPTT through
    the OOV step uses a stale activation and U/W are *not* the gradient there."""
    _, grads = fd_grads
    _, upd = _trained_delta(WITH_OOV, 0.0)
    for k in ("V1", "C1", "syn_d"):
        np.testing.assert_allclose(upd[k], grads[k], rtol=0, atol=2e-6, err_msg=k)
    assert np.abs(upd["U"] - grads["U"]).max() > 1e-3


def test_l2_decay_counts(fd_grads):
    """beta > 0: (update(beta) - update(0)) / alpha = -beta * w * n, where n is the number of
    times the toolkit decays that weight. For syn_d n = the touches (``- syn_d*beta3`` on every
    feature slice used by a scored word), so it must be a whole number, >= 1 wherever the
    gradient is nonzero and 0 where it is zero. For syn0/syn1 n comes from "regularization is
    done every 10. step": the 10th word's class rows of V1, C1 and (BPTT at that word) W once,
    and U once per appearance of a word among the 10th word's bptt+block-2 history steps."""
    base, grads = fd_grads
    beta = 0.5
    _, up0 = _trained_delta(WITH_OOV, 0.0)
    _, upb = _trained_delta(WITH_OOV, beta)
    n = {k: (up0[k] - upb[k]) / (beta * base[k]) for k in base}
    touched = np.abs(grads["syn_d"]) > 1e-9
    nd = n["syn_d"]
    np.testing.assert_allclose(nd, np.round(nd), atol=1e-3)
    assert np.all(np.round(nd)[touched] >= 1) and np.all(np.round(nd)[~touched] == 0)
    m = _toy_model(D, **FD_KW)
    c = m.word_class[WITH_OOV[9]]
    rows = np.zeros(len(m.vocab))
    rows[m.cstart[c]:m.cend[c]] = 1
    np.testing.assert_allclose(n["V1"], np.broadcast_to(rows[:, None], base["V1"].shape),
                               atol=1e-3)
    np.testing.assert_allclose(n["C1"], 1, atol=1e-3)
    np.testing.assert_allclose(n["W"], 1, atol=1e-3)
    # bptt_history at the 10th word: the 9 previous words, newest first, then the zeros it
    # starts with (trainNet sets bptt_history[a]=0), STEPS = bptt+block-2 = 14 of them; -1 skipped
    hist = ([int(w) for w in WITH_OOV[:9][::-1]] + [0] * STEPS)[:STEPS]
    expect_u = np.array([hist.count(w) for w in range(len(m.vocab))], dtype=float)
    np.testing.assert_allclose(n["U"], np.broadcast_to(expect_u[:, None], base["U"].shape),
                               atol=1e-3)


# ------------------------------------------------------------------ FAST_EXP, exactly

def _c_fast_exp(y):
    """rnnlmlib.h: ``static union {double d; struct {int j, i;} n;} d2i;``
    ``#define EXP_A (1048576/M_LN2)``, ``#define EXP_C 60801``,
    ``#define FAST_EXP(y) (d2i.n.i = EXP_A*(y)+(1072693248-EXP_C), d2i.d)``:
    the double's high 32-bit word set to the truncated int, the low word (j) left at 0."""
    i = int(1048576 / math.log(2) * y + (1072693248 - 60801))  # double -> int truncates
    return struct.unpack("<d", struct.pack("<ii", 0, i))[0]


@pytest.mark.parametrize("y", [-40.0, -7.25, -3.0, -0.5, -1e-3, 0.0, 0.3, 0.7, 1.0, 5.0, 20.5])
def test_fast_exp_is_the_toolkits_bit_trick(y):
    assert class_rnn.fast_exp(np.array([y]))[0] == _c_fast_exp(y)


def test_fast_exp_pinned_values():
    # hand-worked: FAST_EXP(0) has high word 1072693248-60801 = 0x3FEF127F, i.e.
    # 2**-1 * (1 + 0xF127F / 2**20) = 0.9710...; FAST_EXP(ln 2) adds 2**20 (one exponent step)
    assert class_rnn.fast_exp(np.array([0.0]))[0] == 0.5 * (1 + 0xF127F / 2 ** 20)
    two = class_rnn.fast_exp(np.array([math.log(2)]))[0]
    assert two == 2 * class_rnn.fast_exp(np.array([0.0]))[0]
    ys = np.array([-2.0, -0.25, 1.5])
    assert not np.array_equal(class_rnn.fast_exp(ys), np.exp(ys))


# ------------------------------------------------------------------ forward, independent

def _literal_logprob(m, words, independent, s0=0.1):
    """computeNet written out: s(t) = sigmoid(U[w(t-1)] + W s(t-1)), class softmax times
    in-class softmax (exact exp, no direct part), OOV not scored and not fed; ``independent``:
    after a sentence end the state becomes 1.0 (netReset)."""
    sig = lambda a: 1 / (1 + np.exp(-a))
    s, last, lp = np.full(m.hidden, s0), 0, 0.0
    for w in words:
        a = m.W @ s + (m.U[last] if last != -1 else 0)
        s = sig(a)
        if w != -1:
            c = m.word_class[w]
            zc = np.exp(m.C1 @ s)
            members = [v for v in range(len(m.vocab)) if m.word_class[v] == c]
            zw = np.exp(m.V1[members] @ s)
            lp += math.log(zc[c] / zc.sum() * zw[members.index(w)] / zw.sum())
        last = w
        if independent and w == 0:
            s = np.ones(m.hidden)
    return lp


@pytest.mark.parametrize("independent", [False, True])
def test_forward_matches_a_literal_loop(independent):
    """trainNet's validation pass starts from netFlush (0.1); testNet calls netReset first
    when ``independent`` (state 1.0), and so does the scorer reading the first ``</s>``."""
    m = _toy_model(0, seed=7, fast_exp=False, independent=independent)
    words = [3, 7, 0, 5, -1, 11, 0, 2, 9]
    ln10 = math.log(10)
    assert m.evaluate(words)[0] * ln10 == pytest.approx(
        _literal_logprob(m, words, independent), rel=1e-12)
    s0 = 1.0 if independent else 0.1
    assert m.evaluate(words, test=True)[0] * ln10 == pytest.approx(
        _literal_logprob(m, words, independent, s0), rel=1e-12)
    sc = class_rnn.ClassRNNScorer(m)  # registry protocol: full distribution over the vocab
    state, lp, prev = sc.start(), 0.0, 0
    for w in [3, 7, 0, 5, 11]:
        probs, state = sc.advance(state, prev)
        lp += math.log(probs[w])
        prev = w
    assert lp == pytest.approx(_literal_logprob(m, [3, 7, 0, 5, 11], independent, s0),
                               rel=1e-12)


def test_independent_forgets_the_previous_sentence():
    m = _toy_model(0, seed=7, fast_exp=False, independent=True)
    a = m.sequence_logprob([3, 7, 0, 5, 11]) - m.sequence_logprob([3, 7, 0])
    b = m.sequence_logprob([9, 2, 4, 0, 5, 11]) - m.sequence_logprob([9, 2, 4, 0])
    assert a == pytest.approx(b, rel=1e-12)
    m.independent = False
    a = m.sequence_logprob([3, 7, 0, 5, 11]) - m.sequence_logprob([3, 7, 0])
    b = m.sequence_logprob([9, 2, 4, 0, 5, 11]) - m.sequence_logprob([9, 2, 4, 0])
    assert abs(a - b) > 1e-6


def test_gradient_cutoff_bounds_only_the_hidden_errors():
    """gradient_cutoff clips the hidden-layer errors (the toolkit's ``if (er>cutoff)``) and
    nothing else: with a tiny cutoff c every error reaching syn0 is at most 2c before the
    sigmoid derivative (<= 1/4), so |dW|, |dU| <= STEPS * c / 2 per entry over one block;
    the output and direct updates do not change."""
    c = 1e-4

    def delta(cutoff):
        m = _toy_model(D, **dict(FD_KW, gradient_cutoff=cutoff, beta=0.0))
        m.flush_value = 0.0
        m.syn_d[:] = np.random.RandomState(4).uniform(-0.3, 0.3, D)
        base = {k: v.copy() for k, v in m.arrays().items()}
        m.train_epoch(IN_VOCAB, 1e-7)
        return {k: (getattr(m, k) - v) / 1e-7 for k, v in base.items()}
    free, cut = delta(1e9), delta(c)
    for k in ("V1", "C1", "syn_d"):
        np.testing.assert_allclose(cut[k], free[k], rtol=0, atol=1e-6, err_msg=k)
    for k in ("W", "U"):
        assert np.abs(free[k]).max() > 20 * STEPS * c / 2           # the cutoff bites
        assert np.abs(cut[k]).max() <= STEPS * c / 2 * (1 + 1e-6), k
        assert np.abs(cut[k]).max() > 0
