"""``rnnlm``: preprocess, train, generate, score (WildML RNN LM; PTB commands if installed).

Examples::

    rnnlm preprocess --corpus ptb --data-dir ../shared/data
    rnnlm train --corpus ptb --data-dir ../shared/data --model rnn-numpy --hidden-dim 100 \\
        --head 100 --nepoch 10 --evaluate-loss-after 1 --out-dir runs/part2
    rnnlm generate runs/part2/checkpoint.npz -n 5
    rnnlm score runs/part2/checkpoint.npz "the company said it expects"
"""
import argparse
import importlib.util
import json
import os
import shlex
import sys
import time

from rnnrepro.cli import LINKER_HELP, nonnegative_int, positive_float, positive_int, use_linker

MODELS = ("rnn-numpy", "rnn-theano", "gru-theano")


def _set_engine(a):
    """--engine/--floatX must act before rnnrepro.engine is imported."""
    engine = getattr(a, "engine", None)
    if engine:
        if "rnnrepro.engine" in sys.modules and sys.modules["rnnrepro.engine"].NAME != engine:
            raise SystemExit(f"--engine {engine}: the engine is already "
                             f"{sys.modules['rnnrepro.engine'].NAME} in this process")
        os.environ["RNN_ENGINE"] = engine
    floatx = getattr(a, "floatX", None)
    if floatx:
        os.environ["RNN_FLOATX"] = floatx
        if "rnnrepro.engine" in sys.modules:
            sys.modules["rnnrepro.engine"].set_floatx(floatx)


def _corpus_args(p):
    g = p.add_argument_group("data")
    g.add_argument("--corpus", choices=("reddit", "ptb"), default="reddit",
                   help="reddit CSV (tutorial) or Penn Treebank text as a proxy")
    g.add_argument("--data-dir", default=None,
                   help="folder holding reddit/ and ptb/ (default $RNNLM_DATA or data/)")
    g.add_argument("--path", default=None, help="explicit input file (overrides --data-dir)")
    g.add_argument("--split", default="train", choices=("train", "valid", "test"), help="PTB split")
    g.add_argument("--vocabulary-size", type=positive_int, default=8000)
    g.add_argument("--style", choices=("rnnlm", "gru"), default=None,
                   help="preprocessing of part 2 (rnnlm) or part 4 (gru: no 'http' sentences, "
                        "<MASK/> + UNK first); default: gru for --model gru-theano")
    g.add_argument("--min-sent-characters", type=nonnegative_int, default=0)
    g.add_argument("--max-sentences", type=positive_int, default=None,
                   help="keep the first N sentences before building the vocabulary")
    g.add_argument("--cache-dir", default=None, help="default $RNNLM_CACHE or ~/.cache/rnnlm")
    g.add_argument("--no-cache", action="store_true")


def _engine_args(p):
    p.add_argument("--engine", choices=("aesara", "pytensor"), default=None,
                   help="symbolic engine (default $RNN_ENGINE or aesara)")
    p.add_argument("--floatX", choices=("float32", "float64"), default=None,
                   help="float type of the graphs (default $RNN_FLOATX or the engine's)")
    p.add_argument("--linker", choices=("c", "numba", "jax"), default=None, help=LINKER_HELP)


def _load_corpus(a, style):
    from rnnlm.wildml.data import load_corpus
    return load_corpus(a.corpus, path=a.path, directory=a.data_dir, split=a.split,
                       vocabulary_size=a.vocabulary_size, style=style,
                       min_sent_characters=a.min_sent_characters, max_sentences=a.max_sentences,
                       cache_dir=a.cache_dir, use_cache=not a.no_cache, verbose=not a.quiet)


def cmd_preprocess(a):
    c = _load_corpus(a, a.style or "rnnlm")
    if a.vocab_out:
        with open(a.vocab_out, "w", encoding="utf-8") as f:
            f.write("\n".join(c.index_to_word) + "\n")
    print(json.dumps(c.stats, indent=2))
    return 0


