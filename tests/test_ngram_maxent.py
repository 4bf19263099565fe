"""rnnlm.ngram.maxent (SRILM's ``ngram-count -maxent``): the hierarchical normalisers, scores
and expectations against a brute-force model that sums every word's features, the optimum
against the conditions of its objective, and the ``rnnlm ngram --maxent`` command."""
import json
import math

import numpy as np
import pytest

from rnnlm.cli import main
from rnnlm.ngram.kn import ngram_id
from rnnlm.ngram.maxent import MaxEnt

from helpers import markov_corpus, write_markov_ptb

TRAIN = markov_corpus(40, 3, vocab=7, max_len=6)
HELD_OUT = markov_corpus(15, 4, vocab=9, max_len=7)    # unseen contexts, and two OOVs


class BruteForce:
    """The model written out: every n-gram of the training text a feature, each word's score
    the sum of the features its history's suffixes make with it, Z a plain sum over the
    vocabulary."""

    def __init__(self, m, lam):
        self.m, self.lam, V = m, lam, len(m.vocab)
        self.words = list(range(1, V))            # every word but <s>

    def score(self, hist, w):
        m, total = self.m, 0.0
        for k in range(min(len(hist), m.order - 1) + 1):
            gid = ngram_id(m.keys, len(m.vocab), hist[len(hist) - k:] + [w])
            if gid >= 0:
                total += self.lam[k][gid]
        return total

    def log_prob(self, hist, w):
        z = sum(math.exp(self.score(hist, v)) for v in self.words)
        return self.score(hist, w) - math.log(z)

    def log_probs(self, sentences):
        m, out = self.m, []
        for s in sentences:
            hist = [0]
            for w in s + ["</s>"]:
                wid = m.vocab.index.get(w, m.vocab.unk)
                if wid < 0:          # an OOV: not scored, and no context holds it
                    hist = []
                    continue
                out.append(self.log_prob(hist, wid))
                hist = hist + [wid]
        return np.array(out)


def _random_weights(m, seed):
    rng = np.random.default_rng(seed)
    lam = [rng.normal(0.0, 0.7, n) for n in m.sizes]
    lam[0][0] = 0.0
    return lam


def _use(m, lam):
    m.lam = lam
    m._final = m._normalisers(m._scores(lam)[1])


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_scores_and_normalisers_equal_the_brute_force_model(order):
    m = MaxEnt(TRAIN, order=order, max_iter=1)
    lam = _random_weights(m, order)
    _use(m, lam)
    ref = BruteForce(m, lam)
    for sentences in (TRAIN, HELD_OUT):
        got = m.word_log10probs(sentences)["log10"] * math.log(10.0)
        np.testing.assert_allclose(got, ref.log_probs(sentences), rtol=1e-10, atol=1e-10)
    assert m.log_likelihood() == pytest.approx(ref.log_probs(TRAIN).sum(), rel=1e-11)
    # every context's distribution sums to 1: Z of each seen context is the plain sum
    Z = m._final
    for k in range(1, order):
        for c in range(m.sizes[k - 1]):
            words = _ngram_words(m, k, c)
            z = sum(math.exp(ref.score(words, v)) for v in ref.words)
            assert Z[k][c] == pytest.approx(z, rel=1e-11)


