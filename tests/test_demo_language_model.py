"""``make demo`` leaves a small trained language model: its commands, taken from the Makefile as
written (``$(BIN)/x`` run from this checkout), write the toy text, train on it and leave a
checkpoint that the ``generate`` and ``score`` commands it prints accept."""
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _demo_commands():
    """The demo recipe's commands (continuation lines joined, variables expanded) and the
    commands it tells the user to try (its ``@echo "  ..."`` lines)."""
    with open(os.path.join(ROOT, "Makefile")) as f:
        text = f.read()
    demo_lm = re.search(r"^DEMO_LM = (\S+)$", text, re.M).group(1)
    recipe = text.split("\ndemo: setup\n", 1)[1].split("\n\n", 1)[0].replace("\\\n", " ")
    run, tell = [], []
    for line in recipe.splitlines():
        line = line.strip().replace("$(DEMO_LM)", demo_lm)
        if line.startswith("@echo"):
            said = shlex.split(line[len("@echo"):])[0].replace('\\"', '"')
            if said.startswith("  $(BIN)/"):
                tell.append(said.strip())
        else:
            run.append(line)
    return run, tell


def _argv(command):
    """``$(BIN)/rnnlm a b`` -> this checkout's ``python -m rnnlm.cli a b`` (the venv's console
    script points at its own install)."""
    words = shlex.split(command)
    head = words[0].replace("$(BIN)/", "")
    mods = {"rnnlm": ["-m", "rnnlm.cli"], "rnnslu": ["-m", "rnnslu.cli"], "python": []}
    return [sys.executable] + mods[head] + [os.path.join(ROOT, w) if w.startswith("scripts/")
                                            else w for w in words[1:]]


def _run(argv, cwd):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_make_demo_leaves_a_language_model_to_try(tmp_path):
    run, tell = _demo_commands()
    lm = [c for c in run if "rnnlm train" in c or "toy_text.py" in c]
    assert len(lm) == 2 and len(tell) == 2
    for command in lm:   # the rnnslu demo itself is covered by its own tests
        argv = _argv(command)
        if "train" in argv:
            argv += ["--epochs", "2"]   # fast; otherwise as written
        out = _run(argv, tmp_path)
        assert out.returncode == 0, (command, out.stderr[-2000:])
    generate, score = sorted(tell)
    out = _run(_argv(generate), tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert len(out.stdout.strip().splitlines()) == 3
    out = _run(_argv(score), tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    ppl = float(re.search(r"perplexity ([\d.]+)", out.stdout).group(1))
    # trained on the toy sentences: far better than a uniform guess over its vocabulary
    assert ppl < 30, out.stdout
