"""Every command the README gives runs as written: each line of its ```bash blocks and each
command of its reproduction table, in a fresh folder holding only tiny data where the
download scripts put the real data (data/atis, data/ptb), with ``--dry-run`` where the
command has one (a few sentences or windows, one step, nothing written) and ``--help``
otherwise (downloads, benchmarks), ``make -n`` for make targets.

Two deliberate changes to a command, both for speed only: ``--linker numba`` and ``--linker
jax`` run as ``--linker c`` (a cold Numba or JAX compile takes minutes; the option itself is
still parsed), and a dry run is capped by the command itself. A README command that names a
missing option, subcommand, script or data path, or that writes during a dry run, fails here.
"""
import gzip
import importlib.util
import os
import pickle
import re
import shlex
import subprocess
import sys

import pytest

from helpers import atis_fold, markov_corpus

# Once per CI run, not once per engine: the commands are the same on every engine, and under
# aesara each dry run's cold C compile made this module take 15 minutes of a 2-core leg (against
# about 3 under PyTensor). The PyTensor legs (Python 3.11 and 3.13) run it.
pytestmark = pytest.mark.skipif(
    os.environ.get("RNN_ENGINE", "aesara") == "aesara" and importlib.util.find_spec("aesara")
    is not None, reason="the README's commands are checked on the PyTensor legs "
                        "(RNN_ENGINE=pytensor pytest tests/test_readme_commands.py runs them here)")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")
PROGRAMS = {"rnnslu": ["-m", "rnnslu.cli"], "rnnlm": ["-m", "rnnlm.cli"]}


def bash_lines(text):
    """The commands of the ```bash blocks: one per line, comments dropped."""
    out = []
    for block in re.findall(r"^```bash\n(.*?)^```", text, flags=re.S | re.M):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words:
                out.append(words)
    return out


def table_commands(text):
    """The command column (4th) of the reproduction table's rows."""
    from rnnrepro.results import README_BEGIN, README_END
    table = text[text.index(README_BEGIN):text.index(README_END)]
    out = []
    for row in table.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) == 8 and cells[3].startswith("`"):
            out.append(shlex.split(cells[3].strip("`")))
    return out


def readme_commands():
    with open(README, encoding="utf-8") as f:
        text = f.read()
    return bash_lines(text) + table_commands(text)


_HAS_DRY_RUN = {}


def _has_dry_run(argv, env):
    """Whether the (sub)command's --help lists --dry-run (asked once per command)."""
    key = tuple(argv[:4])
    if key not in _HAS_DRY_RUN:
        p = subprocess.run(argv[:4] + ["--help"], capture_output=True, text=True, env=env,
                           timeout=120)
        _HAS_DRY_RUN[key] = "--dry-run" in p.stdout
    return _HAS_DRY_RUN[key]


def command_argv(words, env):
    """(argv, cwd-is-repo) of a README command, with its VAR=value prefix moved into env."""
    words = list(words)
    while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
        key, value = words.pop(0).split("=", 1)
        env[key] = value
    prog, rest = words[0], words[1:]
    if prog == "make":
        return ["make", "-n"] + rest, True
    if prog == "python" and rest and rest[0].startswith("scripts/"):
        return [sys.executable, os.path.join(ROOT, rest[0])] + rest[1:], False
    if prog in PROGRAMS:
        rest = [{"numba": "c", "jax": "c"}.get(w, w) if i and rest[i - 1] == "--linker" else w
                for i, w in enumerate(rest)]
        return [sys.executable] + PROGRAMS[prog] + rest, False
    raise AssertionError(f"README command of an unknown program: {shlex.join(words)}")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A fresh folder with tiny ATIS folds and a tiny PTB where the download scripts put them."""
    ws = tmp_path_factory.mktemp("fresh-clone")
    (ws / "data" / "atis").mkdir(parents=True)
    for k in range(5):
        with gzip.open(ws / "data" / "atis" / f"atis.fold{k}.pkl.gz", "wb") as f:
            pickle.dump(tuple(tuple(x) if isinstance(x, list) else x for x in atis_fold()), f,
                        protocol=2)
    (ws / "data" / "ptb").mkdir()
    # enough text for one window of the large config (20 x 36 words), from a sparse Markov
    # chain whose n-grams repeat, so Kneser-Ney finds n1..n4 above zero at every order
    for split, n, seed in (("train", 500, 1), ("valid", 200, 2), ("test", 200, 3)):
        (ws / "data" / "ptb" / f"ptb.{split}.txt").write_text(
            "".join(f" {' '.join(s)} \n" for s in markov_corpus(n, seed)))
    return ws


def _listing(folder):
    return sorted(os.path.relpath(os.path.join(d, f), folder)
                  for d, _, fs in os.walk(folder) for f in fs)


def test_the_readme_has_commands_to_check():
    words = readme_commands()
    assert ["make", "demo"] == words[0] and ["make", "test"] == words[1]
    assert len(table_commands(open(README, encoding="utf-8").read())) >= 20


@pytest.mark.parametrize("words", readme_commands(), ids=lambda w: shlex.join(w)[:70])
def test_readme_command_runs_as_written(words, workspace):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    for var in ("ATISDATA", "PTBDATA", "RNNLM_DATA"):   # data found where the README says
        env.pop(var, None)
    argv, in_repo = command_argv(words, env)
    before = _listing(workspace)
    if argv[0] == "make":
        mode = []
    elif _has_dry_run(argv, env):
        mode = ["--dry-run"]
    else:
        mode = ["--help"]
    p = subprocess.run(argv + mode, cwd=ROOT if in_repo else workspace, env=env,
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, f"{shlex.join(words)}: exit {p.returncode}\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}"
    assert "Traceback" not in p.stderr
    assert _listing(workspace) == before, f"{shlex.join(words)}: a dry run wrote files"
