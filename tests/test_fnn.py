"""``rnnlm.fnn``: the feedforward NNLM's graph against a numpy transcription of Bengio et al.'s
equations and against finite differences; trainNet's schedule; the windows; resume; a
diverged run stopping in one line; the per-word probabilities against the n-gram scorer's
stream; the dry run."""
import json

import numpy as np
import pytest

from helpers import central_differences, float64, refused, write_ptb_corpus

V, N, M, H = 7, 4, 3, 5   # vocabulary, order, projection, hidden


@pytest.fixture(autouse=True)
def in_float64():
    with float64():
        yield


def _cfg(**kw):
    from rnnlm.fnn.config import Config
    return Config(**dict(dict(order=N, projection=M, hidden=H, batch_size=6), **kw))


def _model(**kw):
    from rnnlm.fnn.model import FNN
    model = FNN(_cfg(**kw), V)
    rng = np.random.RandomState(5)   # every parameter large enough to matter
    model.set_params({k: rng.normal(0, 0.5, v.shape) for k, v in model.get_params().items()})
    return model


def _batch(n=6, seed=0):
    rng = np.random.RandomState(seed)
    ctx = rng.randint(0, 3, (n, N - 1)).astype(np.int32)   # few ids: rows of C repeat
    return ctx, rng.randint(0, V, n).astype(np.int32)


def forward_numpy(p, ctx, target):
    """x = [C(w_{t-1}); ...], y = b + W x + U tanh(d + H x); ln softmax(y)[target]."""
    x = p["C"][ctx].reshape(len(ctx), -1)
    y = p["b"] + np.tanh(p["d"] + x @ p["H"]) @ p["U"]
    if "W" in p:
        y = y + x @ p["W"]
    y = y - y.max(axis=1, keepdims=True)
    logp = y - np.log(np.exp(y).sum(axis=1, keepdims=True))
    return logp[np.arange(len(target)), target]


@pytest.mark.parametrize("direct", [False, True])
def test_forward_equals_the_equations(direct):
    model, (ctx, target) = _model(direct=direct), _batch()
    assert ("W" in model.get_params()) == direct
    want = forward_numpy(model.get_params(), ctx, target)
    assert np.allclose(model.logprobs(ctx, target, batch=4), want, atol=1e-10)


@pytest.mark.parametrize("direct,decay", [(False, 0.0), (True, 0.0), (True, 0.3)])
def test_one_step_is_the_mean_gradient_by_finite_differences(direct, decay):
    """w -= lr (d mean NLL / dw + decay w) for C, H, U, W; the biases without decay; C's
    repeated rows summed."""
    model, (ctx, target) = _model(direct=direct, weight_decay=decay), _batch()
    p, lr = model.get_params(), 0.5
    grad = central_differences(lambda a: -forward_numpy(a, ctx, target).mean(), p)
    nll = model.train(ctx, target, lr)
    assert np.isclose(nll, -forward_numpy(p, ctx, target).sum())
    new = model.get_params()
    for k in p:
        want = p[k] - lr * (grad[k] + (decay * p[k] if k in ("C", "H", "U", "W") else 0))
        assert np.allclose(new[k], want, atol=1e-7), k


def test_windows_look_back_newest_first_with_eos_padding():
    from rnnlm.fnn.train import make_windows
    ctx, target = make_windows(np.array([5, 6, 7, 8], np.int32), 3, 0)
    assert ctx.tolist() == [[0, 0], [5, 0], [6, 5], [7, 6]] and target.tolist() == [5, 6, 7, 8]


@pytest.fixture(autouse=True)
def _float64_for_this_file_only(monkeypatch):
    """``_cli``'s ``--floatX float64`` sets $RNN_FLOATX and the engine's floatX for the whole
    process; both go back after each test, so later test files see their own defaults."""
    from rnnrepro import engine
    old = engine.floatx()
    monkeypatch.setenv("RNN_FLOATX", "float64")
    yield
    engine.set_floatx(old)


@pytest.fixture()
def ptb(tmp_path):
    (tmp_path / "ptb").mkdir()
    return write_ptb_corpus(tmp_path / "ptb", dict(train=40, valid=10, test=10))


def _cli(*argv):
    from rnnlm.cli import main
    return main(["fnn", "--order", "3", "--projection", "3", "--hidden", "4", "--batch-size",
                 "8", "--floatX", "float64", "--quiet", *argv])


