"""rnnlm.ngram.kn: interpolated modified Kneser-Ney against hand-computed probabilities,
normalisation of every context, SRILM's cutoff and count-of-counts rules, the ARPA round trip,
perplexity conventions, and (when kenlm is installed) kenlm scoring our ARPA file."""
import math

import numpy as np
import pytest

from rnnlm.ngram.kn import ArpaModel, GoodTuring, KneserNey, srilm_min_counts
from rnnrepro.files import InputError
from rnnrepro.runsafe import RunError

from helpers import markov_corpus as _corpus

# "a b a" and "b a":  <s> a b a </s>  and  <s> b a </s>;  |V| = 3 (a, b, </s>)
TINY = [["a", "b", "a"], ["b", "a"]]
D1, D2, D3 = (0.5, 1.0, 1.5), (0.4, 0.8, 1.2), (0.3, 0.6, 0.9)   # given, not estimated


def _p(m, hist, w):
    return 10 ** m.log10prob(hist, w)


# Unigram continuation counts N1+(. w): a <- {<s>, b} = 2, b <- {a, <s>} = 2, </s> <- {a} = 1;
# T = 5, gamma = (D1 * 1 + D2 * 2) / 5 = 0.5, p1(w) = (c - D(c)) / 5 + 0.5 / 3
P1 = {"a": (2 - 1.0) / 5 + 0.5 / 3, "b": (2 - 1.0) / 5 + 0.5 / 3, "</s>": (1 - 0.5) / 5 + 0.5 / 3}


def test_bigram_by_hand():
    m = KneserNey(TINY, order=2, min_counts=[1, 1], discounts=[D1, D2])
    for w, p in P1.items():
        assert _p(m, [], w) == pytest.approx(p, abs=1e-12)
    # context a (top order, raw counts): b 1, </s> 2; T = 3, gamma = (0.4 + 0.8) / 3 = 0.4
    assert _p(m, ["a"], "b") == pytest.approx((1 - 0.4) / 3 + 0.4 * P1["b"], abs=1e-12)
    assert _p(m, ["a"], "</s>") == pytest.approx((2 - 0.8) / 3 + 0.4 * P1["</s>"], abs=1e-12)
    assert _p(m, ["a"], "a") == pytest.approx(0.4 * P1["a"], abs=1e-12)   # unseen: bow = gamma
    # context b: a 2; T = 2, gamma = 0.8 / 2
    assert _p(m, ["b"], "a") == pytest.approx((2 - 0.8) / 2 + 0.4 * P1["a"], abs=1e-12)
    # context <s>: a 1, b 1; T = 2, gamma = 0.4 * 2 / 2
    assert _p(m, ["<s>"], "a") == pytest.approx(0.6 / 2 + 0.4 * P1["a"], abs=1e-12)


# Order 3: bigram counts are continuation counts, except those led by <s> (raw):
#   (a b) <- {<s>} = 1, (b a) <- {a, <s>} = 2, (a </s>) <- {b} = 1 (raw count 2!),
#   (<s> a) = 1, (<s> b) = 1 raw.
P2_A = {"b": (1 - 0.4) / 2 + 0.4 * P1["b"], "</s>": (1 - 0.4) / 2 + 0.4 * P1["</s>"]}
P2_B_A = (2 - 0.8) / 2 + 0.4 * P1["a"]


def test_trigram_by_hand_uses_continuation_counts_and_raw_counts_after_bos():
    m = KneserNey(TINY, order=3, min_counts=[1, 1, 1], discounts=[D1, D2, D3])
    assert _p(m, ["x", "a"], "</s>") == pytest.approx(P2_A["</s>"], abs=1e-12)  # unseen ctx
    assert _p(m, ["b", "a"], "</s>") == pytest.approx(0.7 + 0.3 * P2_A["</s>"], abs=1e-12)
    assert _p(m, ["<s>", "a"], "b") == pytest.approx(0.7 + 0.3 * P2_A["b"], abs=1e-12)
    assert _p(m, ["a", "b"], "a") == pytest.approx(0.7 + 0.3 * P2_B_A, abs=1e-12)
    # <s>-led bigrams keep raw counts: context <s> as in the bigram model
    assert _p(m, ["<s>"], "a") == pytest.approx(0.6 / 2 + 0.4 * P1["a"], abs=1e-12)


