"""Command line: ``rnnslu train | search | sweep | neighbors | conlleval``."""
import argparse
import os
import sys

from rnnrepro.cli import LINKER_HELP, ArgumentParser, int_list, odd_positive_int, positive_float, positive_int, \
    seed_int, use_linker

from rnnrepro.blas import threads_type as blas_threads_type

from .sweep import SweepError

# the models (rnnslu.model.MODELS), named here so that --help does not load the engine
MODEL_NAMES = ("elman", "jordan", "hybrid", "bi-jordan", "bi-elman")


def fold_type(text):
    """An ATIS fold: 0-4, or 'full' for atis.pkl.gz."""
    if text == "full":
        return text
    if text in ("0", "1", "2", "3", "4"):
        return int(text)
    raise argparse.ArgumentTypeError(f"{text!r}: choose a fold 0-4 or 'full'")


def atis_fold(text):
    """An ATIS fold 0-4 (a sweep's --folds)."""
    if text in ("0", "1", "2", "3", "4"):
        return int(text)
    raise argparse.ArgumentTypeError(f"{text!r} is not an ATIS fold 0-4")


def _common(p):
    p.add_argument("--data", choices=["atis", "toy"], default="atis",
                   help="atis: Mesnil's pickles; toy: the embedded ATIS-like corpus (no download)")
    p.add_argument("--fold", type=fold_type, default=3, help="ATIS fold 0-4, or 'full' for atis.pkl.gz")
    p.add_argument("--data-dir", help="folder with atis.fold*.pkl.gz (default $ATISDATA or data/atis)")
    p.add_argument("--preset", choices=["dlt", "is13"], default="dlt",
                   help="dlt: rnnslu.py (per-sentence SGD, decay); is13: elman/jordan-forward.py "
                        "(per-word SGD over bs windows)")
    p.add_argument("--model", choices=list(MODEL_NAMES), default="elman",
                   help="elman (hidden-state recurrence), jordan (output recurrence): the "
                        "tutorials'; hybrid (Elman-Jordan), bi-jordan, bi-elman: Mesnil et al.'s "
                        "other models (rnnslu.model)")
    p.add_argument("--bi-combine", choices=["shifted", "aligned"],
                   help="bi-*: combine the forward state at t-1 and the backward one at t+1 "
                        "(shifted, TASLP; default) or both at t (aligned)")
    p.add_argument("--epochs", type=positive_int, dest="nepochs",
                   help="training epochs (default: the preset's; 60 dlt, 50 is13)")
    p.add_argument("--lr", type=positive_float, help="learning rate (default: the preset's)")
    p.add_argument("--win", type=odd_positive_int, help="context window (odd)")
    p.add_argument("--nhidden", type=positive_int,
                   help="hidden units (default: the preset's; 200 dlt, 100 is13)")
    p.add_argument("--emb", type=positive_int, dest="emb_dimension",
                   help="word-embedding dimension (default: the preset's; 50 dlt, 100 is13)")
    p.add_argument("--bs", type=positive_int, help="is13: BPTT window in words")
    p.add_argument("--is13-trainer", choices=["fast", "word"],
                   help="is13: 'word' (default) is is13's loop, one compiled call per word; "
                        "'fast' makes the same updates through one compiled function per "
                        "window length (unrolled, in place; timings: results/bench_is13*)")
    p.add_argument("--seed", type=seed_int, help="random seed, 0 .. 2**32 - 1 (default 345, as "
                                                 "the tutorial)")
    p.add_argument("--no-decay", dest="decay", action="store_false", default=None,
                   help="dlt: keep the learning rate fixed (no halving after 10 stale epochs)")
    p.add_argument("--reset", choices=["aliased", "always"],
                   help="dlt decay reset: 'aliased' as rnnslu.py (default), 'always' restores "
                        "the best model at every decay")
    p.add_argument("--floatX", choices=["float32", "float64"],
                   help="float type of the graphs (default $RNN_FLOATX or the engine's)")
    p.add_argument("--linker", choices=["c", "numba", "jax"], help=LINKER_HELP)
    p.add_argument("--out", help="run folder (default runs/rnnslu-<preset>-<model>-<data>)")
    p.add_argument("--quiet", action="store_true", help="no progress bars or per-epoch lines")


def _config(a):
    use_linker("rnnslu", a.linker, "rnnslu")
    from .train import make_config
    return make_config(a.preset, model=a.model, data=a.data, fold=a.fold, data_dir=a.data_dir,
                       nepochs=a.nepochs, lr=a.lr, win=a.win, nhidden=a.nhidden,
                       emb_dimension=a.emb_dimension, bs=a.bs, seed=a.seed, decay=a.decay,
                       is13_trainer=a.is13_trainer, bi_combine=a.bi_combine,
                       reset=a.reset, out=a.out, floatX=a.floatX, verbose=0 if a.quiet else 1)


def cmd_train(a):
    from .train import main, write_result
    s = _config(a)
    if a.dry_run:
        from .dryrun import dry_run
        print(dry_run(s))
        return 0
    from rnnrepro import blas
    with blas.limit_threads(a.blas_threads, per_word=s["regime"] == "word"):
        s, _ = main(s, resume=a.resume, overwrite=a.overwrite)
    write_result(s)
    if a.plot:
        from .plot import plot_run
        print("plot:", plot_run(s["out"]))
    return 0


