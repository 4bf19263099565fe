# Two commands do all the set-up on a fresh machine (see README):
#   make demo   -- install into .venv and train rnnslu on the embedded toy corpus
#   make test   -- install into .venv and run the test suite once per installed engine
# Which Python: one that runs aesara (3.11, 3.10) when installed, else 3.13 or 3.12 (PyTensor 3
# on numpy 2, no aesara); PYTHON=/path/to/python3.X overrides. setup.cfg picks the engines by
# environment marker, so one install line serves every Python.
PYTHON ?= $(shell sh scripts/pick_python.sh)
VENV ?= .venv
BIN := $(VENV)/bin
# jax installs JAX only where it supports the Python (>= 3.12); dask for search/sweep backends.
EXTRAS ?= test,jax,dask

.PHONY: setup demo test bench results

$(VENV)/.installed: setup.cfg pyproject.toml
	@test -n "$(PYTHON)" || { echo "make: no Python 3.10-3.13 found; set PYTHON=/path/to/python3.X" >&2; exit 1; }
	@# OpenBLAS lets the engines' C ops call BLAS directly (faster than NumPy's
	@# C-API fallback). Installed when we are root on a Debian/Ubuntu machine; optional.
	@if ! ldconfig -p 2>/dev/null | grep -q libopenblas; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && apt-get install -y -qq libopenblas-dev >/dev/null) || \
	      echo "note: could not install libopenblas-dev; continuing without it"; \
	  else echo "note: install libopenblas-dev (or another BLAS) for speed; continuing"; fi; \
	fi
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
