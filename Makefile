# Two commands do all the set-up on a fresh machine (see README):
#   make demo   -- install into .venv and train rnnslu on the embedded toy corpus
#   make test   -- install into .venv and run the test suite once per installed engine
# Neither installs system packages. Optional, asked for explicitly:
#   make blas   -- install OpenBLAS with apt-get (Debian/Ubuntu, as root or with sudo): the
#                  engines' C ops then call BLAS directly, about 3x faster than NumPy's C-API
#                  fallback. Without it everything works, slower.
# Which Python: one that runs aesara (3.11, 3.10) when installed, else 3.13 or 3.12 (PyTensor 3
# on numpy 2, no aesara); PYTHON=/path/to/python3.X overrides. setup.cfg picks the engines by
# environment marker, so one install line serves every Python.
PYTHON ?= $(shell sh scripts/pick_python.sh)
VENV ?= .venv
BIN := $(VENV)/bin
# jax installs JAX only where it supports the Python (>= 3.12); dask for search/sweep backends.
EXTRAS ?= test,jax,dask

.PHONY: setup demo test bench results blas

$(VENV)/.installed: setup.cfg pyproject.toml
	@test -n "$(PYTHON)" || { echo "make: no Python 3.10-3.13 found; set PYTHON=/path/to/python3.X" >&2; exit 1; }
	@# OpenBLAS is optional (see `make blas`); only a note when it is missing.
	@ldconfig -p 2>/dev/null | grep -q libopenblas || \
	  echo "note: no OpenBLAS found; everything works, about 3x slower in the C ops ('make blas' installs it)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[$(EXTRAS)]'
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(BIN)/rnnslu train --data toy --plot --overwrite

# The suite once per engine installed in this venv (aesara where the Python has it, PyTensor always).
test: setup
	@for e in aesara pytensor; do \
	  if $(BIN)/python -c "import $$e" >/dev/null 2>&1; then \
	    echo "== tests: RNN_ENGINE=$$e ($$($(BIN)/python -c 'import sys; print(sys.version.split()[0])'))"; \
	    RNN_ENGINE=$$e $(BIN)/python -m pytest -q || exit $$?; \
	  else echo "== tests: $$e is not installed in $(VENV); its leg is skipped"; fi; \
	done

bench: setup
	$(BIN)/python scripts/bench_rnnslu.py

results:
	$(BIN)/python scripts/make_results.py

# Opt-in: a system package, so never part of setup/demo/test.
blas:
	@if ldconfig -p 2>/dev/null | grep -q libopenblas; then echo "OpenBLAS is already installed"; \
	elif ! command -v apt-get >/dev/null; then \
	  echo "make blas: no apt-get here; install OpenBLAS with your system's package manager" >&2; exit 2; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq libopenblas-dev; \
	else sudo apt-get update -qq && sudo apt-get install -y -qq libopenblas-dev; fi