def _ngram_words(m, k, gid):
    """The word ids of n-gram ``gid`` of order ``k``."""
    V, words = len(m.vocab), []
    for j in range(k, 1, -1):
        key = m.keys[j - 1][gid]
        words.insert(0, int(key % V))
        gid = int(key // V)
    return [gid] + words


@pytest.mark.parametrize("order", [1, 2, 3])
def test_gradient_is_the_derivative_of_the_log_likelihood(order):
    m = MaxEnt(TRAIN, order=order, max_iter=1)
    lam = _random_weights(m, 10 + order)
    _, g = m.log_likelihood(lam, gradient=True)
    rng, eps = np.random.default_rng(order), 1e-6
    for i in range(order):
        for f in rng.choice(m.sizes[i], min(12, m.sizes[i]), replace=False):
            if i == 0 and f == 0:
                assert g[0][0] == 0.0          # <s>: no feature
                continue
            up = [x.copy() for x in lam]
            up[i][f] += eps
            down = [x.copy() for x in lam]
            down[i][f] -= eps
            fd = (m.log_likelihood(up) - m.log_likelihood(down)) / (2 * eps)
            assert g[i][f] == pytest.approx(fd, rel=1e-6, abs=1e-6)


def test_a_unigram_without_prior_is_the_relative_frequency():
    m = MaxEnt(TRAIN, order=1, alpha=0.0, sigma2=None)
    counts = m.observed[0][1:]
    p = m.distribution([])[1:]
    np.testing.assert_allclose(p, counts / counts.sum(), rtol=1e-5)


@pytest.mark.parametrize("alpha,sigma2", [(0.5, 6.0), (0.0, 2.0), (2.0, None)])
def test_the_estimate_meets_the_optimality_conditions_of_its_objective(alpha, sigma2):
    # maximum of LL - alpha |lam|_1 - |lam|^2 / (2 sigma2): where lam != 0 the gradient of LL
    # equals alpha sign(lam) + lam / sigma2; where lam == 0 it is at most alpha in size
    m = MaxEnt(TRAIN, order=3, alpha=alpha, sigma2=sigma2, max_iter=5000)
    _, g = m.log_likelihood(gradient=True)
    g, lam = np.concatenate(g)[1:], np.concatenate(m.lam)[1:]
    l2 = 0.0 if sigma2 is None else lam / sigma2
    r = g - l2
    on = lam != 0
    assert on.sum() > 10
    np.testing.assert_allclose(r[on], alpha * np.sign(lam[on]), atol=2e-3)
    assert np.all(np.abs(r[~on]) <= alpha + 2e-3)
    if alpha > 0:
        assert (~on).sum() > 0, "the l1 term sets some weights to exactly zero"


def test_a_stronger_prior_fits_the_training_text_less_closely():
    loose = MaxEnt(TRAIN, order=3, alpha=0.0, sigma2=50.0)
    tight = MaxEnt(TRAIN, order=3, alpha=0.0, sigma2=0.5)
    assert tight.log_likelihood() < loose.log_likelihood()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_markov_ptb(tmp_path_factory.mktemp("ptb"), dict(train=200, valid=30, test=30),
                            vocab=30)


def _run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_maxent_command_records_what_the_library_computes(data, tmp_path, capsys):
    from rnnlm.ngram.mix import _kind
    out = tmp_path / "me3"
    status, text, err = _run(capsys, "ngram", "--maxent", "--order", 3, "--maxent-alpha", 0.2,
                             "--data-dir", data, "--out", out, "--quiet")
    assert status == 0, err
    rec = json.loads((out / "run.json").read_text())
    read = lambda s: [ln.split() for ln in (data / f"ptb.{s}.txt").read_text().splitlines()]
    m = MaxEnt(read("train"), order=3, alpha=0.2, sigma2=6.0)
    assert rec["value"] == pytest.approx(m.perplexity(read("test"))[0], rel=1e-9)
    assert rec["smoothing"] == "maxent" and rec["maxent_alpha"] == 0.2
    assert rec["maxent_sigma2"] == 6.0 and rec["fit"]["converged"]
    assert rec["ngrams"] == [m.sizes[0] - 1] + m.sizes[1:]
    assert rec["published"] is None and _kind(rec) is None       # the thesis row is 5-gram
    assert _kind(dict(rec, order=5)) == "me"


@pytest.mark.parametrize("argv,needle", [
    (["--maxent", "--discount", "gt"], "--discount: not for a maximum-entropy model"),
    (["--maxent", "--min-count", "3=1"], "--min-count: not for a maximum-entropy model"),
    (["--maxent", "--arpa", "x.arpa"], "--arpa: not for a maximum-entropy model"),
    (["--maxent-sigma2", "3"], "--maxent-sigma2: only with --maxent"),
    (["--maxent-iterations", "5"], "--maxent-iterations: only with --maxent"),
])
def test_options_that_do_not_apply_to_maxent_are_refused(data, tmp_path, capsys, argv, needle):
    status, _, err = _run(capsys, "ngram", *argv, "--data-dir", data, "--out", tmp_path / "r")
    assert status == 2 and err.count("\n") == 1 and needle in err
    assert not (tmp_path / "r").exists()


def test_maxent_dry_run_writes_nothing(data, tmp_path, capsys):
    status, text, _ = _run(capsys, "ngram", "--maxent", "--order", 2, "--data-dir", data,
                           "--out", tmp_path / "dry", "--dry-run")
    assert status == 0 and "nothing written" in text and "Maximum entropy 2-gram" in text
    assert not (tmp_path / "dry").exists()


def test_a_maxent_config_refuses_cutoffs():
    from rnnlm.ngram.run import NgramConfig
    from rnnrepro.files import InputError
    assert NgramConfig(order=3, smoothing="maxent").cutoffs() == [1, 1, 1]
    with pytest.raises(InputError, match="keeps every n-gram"):
        NgramConfig(order=3, smoothing="maxent", min_counts={3: 2}).cutoffs()
