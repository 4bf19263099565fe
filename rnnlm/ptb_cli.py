"""``rnnlm ptb-lstm`` and ``rnnlm ptb-rnnlm``: argument parsing only; the work is in
``rnnlm.ptb_lstm.ptb_word_lm``. ``rnnlm/cli.py`` calls ``add_subcommands``; ``python -m rnnlm.ptb_cli``
runs the two subcommands on their own.
"""
import argparse
import shlex
import sys

from rnnrepro.cli import LINKER_HELP, positive_float, positive_int, use_linker


def _common(p):
    p.add_argument("--data-dir", default=None,
                   help="folder with ptb.{train,valid,test}.txt, or the data folder holding ptb/ "
                        "(default: $PTBDATA, else $RNNLM_DATA/ptb, else data/ptb)")
    p.add_argument("--out", default=None, help="run folder (checkpoint, log.jsonl, run.json)")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run already in --out (default: refuse)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--floatx", choices=("float32", "float64"), default=None,
                   help="float type (default: $RNN_FLOATX, else float32 for ptb-lstm; the "
                        "ptb-rnnlm toolkit trainer always computes in float64 like the toolkit)")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--no-test", action="store_true", help="skip the final test evaluation")


def add_subcommands(subparsers):
    from rnnlm.ptb_lstm.configs import CONFIGS
    p = subparsers.add_parser("ptb-lstm", help="Zaremba LSTM on PTB (TF tutorial configs)")
    p.add_argument("--config", choices=sorted(CONFIGS), default="small")
    p.add_argument("--max-epochs", type=positive_int, default=None,
                   help="stop after this many epochs (default: the config's max_max_epoch)")
    p.add_argument("--linker", choices=("c", "numba", "jax"), default=None, help=LINKER_HELP)
    p.add_argument("--checkpoint-every", type=positive_int, default=None, metavar="N",
                   help="also checkpoint every N training windows inside an epoch (resume "
                        "continues bit for bit from there)")
    p.add_argument("--time-limit", type=positive_float, default=None, metavar="SECONDS",
                   help="stop at the first checkpoint after this many seconds (with "
                        "--checkpoint-every: inside an epoch; else at an epoch's end); "
                        "continue later with --resume")
    _common(p)
    p.set_defaults(func=cmd_ptb_lstm)

    p = subparsers.add_parser("ptb-eval", help="perplexity of a saved PTB LSTM checkpoint on "
                                               "one split (cross-check engines and linkers)")
    p.add_argument("checkpoint", help="a checkpoint.npz written by rnnlm ptb-lstm")
    p.add_argument("--split", choices=("test", "valid", "train"), default="test")
    p.add_argument("--data-dir", default=None, help="PTB folder (as for ptb-lstm)")
    p.add_argument("--linker", choices=("c", "numba", "jax"), default=None, help=LINKER_HELP)
    p.add_argument("--floatx", choices=("float32", "float64"), default=None,
                   help="float type (default: $RNN_FLOATX, else float32)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON line")
    p.set_defaults(func=cmd_ptb_eval)

    p = subparsers.add_parser("ptb-rnnlm", help="RNNLM toolkit recipe on PTB (class RNN / RNNME)")
    p.add_argument("--hidden", type=positive_int, default=100)
    p.add_argument("--class", dest="class_size", type=positive_int, default=100)
    p.add_argument("--old-classes", action="store_true",
                   help="plain-frequency class binning (toolkit -old-classes)")
    p.add_argument("--bptt", type=positive_int, default=4)
    p.add_argument("--bptt-block", type=positive_int, default=10)
    p.add_argument("--direct", type=float, default=0,
                   help="size of the direct-connection hash in millions (toolkit -direct)")
    p.add_argument("--direct-order", type=positive_int, default=3)
    p.add_argument("--alpha", type=positive_float, default=0.1)
    p.add_argument("--beta", type=float, default=1e-7)
    p.add_argument("--gradient-cutoff", type=float, default=15.0)
    p.add_argument("--min-improvement", type=positive_float, default=1.003)
    p.add_argument("--init", choices=("toolkit", "numpy"), default="toolkit",
                   help="initial weights: the toolkit's own for --seed (glibc rand(), default) "
                        "or the same distribution from numpy")
    p.add_argument("--independent", action="store_true",
                   help="reset the state at sentence ends (toolkit -independent)")
    p.add_argument("--max-epochs", type=positive_int, default=None,
                   help="stop after this many epochs even if the schedule has not ended")
    p.add_argument("--train-words", type=positive_int, default=None,
                   help="train on the first N training words only (a labelled smaller run)")
    _common(p)
    p.set_defaults(func=cmd_ptb_rnnlm)


def _command_line():
    return "rnnlm " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _set_floatx(args, default):
    """--floatx, else $RNN_FLOATX, else the command's default."""
    import os
    from rnnrepro.engine import set_floatx
    set_floatx(args.floatx or os.environ.get("RNN_FLOATX") or default)


def cmd_ptb_lstm(args):
    use_linker("rnnlm", args.linker, "ptb-lstm")
    _set_floatx(args, "float32")
    from rnnlm.ptb_lstm.ptb_word_lm import train_lstm
    s = train_lstm(args.config, data_dir=args.data_dir, out=args.out, max_epochs=args.max_epochs,
                   resume=args.resume, overwrite=args.overwrite, seed=0 if args.seed is None else args.seed,
                   quiet=args.quiet, command=_command_line(), evaluate_test=not args.no_test,
                   checkpoint_every=args.checkpoint_every, time_limit=args.time_limit)
    return 0 if s["epochs"] or s["stopped"] else 1


def cmd_ptb_eval(args):
    use_linker("rnnlm", args.linker, "ptb-lstm")
    _set_floatx(args, "float32")
    from rnnlm.ptb_lstm.ptb_word_lm import evaluate_checkpoint
    r = evaluate_checkpoint(args.checkpoint, data_dir=args.data_dir, split=args.split)
    if args.json:
        import json
        print(json.dumps(r))
    else:
        print(f"{r['split']} perplexity: {r['perplexity']:.6f} ({r['targets']} targets, "
              f"{r['seconds']:.0f} s; {r['engine']} {r['engine_version']}, linker "
              f"{r['linker']}, {r['floatX']})")
    return 0


def cmd_ptb_rnnlm(args):
    _set_floatx(args, "float64")
    from rnnlm.toolkit.trainnet import train_class_rnn
    s = train_class_rnn(
        data_dir=args.data_dir, out=args.out, hidden=args.hidden, class_size=args.class_size,
        old_classes=args.old_classes, bptt=args.bptt, bptt_block=args.bptt_block,
        direct=int(round(args.direct * 1_000_000)), direct_order=args.direct_order,
        alpha=args.alpha, beta=args.beta, gradient_cutoff=args.gradient_cutoff,
        min_improvement=args.min_improvement, independent=args.independent,
        max_epochs=args.max_epochs, train_words=args.train_words,
        seed=1 if args.seed is None else args.seed, init=args.init, resume=args.resume,
        overwrite=args.overwrite,
        quiet=args.quiet,
        command=_command_line(), evaluate_test=not args.no_test)
    return 0 if s["epochs"] else 1


def main(argv=None):
    parser = argparse.ArgumentParser(prog="rnnlm")
    add_subcommands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    from rnnlm.wildml.data import DataError
    from rnnrepro.cli import run_command
    return run_command("rnnlm", args.func, args, (DataError,))


if __name__ == "__main__":
    sys.exit(main())