def test_cutoff_sends_the_dropped_mass_to_the_lower_order():
    m = KneserNey(TINY, order=3, min_counts=[1, 1, 2], discounts=[D1, D2, D3])
    # (<s> a b) and (a b a) have count 1 < 2: dropped; their contexts keep nothing: bow 1
    assert _p(m, ["<s>", "a"], "b") == pytest.approx(P2_A["b"], abs=1e-12)
    assert _p(m, ["a", "b"], "a") == pytest.approx(P2_B_A, abs=1e-12)
    # (b a </s>) has 2: kept, with T and gamma of all of the context's counts
    assert _p(m, ["b", "a"], "</s>") == pytest.approx(0.7 + 0.3 * P2_A["</s>"], abs=1e-12)


@pytest.fixture(scope="module")
def models():
    train = _corpus(500, 1)
    return train, {mins: KneserNey(train, order=len(mins), min_counts=list(mins))
                   for mins in ((1, 1, 1), (1, 1, 2), (1, 2, 2, 3))}


def test_every_context_sums_to_one(models):
    train, ms = models
    for mins, m in ms.items():
        hists = [["<s>"], [], ["w0"], ["w1", "w0"], ["<s>", "w3"], ["w5", "w5", "w2"],
                 ["w118", "<unk>"], ["nosuch", "w1"]] + [s[:k] for s in train[:6]
                                                       for k in range(1, len(s))]
        for h in hists:
            d = m.distribution(h)
            assert d[0] == 0.0                              # <s> is never predicted
            assert d.sum() == pytest.approx(1.0, abs=1e-12), (mins, h)


def test_discounts_from_count_of_counts():
    c = np.array([1] * 10 + [2] * 4 + [3] * 3 + [4] * 2 + [7])
    y = 10 / (10 + 2 * 4)
    assert KneserNey.discounts_from_counts(c) == pytest.approx(
        (1 - 2 * y * 4 / 10, 2 - 3 * y * 3 / 4, 3 - 4 * y * 2 / 3), abs=1e-15)
    with pytest.raises(RunError, match="count-of-counts"):
        KneserNey.discounts_from_counts(np.array([1, 1, 2, 3]))


def test_count_of_counts_include_cut_ngrams_and_lower_orders_use_continuation(models):
    _, ms = models
    uncut, cut = ms[(1, 1, 1)], ms[(1, 1, 2)]
    assert cut.discounts == uncut.discounts          # SRILM: cutoffs after the discounts
    assert cut.count_of_counts[2][0] > 0             # singletons counted though dropped
    # order 2 counts are continuation counts (not the raw counts) below the top order
    m = uncut
    assert not np.array_equal(m.counts[1], m.raw[1])
    assert m.discounts[1] == KneserNey.discounts_from_counts(m.counts[1])


def test_perplexity_conventions(models):
    train, ms = models
    m = ms[(1, 1, 1)]
    text = [["w0", "w1"], ["w2", "never-seen"]]
    r = m.word_log10probs(text)
    assert len(r["log10"]) == 6                                   # 4 words + 2 </s>
    assert (r["words"], r["oovs"], r["sentences"]) == (4, 0, 2)
    # an unknown word is scored as <unk> (the training text has it: SRILM -unk)
    assert r["log10"][4] == pytest.approx(m.log10prob(["<s>", "w2"], "<unk>"), abs=1e-12)
    ppl, _ = m.perplexity(text)
    assert ppl == pytest.approx(10 ** (-r["log10"].sum() / 6), rel=1e-12)
    # without <unk> in training: an OOV, not scored, counted; the next word backs off past it
    closed = KneserNey([[w for w in s if w != "<unk>"] for s in train], order=3,
                       min_counts=[1, 1, 1])
    r = closed.word_log10probs([["w0", "zzz", "w1"]])
    assert (r["words"], r["oovs"], len(r["log10"])) == (3, 1, 3)
    assert r["log10"][1] == pytest.approx(closed.log10prob(["zzz"], "w1"), abs=1e-12)
    assert r["log10"][1] == pytest.approx(closed.log10prob([], "w1"), abs=1e-12)


