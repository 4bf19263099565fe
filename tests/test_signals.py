"""Signals: a SIGTERM unwinds a command as Ctrl-C does (status 143, one line), so a killed
``--overwrite`` puts the old run back and a killed sweep takes its workers (and their run
folders' locks) with it; a run killed past all cleanup (SIGKILL) in an ``--overwrite`` is put
back by the next command that reads its folder.

Bounded waits throughout: each wait polls with a deadline and fails the test when it passes.
"""
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from rnnrepro import runsafe
from helpers import RNNLM, SLU, TRAIN, refused, rnnlm_cmd, slu_cmd, snapshot

# The rnnlm commands set the engine's floatX in this process: restored after each test.
pytestmark = pytest.mark.usefixtures("keep_floatx")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class _Command(subprocess.Popen):
    """A command whose stderr goes to a file (a pipe would block the read while a worker that
    outlived the command still holds it open)."""

    def __init__(self, argv, err_path):
        self.err_path = err_path
        env = dict(os.environ, PYTHONWARNINGS="ignore", PYTHONPATH=ROOT)
        with open(err_path, "wb") as err:
            super().__init__(argv, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT, env=env)

    def err(self):
        """stderr less aesara's BLAS warning at import (the engine's line, not the command's)"""
        with open(self.err_path) as f:
            return "".join(line for line in f if not line.startswith("WARNING (aesara"))


def _start(*argv, err_path):
    return _Command([sys.executable, "-m", "rnnslu.cli", *map(str, argv)], err_path)


def _wait_for(what, test, p, seconds=120):
    deadline = time.monotonic() + seconds
    while not test():
        if p.poll() is not None:
            pytest.fail(f"the command ended (status {p.returncode}) before {what}: "
                        f"{p.err()[-2000:]}")
        if time.monotonic() > deadline:
            p.kill()
            pytest.fail(f"no {what} within {seconds} s")
        time.sleep(0.02)


def _terminate(p, seconds=60):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        p.kill()
        pytest.fail(f"still running {seconds} s after SIGTERM")
    return p.returncode, p.err()


def _alive(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return "\nState:\tZ" not in f.read()   # a zombie holds no lock and runs nothing
    except FileNotFoundError:
        return False


def test_sigterm_during_an_overwrite_puts_the_old_run_back(run, tmp_path):
    """The old run stayed hidden in .overwritten until some later command."""
    before = snapshot(run)
    # a wide model (later options win): its first epoch, before the first checkpoint, lasts
    # seconds, so the signal lands before it even on a loaded machine
    p = _start("train", *SLU, "--epochs", "2", "--lr", "0.05", "--nhidden", "400", "--emb",
               "200", "--overwrite", "--out", run, err_path=tmp_path / "err")
    _wait_for("--overwrite moving the old run aside", lambda: (run / runsafe.ASIDE).is_dir(), p)
    rc, err = _terminate(p)
    assert rc == 128 + signal.SIGTERM, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "terminated" in lines[0] and f"{run} is restored" in lines[0], lines[0]
    assert snapshot(run) == before


def test_sigterm_to_a_sweep_takes_its_workers_and_their_locks(tmp_path):
    """The workers went on training, holding their run folders' locks."""
    out = tmp_path / "sweep"
    names = [f"dlt-elman-toy-seed{s}" for s in (345, 346)]
    locks = [out / n / runsafe.LOCK_NAME for n in names]
    p = _start("sweep", *SLU, "--epochs", "200", "--seeds", "345,346", "--jobs", "2",
               "--out", out, err_path=tmp_path / "err")

    def pids():
        try:
            return [int(f.read_text()) for f in locks]
        except (FileNotFoundError, ValueError):
            return None
    _wait_for("both runs started (their folders locked)", lambda: pids() is not None, p)
    workers = pids()
    try:
        assert p.pid not in workers and all(map(_alive, workers))
        rc, err = _terminate(p)
        assert rc == 128 + signal.SIGTERM, err
        assert err.strip().splitlines()[-1:] == ["rnnslu: terminated (SIGTERM)"], err
        assert "Traceback" not in err, err
        deadline = time.monotonic() + 20
        while any(map(_alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(map(_alive, workers)), "a worker outlived the sweep"
    finally:   # (a failing run of this test leaves no worker training)
        for pid in filter(_alive, workers):
            os.kill(pid, signal.SIGKILL)
    for lock in locks:   # free: a new claim of each run folder can take it
        if lock.exists():
            fd = os.open(lock, os.O_RDWR)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            finally:
                os.close(fd)


# ----------------------------------------------------------------- killed past all cleanup
def _killed_overwrite(folder):
    """``folder`` as a SIGKILL during an --overwrite leaves it: the old run aside, the new
    run's first files (config, log, a best model) in the folder."""
    aside = folder / runsafe.ASIDE
    aside.mkdir()
    for name in runsafe.run_files(str(folder)):
        os.replace(folder / name, aside / name)
    (folder / "config.json").write_text('{"new": "run"}')
    (folder / "log.jsonl").write_text("")
    (folder / "best").mkdir()
    shutil.copy(aside / "best" / "embeddings.npy", folder / "best" / "embeddings.npy")
    with open(folder / "best" / "embeddings.npy", "r+b") as f:
        f.seek(-8, 2)
        f.write(b"\x00" * 8)


def _neighbors(folder, tmp_path, capsys):
    assert slu_cmd("neighbors", folder, "boston", "-k", "2") == 0
    return capsys.readouterr().out


def _record_rnnslu(folder, tmp_path, capsys):
    p = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "record_rnnslu.py"),
                        str(folder), "--id", "x", "--what", "w", "--command", "c"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, PYTHONWARNINGS="ignore", PYTHONPATH=ROOT))
    assert p.returncode == 0, p.stderr
    with open(tmp_path / "results" / "x" / "run.json") as f:
        return json.load(f)["value"]


