"""Command-line errors (``rnnslu``, the scripts, the shared error path): every expected failure
is one line and exit status 2, nothing computed is lost.

Table-driven: each row runs a command (in process, ``main(argv)``; the scripts as
subprocesses) with one bad input and checks exit status 2, exactly one line on stderr naming
the option or file, no traceback, and the run folder byte-identical before and after.
Tiny shapes: the toy corpus with 8 hidden units; one finished 2-epoch run is shared by the
module and copied per test (``conftest.finished_run`` and ``run``).
"""
import errno
import gc
import glob
import importlib
import io
import json
import os
import pkgutil
import sys

import numpy as np
import pytest

from helpers import (SLU, FullDisk, refused, rewrite, rnnlm_cmd, script_refused, slu_cmd, snapshot,
                     sweep_row)
from rnnrepro import checkpoint, cli, files, runsafe, settings


# ----------------------------------------------------------------- the list of expected errors
def _walk(package):
    pkg = importlib.import_module(package)
    yield pkg
    for info in pkgutil.walk_packages(pkg.__path__, package + "."):
        if info.name.endswith("__main__"):
            continue
        try:
            yield importlib.import_module(info.name)
        except ModuleNotFoundError as e:   # a module built on an optional package not here
            if e.name not in ("numba",):     # (rnnlm.toolkit.kernel: numba, absent on 3.11)
                raise


def _input_errors(main, argv, monkeypatch):
    """The ``input_errors`` a package's ``main`` passes to ``run_command``."""
    seen = []
    monkeypatch.setattr(cli, "run_command", lambda prog, fn, a, errs=(): seen.append(errs) or 0)
    main(argv)
    monkeypatch.undo()
    return tuple(seen[0])


# Exception classes the packages define that are *not* printed as one line, and why.
NOT_EXPECTED = {
    "rnnslu.conlleval.ConllevalError": "conlleval.main prints it itself, with the Perl "
                                       "script's exit status (1 or 255)",
    "rnnrepro.runsafe.Terminated": "a KeyboardInterrupt (SIGTERM): run_command's interrupt "
                                   "line, with status 128 + the signal (tests/test_signals.py)",
}


def test_expected_errors_list_is_complete_and_narrow(monkeypatch):
    """Every exception class defined in rnnrepro, rnnslu and rnnlm is either in the one list
    (``EXPECTED_ERRORS`` plus the command's ``input_errors``) or in ``NOT_EXPECTED`` with a
    reason; the list holds no broad built-in class that would hide bugs."""
    from rnnlm.cli import main as lm_main
    from rnnslu.cli import main as slu_main
    expected = {"rnnrepro": cli.EXPECTED_ERRORS,
                "rnnslu": cli.EXPECTED_ERRORS + _input_errors(slu_main, ["neighbors", "r", "w"],
                                                              monkeypatch),
                "rnnlm": cli.EXPECTED_ERRORS + _input_errors(lm_main, ["score", "c", "t"],
                                                             monkeypatch)}
    for cls in expected["rnnslu"] + expected["rnnlm"]:
        assert cls.__module__.split(".")[0] in ("rnnrepro", "rnnslu", "rnnlm"), cls
    found = []
    for package, allowed in expected.items():
        for mod in _walk(package):
            for obj in vars(mod).values():
                if isinstance(obj, type) and issubclass(obj, BaseException) \
                        and obj.__module__ == mod.__name__:
                    name = f"{obj.__module__}.{obj.__qualname__}"
                    found.append(name)
                    assert issubclass(obj, allowed) or name in NOT_EXPECTED, \
                        f"{name}: add it to rnnrepro.cli.EXPECTED_ERRORS (or a command's " \
                        f"input_errors), or to NOT_EXPECTED with the reason"
    assert "rnnrepro.files.InputError" in found and "rnnslu.sweep.SweepError" in found
    assert set(NOT_EXPECTED) <= set(found)


