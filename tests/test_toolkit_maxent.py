"""The toolkit trainer with no hidden layer (``rnnlm ptb-rnnlm --hidden 0 --direct M
--direct-order 5``): a maximum-entropy n-gram on the hashed direct connections alone, the
thesis's maximum-entropy row. (Its per-word loops against the compiled kernel:
test_toolkit_kernel.py's hidden-0 cases.)"""
import json
import os

import numpy as np
import pytest

from rnnlm.cli import main
from rnnlm.ngram.mix import write_mix_run

from helpers import toy_class_rnn, write_ptb_corpus


pytestmark = pytest.mark.usefixtures("keep_floatx")   # rnnlm ptb-rnnlm sets float64


def _last_logp(m, words):
    lp = np.empty(len(words))
    m.evaluate(np.array(words), logp_out=lp)
    return lp[-1]


@pytest.mark.parametrize("hidden", [0, 3])
def test_without_a_hidden_layer_only_the_last_n_minus_1_words_count(hidden):
    m = toy_class_rnn(direct=400, hidden=hidden, direct_order=3)
    rng = np.random.RandomState(0)
    m.train_epoch(rng.randint(0, 12, 800), 0.1)
    tail = [4, 7, 2]   # the last two words of history (7, 2), then the word scored
    a = _last_logp(m, [1, 5, 9, 3] + tail)
    b = _last_logp(m, [8, 0, 6, 11, 10] + tail)
    c = _last_logp(m, [1, 5, 9, 3, 5, 2, 2])   # another last two words
    assert a != c
    # an n-gram model: the same two last words, the same probability whatever came before;
    # with a hidden layer the earlier words still count
    assert (a == b) == (hidden == 0)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    words = [f"w{i}" for i in range(30)]
    line = lambda rng: " ".join(words[min(int(rng.zipf(1.4)), 29)]
                                for _ in range(rng.randint(3, 9)))
    return write_ptb_corpus(tmp_path_factory.mktemp("ptb"),
                            {"train": 300, "valid": 40, "test": 40}, sentences=line)


def test_maxent_run_records_the_thesis_row_and_its_kn5_mix(corpus, tmp_path, capsys):
    me = tmp_path / "me"
    assert main(["ptb-rnnlm", "--hidden", "0", "--direct", "0.001", "--direct-order", "5",
                 "--class", "5", "--epochs", "2", "--data-dir", corpus, "--out", str(me),
                 "--quiet"]) == 0
    rec = json.loads((me / "run.json").read_text())
    assert rec["published"] == 142.1 and "maximum entropy 5-gram" in rec["published_source"]
    assert rec["what"].startswith("maximum-entropy 5-gram") and rec["hyper"]["hidden"] == 0
    assert np.isfinite(rec["value"])
    # other orders are not the thesis's row
    assert main(["ptb-rnnlm", "--hidden", "0", "--direct", "0.001", "--direct-order", "3",
                 "--class", "5", "--epochs", "1", "--data-dir", corpus, "--out",
                 str(tmp_path / "me3"), "--quiet"]) == 0
    assert json.loads((tmp_path / "me3" / "run.json").read_text())["published"] is None
    assert main(["ngram", "--order", "2", "--discount", "gt", "--data-dir", corpus, "--out",
                 str(tmp_path / "kn"), "--quiet"]) == 0
    kn = tmp_path / "kn"
    r = json.loads((kn / "run.json").read_text())
    (kn / "run.json").write_text(json.dumps(dict(r, order=5, smoothing="kn")))  # as KN5
    mix = write_mix_run([str(me), str(kn)], str(tmp_path / "mix"))
    assert mix["published"] == 138.7
    assert write_mix_run([str(tmp_path / "me3"), str(kn)], str(tmp_path / "mix3"))[
        "published"] is None
    capsys.readouterr()


def test_hidden_0_without_direct_connections_is_one_line(corpus, tmp_path, capsys):
    out = tmp_path / "none"
    for extra in ([], ["--dry-run"]):
        status = main(["ptb-rnnlm", "--hidden", "0", "--data-dir", corpus, "--out", str(out)]
                      + extra)
        err = capsys.readouterr().err
        assert status == 2 and err.count("\n") == 1 and "--hidden 0" in err and "--direct" in err
    assert not os.path.exists(out)
