# Two commands do all the set-up on a fresh machine (see README):
#   make demo   -- install into .venv, train rnnslu on the embedded toy corpus and a small
#                  language model on its sentences (runs/demo-lm: try rnnlm generate / score)
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

.PHONY: setup demo test bench results figures blas

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

# demo also leaves a small language model (WildML's numpy RNN on the toy corpus's sentences,
# seconds) so that `rnnlm generate` and `rnnlm score` can be tried at once.
DEMO_LM = runs/demo-lm
demo: setup
	$(BIN)/rnnslu train --data toy --plot --overwrite
	$(BIN)/python scripts/toy_text.py -o runs/toy-text.txt
	$(BIN)/rnnlm train --corpus ptb --path runs/toy-text.txt --model rnn-numpy --hidden-dim 20 \
	  --learning-rate 0.02 --epochs 8 --evaluate-loss-after 1 --out $(DEMO_LM) --overwrite
	@echo "language model in $(DEMO_LM); try:"
	@echo "  $(BIN)/rnnlm generate $(DEMO_LM)/checkpoint.npz -n 3"
	@echo "  $(BIN)/rnnlm score $(DEMO_LM)/checkpoint.npz \"show flights from boston to denver\""

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

# Every committed figure, drawn again from the records in results/ (no training, seconds).
# Each draws the published numbers it compares against where the record names them.
figures:
	$(BIN)/python scripts/plot_ptb.py -o results/ptb-valid-perplexity.png \
	  "LSTM small=results/ptb-lstm-small" "LSTM medium (GPU)=results/ptb-lstm-medium" \
	  "LSTM medium (CPU, 6 epochs)=results/ptb-lstm-medium-cpu-6epochs" \
	  "LSTM large (2 of 55 epochs)=results/ptb-lstm-large" \
	  "RNNLM h100=results/ptb-rnnlm-h100-c100" "RNNLM h200=results/ptb-rnnlm-h200-c100" \
	  "RNNME h100 d50=results/ptb-rnnme-h100-c100-d50"
	$(BIN)/python scripts/plot_sweeps.py --out results/atis-cv-test-f1.png \
	  results/rnnslu-cv-dlt-elman-5folds-3seeds results/rnnslu-cv-is13-elman \
	  results/rnnslu-cv-is13-jordan-fast results/rnnslu-cv-is13-hybrid-fast \
	  results/rnnslu-cv-is13-bi-elman-fast results/rnnslu-cv-is13-bi-jordan-fast >/dev/null
	$(BIN)/python scripts/plot_sweeps.py --out results/rnnslu-cv-dlt-elman-5folds-3seeds/test_f1.png \
	  results/rnnslu-cv-dlt-elman-5folds-3seeds >/dev/null
	$(BIN)/python scripts/plot_rnnslu.py results/rnnslu-dlt-elman-fold3 -o results/rnnslu-dlt-elman-fold3/curves.png
	$(BIN)/python scripts/plot_rnnslu.py results/rnnslu-is13-elman-fold3 -o results/rnnslu-is13-elman-fold3/curves.png
	$(BIN)/python scripts/plot_rnnslu.py results/rnnslu-is13-jordan-fold3 -o results/rnnslu-is13-jordan-fold3/curves.png
	$(BIN)/python scripts/plot_rnnlm.py --part2 -o results/rnnlm-part2-numpy-h100-ptb100/part2_vs_published.png \
	  --title "part 2: RNNNumpy H=100 on the first 100 PTB sentences (proxy for reddit)" \
	  "ours (PTB proxy)=results/rnnlm-part2-numpy-h100-ptb100/log.jsonl"
	$(BIN)/python scripts/plot_rnnlm.py -o results/rnnlm-part2-numpy-h100-ptb100/loss.png \
	  --title "rnn-numpy on ptb (100 sentences)" \
	  "rnn-numpy H=100=results/rnnlm-part2-numpy-h100-ptb100/log.jsonl"
	$(BIN)/python scripts/plot_rnnlm.py -o results/rnnlm-ptb-rnn-h50/loss.png \
	  --title "rnn-theano on ptb (42068 sentences)" "rnn-theano H=50=results/rnnlm-ptb-rnn-h50/log.jsonl"
	$(BIN)/python scripts/plot_rnnlm.py -o results/rnnlm-ptb-rnn-h80/loss.png \
	  --title "rnn-theano on ptb (42068 sentences)" "rnn-theano H=80=results/rnnlm-ptb-rnn-h80/log.jsonl"
	$(BIN)/python scripts/plot_rnnlm.py -o results/rnnlm-ptb-rnn-h100/loss.png \
	  --title "rnn-theano on ptb (42068 sentences)" "rnn-theano H=100=results/rnnlm-ptb-rnn-h100/log.jsonl"
	$(BIN)/python scripts/plot_rnnlm.py -o results/rnnlm-ptb-gru-h128-full/loss.png \
	  --title "gru-theano on ptb (42068 sentences)" "gru-theano H=128=results/rnnlm-ptb-gru-h128-full/log.jsonl"
	$(BIN)/python scripts/plot_rnnlm.py -o results/rnnlm-ptb-rnn-h50/ptb_curves.png \
	  --title "WildML models on the PTB proxy, 1 epoch each (no published PTB curve)" \
	  "RNN h50=results/rnnlm-ptb-rnn-h50/log.jsonl" "RNN h80=results/rnnlm-ptb-rnn-h80/log.jsonl" \
	  "RNN h100=results/rnnlm-ptb-rnn-h100/log.jsonl" "GRU h128=results/rnnlm-ptb-gru-h128-full/log.jsonl"
	cp results/rnnlm-ptb-rnn-h50/ptb_curves.png results/rnnlm-ptb-rnn-h80/ptb_curves.png
	cp results/rnnlm-ptb-rnn-h50/ptb_curves.png results/rnnlm-ptb-rnn-h100/ptb_curves.png
	cp results/rnnlm-ptb-rnn-h50/ptb_curves.png results/rnnlm-ptb-gru-h128-full/ptb_curves.png

# Opt-in: a system package, so never part of setup/demo/test.
blas:
	@if ldconfig -p 2>/dev/null | grep -q libopenblas; then echo "OpenBLAS is already installed"; \
	elif ! command -v apt-get >/dev/null; then \
	  echo "make blas: no apt-get here; install OpenBLAS with your system's package manager" >&2; exit 2; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq libopenblas-dev; \
	else sudo apt-get update -qq && sudo apt-get install -y -qq libopenblas-dev; fi