# ----------------------------------------------------------------- options and environment
OPTION_CASES = [
    (["train", "--seed", "-1"], "--seed"),
    (["train", "--seed", str(2 ** 32)], "--seed"),
    (["search", "--seed", "99999999999"], "--seed"),
    (["search", "--search-seed", "-5"], "--search-seed"),
    (["sweep", "--seeds", "345,345"], "345 is given twice"),
    (["sweep", "--seeds", "1,-2"], "--seeds"),
    (["sweep", "--seeds", ","], "--seeds"),
    (["sweep", "--folds", "1,1"], "1 is given twice"),
    (["sweep", "--folds", "7"], "--folds"),
]


@pytest.mark.parametrize("argv,needle", OPTION_CASES, ids=[" ".join(c[0]) for c in OPTION_CASES])
def test_option_domains_refused_at_parse_time(argv, needle, capsys):
    refused(capsys, lambda: slu_cmd(*argv, "--data", "toy"), "error: argument", needle)


ENV_CASES = [  # (variable, value, command)
    ("RNN_FLOATX", "float16", "rnnslu"), ("RNN_ENGINE", "theano", "rnnslu"),
    ("RNN_LINKER", "llvm", "rnnslu"), ("RNN_LINKER", "jax", "rnnslu"),
    ("RNN_FLOATX", "float16", "rnnlm"), ("RNN_ENGINE", "theano", "rnnlm"),
]


@pytest.mark.parametrize("var,value,command", ENV_CASES)
def test_bad_environment_is_one_line_like_its_option(var, value, command, tmp_path, capsys,
                                                     monkeypatch):
    """A bad RNN_ENGINE/RNN_FLOATX/RNN_LINKER gave tracebacks where the option gives a line;
    refused before any work (nothing written)."""
    monkeypatch.setenv(var, value)
    out = tmp_path / "run"
    if command == "rnnslu":
        call = lambda: slu_cmd("train", *SLU, "--epochs", "1", "--out", out)  # noqa: E731
    else:
        call = lambda: rnnlm_cmd("ptb-rnnlm", "--data-dir", tmp_path, "--out", out,  # noqa: E731
                                 "--quiet")
    refused(capsys, call, f"{var}={value}", folder=tmp_path)


def test_environment_check_matches_the_options():
    assert settings.ENV_CHOICES["RNN_LINKER"][1] == settings.LINKERS
    settings.check_environment({"RNN_ENGINE": "PyTensor", "RNN_LINKER": "", "RNN_FLOATX": "float32"})
    with pytest.raises(settings.EngineError, match="RNN_FLOATX=float16 is not a valid --floatX"):
        settings.check_environment({"RNN_FLOATX": "float16"})


# ----------------------------------------------------------------- conlleval subcommand
CONLL = b"BOS O O\nfly O O\nto O O\nboston B-to B-to\nEOS O O\n\n"


@pytest.mark.parametrize("argv", [[], ["-d", "\t"], ["-o", "X"], ["-r"], ["-l"], ["-r", "-l"],
                                  ["-d"], ["-x"], ["extra"]])
def test_conlleval_subcommand_takes_what_the_module_takes(argv, monkeypatch):
    """`rnnslu conlleval -d X` was refused by argparse; now it is conlleval.main, byte for byte
    (report, error message and exit status)."""
    from rnnslu import conlleval

    def call(fn):
        out, err = io.BytesIO(), io.StringIO()
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(CONLL)))
        monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out))
        monkeypatch.setattr(sys, "stderr", err)
        rc = fn()
        sys.stdout.flush()
        return rc, out.getvalue(), err.getvalue()
    want = call(lambda: conlleval.main(list(argv)))
    assert call(lambda: slu_cmd("conlleval", *argv)) == want
    if argv in ([], ["-r"], ["-o", "X"]):
        assert want[0] == 0 and b"FB1" in want[1], want
    if argv in (["-d"], ["-x"], ["extra"]):  # what conlleval.pl dies with, status 255
        assert want[0] == 255 and want[2], want


