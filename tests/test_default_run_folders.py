"""Trainers write under ``runs/`` by default, never into ``results/`` (which holds the committed
records): the README's PTB commands, run as written, must not collide with a published run."""
import os

import pytest


def _ptb(folder):
    os.makedirs(folder)
    for split, n in (("train", 40), ("valid", 12), ("test", 12)):
        with open(os.path.join(folder, f"ptb.{split}.txt"), "w") as f:
            f.write(" the cat sat on the mat \n a dog saw the cat \n" * (n // 2))
    return str(folder)


@pytest.mark.parametrize("argv,folder", [
    (["ptb-lstm", "--config", "test", "--linker", "c"], os.path.join("runs", "ptb-lstm-test")),
    (["ptb-rnnlm", "--hidden", "4", "--class", "3"], os.path.join("runs", "ptb-rnnlm-h4-c3")),
])
def test_ptb_trainers_default_to_runs(tmp_path, monkeypatch, capsys, argv, folder):
    from rnnlm.cli import main
    data = _ptb(tmp_path / "ptb")
    monkeypatch.chdir(tmp_path)
    assert main(argv + ["--data-dir", data, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"into {folder}/" in out and "results" not in out
    assert sorted(os.listdir(tmp_path)) == ["ptb"]   # a dry run writes nothing


def test_toolkit_run_lands_in_runs(tmp_path, monkeypatch):
    """A real (one-epoch, tiny) toolkit run, not only its plan: the folder is under runs/."""
    from rnnlm.cli import main
    data = _ptb(tmp_path / "ptb")
    monkeypatch.chdir(tmp_path)
    assert main(["ptb-rnnlm", "--hidden", "4", "--class", "3", "--epochs", "1",
                 "--data-dir", data, "--quiet", "--no-test"]) == 0
    assert sorted(os.listdir(tmp_path)) == ["ptb", "runs"]
    assert os.path.isfile(tmp_path / "runs" / "ptb-rnnlm-h4-c3" / "log.jsonl")


def test_ngram_defaults_to_runs(tmp_path, monkeypatch, capsys):
    from rnnlm.cli import main
    import random
    rng, words = random.Random(0), [f"w{i}" for i in range(300)]
    os.makedirs(tmp_path / "ptb")
    for split, n in (("train", 300), ("valid", 20), ("test", 20)):   # Zipf-like words: KN needs n1..n4 > 0
        lines = [" ".join(rng.choices(words, weights=[1 / (i + 1) for i in range(300)], k=8))
                 for _ in range(n)]
        (tmp_path / "ptb" / f"ptb.{split}.txt").write_text("\n".join(lines) + "\n")
    data = str(tmp_path / "ptb")
    monkeypatch.chdir(tmp_path)
    assert main(["ngram", "--order", "2", "--data-dir", data, "--quiet"]) == 0
    assert sorted(os.listdir(tmp_path)) == ["ptb", "runs"]
    assert os.path.isfile(tmp_path / "runs" / "ngram-kn2-ptb" / "run.json")
