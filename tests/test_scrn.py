"""``rnnlm.scrn``: the SCRN graph against the equations and against a line-by-line numpy
transcription of ``scrnn.lua`` ``newInputTrain``; the learning-rate schedule of ``train.lua``;
resume; a diverged run stopping in one line."""
import json

import numpy as np
import pytest

from helpers import float64, write_ptb_corpus


@pytest.fixture(autouse=True)
def in_float64():
    with float64():
        yield


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _clip(g, th):
    norm = np.sqrt((g ** 2).sum())
    return g / (norm / th) if th and norm > th else g


def _model(n_hidden=4, n_slow=3, vocab=7, **kw):
    from rnnlm.scrn.config import Config
    from rnnlm.scrn.model import SCRN
    kw = dict(dict(backprop_len=6, backprop_freq=2, batch_size=3), **kw)
    model = SCRN(Config(n_hidden=n_hidden, n_slow=n_slow, **kw), vocab)
    rng = np.random.RandomState(5)   # weights large enough for the decoder to matter
    model.set_params({k: rng.normal(0, 0.5, v.shape) for k, v in model.get_params().items()})
    return model


def _words(steps, batch=3, vocab=7, seed=0):
    return np.random.RandomState(seed).randint(0, vocab, (steps + 1, batch)).astype(np.int32)


def forward_numpy(p, x, h, c, alpha=0.95):
    """The equations: c_t = 0.05 B x_t + 0.95 c_{t-1}, h_t = sigmoid(A x_t + R h_{t-1} +
    P c_{t-1}), softmax over [h_t; c_t]. Returns the probabilities of every step."""
    probs = []
    for x_t in x:
        h = _sigmoid(p["A"][x_t] + h @ p["R"] + c @ p["P"])
        c = (1 - alpha) * p["B"][x_t] + alpha * c
        probs.append(_softmax(h @ p["U"] + c @ p["V"]))
    return probs


def test_forward_equals_the_equations():
    model, w = _model(), _words(9)
    nll, n = model.test(w[:-1], w[1:])
    probs = forward_numpy(model.get_params(), w[:-1], np.full((3, 4), 0.1), np.full((3, 3), 0.1))
    want = -sum(np.log(p[np.arange(3), y]).sum() for p, y in zip(probs, w[1:]))
    assert n == 27 and nll == pytest.approx(want, rel=1e-12)


def test_no_slow_units_is_the_plain_srn():
    """--slow 0: h_t = sigmoid(A x_t + R h_{t-1}), softmax(U h_t): ``srnn_sm``."""
    model, w = _model(n_slow=0), _words(9)
    p = model.get_params()
    assert p["B"].shape == (7, 0) and p["V"].shape == (0, 7)
    h, want = np.full((3, 4), 0.1), 0.0
    for x_t, y_t in zip(w[:-1], w[1:]):
        h = _sigmoid(p["A"][x_t] + h @ p["R"])
        want -= np.log(_softmax(h @ p["U"])[np.arange(3), y_t]).sum()
    assert model.test(w[:-1], w[1:])[0] == pytest.approx(want, rel=1e-12)


def test_first_update_is_the_gradient_by_finite_differences():
    """The first pass of an epoch reaches every step of its block (clipping off): the update
    is -lr times the gradient of the block's summed NLL, every parameter."""
    from helpers import central_differences
    model, w = _model(gradInput_clip=0.0), _words(2)
    p0 = model.get_params()

    def loss(p):
        model.set_params(p)
        model.reset()
        return model.test(w[:-1], w[1:])[0]
    fd = central_differences(loss, p0)
    model.set_params(p0)
    model.reset()
    model.new_inputs_train(w[:-1], w[1:], 1e-3)
    p1 = model.get_params()
    for k in p0:
        np.testing.assert_allclose((p0[k] - p1[k]) / 1e-3, fd[k], atol=1e-7, err_msg=k)