def _log(folder):
    drop = ("seconds", "words_per_second")
    return [{k: v for k, v in json.loads(line).items() if k not in drop}
            for line in (folder / "log.jsonl").read_text().splitlines()]


def test_resume_equals_an_uninterrupted_run(ptb, tmp_path):
    from rnnrepro import checkpoint
    assert _cli("--data-dir", ptb, "--epochs", "4", "--out", str(tmp_path / "a")) == 0
    assert _cli("--data-dir", ptb, "--epochs", "2", "--out", str(tmp_path / "b")) == 0
    assert _cli("--data-dir", ptb, "--epochs", "4", "--out", str(tmp_path / "b"),
                "--resume") == 0
    assert _log(tmp_path / "a") == _log(tmp_path / "b") and len(_log(tmp_path / "a")) == 4
    a, _ = checkpoint.load(str(tmp_path / "a" / "checkpoint.npz"))
    b, _ = checkpoint.load(str(tmp_path / "b" / "checkpoint.npz"))
    assert sorted(a) == sorted(b) and all(np.array_equal(a[k], b[k]) for k in a)
    ra, rb = (json.loads((tmp_path / r / "run.json").read_text()) for r in "ab")
    assert ra["value"] == rb["value"] and rb["epochs"] == 4
    assert rb["label"].startswith("smaller: stopped by the epoch cap at 4 epochs")


def test_the_schedule_is_train_nets_restoring_halving_and_stopping(ptb, tmp_path, monkeypatch):
    """Validation log-probabilities scripted (nats): worse than the last epoch: rejected, its
    weights replaced by the last accepted ones; a gain under 1.003x (a loss included): halve
    from then on; the second time: stop, without halving. Original: ``llogp`` becomes a
    rejected epoch's logp too, so epoch 3 is accepted against -510, not -500."""
    from rnnrepro import checkpoint
    from rnnlm.fnn import model as fnn_model
    script, real = [-500.0, -510.0, -505.0, -400.0, -399.9], fnn_model.FNN.logprobs
    saved = []

    def logprobs(self, ctx, target):   # the loop's validation passes, then the real scoring
        if not script:
            return real(self, ctx, target)
        saved.append(self.get_params())
        return np.array([script.pop(0)] + [0.0] * (len(ctx) - 1))
    monkeypatch.setattr(fnn_model.FNN, "logprobs", logprobs)
    out = tmp_path / "s"
    assert _cli("--data-dir", ptb, "--epochs", "9", "--lr", "0.1", "--out", str(out)) == 0
    log = _log(out)
    assert [r["learning_rate"] for r in log] == [0.1, 0.1, 0.05, 0.025, 0.0125]
    assert [r["rejected"] for r in log] == [False, True, False, False, False]
    assert [r["done"] for r in log] == [False] * 4 + [True]
    arrays, state = checkpoint.load(str(out / "checkpoint.npz"))
    assert state["iter"] == 4 and state["llogp"] == -400.0 and state["alpha"] == 0.0125
    for k, v in saved[-1].items():   # the last epoch accepted: its weights are the backup
        np.testing.assert_array_equal(arrays["last_" + k], v)
    assert json.loads((out / "run.json").read_text())["label"] == "full"


def test_a_checkpoint_of_the_older_schedule_resumes(ptb, tmp_path):
    """A checkpoint written when the FNN had its own copy of the schedule (``lr``, ``epoch``:
    epochs trained) resumes as the uninterrupted run."""
    from rnnrepro import checkpoint
    assert _cli("--data-dir", ptb, "--epochs", "3", "--out", str(tmp_path / "a")) == 0
    assert _cli("--data-dir", ptb, "--epochs", "2", "--out", str(tmp_path / "b")) == 0
    path = str(tmp_path / "b" / "checkpoint.npz")
    arrays, state = checkpoint.load(path)
    state["lr"], state["epoch"] = state.pop("alpha"), state.pop("iter")
    checkpoint.save(path, arrays, state)
    assert _cli("--data-dir", ptb, "--epochs", "3", "--out", str(tmp_path / "b"),
                "--resume") == 0
    assert _log(tmp_path / "a") == _log(tmp_path / "b") and len(_log(tmp_path / "b")) == 3