# ----------------------------------------------------------------- run folder
def test_resume_without_its_checkpoint_is_refused(run, capsys):
    """--resume where checkpoint.npz is gone started over, wiping the log and best model."""
    os.remove(run / "checkpoint.npz")
    refused(capsys, lambda: slu_cmd("train", *SLU, "--epochs", "3", "--out", run, "--resume"),
            "checkpoint.npz is gone", "--overwrite", folder=run)


def test_failed_new_run_leaves_no_empty_folder(tmp_path, capsys):
    """A new run that fails before writing anything (missing data) left an empty folder."""
    refused(capsys, lambda: slu_cmd("train", "--data-dir", tmp_path / "none", "--out",
                                    tmp_path / "r", "--quiet"), "atis.fold3.pkl.gz",
            folder=tmp_path)


@pytest.mark.parametrize("earlier", [False, True], ids=["new folder", "a re-run's folder"])
def test_search_backend_failure_leaves_the_folder_as_it_was(earlier, tmp_path, capsys,
                                                            monkeypatch):
    """A search whose backend cannot start (here: one that fails before its first result, as
    an unreachable dask scheduler does) created its folder, and truncated a re-run's
    search.jsonl, before failing."""
    from rnnrepro.parallel import BackendError
    from rnnslu import search

    def failing(*a, **k):
        raise BackendError("--scheduler tcp://nowhere:1: cannot connect")
        yield  # noqa: a generator, as run_tasks is
    monkeypatch.setattr(search, "run_tasks", failing)
    out = tmp_path / "search"
    if earlier:
        out.mkdir()
        from rnnslu.search import draw_trials   # a row of this search's trial 0
        row = dict(draw_trials(1, 1234, dict(nhidden=8, emb_dimension=8, win=3))[0], trial=0,
                   best_epoch=0, valid_f1=50.0, test_f1=50.0)
        (out / "search.jsonl").write_text(json.dumps(row) + "\n")
    refused(capsys, lambda: slu_cmd("search", *SLU, "--epochs", "1", "--trials", "1", "--jobs", "1",
                                    "--out", out), "--scheduler", folder=tmp_path)
    assert out.is_dir() == earlier


def test_resume_in_a_fresh_folder_starts_the_run(tmp_path):
    """(what a sweep or search re-run relies on): nothing to lose, so it starts."""
    with runsafe.claim(str(tmp_path / "new"), resume=True):
        pass


def test_overwrite_keeps_the_old_run_until_the_new_one_has_a_checkpoint(run, capsys,
                                                                         monkeypatch):
    """An --overwrite whose new run failed before its first checkpoint left a mixed folder
    (new config beside the old result.json) and said the deleted checkpoint was kept. Now the
    old run is aside until the first checkpoint: restored if the new run fails before it,
    deleted once it is written."""
    from rnnslu import train as T
    real_epoch, real_save, seen = T.train_epoch, checkpoint.save, []
    monkeypatch.setattr(T, "train_epoch", lambda *a, **k: float("nan"))
    line = refused(capsys, lambda: slu_cmd("train", *SLU, "--epochs", "1", "--out", run,
                                           "--overwrite", "--lr", "0.05"),
                   "diverged at epoch 0", "is restored", folder=run)
    assert str(run) in line

    def save(path, arrays, state):
        seen.append(os.path.isdir(run / runsafe.ASIDE))
        real_save(path, arrays, state)
        seen.append(os.path.isdir(run / runsafe.ASIDE))
    monkeypatch.setattr(T, "train_epoch", real_epoch)
    monkeypatch.setattr(T.checkpoint, "save", save)
    assert slu_cmd("train", *SLU, "--epochs", "1", "--out", run, "--overwrite", "--lr", "0.05") == 0
    assert seen == [True, False]
    assert [json.loads(l)["lr"] for l in open(run / "log.jsonl")] == [0.05]
    assert not (run / "result.json").read_text().count('"lr": 0.0970806646812754')


