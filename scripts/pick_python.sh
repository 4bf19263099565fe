#!/bin/sh
# Print the path of a Python interpreter this project supports (3.10-3.13), one that really runs.
#   scripts/pick_python.sh          prefer one that runs aesara (3.11, 3.10), else 3.13, 3.12
#   scripts/pick_python.sh 3.13     that version only
# Looks on PATH (python3.X, python3) and in pyenv's versions folder: a pyenv shim for a version
# that is installed but not activated exists on PATH yet fails when run, so every candidate is
# run once before it is chosen. Exits 1 with one line on stderr when none is found.
want="${1:-3.11 3.10 3.13 3.12}"
root="${PYENV_ROOT:-$HOME/.pyenv}"
for v in $want; do
  for c in "python$v" "$root"/versions/"$v"*/bin/"python$v" python3; do
    p=$(command -v "$c" 2>/dev/null) || continue
    if "$p" -c "import sys, venv; sys.exit(0 if '%d.%d' % sys.version_info[:2] == '$v' else 1)" \
        >/dev/null 2>&1; then
      echo "$p"; exit 0
    fi
  done
done
echo "pick_python.sh: no working Python ${want} found (install one, or set PYTHON=/path/to/python3.X)" >&2
exit 1