def build_model(kind, word_dim, a):
    import numpy as np
    np.random.seed(a.seed)
    if kind == "rnn-numpy":
        from rnnlm.wildml.rnn_numpy import RNNNumpy
        return RNNNumpy(word_dim, hidden_dim=a.hidden_dim or 100, bptt_truncate=a.bptt_truncate)
    if kind == "rnn-theano":
        from rnnlm.wildml.rnn_theano import RNNTheano
        return RNNTheano(word_dim, hidden_dim=a.hidden_dim or 100, bptt_truncate=a.bptt_truncate,
                         faithful_truncation=not a.per_output_dv)
    from rnnlm.wildml.gru_theano import GRUTheano
    bt = -1 if a.bptt_truncate == 4 and not a.bptt_truncate_set else a.bptt_truncate
    return GRUTheano(word_dim, hidden_dim=a.hidden_dim or 128, bptt_truncate=bt)


def cmd_train(a):
    use_linker("rnnlm", a.linker, a.model)
    from rnnrepro import runlog
    from rnnrepro.engine import describe
    from rnnlm.plot import curve_from_log, plot_curves, write_run_json
    from rnnlm.wildml.train import train_with_sgd
    a.bptt_truncate_set = a.bptt_truncate is not None
    if a.bptt_truncate is None:
        a.bptt_truncate = 4
    style = a.style or ("gru" if a.model == "gru-theano" else "rnnlm")
    corpus = _load_corpus(a, style)
    if a.head:
        corpus = corpus.head(a.head)
    lr = a.learning_rate if a.learning_rate is not None else (0.001 if a.model == "gru-theano" else 0.005)
    out = a.out_dir or os.path.join("runs", f"rnnlm-{a.model}-{time.strftime('%Y%m%d-%H%M%S')}")
    os.makedirs(out, exist_ok=True)
    ckpt_path = os.path.join(out, "checkpoint.npz")
    log_path = os.path.join(out, "log.jsonl")
    model = build_model(a.model, corpus.vocabulary_size, a)
    eng = describe(a.model) if a.model != "rnn-numpy" else {"engine": "numpy", "floatX": "float64",
                                                     "linker": None}
    if not a.quiet:
        print(f"{a.model}: word_dim={corpus.vocabulary_size} hidden_dim={model.hidden_dim} "
              f"bptt_truncate={model.bptt_truncate} sentences={len(corpus)} lr={lr} "
              f"engine={eng['engine']} linker={eng['linker']} floatX={eng['floatX']} -> {out}")
    run_info = {"corpus": corpus.options, "corpus_stats": corpus.stats}
    with runlog.Timer() as timer:
        losses = train_with_sgd(
            model, corpus.X_train, corpus.y_train, learning_rate=lr, nepoch=a.nepoch,
            evaluate_loss_after=a.evaluate_loss_after, decay=a.decay, log_path=log_path,
            checkpoint_path=ckpt_path, resume=a.resume, vocab_state=corpus.vocab_state(),
            subsample_loss=a.subsample_loss, evaluate_every=a.evaluate_every,
            shuffle=a.shuffle or (a.model == "gru-theano" and not a.no_shuffle),
            batch_size=a.batch_size, quiet=a.quiet, run_info=run_info,
            evaluate_at_end=a.evaluate_at_end, overwrite=a.overwrite,
            run_options={"seed": a.seed, "corpus": corpus.options})
    xs, ys = curve_from_log(log_path)
    png = plot_curves([(f"{a.model} H={model.hidden_dim}", xs, ys)], os.path.join(out, "loss.png"),
                      title=f"{a.model} on {a.corpus} ({len(corpus)} sentences)")
    record = {
        "id": os.path.basename(os.path.normpath(a.results_dir or out)), "package": "rnnlm",
        "what": a.what or f"{a.model} hidden {model.hidden_dim} training loss on {a.corpus}",
        "metric": "training loss (mean cross-entropy per word, nats), last evaluation",
        "value": losses[-1][1] if losses else None, "published": a.published,
        "published_source": a.published_source,
        "label": a.label or ("full" if a.corpus == "reddit" else
                             "proxy: PTB text, reddit CSV unavailable"),
        "command": "rnnlm " + " ".join(shlex.quote(x) for x in a.argv),
        "commit": runlog.git_commit(), "data": corpus.stats.get("source"),
        "hardware": runlog.hardware(), "engine": eng["engine"], "floatX": eng["floatX"],
        "linker": eng["linker"],
        "epochs": a.nepoch, "seconds": round(timer.seconds, 1), "peak_rss_mb": round(runlog.peak_rss_mb(), 1),
        "losses": losses, "model": {"type": a.model, **model.config()}, "learning_rate": lr,
        "sentences": len(corpus), "vocabulary_size": corpus.vocabulary_size,
    }
    write_run_json(out, dict(record), log_path, [])
    if a.results_dir:
        write_run_json(a.results_dir, record, log_path, [png])
    if not a.quiet:
        print(f"checkpoint {ckpt_path}; log {log_path}; {timer.seconds:.1f} s")
    return 0


