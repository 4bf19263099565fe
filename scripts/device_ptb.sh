#!/usr/bin/env bash
# The PTB LSTM on a lent GPU (issue 19): one prepared script, a stage per device call.
#
# Prepare once, on the CPU machine, in the repository root (nothing of it is committed):
#   bash scripts/device_ptb.sh prepare     # .whl/ (PyTensor for the GPU's Python 3.12) and
#                                          # .gpu/ptb (the PTB text), both git-excluded
# Then each stage is one call of the device tool's `run`, carrying both folders:
#   run(command="bash scripts/device_ptb.sh bench", carry=[".whl", ".gpu"], timeout_s=420)
#   run(command="bash scripts/device_ptb.sh runs small,medium", carry=[".whl", ".gpu"], ...)
# Stages (what comes back lands under $OUT: at most 8 files of 16 MiB; a machine left idle for
# 30 s is given back and its run folders with it, so put what belongs together in one call):
#   bench       words/s of small/medium/large, every variant (scan, unroll, counter masks, both)
#               with the host/device profile and the PyTorch peer (cuDNN), the peer check
#               (cost and clip norm of the first windows against PyTorch, large config), ~4 min
#   runs C,...  each config trained to completion in turn (FAST: extra ptb-lstm options, e.g.
#               FAST="--unroll --dropout-masks counter"; LIMIT: seconds for the whole stage),
#               its final checkpoint re-evaluated on the device's CPU (Numba linker), logs back
#   precision   the small config twice, JAX's default matmul precision against "highest"
#               (TF32 or not on this GPU: does it move the perplexity?)
# Device time is 15 minutes per session in all, starting a machine included: bench first.
set -uo pipefail
cd "$(dirname "$0")/.."
stage=${1:?usage: scripts/device_ptb.sh prepare|bench|runs CONFIGS|precision}

if [ "$stage" = prepare ]; then
  exclude=$(git rev-parse --git-path info/exclude)   # .git is a file in a worktree
  mkdir -p "$(dirname "$exclude")"
  grep -qx '/.whl/' "$exclude" 2>/dev/null || echo /.whl/ >> "$exclude"
  grep -qx '/.gpu/' "$exclude" 2>/dev/null || echo /.gpu/ >> "$exclude"
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d .whl pytensor==3.3.8 || exit 1
  mkdir -p .gpu/ptb && cp "${PTB:-../shared/data/ptb}"/ptb.{train,valid,test}.txt .gpu/ptb/ || exit 1
  # the device gets a copy of the working tree without .git: its records name this commit
  git rev-parse --short=12 HEAD > .gpu/commit
  [ -z "$(git status --porcelain --untracked-files=no)" ] || echo "+ uncommitted changes" >> .gpu/commit
  du -sh .whl .gpu; cat .gpu/commit
  exit 0
fi

# --- on the device machine ---------------------------------------------------------------
: "${OUT:?OUT is set by the device tool}"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 RNN_ENGINE=pytensor
export RNN_COMMIT="$(tr '\n' ' ' < .gpu/commit) (prepared commit)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee $OUT/gpu.txt
python3 -c "import jax, numpy, torch; print('jax', jax.__version__, jax.devices(), 'numpy', \
numpy.__version__, 'torch', torch.__version__)" | tee -a $OUT/gpu.txt
rnnlm() { python3 -m rnnlm.cli "$@"; }

case $stage in
  bench)
    python3 scripts/bench_ptb.py --engines pytensor --linker jax --sizes ${SIZES:-small,medium,large} \
      --variants scan,unroll,counter,unroll+counter --peer --profile --windows ${WINDOWS:-100} \
      --big-windows ${BIG_WINDOWS:-40} --no-class-rnn --data-dir .gpu/ptb --out $OUT/bench/bench.json
    RNN_LINKER=jax python3 scripts/check_torch_peer.py --config ${CHECK:-large} --windows 4 \
      --data-dir .gpu/ptb --out $OUT/bench/peer-check.json
    ;;
  runs)
    start=$(date +%s)
    for cfg in ${2//,/ }; do
      left=$(( ${LIMIT:-540} - ($(date +%s) - start) ))
      [ $left -gt 60 ] || { echo "no time left for $cfg"; break; }
      rnnlm ptb-lstm --config $cfg --linker jax --data-dir .gpu/ptb --out runs/gpu-$cfg \
        --checkpoint-every 300 --time-limit $(( left - 45 )) ${FAST:-} $([ -f runs/gpu-$cfg/checkpoint.npz ] && echo --resume) \
        2>&1 | tee $OUT/$cfg.txt
      cp runs/gpu-$cfg/log.jsonl $OUT/$cfg-log.jsonl 2>/dev/null
      cp runs/gpu-$cfg/run.json $OUT/$cfg-run.json 2>/dev/null || continue
      # the final checkpoint on the device's CPU (Numba): the cross-check that needs no copy back
      rnnlm ptb-eval runs/gpu-$cfg/checkpoint.npz --data-dir .gpu/ptb --linker numba --json \
        > $OUT/$cfg-cpu-eval.json
      sha256sum runs/gpu-$cfg/checkpoint.npz >> $OUT/$cfg-cpu-eval.json.sha256
    done
    ;;
  precision)
    for prec in default highest; do
      ( [ $prec = default ] || export JAX_DEFAULT_MATMUL_PRECISION=$prec
        rnnlm ptb-lstm --config small --linker jax --data-dir .gpu/ptb --out runs/prec-$prec \
          --quiet ${FAST:-} ) && cp runs/prec-$prec/run.json $OUT/small-precision-$prec.json
    done
    ;;
  *) echo "unknown stage $stage" >&2; exit 2 ;;
esac
ls -la $OUT