def test_killed_overwrite_restored_at_the_next_claim(tmp_path):
    """A run killed during an --overwrite (before its first checkpoint) leaves the old run
    aside; the next claim puts it back whole and removes the new run's files."""
    folder = tmp_path / "run"
    aside = folder / runsafe.ASIDE
    (aside / "best").mkdir(parents=True)
    for name, text in (("checkpoint.npz", "old ckpt"), ("log.jsonl", "old log"),
                       ("best/w.npy", "old best")):
        (aside / name).write_text(text)
    (folder / "config.json").write_text("new config")
    (folder / "log.jsonl").write_text("new log")
    (folder / "notes.txt").write_text("not a run file")
    with pytest.raises(runsafe.RunError, match="holds a run already"):
        with runsafe.claim(str(folder)):
            pass
    assert snapshot(folder) == {"checkpoint.npz": b"old ckpt", "log.jsonl": b"old log",
                                "best": None, "best/w.npy": b"old best",
                                "notes.txt": b"not a run file"}


def _old_run(folder):
    (folder / "best").mkdir(parents=True)
    for name, text in (("checkpoint.npz", "old ckpt"), ("log.jsonl", "old log"),
                       ("result.json", "old result"), ("best/w.npy", "old best")):
        (folder / name).write_text(text)
    return snapshot(folder)


def test_signal_during_the_move_aside_puts_every_old_file_back(tmp_path, monkeypatch):
    """A SIGTERM that landed while --overwrite was still moving the old files aside (CI, under
    load) was raised outside the part that restores: the old run stayed split between the
    folder and the aside folder, and the next claim deleted the files not yet moved."""
    folder = tmp_path / "run"
    before = _old_run(folder)
    real, moved = os.replace, []

    def replace(src, dst):
        moved.append(src)
        if len(moved) == 3:   # once: the restore's own moves go through
            raise runsafe.Terminated()
        real(src, dst)
    monkeypatch.setattr(runsafe.os, "replace", replace)
    with pytest.raises(runsafe.Terminated, match="is restored"):
        with runsafe.claim(str(folder), overwrite=True):
            pytest.fail("the run began before the old one was aside")
    monkeypatch.setattr(runsafe.os, "replace", real)
    assert snapshot(folder) == before


def test_a_move_aside_killed_midway_is_undone_at_the_next_claim(tmp_path):
    """(SIGKILL during the move): the next claim puts the moved files back and deletes none
    of those still in the folder, which are the old run's too."""
    folder = tmp_path / "run"
    before = _old_run(folder)
    (folder / runsafe.MOVING).mkdir()
    for name in ("checkpoint.npz", "best"):
        os.replace(folder / name, folder / runsafe.MOVING / name)
    with pytest.raises(runsafe.RunError, match="holds a run already"):
        with runsafe.claim(str(folder)):
            pass
    assert snapshot(folder) == before


def test_a_run_killed_while_deleting_the_old_one_keeps_the_new_one(tmp_path, monkeypatch):
    """A signal while the old run was being deleted after the new run's first checkpoint left
    it aside, no longer pending, half deleted: the next command put it back over the new run."""
    folder = tmp_path / "run"
    _old_run(folder)
    real = runsafe._remove

    def remove(path):
        if os.path.basename(path).startswith(runsafe.ASIDE) and os.path.isdir(path):
            os.remove(os.path.join(path, "log.jsonl"))   # cut short midway
            raise runsafe.Terminated()
        real(path)
    monkeypatch.setattr(runsafe, "_remove", remove)
    with pytest.raises(runsafe.Terminated) as raised:
        with runsafe.claim(str(folder), overwrite=True):
            (folder / "log.jsonl").write_text("new log")
            checkpoint.save(str(folder / "checkpoint.npz"), {"w": np.ones(2)}, {"epoch": 1})
    assert "restored" not in str(raised.value)
    monkeypatch.setattr(runsafe, "_remove", real)
    new = snapshot(folder)
    assert runsafe.recover(str(folder)) is False   # no run put back; the leftover deleted
    assert snapshot(folder) == {k: v for k, v in new.items()
                                if not k.startswith(runsafe.DISCARD)}
    assert (folder / "log.jsonl").read_text() == "new log" and not (folder / "result.json").exists()


# ----------------------------------------------------------------- checkpoints
def _save_npy_as(path, array):
    with open(path, "wb") as f:  # np.save(path) would append .npy to the name
        np.save(f, array)


