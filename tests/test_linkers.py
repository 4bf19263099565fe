"""Linkers: choosing them, refusing the impossible ones, and JAX == C for the PTB LSTM.

The JAX comparisons need PyTensor and the ``jax`` package (the Python 3.13 CI leg); they skip
elsewhere with the reason. The WildML models and rnnslu have no JAX graph (variable-length
sentences; see ``rnnrepro.engine.UNSUPPORTED``): the tests check that asking for it fails in
one clear line.
"""
import importlib.util
import json
import os
import warnings

import numpy as np
import pytest

from rnnrepro import engine

from helpers import write_ptb_corpus

HAS_JAX = engine.NAME == "pytensor" and importlib.util.find_spec("jax") is not None
needs_jax = pytest.mark.skipif(
    not HAS_JAX, reason=f"needs PyTensor + jax (engine {engine.NAME}, jax "
                        f"{'installed' if importlib.util.find_spec('jax') else 'not installed'})")

TINY = dict(init_scale=0.1, learning_rate=1.0, max_grad_norm=5, num_layers=2, num_steps=3,
            hidden_size=3, max_epoch=1, max_max_epoch=1, keep_prob=0.5, lr_decay=0.5,
            batch_size=2)
TOL = {"float64": 1e-9, "float32": 1e-5}


@pytest.fixture
def floatx():
    old = engine.config.floatX
    yield engine.set_floatx
    engine.set_floatx(old)


@pytest.fixture
def linker_env(monkeypatch):
    """set_linker writes $RNN_LINKER; restore it (the suite's C default) afterwards."""
    monkeypatch.setenv("RNN_LINKER", os.environ.get("RNN_LINKER", "c"))
    return engine.set_linker


# --------------------------------------------------------------------- choosing a linker

def test_linker_choice_and_refusals(linker_env, monkeypatch):
    linker_env("c")
    assert engine.linker("ptb-lstm") == "c" and engine.linker() == "c"
    with pytest.raises(engine.LinkerError, match="choose one of c, numba, jax"):
        linker_env("llvm")
    with pytest.raises(engine.LinkerError, match="cannot run rnn-theano"):
        linker_env("jax", "rnn-theano")
    monkeypatch.setenv("RNN_LINKER", "jax")
    with pytest.raises(engine.LinkerError, match="RNN_LINKER=jax: .*cannot run gru-theano"):
        engine.linker("gru-theano")
    if engine.NAME == "aesara":  # aesara: C only, one line saying why
        for name in ("numba", "jax"):
            assert "needs PyTensor" in engine.linker_problem(name)
    monkeypatch.delenv("RNN_LINKER")  # the measured per-model defaults
    assert engine.linker("rnnslu") == "c"
    # the PTB LSTM: JAX where it runs, else Numba, else C (whatever this machine has)
    can = lambda name: engine.linker_problem(name) is None
    assert engine.linker("ptb-lstm") == ("jax" if can("jax") else "numba" if can("numba")
                                         else "c")
    missing = set()
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in missing else real(name, *a))
    if engine.NAME == "pytensor" and real("numba") is not None:
        if real("jax") is not None:
            assert engine.linker("ptb-lstm") == "jax"
        missing.add("jax")
        assert engine.linker("ptb-lstm") == "numba" and engine.linker("rnn-theano") == "numba"
    missing.update({"jax", "numba"})
    assert engine.linker("ptb-lstm") == "c" and engine.linker("rnn-theano") == "c"


def test_describe_records_the_linker(linker_env):
    linker_env("c")
    d = engine.describe("ptb-lstm")
    assert d["linker"] == "c" and d["engine"] == engine.NAME
    if engine.NAME == "pytensor" and os.environ.get("RNN_ENGINE", "aesara") == "aesara":
        assert "aesara not importable" in d["engine_fallback"]  # the record says why
    else:
        assert "engine_fallback" not in d