def cmd_search(a):
    from .search import SAMPLED, format_ranking, random_search
    s = _config(a)
    # options the search draws: the user's value is honoured in every trial (the rest vary)
    fixed = {k: getattr(a, k) for k in SAMPLED if getattr(a, k) is not None}
    # every other option (trainer, decay, floatX, ...) goes to every trial as configured
    base = {k: v for k, v in s.items() if k not in SAMPLED + ("out", "verbose") and v is not None}
    base["out"] = a.out or os.path.join("runs", f"rnnslu-search-{s['data']}")
    if a.dry_run:
        from .dryrun import dry_run_search
        print(dry_run_search(base, a.trials, a.search_seed, fixed=fixed))
        return 0
    results = random_search(base, trials=a.trials, jobs=a.jobs, seed=a.search_seed,
                            backend=a.backend, scheduler=a.scheduler, fixed=fixed)
    print(format_ranking(results))
    return 0


def cmd_sweep(a):
    from . import sweep
    use_linker("rnnslu", a.linker, "rnnslu")  # in $RNN_LINKER: every run's worker takes it
    out = a.out or os.path.join("runs", f"rnnslu-sweep-{a.preset}-{a.model}-{a.data}")
    configs = sweep.plan(a.preset, a.model, a.folds, a.seeds, out,
                         data=a.data, data_dir=a.data_dir, nepochs=a.nepochs, lr=a.lr,
                         win=a.win, nhidden=a.nhidden, emb_dimension=a.emb_dimension, bs=a.bs,
                         decay=a.decay, reset=a.reset, floatX=a.floatX,
                         is13_trainer=a.is13_trainer, bi_combine=a.bi_combine)
    if a.dry_run:
        from .dryrun import dry_run_sweep
        print(dry_run_sweep(configs, out))
        return 0
    records, rows = sweep.run_sweep(configs, out, backend=a.backend, jobs=a.jobs,
                                    scheduler=a.scheduler,
                                    say=(lambda *x: None) if a.quiet else print)
    print(sweep.format_summary(rows))
    print(f"summary: {os.path.join(out, 'summary.md')} (and summary.json, sweep.jsonl)")
    if a.plot:
        from .plot import plot_sweep
        print("plot:", plot_sweep(records, os.path.join(out, "test_f1.png"))[0])
    return 0


def _dry_run(p, what="the model"):
    p.add_argument("--dry-run", action="store_true",
                   help=f"build {what} on a few sentences, run one training pass and one "
                        f"evaluation, print what a real run would do; write nothing")


def _backend(p):
    p.add_argument("--jobs", type=positive_int, default=2, help="parallel runs")
    p.add_argument("--backend", choices=["loky", "dask"], default="loky",
                   help="loky: local processes (default); dask: a dask.distributed cluster "
                        "(an optional extra)")
    p.add_argument("--scheduler", help="dask: scheduler address (default: an in-process "
                                       "LocalCluster with --jobs workers)")


def cmd_neighbors(a):
    from .neighbors import neighbors_of_run
    print(neighbors_of_run(a.run, a.words, k=a.k, data_dir=a.data_dir))
    return 0


def build_parser():
    ap = ArgumentParser(prog="rnnslu", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="train an Elman/Jordan RNN with early stopping")
    _common(p)
    p.add_argument("--resume", action="store_true", help="continue from the run's checkpoint")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run already in --out (default: refuse)")
    p.add_argument("--plot", action="store_true", help="write a PNG of the F1 curves")
    p.add_argument("--blas-threads", type=blas_threads_type, default=None, metavar="N",
                   help="BLAS threads while training: default 1 for the is13 preset's per-word "
                        "SGD (tiny matrices), the BLAS library's own for dlt, unless "
                        "OMP_NUM_THREADS or another *_NUM_THREADS is set; 0: the library's own")
    _dry_run(p)
    p.set_defaults(fn=cmd_train)
    p = sub.add_parser("search", help="KISS random hyper-parameter search (parallel trials)")
    _common(p)
    p.add_argument("--trials", type=positive_int, default=8, help="random configurations tried")
    p.add_argument("--search-seed", type=seed_int, default=1234,
                   help="seed of the hyper-parameter draws (not of the runs), 0 .. 2**32 - 1")
    _backend(p)
    _dry_run(p, "the first trial's model")
    p.set_defaults(fn=cmd_search)
    p = sub.add_parser("sweep", help="every (fold, seed) of a preset/model, with mean ± std")
    _common(p)
    p.add_argument("--folds", type=int_list(atis_fold, "folds"), default="0,1,2,3,4",
                   help="ATIS folds, comma-separated, each once (ignored with --data toy)")
    p.add_argument("--seeds", type=int_list(seed_int, "seeds"), default="345,346,347",
                   help="run seeds, comma-separated, each once")
    p.add_argument("--plot", action="store_true", help="test F1 per fold and seed (PNG)")
    _backend(p)
    _dry_run(p, "the first run's model")
    p.set_defaults(fn=cmd_sweep)
    p = sub.add_parser("neighbors", help="nearest neighbours of learned embeddings (cosine)")
    p.add_argument("run", help="a run folder written by 'rnnslu train'")
    p.add_argument("words", nargs="+", help="words whose neighbours to list")
    p.add_argument("-k", type=positive_int, default=10, help="neighbours per word")
    p.add_argument("--data-dir", help="ATIS folder (default $ATISDATA or data/atis)")
    p.set_defaults(fn=cmd_neighbors)
    # listed for --help only: main() hands everything after 'conlleval' to conlleval.main,
    # so the subcommand takes exactly what python -m rnnslu.conlleval takes (-l -r -d D -o O)
    sub.add_parser("conlleval", help="conlleval.pl port: [-l] [-r] [-d D] [-o O] < file",
                   add_help=False)
    return ap


def main(argv=None):
    from rnnrepro.cli import run_command
    from .data import DataError
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["conlleval"]:
        from .conlleval import main as conlleval_main
        return conlleval_main(argv[1:])
    a = build_parser().parse_args(argv)
    return run_command("rnnslu", a.fn, a, (DataError, SweepError))


if __name__ == "__main__":
    sys.exit(main())