def test_batch_scoring_equals_the_backoff_recursion(models):
    _, ms = models
    m = ms[(1, 2, 2, 3)]
    text = _corpus(30, 1)
    r = m.word_log10probs(text)
    one = [m.log10prob(["<s>"] + s[:k], w) for s in text for k, w in enumerate(s + ["</s>"])]
    assert np.allclose(r["log10"], one, atol=1e-12, rtol=0)


@pytest.mark.parametrize("mins", [(1, 1, 1), (1, 2, 2, 3)])
def test_arpa_round_trip(models, tmp_path, mins):
    _, ms = models
    m = ms[mins]
    path = tmp_path / "lm.arpa"
    m.write_arpa(str(path))
    a = ArpaModel(str(path))
    assert a.order == len(mins)
    train, _ = models
    rng = np.random.RandomState(0)
    # held-out text, and training lines whose words after the first are swapped at random:
    # unseen n-grams after seen contexts, cut ones included (their back-off weights matter)
    text = _corpus(40, 2) + [s[:1] + [w if rng.rand() < 0.5 else f"w{rng.randint(119)}"
                                      for w in s[1:]] for s in train]
    ours = m.word_log10probs(text)["log10"]
    theirs = np.concatenate([a.sentence_log10probs(s) for s in text])
    assert np.allclose(ours, theirs, atol=1e-8, rtol=0)
    assert a.probs[("<s>",)][0] == -99.0


def test_arpa_reader_names_file_and_line(tmp_path):
    p = tmp_path / "bad.arpa"
    p.write_text("\\data\\\nngram 1=2\n\n\\1-grams:\n-1.0\ta\n-x\tb\n\\end\\\n")
    with pytest.raises(InputError, match=r"bad\.arpa: line 6: not a number"):
        ArpaModel(str(p))
    p.write_text("\\data\\\nngram 1=3\n\n\\1-grams:\n-1.0\ta\n-1\tb\n\\end\\\n")
    with pytest.raises(InputError, match="declares 3 1-grams, holds 2"):
        ArpaModel(str(p))


def test_srilm_default_min_counts_and_refusals():
    assert srilm_min_counts(5) == [1, 1, 2, 2, 2]
    assert srilm_min_counts(5, {3: 1, 4: 1}) == [1, 1, 1, 1, 2]     # the toolkit's recipe
    with pytest.raises(InputError, match="--min-count 6=1"):
        srilm_min_counts(5, {6: 1})
    with pytest.raises(InputError, match="--min-count 1=2"):
        srilm_min_counts(5, {1: 2})
    with pytest.raises(InputError, match="line 2 holds </s>"):
        KneserNey([["a"], ["b", "</s>"]], order=2, discounts=[D1, D2])


def test_kenlm_scores_our_arpa_identically(models, tmp_path):
    kenlm = pytest.importorskip(
        "kenlm", reason="kenlm not installed (pip install kenlm: builds on Python 3.11; its "
                        "sdist does not compile on 3.13) - the ARPA cross-check is skipped")
    _, ms = models
    m = ms[(1, 2, 2, 3)]
    path = tmp_path / "lm.arpa"
    m.write_arpa(str(path))
    k = kenlm.Model(str(path))
    text = _corpus(40, 3)
    ours = m.word_log10probs(text)["log10"]
    theirs = [s[0] for sent in text for s in k.full_scores(" ".join(sent), bos=True, eos=True)]
    assert np.allclose(ours, theirs, atol=2e-6, rtol=0)   # kenlm keeps float32
    assert not math.isnan(sum(theirs))


# ---------------------------------------------------------------------- Good-Turing / Katz
# raw counts of TINY: unigrams a 3, b 2, </s> 2 (T = 7); bigrams (<s> a) 1, (<s> b) 1,
# (a b) 1, (a </s>) 2, (b a) 2
NO_GT = (np.ones(2), 0)


def test_good_turing_coefficients():
    c = np.array([1] * 20 + [2] * 6 + [3] * 3 + [4] * 1 + [9] * 5)
    d, K = GoodTuring.coefficients(c, 3)
    common = 4 * 1 / 20
    assert K == 3
    assert d[1:] == pytest.approx([(2 * 6 / 20 - common) / (1 - common),
                                   (3 * 3 / (2 * 6) - common) / (1 - common),
                                   (4 * 1 / (3 * 3) - common) / (1 - common)], abs=1e-15)
    d, K = GoodTuring.coefficients(c[c != 4], 3)   # n4 = 0: K lowered to 2
    assert K == 2
    d, K = GoodTuring.coefficients(np.array([1, 1, 2]), 1)   # K = 1: formula gives 0 -> 1
    assert (K, d[1]) == (1, 1.0)