def test_cli_linker_refused_in_one_line(capsys, linker_env):
    from rnnlm.cli import main
    with pytest.raises(SystemExit) as exc:
        main(["train", "--model", "rnn-theano", "--linker", "jax", "--corpus", "ptb",
              "--path", "/nonexistent", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1 and "linker 'jax' cannot run rnn-theano" in err[0]


def test_scan_wrapper_returns_outputs_and_updates_without_warning():
    x = engine.T.vector("x")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        out, updates = engine.scan(lambda a, p: a + p, sequences=x,
                                   outputs_info=engine.T.zeros((), dtype=x.dtype))
    assert len(updates) == 0
    f = engine.function([x], out, linker_name="c")
    np.testing.assert_allclose(f(engine.asfloat([1, 2, 3])), [1, 3, 6])


# ------------------------------------------------------------------ PTB LSTM: JAX == C

def _models(dtype, floatx, linker_env):
    from rnnlm.ptb_lstm import model as lstm
    floatx(dtype)
    params = lstm.init_params(7, 3, 2, 0.1, np.random.RandomState(0))
    params = {k: v + 0.05 * np.random.RandomState(1).standard_normal(v.shape).astype(v.dtype)
              for k, v in params.items()}  # non-zero LSTM biases too
    out = {}
    for name in ("c", "jax"):
        linker_env(name)
        out[name] = lstm.PTBLSTM(TINY, 7, params=params)
        assert out[name].linker == name
    return out


@needs_jax
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_lstm_jax_loss_and_every_gradient_equal_c(dtype, floatx, linker_env):
    models = _models(dtype, floatx, linker_env)
    rng = np.random.RandomState(2)
    x = rng.randint(0, 7, (2, 3)).astype(np.int32)
    y = rng.randint(0, 7, (2, 3)).astype(np.int32)
    c0, h0 = (engine.asfloat(rng.uniform(-0.5, 0.5, (2, 2, 3))) for _ in range(2))
    masks = models["c"].dropout_masks(np.random.RandomState(3), 2, 3)  # keep_prob 0.5, given
    assert any((m == 0).any() for m in masks)
    res = {k: m.loss_and_gradients(x, y, c0, h0, *masks) for k, m in models.items()}
    names = ["loss"] + models["c"].param_names()
    assert len(res["c"]) == len(names) == 8
    for name, a, b in zip(names, res["c"], res["jax"]):
        np.testing.assert_allclose(b, a, rtol=TOL[dtype], atol=TOL[dtype] * np.abs(a).max(),
                                   err_msg=f"{name} ({dtype})")
        assert np.abs(a).max() > 0, name
    # one training step (clipped update, sparse embedding update) and a batch-1 evaluation of
    # another length (JAX compiles per static shape)
    steps = {k: m.train_step(x, y, c0, h0, engine.asfloat(1.0), *masks)
             for k, m in models.items()}
    for a, b in zip(steps["c"], steps["jax"]):  # cost, c, h, global norm
        np.testing.assert_allclose(b, a, rtol=TOL[dtype], atol=TOL[dtype] * np.abs(a).max())
    pc, pj = models["c"].get_params(), models["jax"].get_params()
    for k in pc:
        np.testing.assert_allclose(pj[k], pc[k], rtol=TOL[dtype], atol=TOL[dtype], err_msg=k)
    if dtype == "float32":  # a float64 input is refused on both, not silently rounded
        wide = [m.astype(np.float64) for m in masks]
        for model in models.values():
            with pytest.raises(TypeError):
                model.train_step(x, y, c0, h0, engine.asfloat(1.0), *wide)
    z = models["c"].zero_state(1)
    ev = {k: m.evaluate(x[:1, :2], y[:1, :2], *z) for k, m in models.items()}
    np.testing.assert_allclose(ev["jax"][0], ev["c"][0], rtol=TOL[dtype])


@needs_jax
def test_ptb_lstm_test_config_same_perplexity_under_c_and_jax(tmp_path, floatx, linker_env):
    from rnnlm.cli import main
    words = "the cat sat on a mat dog saw log".split()
    write_ptb_corpus(tmp_path, dict(train=120, valid=45, test=20),
                     lambda rng: " ".join(rng.choice(words, rng.randint(3, 8))))
    floatx("float32")
    runs = {}
    for name in ("c", "jax"):
        out = tmp_path / name
        assert main(["ptb-lstm", "--config", "test", "--data-dir", str(tmp_path),
                     "--out", str(out), "--linker", name, "--quiet"]) == 0
        runs[name] = json.loads((out / "run.json").read_text())
        assert runs[name]["linker"] == name
    assert runs["c"]["value"] > 1
    assert runs["jax"]["value"] == pytest.approx(runs["c"]["value"], rel=1e-5)
    assert runs["jax"]["valid_perplexity"] == pytest.approx(runs["c"]["valid_perplexity"],
                                                            rel=1e-5)


# ------------------------------------------------------------ compile time out of the epochs

def test_rnnslu_compiles_before_the_first_epoch(tmp_path, capsys, monkeypatch, linker_env):
    """First run as a newcomer sees it: a line says graphs are compiling, and every compile
    happens before the first epoch's timer starts; the run records the linker."""
    from rnnslu import cli
    real = engine.th.function

    def spy(*args, **kwargs):
        print("<compile>")
        return real(*args, **kwargs)
    monkeypatch.setattr(engine.th, "function", spy)
    out = tmp_path / "run"
    assert cli.main(["train", "--data", "toy", "--epochs", "1", "--nhidden", "8", "--emb", "6",
                     "--win", "3", "--linker", "c", "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    first_epoch = next(i for i, l in enumerate(lines) if l.startswith("[learning] epoch 0"))
    compiles = [i for i, l in enumerate(lines) if l == "<compile>"]
    start = lines.index("compiling graphs (first run only; cached afterwards)...")
    assert compiles and start < min(compiles) and max(compiles) < first_epoch
    assert any(l.startswith("compiled in ") for l in lines[max(compiles):first_epoch])
    assert json.loads((out / "config.json").read_text())["linker"] == "c"


def test_rnnslu_sweep_passes_its_linker_to_every_run(monkeypatch, linker_env):
    """``rnnslu sweep --linker`` reaches the runs' workers (through $RNN_LINKER, which every
    task carries) and wins over the environment's choice. It was once dropped: a sweep asked
    for Numba compiled every run on C."""
    from rnnrepro import parallel
    from rnnslu import cli, sweep
    seen = []

    def fake_run_sweep(configs, out, **kw):
        seen.append(parallel.task_env())   # what run_tasks hands each worker
        return [], []
    monkeypatch.setattr(sweep, "run_sweep", fake_run_sweep)
    monkeypatch.setenv("RNN_LINKER", "numba")   # never compiled here: the fake runs nothing
    assert cli.main(["sweep", "--data", "toy", "--seeds", "1", "--linker", "c", "--jobs", "1",
                     "--quiet"]) == 0
    assert seen and seen[0]["RNN_LINKER"] == "c"