def _sweep_record(folder, tmp_path, capsys):
    """A sweep folder whose run was being overwritten: the record pools the old run."""
    from rnnslu.sweep import pooled_records, record
    sweep = folder.parent
    with open(folder / runsafe.ASIDE / "result.json") as f:
        done = json.load(f)
    row = dict(record(done["config"], done["summary"]), out=folder.name)
    (sweep / "sweep.jsonl").write_text(json.dumps(row) + "\n")
    return pooled_records([str(sweep)])[0]["test_f1"]


READERS = {"neighbors": _neighbors, "record_rnnslu.py": _record_rnnslu,
           "a sweep record": _sweep_record}


@pytest.mark.parametrize("reader", sorted(READERS))
def test_the_next_reader_puts_a_killed_overwrite_back(reader, finished_run, tmp_path, capsys):
    folder = tmp_path / "sweep" / "run"
    shutil.copytree(finished_run, folder)
    before = snapshot(folder)
    expected = READERS[reader](folder, tmp_path / "a", capsys) if reader == "neighbors" else None
    _killed_overwrite(folder)
    (tmp_path / "b").mkdir()
    got = READERS[reader](folder, tmp_path / "b", capsys)
    assert snapshot(folder) == before
    if expected is not None:
        assert got == expected


def test_a_reader_does_not_touch_an_overwrite_still_running(run, capsys):
    """(the run holds the lock: its --overwrite may still reach its first checkpoint)"""
    _killed_overwrite(run)
    lock = runsafe._Lock(str(run)).acquire()
    try:
        before = snapshot(run)
        refused(capsys, lambda: slu_cmd("neighbors", run, "boston"), str(run),
                "another run is using this folder", folder=None)
        assert snapshot(run) == before
    finally:
        lock.release()


# ----------------------------------------------------------------- the rnnlm trainers and readers


def _sigterm_inside(monkeypatch, module, name):
    """``module.name`` (called inside the trainer's claim) receives a SIGTERM instead."""
    def killed(*a, **k):
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, signal.SIG_IGN, None):
            pytest.fail("no SIGTERM handler inside the run: SIGTERM would end it uncleaned")
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)   # the handler raises before this ends
        pytest.fail("SIGTERM did not stop the run")
    monkeypatch.setattr(module, name, killed)