@pytest.mark.parametrize("where", ["train", "logprobs"])
def test_a_nan_stops_the_run_in_one_line_keeping_the_last_checkpoint(ptb, tmp_path, capsys,
                                                                      monkeypatch, where):
    from rnnlm.fnn import model as fnn_model
    out = tmp_path / "r"
    assert _cli("--data-dir", ptb, "--epochs", "1", "--out", str(out)) == 0
    before = (out / "checkpoint.npz").read_bytes()
    capsys.readouterr()
    monkeypatch.setattr(fnn_model.FNN, where,
                        lambda self, ctx, *a, **k: float("nan") if where == "train"
                        else np.full(len(ctx), np.nan))
    refused(capsys, lambda: _cli("--data-dir", ptb, "--epochs", "2", "--out", str(out),
                                 "--resume"), "training diverged at epoch 2")
    assert (out / "checkpoint.npz").read_bytes() == before and len(_log(out)) == 1


def test_probabilities_cover_the_ngram_stream_and_give_the_perplexity(ptb, tmp_path):
    """One probability per word the KN5 record scores (each line's words, then </s>), in its
    order: ``rnnlm mix`` interpolates the two; their product gives the reported perplexity."""
    from rnnlm.ngram.mix import mix_runs, read_probs
    from rnnlm.ngram.run import NgramConfig, train_ngram
    assert _cli("--data-dir", ptb, "--epochs", "3", "--out", str(tmp_path / "f")) == 0
    train_ngram(NgramConfig(order=3, smoothing="gt"), data_dir=ptb, out=str(tmp_path / "kn"), quiet=True)
    rec = json.loads((tmp_path / "f" / "run.json").read_text())
    for split, key in (("valid", "valid_perplexity"), ("test", "value")):
        p = read_probs(str(tmp_path / "f" / f"{split}.probs.txt"))
        kn = read_probs(str(tmp_path / "kn" / f"{split}.probs.txt"))
        lines = (tmp_path / "ptb" / f"ptb.{split}.txt").read_text().splitlines()
        assert len(p) == len(kn) == sum(len(ln.split()) + 1 for ln in lines)
        assert np.isclose(np.exp(-np.log(p).mean()), rec[key], rtol=1e-9)
    assert rec["test_words"] == len(kn) and rec["published"] == 140.2
    assert rec["label"] == "smaller: stopped by the epoch cap at 3 epochs, before the schedule " \
        "ended"
    assert rec["what"] == ("Feedforward NNLM, Bengio et al. 2003 (order 3, projection 3, hidden "
                           "4), our recipe: the thesis's FNN setting not established")
    assert rec["config"]["order"] == 3 and rec["config"]["hidden"] == 4   # the sizes: fields
    mixed = mix_runs([str(tmp_path / "f"), str(tmp_path / "kn")])
    assert np.isclose(mixed["model_test_perplexity"][0], rec["value"])
    # beside KN5, the mixture's record carries the thesis's FNN + KN5 figure
    from rnnlm.ngram.mix import write_mix_run
    kn = json.loads((tmp_path / "kn" / "run.json").read_text())
    (tmp_path / "kn" / "run.json").write_text(json.dumps(dict(kn, order=5, smoothing="kn")))
    assert write_mix_run([str(tmp_path / "f"), str(tmp_path / "kn")],
                         str(tmp_path / "mix"))["published"] == 116.7


def test_the_scored_stream_is_the_ngram_one_with_unk_for_unseen_words(tmp_path):
    from rnnlm.fnn.train import read_stream
    (tmp_path / "t.txt").write_text(" a b \n\n c zz \n")
    ids = read_stream(str(tmp_path / "t.txt"), {"a": 1, "b": 2, "c": 3, "<eos>": 0,
                                                 "<unk>": 4})
    assert ids.tolist() == [1, 2, 0, 3, 4, 0]


def test_dry_run_writes_nothing(ptb, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _cli("--data-dir", ptb, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "dry run, nothing written: FNN n=3 m=3 h=4" in out and "runs/fnn-n3-m3-h4/" in out
    assert not (tmp_path / "runs").exists()


def test_an_order_below_two_is_refused_in_one_line(ptb, capsys):
    refused(capsys, lambda: _cli("--data-dir", ptb, "--order", "1", "--dry-run"),
            "--order 1: must be at least 2")
