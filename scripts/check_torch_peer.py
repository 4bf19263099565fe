#!/usr/bin/env python
"""The PTB LSTM against an independent PyTorch implementation of TF's tutorial, from the same
initial parameters and dropout masks: per-window cost and pre-clip gradient norm.

    RNN_ENGINE=pytensor python scripts/check_torch_peer.py --config large --windows 4 \
        [--linker jax] [--data-dir DIR] [--out results/.../peer-check.json]

Needs torch (never a dependency of the project: a venv of your own, or the GPU machines).
On a GPU both sides run there (JAX and cuDNN); float32 unless --floatX float64.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def main():
    from rnnrepro.cli import LINKER_HELP, positive_int, use_linker
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="large", choices=("small", "medium", "large", "test"),
                   help="the tutorial config (default large: the blow-up at window 2)")
    p.add_argument("--windows", type=positive_int, default=4, help="training windows compared")
    p.add_argument("--data-dir", default=None, help="PTB folder (default $PTBDATA or data/ptb)")
    p.add_argument("--linker", choices=("c", "numba", "jax"), default=None, help=LINKER_HELP)
    p.add_argument("--floatX", choices=("float32", "float64"), default="float32",
                   help="float type of both sides")
    p.add_argument("--device", default=None, help="the peer's torch device (default: cuda if "
                                                  "available, else cpu)")
    p.add_argument("--out", default=None, help="also write the result as JSON here")
    args = p.parse_args()
    use_linker("check_torch_peer", args.linker, "ptb-lstm")
    from rnnrepro.engine import set_floatx
    set_floatx(args.floatX)
    from rnnlm.ptb_lstm.torch_peer import check_windows
    res = check_windows(args.config, args.windows, args.data_dir, device=args.device)
    for r in res["windows"]:
        print(f"window {r['window']}: cost {r['cost']:.6g} vs {r['peer_cost']:.6g} "
              f"(rel {r['cost_rel_diff']:.1e}), norm {r['norm']:.6g} vs {r['peer_norm']:.6g} "
              f"(rel {r['norm_rel_diff']:.1e})")
    print(f"ours: {res['ours']}; peer: {res['peer']}")
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(dict(res, command=" ".join(sys.argv)), f, indent=1)


if __name__ == "__main__":
    main()