def new_input_train_numpy(p, steps, cfg, lr):
    """``SCRNN:newInputTrain`` line by line, one step at a time, with its ring of unrolled
    nets (each keeps its input, previous state, output and decoder gradient); returns the
    errors. ``p`` (dict of arrays) is updated in place."""
    L, F, th, a = cfg.backprop_len, cfg.backprop_freq, cfg.gradInput_clip, 1 - cfg.semb_scale
    nets, state, i_input, errs = [{} for _ in range(L)], None, 0, []
    dw = {k: np.zeros_like(v) for k, v in p.items()}
    for x, y in steps:
        i_input += 1
        nets = nets[1:] + nets[:1]                   # the oldest net becomes the newest
        net = nets[-1]
        prev = state or (np.full((len(x), cfg.n_hidden), 0.1), np.full((len(x), cfg.n_slow), 0.1))
        h = _sigmoid(p["A"][x] + prev[0] @ p["R"] + prev[1] @ p["P"])
        c = cfg.semb_scale * p["B"][x] + a * prev[1]
        pr = _softmax(h @ p["U"] + c @ p["V"])
        errs.append(-np.log(pr[np.arange(len(x)), y]).sum())
        pr[np.arange(len(x)), y] -= 1                # elemDecodeBackward
        dw["U"] += h.T @ pr
        dw["V"] += c.T @ pr
        net.update(input=x, prev=prev, out=(h, c), dec=[pr @ p["U"].T, pr @ p["V"].T])
        state = (h, c)
        if i_input % F:
            continue
        g, j = None, 1
        for i in range(L, max(1, L - i_input + 1) - 1, -1):
            n = nets[i - 1]
            if g is None:
                g = n["dec"]                         # the same list: clipped in place below
            elif j <= F:
                g = [g[0] + n["dec"][0], g[1] + n["dec"][1]]
                j += 1
            g[0], g[1] = _clip(g[0], th), _clip(g[1], th)
            if i != 1:
                (hp, cp), h_i = n["prev"], n["out"][0]
                delta = g[0] * h_i * (1 - h_i)
                np.add.at(dw["A"], n["input"], delta)
                np.add.at(dw["B"], n["input"], cfg.semb_scale * g[1])
                dw["R"] += hp.T @ delta
                dw["P"] += cp.T @ delta
                g = [delta @ p["R"].T, delta @ p["P"].T + a * g[1]]
        for k in p:
            p[k] -= lr * dw[k]
            dw[k][...] = 0
    return errs


@pytest.mark.parametrize("n_slow, bptt, freq", [(3, 6, 2), (0, 6, 2), (3, 5, 5), (2, 7, 3)])
def test_training_equals_scrnn_lua_step_by_step(n_slow, bptt, freq):
    """Blocks of ``backprop_freq`` steps through the graph = the original's per-step
    algorithm: the window's oldest step not backpropagated, the previous newest decoder
    gradient added again (clipped), the clip at norm 0.3 (it acts here) at every step."""
    model = _model(n_slow=n_slow, backprop_len=bptt, backprop_freq=freq, gradInput_clip=0.3)
    w = _words(4 * freq)
    p = model.get_params()
    want = new_input_train_numpy(p, list(zip(w[:-1], w[1:])), model.cfg, 0.2)
    got = [model.new_inputs_train(w[i:i + freq], w[i + 1:i + 1 + freq], 0.2)
           for i in range(0, 4 * freq, freq)]
    np.testing.assert_allclose(got, [sum(want[i:i + freq]) for i in range(0, 4 * freq, freq)],
                               rtol=1e-12)
    for k, v in model.get_params().items():
        np.testing.assert_allclose(v, p[k], rtol=1e-10, atol=1e-12, err_msg=k)


class _Stub:
    """A model whose weights are one number, for the schedule alone."""
    def __init__(self):
        self.w = 0

    def get_params(self):
        return {"w": self.w}

    def set_params(self, arrays):
        self.w = arrays["w"]


