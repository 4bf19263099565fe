"""Command line: ``rnnslu train | search | neighbors | conlleval``."""
import argparse
import json
import os
import sys

from rnnrepro.cli import LINKER_HELP, use_linker


def _common(p):
    p.add_argument("--data", choices=["atis", "toy"], default="atis",
                   help="atis: Mesnil's pickles; toy: the embedded ATIS-like corpus (no download)")
    p.add_argument("--fold", default="3", help="ATIS fold 0-4, or 'full' for atis.pkl.gz")
    p.add_argument("--data-dir", help="folder with atis.fold*.pkl.gz (default $ATISDATA or data/atis)")
    p.add_argument("--preset", choices=["dlt", "is13"], default="dlt",
                   help="dlt: rnnslu.py (per-sentence SGD, decay); is13: elman/jordan-forward.py "
                        "(per-word SGD over bs windows)")
    p.add_argument("--model", choices=["elman", "jordan"], default="elman")
    p.add_argument("--epochs", type=int, dest="nepochs")
    p.add_argument("--lr", type=float)
    p.add_argument("--win", type=int)
    p.add_argument("--nhidden", type=int)
    p.add_argument("--emb", type=int, dest="emb_dimension")
    p.add_argument("--bs", type=int, help="is13: BPTT window in words")
    p.add_argument("--seed", type=int)
    p.add_argument("--no-decay", dest="decay", action="store_false", default=None)
    p.add_argument("--reset", choices=["aliased", "always"],
                   help="dlt decay reset: 'aliased' as rnnslu.py (default), 'always' restores "
                        "the best model at every decay")
    p.add_argument("--floatX", choices=["float32", "float64"])
    p.add_argument("--linker", choices=["c", "numba", "jax"], help=LINKER_HELP)
    p.add_argument("--out", help="run folder (default runs/rnnslu-<preset>-<model>-<data>)")
    p.add_argument("--quiet", action="store_true")


def _config(a):
    use_linker("rnnslu", a.linker, "rnnslu")
    from .train import make_config
    fold = a.fold if a.fold == "full" else int(a.fold)
    return make_config(a.preset, model=a.model, data=a.data, fold=fold, data_dir=a.data_dir,
                       nepochs=a.nepochs, lr=a.lr, win=a.win, nhidden=a.nhidden,
                       emb_dimension=a.emb_dimension, bs=a.bs, seed=a.seed, decay=a.decay,
                       reset=a.reset, out=a.out, floatX=a.floatX, verbose=0 if a.quiet else 1)


def cmd_train(a):
    from .train import main, summary
    s = _config(a)
    s, _ = main(s, resume=a.resume)
    summ = summary(s)
    with open(os.path.join(s["out"], "result.json"), "w") as f:
        json.dump(dict(config=s, summary=summ), f, indent=1, default=str)
    if a.plot:
        from .plot import plot_run
        print("plot:", plot_run(s["out"]))
    return 0


def cmd_search(a):
    from .search import format_ranking, random_search
    s = _config(a)
    base = {k: s[k] for k in ("preset", "model", "data", "fold", "data_dir", "nepochs", "seed",
                              "decay", "reset", "floatX", "bs") if s.get(k) is not None}
    base["out"] = a.out or os.path.join("runs", f"rnnslu-search-{s['data']}")
    results = random_search(base, trials=a.trials, jobs=a.jobs, seed=a.search_seed)
    print(format_ranking(results))
    return 0


def cmd_neighbors(a):
    import numpy as np
    from .data import load_atis
    from .neighbors import format_table, nearest_neighbors
    from .toy import toy_corpus
    emb = np.load(os.path.join(a.run, "best", "embeddings.npy"))
    with open(os.path.join(a.run, "config.json")) as f:
        cfg = json.load(f)
    dicts = toy_corpus()[3] if cfg["data"] == "toy" else \
        load_atis(cfg["fold"], a.data_dir or cfg.get("data_dir"))[3]
    print(format_table(nearest_neighbors(emb, dicts["words2idx"], a.words, k=a.k)))
    return 0


def build_parser():
    ap = argparse.ArgumentParser(prog="rnnslu", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="train an Elman/Jordan RNN with early stopping")
    _common(p)
    p.add_argument("--resume", action="store_true", help="continue from the run's checkpoint")
    p.add_argument("--plot", action="store_true", help="write a PNG of the F1 curves")
    p.set_defaults(fn=cmd_train)
    p = sub.add_parser("search", help="KISS random hyper-parameter search (parallel trials)")
    _common(p)
    p.add_argument("--trials", type=int, default=8)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--search-seed", type=int, default=1234)
    p.set_defaults(fn=cmd_search)
    p = sub.add_parser("neighbors", help="nearest neighbours of learned embeddings (cosine)")
    p.add_argument("run", help="a run folder written by 'rnnslu train'")
    p.add_argument("words", nargs="+")
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--data-dir")
    p.set_defaults(fn=cmd_neighbors)
    p = sub.add_parser("conlleval", help="conlleval.pl port (reads stdin)", add_help=False)
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(fn=lambda a: __import__("rnnslu.conlleval", fromlist=["main"]).main(a.args))
    return ap


def main(argv=None):
    from rnnrepro.cli import run_command
    from .data import DataError
    a = build_parser().parse_args(argv)
    return run_command("rnnslu", a.fn, a, (DataError,))


if __name__ == "__main__":
    sys.exit(main())