CKPT_CASES = {
    "an .npy": (lambda p: _save_npy_as(p, np.zeros(3)), "single .npy array"),
    "no array": (lambda p: rewrite(p, lambda a, s: ({k: v for k, v in a.items()
                                                     if k != "param/wh"}, s)),
                 "'param/wh' is missing"),
    "wrong shape": (lambda p: rewrite(p, lambda a, s: (dict(a, **{"param/wx": np.zeros((2, 2))}),
                                                       s)), "'param/wx' has shape (2, 2)"),
    "best shape": (lambda p: rewrite(p, lambda a, s: (dict(a, **{"best/b": np.zeros(3)}), s)),
                   "'best/b' has shape (3,)"),
    "no state": (lambda p: np.savez(p, **checkpoint.load(str(p))[0]), "no state record"),
    "no train state": (lambda p: rewrite(p, lambda a, s: (a, {k: v for k, v in s.items()
                                                              if k != "train_state"})),
                       "lacks train_state"),
    "truncated": (lambda p: os.truncate(p, 200), "unreadable checkpoint"),
    "train state lacks a key": (lambda p: rewrite(p, lambda a, s: (a, dict(s, train_state={
        k: v for k, v in s["train_state"].items() if k != "clr"}))),
        "training state lacks clr"),
    "another model's": (lambda p: rewrite(p, lambda a, s: (a, dict(s, config=dict(
        s["config"], model="jordan"), identity=dict(s["identity"], model="jordan")))),
        "written by a different configuration"),
}


@pytest.mark.parametrize("case", sorted(CKPT_CASES))
def test_malformed_checkpoint_on_resume(case, run, capsys):
    damage, needle = CKPT_CASES[case]
    damage(run / "checkpoint.npz")
    refused(capsys, lambda: slu_cmd("train", *SLU, "--epochs", "3", "--out", run, "--resume"),
            "checkpoint.npz", needle, folder=run)


# ----------------------------------------------------------------- full disk
def _enospc(*a, **k):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture
def unraisable(monkeypatch):
    """Exceptions Python could only print ('Exception ignored in ...'), e.g. ZipFile.__del__."""
    gc.collect()  # what earlier tests left is not this test's
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(u.exc_value))
    return seen


def test_full_disk_at_the_best_model(tmp_path, capsys, monkeypatch, unraisable):
    """np.save of the best model printed '70000 requested and 26608 written' (no file, no
    reason); now the one line says ENOSPC and names the file."""
    real = os.write

    def write(fd, data):
        if "/best/" in os.readlink(f"/proc/self/fd/{fd}"):
            _enospc()
        return real(fd, data)
    monkeypatch.setattr(os, "write", write)
    line = refused(capsys, lambda: slu_cmd("train", *SLU, "--epochs", "1", "--out", tmp_path / "r"),
                   "No space left on device", str(tmp_path / "r" / "best"))
    assert line.split(": No space")[0].endswith(".npy")
    gc.collect()  # nothing left to complain when collected (a BytesIO with a live view did)
    assert unraisable == []


def test_full_disk_at_the_checkpoint_one_line_no_zipfile_noise(tmp_path, capsys, monkeypatch,
                                                               unraisable):
    real = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, mode: FullDisk(real(fd, mode), 500))
    out = tmp_path / "r"
    refused(capsys, lambda: slu_cmd("train", *SLU, "--epochs", "1", "--out", out),
            "No space left on device", str(out / "checkpoint.npz"))
    gc.collect()  # numpy's half-written ZipFile is closed when collected
    assert unraisable == [] and not glob.glob(str(out / ".ckpt-*"))


def test_full_disk_in_files_helpers_names_the_file_and_keeps_the_old(tmp_path, monkeypatch):
    path = tmp_path / "result.json"
    files.write_json(str(path), {"a": 1})
    monkeypatch.setattr(os, "write", _enospc)
    with pytest.raises(OSError) as e:
        files.write_text(str(path), "new")
    assert cli.error_line(e.value) == f"{path}: No space left on device"
    assert json.loads(path.read_text()) == {"a": 1} and os.listdir(tmp_path) == ["result.json"]
    warned = []
    assert files.optional_write("the corpus cache", str(path),
                                lambda: files.write_text(str(path), "x"), warned.append) is False
    assert len(warned) == 1 and "warning: the corpus cache not written" in warned[0] \
        and "No space left on device" in warned[0]


