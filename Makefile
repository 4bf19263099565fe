# Two commands do all the set-up on a fresh machine (see README):
#   make demo   -- install into .venv and train rnnslu on the embedded toy corpus
#   make test   -- install into .venv and run the test suite under aesara, then PyTensor
# aesara 2.9.4 needs Python <= 3.11 and numpy < 2.
PYTHON ?= $(shell command -v python3.11 || command -v python3.10 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test bench results

$(VENV)/.installed: setup.cfg pyproject.toml
	@# OpenBLAS lets the engines' C ops call BLAS directly (about 3x faster than NumPy's
	@# C-API fallback). Installed when we are root on a Debian/Ubuntu machine; optional.
	@if ! ldconfig -p 2>/dev/null | grep -q libopenblas; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && apt-get install -y -qq libopenblas-dev >/dev/null) || \
	      echo "note: could not install libopenblas-dev; continuing without it"; \
	  else echo "note: install libopenblas-dev (or another BLAS) for speed; continuing"; fi; \
	fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(BIN)/rnnslu train --data toy --plot --overwrite

test: setup
	RNN_ENGINE=aesara $(BIN)/python -m pytest -q
	RNN_ENGINE=pytensor $(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python scripts/bench_rnnslu.py

results:
	$(BIN)/python scripts/make_results.py
