"""Dynamic evaluation (the toolkit's ``-test FILE -dynamic ALPHA``): ``ClassRNNLM.
evaluate_dynamic`` and ``rnnlm ptb-rnnlm-test``.

* at rate 0 it is the static test pass, bit for bit, for each toolkit feature;
* each word is scored before it is learnt, learning at every word with counter 0 (the L2
  decay and the BPTT block at every word, as testNet's unadvanced counter gives);
* the command scores each split with a model fresh from the checkpoint; its static run equals
  the training run's own test pass; bad checkpoints are one line.
"""
import json
import math

import numpy as np
import pytest

from rnnlm.cli import main as rnnlm_main
from helpers import refused, toy_class_rnn, write_ptb_corpus

FEATURES = {"plain": {}, "direct": dict(direct=200), "independent": dict(independent=True),
            "bp": dict(bptt=0), "exact exp": dict(fast_exp=False)}


def _stream(n=600, seed=5):
    rng = np.random.RandomState(seed)
    words = rng.randint(0, 12, n)
    words[rng.rand(n) < 0.15] = 0
    words[rng.rand(n) < 0.03] = -1
    return words


@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_rate_zero_is_the_static_test_pass(feature):
    words = _stream()
    static, dyn = np.empty(len(words)), np.empty(len(words))
    a = toy_class_rnn(kernel="python", **FEATURES[feature])
    b = toy_class_rnn(kernel="python", **FEATURES[feature])
    assert a.evaluate(words, test=True, logp_out=static) == \
        b.evaluate_dynamic(words, 0.0, logp_out=dyn)
    np.testing.assert_array_equal(static, dyn)


@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_each_word_is_scored_before_it_is_learnt_and_the_model_adapts(feature):
    pattern = np.append(np.random.RandomState(1).randint(1, 12, 9), 0)   # a learnable text
    text = np.tile(pattern, 30)
    words = np.concatenate([text, text])
    static, dyn = np.empty(len(words)), np.empty(len(words))
    toy_class_rnn(kernel="python", **FEATURES[feature]).evaluate(words, test=True,
                                                                 logp_out=static)
    m = toy_class_rnn(kernel="python", **FEATURES[feature])
    before = m.W.copy()
    m.evaluate_dynamic(words, 0.3, logp_out=dyn)
    assert dyn[0] == static[0]                 # nothing learnt before the first word
    assert not np.array_equal(m.W, before)     # the weights moved
    second = slice(len(text), None)
    ok = ~np.isnan(static[second])
    assert np.nansum(dyn[second][ok]) > np.nansum(static[second][ok])   # adapted to the text


def test_learning_happens_at_every_word_with_counter_zero(monkeypatch):
    """testNet never advances ``counter``: every learnNet call sees 0."""
    m = toy_class_rnn(kernel="python")
    seen = []
    real = m.learn_net

    def spy(net, word, prev, last_word, alpha, counter, bptt_history, dU):
        seen.append(counter)
        return real(net, word, prev, last_word, alpha, counter, bptt_history, dU)
    monkeypatch.setattr(m, "learn_net", spy)
    words = _stream(200)
    m.evaluate_dynamic(words, 0.1)
    assert seen == [0] * int(np.count_nonzero(words != -1))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    w = tmp_path_factory.mktemp("dyn")
    (w / "ptb").mkdir()
    write_ptb_corpus(w / "ptb", {"train": 60, "valid": 20, "test": 20})
    assert rnnlm_main(["ptb-rnnlm", "--hidden", "6", "--class", "3", "--epochs", "2",
                       "--quiet", "--data-dir", str(w / "ptb"), "--out", str(w / "rr")]) == 0
    return w


def _probs(path):
    return [float(x) for x in path.read_text().split()]


def test_the_static_command_equals_the_training_runs_test_pass(trained, tmp_path):
    w = trained
    assert rnnlm_main(["ptb-rnnlm-test", str(w / "rr" / "checkpoint.npz"), "--quiet",
                       "--data-dir", str(w / "ptb"), "--out", str(tmp_path / "st")]) == 0
    assert _probs(tmp_path / "st" / "test.probs.txt") == _probs(w / "rr" / "test.probs.txt")
    rec = json.loads((tmp_path / "st" / "run.json").read_text())
    trained_rec = json.loads((w / "rr" / "run.json").read_text())
    assert rec["value"] == trained_rec["value"] and rec["published"] is None


def test_each_split_is_scored_by_a_fresh_model(trained, tmp_path):
    from rnnlm.toolkit import testnet
    from rnnlm.toolkit.vocab import toolkit_ids
    w = trained
    ckpt = str(w / "rr" / "checkpoint.npz")
    assert rnnlm_main(["ptb-rnnlm-test", ckpt, "--dynamic", "0.2", "--quiet", "--data-dir",
                       str(w / "ptb"), "--out", str(tmp_path / "dy")]) == 0
    _, state = testnet.load_toolkit_model(ckpt)
    words = toolkit_ids(str(w / "ptb" / "ptb.test.txt"),
                        {x: i for i, x in enumerate(state["vocab"])})
    lp, n, _ = testnet.score_split(ckpt, words, 0.2)
    rec = json.loads((tmp_path / "dy" / "run.json").read_text())
    assert math.isclose(rec["value"], 10 ** (-lp / n), rel_tol=0, abs_tol=0)
    assert rec["dynamic"] == 0.2 and rec["published"] == 123.2


def test_a_checkpoint_of_another_model_is_one_line(trained, tmp_path, capsys):
    w = trained
    lstm = tmp_path / "x.npz"
    from rnnrepro import checkpoint
    checkpoint.save(str(lstm), {"a": np.zeros(2)}, {"model_type": "lstm", "vocab": ["a"],
                                                   "counts": [1], "hyper": {}})
    refused(capsys, lambda: rnnlm_main(["ptb-rnnlm-test", str(lstm), "--data-dir",
                                        str(w / "ptb"), "--out", str(tmp_path / "o")]),
            str(lstm), "not a toolkit")
    assert not (tmp_path / "o").exists()