# ----------------------------------------------------------------- records
def test_truncated_result_json_in_a_sweep_folder(tmp_path, capsys):
    from rnnslu.sweep import run_name
    out = tmp_path / "sweep"
    (out / run_name("dlt", "elman", "toy", None, 345)).mkdir(parents=True)
    (out / run_name("dlt", "elman", "toy", None, 345) / "result.json").write_text('{"config": {"pr')
    refused(capsys, lambda: slu_cmd("sweep", *SLU, "--seeds", "345", "--jobs", "1", "--out", out),
            "result.json", "truncated", folder=out)


def test_sweep_plan_refuses_a_run_twice():
    from rnnslu.sweep import SweepError, plan
    with pytest.raises(SweepError, match="seed 345 given twice"):
        plan("dlt", "elman", [3], [345, 346, 345], "out")


SCRIPT_CASES = {  # name -> (files to write, script argv, needles)
    "sweep.jsonl truncated": ({"s/sweep.jsonl": sweep_row() + '{"preset": "dlt", "mo'},
                              ["record_sweep.py", "s"], ["s/sweep.jsonl:2", "truncated"]),
    "sweep.jsonl not rows": ({"s/sweep.jsonl": "[1, 2]\n"}, ["record_sweep.py", "s"],
                             ["s/sweep.jsonl:1", "not a JSON object"]),
    "sweep.jsonl lacks fields": ({"s/sweep.jsonl": '{"preset": "dlt"}\n'},
                                 ["record_sweep.py", "s"], ["s/sweep.jsonl:1", "'model'"]),
    "record run.json truncated": ({"s/sweep.jsonl": sweep_row(), "s/run.json": '{"engine": '},
                                  ["record_sweep.py", "s"], ["s/run.json", "truncated"]),
    "run.json truncated": ({"results/a/run.json": '{"id": "a", '}, ["make_results.py"],
                           ["results/a/run.json", "truncated"]),
    "run.json lacks fields": ({"results/a/run.json": '{"id": "a"}'}, ["make_results.py"],
                              ["results/a/run.json", "'package'"]),
    "result.json not JSON": ({"r/result.json": "<html>"}, ["record_rnnslu.py", "r"],
                             ["r/result.json", "not valid JSON"]),
    "result.json lacks summary": ({"r/result.json": '{"config": {}, "summary": {}}'},
                                  ["record_rnnslu.py", "r"], ["r/result.json", "'test_f1'"]),
}
SCRIPT_ARGS = {"record_sweep.py": ["--id", "x", "--what", "w", "--command", "c"],
               "record_rnnslu.py": ["--id", "x", "--what", "w", "--command", "c"],
               "make_results.py": []}


@pytest.mark.parametrize("case", sorted(SCRIPT_CASES))
def test_malformed_records_given_to_scripts(case, tmp_path):
    written, argv, needles = SCRIPT_CASES[case]
    script_refused(tmp_path, written, argv + SCRIPT_ARGS[argv[0]], needles)


# ----------------------------------------------------------------- neighbors
def test_neighbors_of_a_damaged_run(run, capsys):
    emb = (run / "best" / "embeddings.npy").read_bytes()
    np.save(run / "best" / "embeddings.npy", np.zeros(5))
    refused(capsys, lambda: slu_cmd("neighbors", run, "boston"), "embeddings.npy",
            "not an embedding matrix", folder=run)
    (run / "best" / "embeddings.npy").write_bytes(emb)
    assert slu_cmd("neighbors", run, "boston", "-k", "2") == 0
    (run / "config.json").write_text('{"data": "to')
    refused(capsys, lambda: slu_cmd("neighbors", run, "boston"), "config.json", "truncated",
            folder=run)