def test_katz_bigram_by_hand():
    m = GoodTuring(TINY, order=2, min_counts=[1, 1],
                   discounts=[NO_GT, (np.array([1.0, 0.5, 0.75]), 2)])
    p1 = {"a": 3 / 7, "b": 2 / 7, "</s>": 2 / 7}
    for w, p in p1.items():
        assert _p(m, [], w) == pytest.approx(p, abs=1e-12)
    # context a: b 1, </s> 2; T = 3: 0.5 * 1/3, 0.75 * 2/3; bow = (1/3) / (1 - 4/7)
    assert _p(m, ["a"], "b") == pytest.approx(1 / 6, abs=1e-12)
    assert _p(m, ["a"], "</s>") == pytest.approx(0.5, abs=1e-12)
    assert _p(m, ["a"], "a") == pytest.approx((1 / 3) / (3 / 7) * 3 / 7, abs=1e-12)
    # context <s>: a 1, b 1; T = 2; bow = 0.5 / (1 - 5/7)
    assert _p(m, ["<s>"], "</s>") == pytest.approx(0.5 / (2 / 7) * 2 / 7, abs=1e-12)
    # -gt2min 2 drops (a b) but its count stays in T(a) = 3
    m = GoodTuring(TINY, order=2, min_counts=[1, 2],
                   discounts=[NO_GT, (np.array([1.0, 0.5, 0.75]), 2)])
    assert _p(m, ["a"], "</s>") == pytest.approx(0.5, abs=1e-12)
    assert _p(m, ["a"], "b") == pytest.approx(0.5 / (1 - 2 / 7) * 2 / 7, abs=1e-12)


def test_katz_retry_and_unigram_leftover():
    # no discount at all: context b (a 2) keeps no mass, so T(b) becomes 3 (SRILM's retry)
    m = GoodTuring(TINY, order=2, min_counts=[1, 1], discounts=[NO_GT, NO_GT])
    assert _p(m, ["b"], "a") == pytest.approx(2 / 3, abs=1e-12)
    assert _p(m, ["b"], "b") == pytest.approx((1 / 3) / (1 - 3 / 7) * 2 / 7, abs=1e-12)
    # unigram discount d(2) = 0.5: 2/7 left over, spread over the 3 words alike
    m = GoodTuring(TINY, order=1, min_counts=[1], discounts=[(np.array([1.0, 1.0, 0.5]), 2)])
    assert _p(m, [], "a") == pytest.approx(3 / 7 + 2 / 21, abs=1e-12)
    assert _p(m, [], "b") == pytest.approx(1 / 7 + 2 / 21, abs=1e-12)


@pytest.fixture(scope="module")
def katz():
    train = _corpus(500, 1)
    return {mins: GoodTuring(train, order=len(mins), min_counts=list(mins))
            for mins in ((1, 1, 2), (1, 1, 1, 1))}


def test_katz_contexts_sum_to_one_and_arpa_round_trip(katz, models, tmp_path):
    train, _ = models
    for mins, m in katz.items():
        for h in [["<s>"], [], ["w0"], ["w1", "w0"], ["<s>", "w3"], ["nosuch", "w1"]] + [
                s[:k] for s in train[:4] for k in range(1, len(s))]:
            assert m.distribution(h).sum() == pytest.approx(1.0, abs=1e-12), (mins, h)
        m.write_arpa(str(tmp_path / "gt.arpa"))
        a = ArpaModel(str(tmp_path / "gt.arpa"))
        text = _corpus(40, 2)
        theirs = np.concatenate([a.sentence_log10probs(s) for s in text])
        assert np.allclose(m.word_log10probs(text)["log10"], theirs, atol=1e-8, rtol=0)


def test_min_count_given_twice_keeps_both():
    """``--min-count 3=1 --min-count 4=1`` is ``--min-count 3=1 4=1``, not the last one alone."""
    from rnnlm.cli import _min_counts, build_parser
    args = build_parser().parse_args(["ngram", "--min-count", "3=1", "--min-count", "4=1"])
    assert _min_counts(args.min_count) == {3: 1, 4: 1}
