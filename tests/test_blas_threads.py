"""Per-word trainers hold BLAS to one thread by default (``rnnrepro.blas``), overridable by
``--blas-threads`` or the user's own ``*_NUM_THREADS``; the thread count changes no result."""
import json
import os

import numpy as np
import pytest

from rnnrepro import blas

NO_VARS = {}


@pytest.mark.parametrize("threads,environ,per_word,expected", [
    (None, NO_VARS, True, 1),                          # the default for per-word trainers
    (None, NO_VARS, False, None),                      # others: the library's own
    (None, {"OMP_NUM_THREADS": "4"}, True, None),      # the user's variable wins
    (None, {"OPENBLAS_NUM_THREADS": "2"}, True, None),
    (None, {"OMP_NUM_THREADS": " "}, True, 1),         # a blank variable is not a choice
    (3, {"OMP_NUM_THREADS": "4"}, True, 3),            # the option wins over everything
    (2, NO_VARS, False, 2),
    (0, NO_VARS, True, None),                          # 0: the library's own default
])
def test_who_decides(threads, environ, per_word, expected):
    assert blas.resolve(threads, per_word, environ) == expected


def _clear_thread_variables(monkeypatch):
    for v in blas.THREAD_VARIABLES:
        monkeypatch.delenv(v, raising=False)


def test_limit_reaches_the_loaded_blas_and_is_undone(monkeypatch):
    _clear_thread_variables(monkeypatch)
    before = blas.current_threads()
    assert before, "numpy's BLAS should be visible to threadpoolctl"
    with blas.limit_threads() as n:
        assert n == 1 and set(blas.current_threads().values()) == {1}
    assert blas.current_threads() == before
    with blas.limit_threads(0) as n:
        assert n is None and blas.current_threads() == before


def test_option_refuses_negative_counts():
    import argparse
    assert blas.threads_type("0") == 0 and blas.threads_type("8") == 8
    for bad in ("-1", "two", "1.5"):
        with pytest.raises(argparse.ArgumentTypeError, match="thread count"):
            blas.threads_type(bad)


def _threads_seen_by(monkeypatch, module, name, argv, main):
    """Run a command with its training function replaced by one that notes the BLAS threads."""
    seen = []

    def fake(*a, **k):
        seen.append(set(blas.current_threads().values()))
        raise SystemExit(0)
    monkeypatch.setattr(module, name, fake)
    with pytest.raises(SystemExit):
        main(argv)
    return seen[0]


@pytest.mark.parametrize("extra,expected", [([], {1}), (["--blas-threads", "2"], {2})])
def test_rnnslu_is13_trains_on_one_thread(monkeypatch, tmp_path, extra, expected):
    _clear_thread_variables(monkeypatch)
    from rnnslu import cli, train
    assert _threads_seen_by(monkeypatch, train, "main", [
        "train", "--data", "toy", "--preset", "is13", "--out", str(tmp_path / "r")] + extra,
        cli.main) == expected


def test_rnnslu_dlt_keeps_the_library_default(monkeypatch, tmp_path):
    _clear_thread_variables(monkeypatch)
    from rnnslu import cli, train
    before = set(blas.current_threads().values())
    assert _threads_seen_by(monkeypatch, train, "main", [
        "train", "--data", "toy", "--out", str(tmp_path / "r")], cli.main) == before


def test_toolkit_trainer_on_one_thread_unless_the_user_says(monkeypatch, tmp_path):
    _clear_thread_variables(monkeypatch)
    from rnnlm import cli
    from rnnlm.toolkit import trainnet
    argv = ["ptb-rnnlm", "--hidden", "4", "--class", "2", "--data-dir", str(tmp_path),
            "--out", str(tmp_path / "r")]
    assert _threads_seen_by(monkeypatch, trainnet, "train_class_rnn", argv, cli.main) == {1}
    monkeypatch.setenv("OMP_NUM_THREADS", "2")   # the user's choice: nothing changed here
    before = set(blas.current_threads().values())
    assert _threads_seen_by(monkeypatch, trainnet, "train_class_rnn", argv, cli.main) == before


def _tiny_ptb(folder):
    words = "the cat sat on the mat a dog saw it".split()
    rng = np.random.RandomState(0)
    os.makedirs(folder, exist_ok=True)
    for split, n in (("train", 40), ("valid", 8), ("test", 8)):
        with open(os.path.join(folder, f"ptb.{split}.txt"), "w") as f:
            f.writelines(" " + " ".join(rng.choice(words, 6)) + " \n" for _ in range(n))


TIMING = ("train_seconds", "eval_seconds", "peak_rss_mb")


def test_one_thread_changes_no_number(tmp_path):
    """A short WildML run (numpy per-sentence SGD) with the library's threads and with one:
    the same log (timings aside) and the same weights, bit for bit."""
    from rnnlm.cli import main
    _tiny_ptb(tmp_path / "ptb")
    logs, weights = [], []
    for n in ("0", "1"):
        out = tmp_path / f"run{n}"
        assert main(["train", "--model", "rnn-numpy", "--corpus", "ptb", "--data-dir",
                     str(tmp_path), "--hidden-dim", "4", "--epochs", "3",
                     "--evaluate-loss-after", "1", "--out", str(out),
                     "--quiet", "--blas-threads", n]) == 0
        with open(out / "log.jsonl") as f:
            logs.append([{k: v for k, v in json.loads(line).items() if k not in TIMING}
                         for line in f])
        with np.load(out / "checkpoint.npz") as z:
            weights.append({k: z[k] for k in ("U", "V", "W")})
    assert logs[0] == logs[1] and len(logs[0]) >= 2
    for k in ("U", "V", "W"):
        assert np.array_equal(weights[0][k], weights[1][k])
