"""``rnnlm preprocess`` and ``rnnlm train`` as commands (numpy model, tiny PTB-layout text):
the numbers they write are recomputed here from the checkpoint and the corpus."""
import json

import numpy as np
import pytest

from rnnlm.cli import main

from helpers import write_ptb_corpus


@pytest.fixture(scope="module")
def ptb_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("data") / "ptb"
    d.mkdir()
    write_ptb_corpus(d, dict(train=20, valid=4, test=4))
    return str(d.parent)


def test_preprocess_command(ptb_dir, tmp_path, capsys):
    vocab = tmp_path / "vocab.txt"
    assert main(["preprocess", "--corpus", "ptb", "--data-dir", ptb_dir, "--vocabulary-size",
                 "8", "--no-cache", "--quiet", "--vocab-out", str(vocab)]) == 0
    stats = json.loads(capsys.readouterr().out)
    words = vocab.read_text().split("\n")[:-1]
    assert len(words) == 8 and len(set(words)) == 8
    from rnnlm.wildml.data import corpus_file, load_corpus
    c = load_corpus("ptb", corpus_file("ptb", ptb_dir), vocabulary_size=8, cache=None,
                    verbose=False)
    assert words == list(c.index_to_word) and stats == json.loads(json.dumps(c.stats))


def test_train_command_numbers_come_from_the_model(ptb_dir, tmp_path):
    out = tmp_path / "run"
    args = ["train", "--model", "rnn-numpy", "--corpus", "ptb", "--data-dir", ptb_dir,
            "--vocabulary-size", "8", "--no-cache", "--hidden-dim", "4", "--epochs", "2",
            "--evaluate-loss-after", "1", "--evaluate-at-end", "--learning-rate", "0.05",
            "--out", str(out), "--quiet"]
    assert main(args) == 0
    run = json.load(open(out / "run.json"))
    recs = [json.loads(line) for line in open(out / "log.jsonl")]
    assert [r["kind"] for r in recs] == ["epoch", "epoch", "final"]
    assert run["losses"] == [[r["num_examples_seen"], r["loss"]] for r in recs]
    from rnnlm.wildml.data import corpus_file, load_corpus
    from rnnlm.wildml.rnn_numpy import RNNNumpy
    c = load_corpus("ptb", corpus_file("ptb", ptb_dir), vocabulary_size=8, cache=None,
                    verbose=False)
    np.random.seed(10)  # --seed default: the tutorial's np.random.seed(10) before the init
    m0 = RNNNumpy(8, hidden_dim=4, bptt_truncate=4)
    assert recs[0]["loss"] == pytest.approx(m0.calculate_loss(c.X_train, c.y_train), rel=1e-12)
    with np.load(out / "checkpoint.npz") as z:
        m0.set_parameters({k: z[k] for k in "UVW"})
    assert run["value"] == recs[-1]["loss"] == pytest.approx(
        m0.calculate_loss(c.X_train, c.y_train), rel=1e-12)
    assert recs[-1]["loss"] < recs[0]["loss"]
    # bad input: one clear line, status 2
    assert main(["train", "--model", "rnn-numpy", "--corpus", "ptb", "--data-dir",
                 str(tmp_path / "none"), "--no-cache", "--quiet"]) == 2
