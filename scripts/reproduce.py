#!/usr/bin/env python3
"""Reproduce one published number by name: run the command of its row in the reproduction
table (results/reproduce.json, the README's table). --list names the rows; --dry-run prints
the plan (command, expected time, output folder) and runs nothing.

The commands are written as a user types them (`rnnslu ...`, `rnnlm ...`, `python
scripts/...`, with VAR=value prefixes); here they run with this Python (`python -m
rnnslu.cli`), from the repository root, so the data is found in data/ and the run lands in
runs/.
"""
import argparse
import os
import shlex
import subprocess
import sys
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from rnnrepro.cli import ArgumentParser, run_script   # noqa: E402
from rnnrepro.files import InputError                  # noqa: E402

PROGRAMS = {"rnnslu": ["-m", "rnnslu.cli"], "rnnlm": ["-m", "rnnlm.cli"], "python": []}


def argv_of(command):
    """(environment additions, argv) of a table command: leading VAR=value words set the
    environment; its program (`rnnslu`, `rnnlm`, `python`) runs under this Python."""
    words = shlex.split(command)
    env = {}
    while words and "=" in words[0] and not words[0].startswith("-"):
        key, value = words.pop(0).split("=", 1)
        env[key] = value
    if not words or words[0] not in PROGRAMS:
        raise InputError(f"reproduce.json: command {command!r} does not start with one of "
                         f"{', '.join(PROGRAMS)}")
    return env, [sys.executable] + PROGRAMS[words[0]] + words[1:]


def find(rows, name):
    by_name = {r["name"]: r for r in rows}
    if name not in by_name:
        raise InputError(f"{name}: no such row in the reproduction table (scripts/reproduce.py "
                         f"--list names them)")
    return by_name[name]


def plan(row):
    """The lines --dry-run prints."""
    return [f"row:       {row['name']} ({row['original']})",
            f"command:   {row['command']}",
            f"time:      {row['time'] or 'not recorded'}",
            f"output:    {row['out']}",
            f"published: {row['published'] if row['published'] is not None else '—'}"
            f"   ours: {row['ours']} ({row['record'] or 'no record yet'})"]


def main(a):
    from rnnrepro.results import reproduction_rows
    rows = reproduction_rows(os.path.join(ROOT, "results"))
    if a.list or not a.name:
        width = max(len(r["name"]) for r in rows)
        for r in rows:
            print(f"{r['name']:<{width}}  {r['time'] or '—'}  ->  {r['out']}")
        return 0
    row = find(rows, a.name)
    env, argv = argv_of(row["command"])
    print("\n".join(plan(row)), flush=True)
    if a.dry_run:
        return 0
    path = os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))
    proc = subprocess.run(argv, cwd=ROOT, env=dict(os.environ, **env, PYTHONPATH=path))
    return proc.returncode


if __name__ == "__main__":
    ap = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("name", nargs="?", help="the row to reproduce (see --list)")
    ap.add_argument("--list", action="store_true", help="name every row, its expected time "
                    "and output folder, and stop")
    ap.add_argument("--dry-run", action="store_true",
                    help="print the plan (command, expected time, output folder); run nothing")
    args = ap.parse_args()
    run_script("reproduce.py", lambda: main(args))