def cmd_generate(a):
    import numpy as np
    from rnnlm.generate import generate_sentence
    from rnnlm.registry import load_language_model
    scorer = load_language_model(a.checkpoint)
    rng = np.random.RandomState(a.seed)
    avoid = set(a.avoid or ()) | ({"<unk>"} if not a.allow_unk else set())
    for _ in range(a.num_sentences):
        words = generate_sentence(scorer, min_length=a.min_length, max_length=a.max_length,
                                  rng=rng, avoid=avoid, prefix=a.prefix.split() if a.prefix else ())
        print(" ".join(words))
    return 0


def cmd_score(a):
    from rnnlm.generate import score_sentences
    from rnnlm.registry import load_language_model
    from rnnlm.generate import read_sentences
    texts = list(a.text) + (read_sentences(a.file) if a.file else [])
    if not texts:
        raise SystemExit("rnnlm score: give TEXT arguments or --file")
    scorer = load_language_model(a.checkpoint)
    tok = (lambda t: t.split()) if a.whitespace else None
    r = score_sentences(scorer, texts, tokenizer=tok)
    if a.json:
        print(json.dumps(r))
    else:
        for t, lp in zip(texts, r["per_sentence"]):
            print(f"{lp:12.4f}  {t}")
        print(f"log-probability {r['log_prob']:.4f} (log10 {r['log10_prob']:.4f}) over "
              f"{r['tokens']} tokens, perplexity {r['perplexity']:.2f}, {r['oov']} OOV words")
    return 0


def cmd_import_npz(a):
    """Wrap a tutorial npz (U, V, W) and a vocabulary file into a checkpoint."""
    from rnnlm.registry import import_tutorial_npz
    kind, hidden, word_dim = import_tutorial_npz(a.npz, a.vocab, a.output)
    print(f"wrote {a.output} ({kind}, hidden {hidden}, vocabulary {word_dim})")
    return 0


