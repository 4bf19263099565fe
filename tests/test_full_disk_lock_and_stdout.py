"""A full disk that strikes at the run folder's lock file or at standard output is one line
naming the file (or 'standard output'), exit status 2, no traceback, nothing else left behind.

The full disk is simulated as the other full-disk tests do: ``os.write`` failing with ENOSPC
for one file (found through /proc/self/fd), and, for standard output, /dev/full (the kernel's
always-full device) as a subprocess's standard output.
"""
import errno
import os
import subprocess
import sys

import pytest

from helpers import SLU, refused, slu_cmd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _full_at(monkeypatch, suffix):
    real = os.write

    def write(fd, data):
        if os.readlink(f"/proc/self/fd/{fd}").endswith(suffix):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)
    monkeypatch.setattr(os, "write", write)


def test_full_disk_at_the_lock_of_a_new_run(tmp_path, capsys, monkeypatch):
    """Named no file ('No space left on device'); now the lock file, and no folder is left."""
    _full_at(monkeypatch, "/.lock")
    out = tmp_path / "r"
    refused(capsys, lambda: slu_cmd("train", *SLU, "--epochs", "1", "--out", out),
            f"{out / '.lock'}: No space left on device", folder=tmp_path)
    assert not out.exists()


def test_full_disk_at_the_lock_of_a_run_to_resume(run, capsys, monkeypatch):
    _full_at(monkeypatch, "/.lock")
    refused(capsys, lambda: slu_cmd("train", *SLU, "--epochs", "3", "--resume", "--out", run),
            f"{run / '.lock'}: No space left on device", folder=run)


_PRINTER = ("import sys\n"
            "from rnnrepro.cli import run_script\n"
            "def main():\n"
            "    if sys.argv[1] == 'flushed':\n"
            "        print('a line', flush=True)\n"
            "    elif sys.argv[1] == 'buffered':\n"
            "        print('a line still in the buffer when the command returns')\n"
            "    else:\n"
            "        for i in range(100000):\n"
            "            print('row', i, 'x' * 60)\n"
            "run_script('printer', main)\n")


def _to_full_disk(argv):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env.update(PYTHONWARNINGS="ignore", PYTHONPATH=ROOT)
    with open("/dev/full", "w") as full:
        p = subprocess.run(argv, stdout=full, stderr=subprocess.PIPE, cwd=ROOT, env=env,
                           timeout=300)
    # less aesara's BLAS warning at import (the engine's line, not the command's)
    return p.returncode, "".join(line for line in p.stderr.decode().splitlines(True)
                                 if not line.startswith("WARNING (aesara"))


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("when", ["flushed", "buffered", "many"])
def test_full_disk_at_standard_output(when):
    """'No space left on device' named nothing, and the interpreter's last flush added
    'Exception ignored ...' with status 120."""
    assert _to_full_disk([sys.executable, "-c", _PRINTER, when]) == (
        2, "printer: error: standard output: No space left on device\n")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_full_disk_at_standard_output_of_a_training(tmp_path):
    rc, err = _to_full_disk([sys.executable, "-m", "rnnslu.cli", "train", "--data", "toy",
                             "--nhidden", "8", "--emb", "8", "--win", "3", "--epochs", "1",
                             "--out", str(tmp_path / "r")])
    assert (rc, err) == (2, "rnnslu: error: standard output: No space left on device\n")