LM_OVERWRITES = {
    "train (wildml)": ("rnnlm.wildml.train", "train_with_sgd", "run",
                       lambda w, out: ["train", *TRAIN, "--path", w / "t.txt", "--epochs", 1,
                                       "--out", out]),
    "ptb-rnnlm": ("rnnlm.toolkit.trainnet", "train_net", "rr",
                  lambda w, out: ["ptb-rnnlm", *RNNLM, "--epochs", 1, "--data-dir",
                                  w / "ptb", "--out", out]),
}


@pytest.mark.parametrize("case", sorted(LM_OVERWRITES))
def test_sigterm_during_an_rnnlm_overwrite_puts_the_old_run_back(case, w, tmp_path, capsys,
                                                                 monkeypatch):
    import importlib
    module, name, run_name, argv = LM_OVERWRITES[case]
    out = tmp_path / run_name
    shutil.copytree(w / run_name, out)
    _sigterm_inside(monkeypatch, importlib.import_module(module), name)
    before = snapshot(out)
    capsys.readouterr()
    rc = rnnlm_cmd(*argv(w, out), "--overwrite")
    err = capsys.readouterr().err
    assert rc == 128 + signal.SIGTERM and len(err.strip().splitlines()) == 1, (rc, err)
    assert "terminated" in err and "is restored" in err, err
    assert snapshot(out) == before
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL   # the handler is put back


def test_rnnlm_readers_put_a_killed_overwrite_back(w, tmp_path, capsys):
    out = tmp_path / "run"
    shutil.copytree(w / "run", out)
    before = snapshot(out)
    aside = out / runsafe.ASIDE
    aside.mkdir()
    for n in runsafe.run_files(str(out)):
        os.replace(out / n, aside / n)
    (out / "log.jsonl").write_text("")
    assert rnnlm_cmd("score", out / "checkpoint.npz", "the cat sat") == 0
    assert snapshot(out) == before


@pytest.fixture
def default_handlers():
    """SIGHUP and SIGTERM at their defaults for the test (pytest itself may run under nohup,
    which ignores SIGHUP), put back after."""
    old = {s: signal.signal(s, signal.SIG_DFL) for s in (signal.SIGHUP, signal.SIGTERM)}
    yield
    for s, h in old.items():
        signal.signal(s, h)


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM])
def test_a_closed_terminal_unwinds_like_sigterm(signum, w, tmp_path, capsys, monkeypatch,
                                                default_handlers):
    """SIGHUP (the terminal of a run started without nohup closes) ends a command as SIGTERM
    does: one line, status 128 + 1, the run an ``--overwrite`` was replacing put back."""
    from rnnlm.ngram import run as ngram
    out = tmp_path / "ng"
    argv = ["ngram", "--order", 2, "--discount", "gt", "--data-dir", w / "ptb", "--out", out, "--quiet"]
    assert rnnlm_cmd(*argv) == 0
    before = snapshot(out)

    def killed(*a, **k):
        os.kill(os.getpid(), signum)
        time.sleep(5)   # the handler raises before this ends
        pytest.fail(f"{signum.name} did not stop the run")
    monkeypatch.setattr(ngram, "estimate", killed)
    capsys.readouterr()
    rc = rnnlm_cmd(*argv, "--overwrite")
    err = capsys.readouterr().err
    assert rc == 128 + signum and len(err.strip().splitlines()) == 1, (rc, err)
    assert f"terminated ({signum.name})" in err and "is restored" in err, err
    assert snapshot(out) == before
    assert signal.getsignal(signal.SIGHUP) == signal.SIG_DFL   # the handlers are put back
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_under_nohup_a_closed_terminal_does_not_end_the_run(w, tmp_path, capsys, monkeypatch,
                                                            default_handlers):
    """A command started with SIGHUP ignored (``nohup``) keeps ignoring it: the run goes on to
    the end; SIGTERM still unwinds it."""
    from rnnlm.ngram import run as ngram
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    estimate = ngram.estimate

    def hup(*a, **k):
        os.kill(os.getpid(), signal.SIGHUP)
        return estimate(*a, **k)
    monkeypatch.setattr(ngram, "estimate", hup)
    out = tmp_path / "ng"
    capsys.readouterr()
    assert rnnlm_cmd("ngram", "--order", 2, "--discount", "gt", "--data-dir", w / "ptb", "--out",
                     out, "--quiet") == 0, capsys.readouterr().err
    assert (out / "run.json").exists()
    assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