def test_learning_rate_shrinks_by_1_2_and_reverts_on_a_worse_validation():
    """``train.lua``: worse than last * 0.9999 -> lr / 1.2 and the last accepted weights;
    a second worse epoch in a row keeps the weights (the model *is* last_model then)."""
    from rnnlm.scrn.config import Config
    from rnnlm.scrn.train import Schedule
    cfg, model, sched = Config(), _Stub(), Schedule(0.05)
    seen = []
    for epoch, val in enumerate([5.0, 4.0, 3.99995, 4.5, 3.5, 3.6], 1):
        model.w = epoch * 10                         # what this epoch trained to
        shrunk = sched.step(cfg, val, model)
        seen.append((shrunk, round(sched.learning_rate, 6), model.w))
    assert seen == [(False, 0.05, 10), (False, 0.05, 20),
                    (True, 0.041667, 20),            # within 0.01 %: worse; back to epoch 2
                    (True, 0.034722, 40),            # aliased: nothing to go back to
                    (False, 0.034722, 50),
                    (True, 0.028935, 50)]


@pytest.fixture()
def ptb(tmp_path):
    (tmp_path / "ptb").mkdir()
    return write_ptb_corpus(tmp_path / "ptb", dict(train=40, valid=10, test=10))


def _cli(*argv):
    from rnnlm.cli import main
    return main(["scrn", "--hidden", "3", "--slow", "2", "--batch-size", "2", "--quiet",
                 *argv])


def _log(folder):
    drop = ("seconds", "words_per_second")
    return [{k: v for k, v in json.loads(line).items() if k not in drop}
            for line in (folder / "log.jsonl").read_text().splitlines()]


def test_resume_equals_an_uninterrupted_run(ptb, tmp_path):
    from rnnrepro import checkpoint
    assert _cli("--data-dir", ptb, "--epochs", "2", "--out", str(tmp_path / "a")) == 0
    assert _cli("--data-dir", ptb, "--epochs", "1", "--out", str(tmp_path / "b")) == 0
    assert _cli("--data-dir", ptb, "--epochs", "2", "--out", str(tmp_path / "b"),
                "--resume") == 0
    assert _log(tmp_path / "a") == _log(tmp_path / "b") and len(_log(tmp_path / "a")) == 2
    a, _ = checkpoint.load(str(tmp_path / "a" / "checkpoint.npz"))
    b, _ = checkpoint.load(str(tmp_path / "b" / "checkpoint.npz"))
    assert sorted(a) == sorted(b) and all(np.array_equal(a[k], b[k]) for k in a)
    rec = json.loads((tmp_path / "b" / "run.json").read_text())
    assert rec["epochs"] == 2 and rec["label"] == "smaller: 2 of 100 epochs"


def test_a_nan_stops_the_run_in_one_line_keeping_the_last_checkpoint(ptb, tmp_path, capsys,
                                                                      monkeypatch):
    from rnnlm.scrn import model as scrn_model
    out = tmp_path / "r"
    assert _cli("--data-dir", ptb, "--epochs", "1", "--out", str(out)) == 0
    before = (out / "checkpoint.npz").read_bytes()
    capsys.readouterr()
    monkeypatch.setattr(scrn_model.SCRN, "new_inputs_train", lambda *a: float("nan"))
    assert _cli("--data-dir", ptb, "--epochs", "2", "--out", str(out), "--resume") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "training diverged at epoch 2" in err[0], err
    assert (out / "checkpoint.npz").read_bytes() == before and len(_log(out)) == 1


def test_dry_run_writes_nothing(ptb, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _cli("--data-dir", ptb, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "dry run, nothing written: SCRN 3+2" in out and "runs/scrn-h3-s2/" in out
    assert not (tmp_path / "runs").exists()


def test_a_window_shorter_than_the_update_interval_is_refused_in_one_line(ptb, capsys):
    assert _cli("--data-dir", ptb, "--bptt", "3", "--dry-run") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["rnnlm: error: --bptt 3: must be at least the backprop frequency 5 "
                   "(options.lua: blen >= bfreq)"]