def test_text_with_a_bom_and_not_utf8(tmp_path):
    p = tmp_path / "t.txt"
    p.write_bytes(b"\xef\xbb\xbfthe cat\n")
    assert files.read_text(str(p)).split()[0] == "the"
    p.write_bytes(b"caf\xe9\n")
    with pytest.raises(files.InputError, match=r"t.txt: not valid UTF-8 .* at byte 3"):
        files.read_text(str(p))


# ----------------------------------------------------------------- helpers for rnnlm's cases
def test_helpers_rnnlm_calls(tmp_path):
    """The helpers the rnnlm fixes call (RNNLM_CASES: after rnnlm's restructure)."""
    import argparse
    for bad in ("nan", "-1", "inf"):
        with pytest.raises(argparse.ArgumentTypeError):
            cli.nonnegative_float(bad)
    assert cli.nonnegative_float("0") == 0.0
    with pytest.raises(cli.OptionError, match="--max-length 3 is less than --min-length 7"):
        cli.at_most("--min-length", 7, "--max-length", 3)
    src = tmp_path / "in.npz"
    src.write_bytes(b"x")
    with pytest.raises(files.InputError, match="own input"):
        files.check_output(str(src), [str(src)])
    with pytest.raises(files.InputError, match="exists already"):
        files.check_output(str(src))
    files.check_output(str(tmp_path / "new.npz"), [str(src)])
    (tmp_path / "empty.txt").write_text(" \n\n")
    with pytest.raises(files.InputError, match="empty.txt: the text file is empty"):
        files.read_lines(str(tmp_path / "empty.txt"))


def test_unwritable_corpus_cache_is_a_warning_not_the_end(tmp_path, capsys, monkeypatch):
    """rnnlm train: a cache that cannot be written (full disk) ended the run with a
    CheckpointError (and a ZipFile.__del__ traceback); it is optional, so: a warning."""
    text = tmp_path / "t.txt"
    text.write_text("the cat sat on the mat\nthe dog sat on the log\n" * 3)
    cache = tmp_path / "cache"
    real = os.fdopen

    def fdopen(fd, mode):
        f = real(fd, mode)
        return FullDisk(f, 0) if str(cache) in os.readlink(f"/proc/self/fd/{fd}") else f
    monkeypatch.setattr(os, "fdopen", fdopen)
    assert rnnlm_cmd("train", "--corpus", "ptb", "--path", text, "--cache-dir", cache, "--quiet",
                     "--model", "rnn-numpy", "--hidden-dim", 3, "--epochs", 1,
                     "--evaluate-loss-after", 1, "--out", tmp_path / "run") == 0
    out = capsys.readouterr()
    assert "No space left on device" in out.out + out.err and "Traceback" not in out.err
    assert (tmp_path / "run" / "checkpoint.npz").exists() and os.listdir(cache) == []


def _wrapped_terminated():
    """What a SIGTERM raised inside a Numba-compiled graph reaches Python as."""
    try:
        try:
            raise runsafe.Terminated()
        except runsafe.Terminated as t:
            raise SystemError("<function _numba_unpickle> returned a result with an "
                              "exception set") from t
    except SystemError as s:
        raise SystemError("CPUDispatcher(...) returned a result with an exception set") from s


def test_a_signal_inside_compiled_code_ends_the_command_as_interrupted(tmp_path, capsys):
    """SIGTERM to a run on the Numba linker (an SCRN run here) arrived wrapped in SystemError:
    'internal error (a bug)', a traceback, status 1, and an --overwrite's note lost."""
    assert cli.run_command("rnnlm", lambda a: _wrapped_terminated(), None) == 143
    err = capsys.readouterr().err
    assert err == "rnnlm: terminated (SIGTERM)\n"
    folder = tmp_path / "run"
    before = _old_run(folder)
    with pytest.raises(runsafe.Terminated, match="is restored"):
        with runsafe.claim(str(folder), overwrite=True):
            (folder / "log.jsonl").write_text("new log")
            _wrapped_terminated()
    assert snapshot(folder) == before
