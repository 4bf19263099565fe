"""The command lines' contract: every option of every ``rnnslu``/``rnnlm`` subcommand has help
text, and ``--dry-run`` on each training command builds the model on a few sentences/windows,
runs one step and one evaluation, writes nothing and says what a real run would do."""
import argparse
import os

import pytest

from helpers import write_ptb_corpus


def _all_actions(parser, prefix=""):
    """(command path, action) for every argument of the parser and its subcommands."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield f"{prefix}{name} (the subcommand)", argparse.Namespace(
                    help=helps.get(name), option_strings=[name])
                yield from _all_actions(sub, f"{prefix}{name} ")
        elif not isinstance(action, argparse._HelpAction):
            yield prefix.strip(), action


@pytest.mark.parametrize("module", ["rnnslu.cli", "rnnlm.cli"])
def test_every_option_has_help(module):
    import importlib
    parser = importlib.import_module(module).build_parser()
    actions = list(_all_actions(parser))
    assert len(actions) > 40  # the walk reached the subcommands
    missing = [f"{cmd}: {'/'.join(a.option_strings) or a.dest}" for cmd, a in actions
               if not (a.help or "").strip()]
    assert not missing, "options without help text:\n" + "\n".join(missing)


def test_the_walk_finds_an_option_without_help():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers().add_parser("x", help="x")
    sub.add_argument("--bare")
    assert [a.dest for _, a in _all_actions(p) if not a.help] == ["bare"]


def _files(root):
    """Every file under ``root`` with its size and modification time."""
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            st = os.stat(os.path.join(d, n))
            out[os.path.relpath(os.path.join(d, n), root)] = (st.st_size, st.st_mtime_ns)
    return out


@pytest.fixture()
def ptb_dir(tmp_path_factory):
    return write_ptb_corpus(tmp_path_factory.mktemp("ptb"), dict(train=60, valid=20, test=10))


@pytest.fixture()
def workdir(tmp_path, monkeypatch):
    """An empty current folder and cache folder: a dry run must leave both as they were."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RNNLM_CACHE", str(tmp_path / "cache"))
    return tmp_path


def _dry(main, argv, workdir, capsys, data=None):
    before = _files(workdir), _files(data) if data else None
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert (_files(workdir), _files(data) if data else None) == before, "the dry run wrote"
    assert "dry run, nothing written" in out and "a real run:" in out
    return out


def test_rnnslu_train_dry_run_writes_nothing(workdir, capsys):
    from rnnslu.cli import main
    out = _dry(main, ["train", "--data", "toy", "--dry-run", "--quiet"], workdir, capsys)
    assert "runs/rnnslu-dlt-elman-toy" in out and "F1" in out
    assert not (workdir / "runs").exists()


def test_rnnslu_search_and_sweep_dry_runs_write_nothing(workdir, capsys):
    from rnnslu.cli import main
    out = _dry(main, ["search", "--data", "toy", "--trials", "3", "--epochs", "2",
                      "--dry-run"], workdir, capsys)
    assert out.count("  trial ") == 3 and "runs/rnnslu-search-toy/trial000" in out
    out = _dry(main, ["sweep", "--data", "toy", "--seeds", "1,2", "--epochs", "2",
                      "--dry-run"], workdir, capsys)
    assert "2 run(s)" in out and "seed 2" in out and "2 epoch(s)" in out


def test_rnnlm_train_dry_run_writes_nothing(workdir, ptb_dir, capsys):
    from rnnlm.cli import main
    out = _dry(main, ["train", "--corpus", "ptb", "--data-dir", ptb_dir, "--model", "rnn-numpy",
                      "--hidden-dim", "4", "--epochs", "3", "--out", "runs/x",
                      "--dry-run", "--quiet"], workdir, capsys, data=ptb_dir)
    assert "3 epoch(s)" in out and "into runs/x/" in out


def test_ptb_lstm_dry_run_writes_nothing(workdir, ptb_dir, capsys):
    from rnnlm.cli import main
    out = _dry(main, ["ptb-lstm", "--config", "test", "--data-dir", ptb_dir, "--out", "r",
                      "--dry-run"], workdir, capsys, data=ptb_dir)
    assert "LSTM test" in out and "into r/" in out


def test_ptb_rnnlm_dry_run_writes_nothing(workdir, ptb_dir, capsys):
    from rnnlm.cli import main
    out = _dry(main, ["ptb-rnnlm", "--hidden", "4", "--class", "3", "--data-dir", ptb_dir,
                      "--dry-run"], workdir, capsys, data=ptb_dir)
    assert "trainNet on the first 20 training words" in out
    assert "runs/ptb-rnnlm-h4-c3/" in out   # trainers never default into results/