def build_parser():
    p = argparse.ArgumentParser(prog="rnnlm", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    pp = sub.add_parser("preprocess", help="tokenise, build the vocabulary, cache (prints statistics)")
    _corpus_args(pp)
    pp.add_argument("--vocab-out", default=None, help="write index_to_word, one word per line")
    pp.add_argument("--quiet", action="store_true")
    pp.set_defaults(func=cmd_preprocess)

    pt = sub.add_parser("train", help="train RNNNumpy / RNNTheano / GRUTheano with train_with_sgd")
    _corpus_args(pt)
    _engine_args(pt)
    pt.add_argument("--model", choices=MODELS, default="rnn-theano")
    pt.add_argument("--hidden-dim", type=positive_int, default=None, help="default 100 (RNN), 128 (GRU)")
    pt.add_argument("--bptt-truncate", type=int, default=None,
                    help="default 4 (RNN, as the tutorial), -1 = full BPTT (GRU default)")
    pt.add_argument("--per-output-dv", action="store_true",
                    help="RNNTheano: keep the dV terms of outputs outside the truncation window")
    pt.add_argument("--learning-rate", type=positive_float, default=None, help="default 0.005 (RNN), 0.001 (GRU)")
    pt.add_argument("--decay", type=float, default=None, help="GRU RMSProp decay (default 0.9)")
    pt.add_argument("--nepoch", type=nonnegative_int, default=100)
    pt.add_argument("--evaluate-loss-after", type=positive_int, default=5)
    pt.add_argument("--evaluate-every", type=positive_int, default=None,
                    help="also record the loss every N examples (monitoring only)")
    pt.add_argument("--evaluate-at-end", action="store_true", help="one more evaluation after training")
    pt.add_argument("--subsample-loss", type=positive_int, default=None,
                    help="evaluate on the first N sentences only (part 4)")
    pt.add_argument("--head", type=positive_int, default=None,
                    help="train on the first N sentences (part 2: X_train[:100])")
    pt.add_argument("--shuffle", action="store_true", help="permute sentences every epoch (part 4)")
    pt.add_argument("--no-shuffle", action="store_true", help="GRU: keep corpus order")
    pt.add_argument("--batch-size", type=positive_int, default=None,
                    help="opt-in mini-batches (RNNTheano only; changes the algorithm, see docs)")
    pt.add_argument("--seed", type=int, default=10, help="np.random.seed before init (tutorial: 10)")
    pt.add_argument("--out-dir", default=None, help="checkpoint + log folder (default runs/...)")
    pt.add_argument("--resume", action="store_true", help="continue from <out-dir>/checkpoint.npz")
    pt.add_argument("--overwrite", action="store_true",
                    help="replace the run already in --out-dir (default: refuse)")
    pt.add_argument("--results-dir", default=None, help="also write run.json, log, PNG here")
    pt.add_argument("--what", default=None)
    pt.add_argument("--label", default=None)
    pt.add_argument("--published", type=float, default=None)
    pt.add_argument("--published-source", default=None)
    pt.add_argument("--quiet", action="store_true")
    pt.set_defaults(func=cmd_train)

    pg = sub.add_parser("generate", help="sample sentences from a checkpoint")
    pg.add_argument("checkpoint")
    pg.add_argument("-n", "--num-sentences", type=nonnegative_int, default=10)
    pg.add_argument("--min-length", type=nonnegative_int, default=7, help="part 2: senten_min_length = 7")
    pg.add_argument("--max-length", type=positive_int, default=100)
    pg.add_argument("--seed", type=int, default=None)
    pg.add_argument("--prefix", default=None, help="words to start the sentence with")
    pg.add_argument("--avoid", nargs="*", default=None, help="more words never to emit")
    pg.add_argument("--allow-unk", action="store_true", help="allow PTB's <unk> (never UNKNOWN_TOKEN)")
    pg.set_defaults(func=cmd_generate)

    ps = sub.add_parser("score", help="log-probability and perplexity of text")
    ps.add_argument("checkpoint")
    ps.add_argument("text", nargs="*", help="one sentence per argument")
    ps.add_argument("--file", default=None, help="one sentence per line")
    ps.add_argument("--whitespace", action="store_true", help="split on whitespace, no nltk")
    ps.add_argument("--json", action="store_true")
    ps.set_defaults(func=cmd_score)

    pi = sub.add_parser("import-npz", help="wrap a tutorial npz (U,V,W) + vocabulary file")
    pi.add_argument("npz")
    pi.add_argument("--vocab", required=True, help="index_to_word, one word per line")
    pi.add_argument("-o", "--output", required=True)
    pi.set_defaults(func=cmd_import_npz)

    if importlib.util.find_spec("rnnlm.ptb_cli") is not None:
        from rnnlm import ptb_cli
        ptb_cli.add_subcommands(sub)
    return p


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    a = build_parser().parse_args(argv)
    a.argv = argv
    _set_engine(a)
    from rnnlm.wildml.data import DataError
    from rnnrepro.cli import run_command
    return run_command("rnnlm", a.func, a, (DataError,))


if __name__ == "__main__":
    sys.exit(main())
