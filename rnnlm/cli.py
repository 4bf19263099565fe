"""``rnnlm``: preprocess, train, generate, score (WildML RNN LM), ptb-lstm, ptb-eval, scrn, fnn,
ptb-rnnlm, ptb-rnnlm-test, ngram, mix, cache.

Each subcommand parses its options, calls one library function and prints.

Examples::

    rnnlm preprocess --corpus ptb --data-dir ../shared/data
    rnnlm train --corpus ptb --data-dir ../shared/data --model rnn-numpy --hidden-dim 100 \\
        --head 100 --epochs 10 --evaluate-loss-after 1 --out runs/part2
    rnnlm generate runs/part2/checkpoint.npz -n 5
    rnnlm score runs/part2/checkpoint.npz "the company said it expects"
    rnnlm scrn --hidden 100 --slow 40 --data-dir ../shared/data      # SCRN; --slow 0: SRN
    rnnlm ngram --order 5 --min-count 3=1 4=1 --data-dir ../shared/data --out runs/kn5
    rnnlm mix runs/kn5 runs/rnn-h100 --out runs/mix-rnn-h100-kn5
    rnnlm cache runs/kn5 --length 100 500 2000 --out runs/kn5-cache    # KN5 + cache
"""
import json
import os
import shlex
import sys

from rnnrepro import files, runlog, runsafe
from rnnrepro.blas import add_option as blas_add_option
from rnnrepro.cli import (LINKER_HELP, ArgumentParser, OptionError, at_most, bptt_truncate_int,
                          nonnegative_float, nonnegative_int, positive_float, positive_int,
                          seed_int, use_linker)

MODELS = ("rnn-numpy", "rnn-theano", "gru-theano")
DRY_RUN_HELP = ("build the model on a few sentences/windows, run one training step and one "
                "evaluation, print what a real run would do; write nothing")


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
    g.add_argument("--vocabulary-size", type=positive_int, default=8000,
                   help="words kept, UNKNOWN_TOKEN included (tutorial: 8000)")
    g.add_argument("--style", choices=("rnnlm", "gru"), default=None,
                   help="preprocessing of part 2 (rnnlm) or part 4 (gru: no 'http' sentences, "
                        "<MASK/> + UNK first); default: gru for --model gru-theano")
    g.add_argument("--min-sent-characters", type=nonnegative_int, default=0,
                   help="part 4: drop sentences shorter than this many characters")
    g.add_argument("--max-sentences", type=positive_int, default=None,
                   help="keep the first N sentences before building the vocabulary")
    g.add_argument("--cache-dir", default=None, help="default $RNNLM_CACHE or ~/.cache/rnnlm")
    g.add_argument("--no-cache", action="store_true",
                   help="preprocess again instead of reading (and writing) the cache")


def _engine_args(p):
    p.add_argument("--engine", choices=("aesara", "pytensor"), default=None,
                   help="symbolic engine (default $RNN_ENGINE, else aesara where it runs: Python <= 3.11; "
                        "else pytensor)")
    p.add_argument("--floatX", choices=("float32", "float64"), default=None,
                   help="float type of the graphs (default $RNN_FLOATX or the engine's)")
    p.add_argument("--linker", choices=("c", "numba", "jax"), default=None, help=LINKER_HELP)


class _IntermixedParser(ArgumentParser):
    """``rnnlm score CKPT --json "some text"``: TEXT after an option was refused
    ("unrecognized arguments"; argparse gives ``nargs="*"`` its empty match at the first
    positional chunk): this subcommand parser takes options and TEXT intermixed."""

    _inner = False

    def parse_known_args(self, args=None, namespace=None):
        if self._inner:
            return super().parse_known_args(args, namespace)
        self._inner = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._inner = False


def _command_line(argv):
    return "rnnlm " + " ".join(shlex.quote(x) for x in argv)


def _wildml_corpus(a, write_cache=True):
    """The corpus of ``--corpus``, ``--path``, ... (``preprocess``, ``train``), cut to
    ``--head`` sentences; the style: ``--style``, else part 4's for the GRU, part 2's else."""
    from rnnlm.wildml.data import CorpusCache, corpus_file, load_corpus
    style = a.style or ("gru" if getattr(a, "model", None) == "gru-theano" else "rnnlm")
    if style == "gru" and a.vocabulary_size < 2:  # [:vocabulary_size - 2]
        raise OptionError(f"--vocabulary-size {a.vocabulary_size}: part 4's vocabulary "
                          f"holds <MASK/> and UNKNOWN_TOKEN, so 2 words at least")
    corpus = load_corpus(a.corpus, a.path or corpus_file(a.corpus, a.data_dir, a.split),
                         vocabulary_size=a.vocabulary_size, style=style,
                         min_sent_characters=a.min_sent_characters,
                         max_sentences=a.max_sentences, verbose=not a.quiet,
                         cache=None if a.no_cache else CorpusCache(a.cache_dir, write_cache))
    return corpus.head(a.head) if getattr(a, "head", None) else corpus


def cmd_preprocess(a):
    if a.vocab_out:  # never over the corpus it reads, nor over another file
        files.check_output(a.vocab_out, inputs=[a.path] if a.path else [], option="--vocab-out")
    c = _wildml_corpus(a)
    if a.vocab_out:
        files.write_text(a.vocab_out, "\n".join(c.index_to_word) + "\n")
    print(json.dumps(c.stats, indent=2))
    return 0


def _train_setup(a, write_cache=True):
    """``rnnlm train``'s corpus, model, training options and run plan."""
    from rnnlm.wildml import train
    corpus = _wildml_corpus(a, write_cache)
    model = train.build_model(a.model, corpus.vocabulary_size, seed=a.seed,
                              hidden_dim=a.hidden_dim, bptt_truncate=a.bptt_truncate,
                              per_output_dv=a.per_output_dv)
    options = train.TrainOptions(
        decay=a.decay, subsample_loss=a.subsample_loss, evaluate_every=a.evaluate_every,
        shuffle=a.shuffle or (a.model == "gru-theano" and not a.no_shuffle),
        batch_size=a.batch_size, evaluate_at_end=a.evaluate_at_end, quiet=a.quiet)
    plan = train.RunPlan(a.out_dir or train.default_out_dir(a.model), resume=a.resume,
                         overwrite=a.overwrite, seed=a.seed, results_dir=a.results_dir,
                         command=_command_line(a.argv), what=a.what, label=a.label,
                         published=a.published, published_source=a.published_source)
    return model, corpus, options, plan


def cmd_train(a):
    if a.batch_size and a.batch_size > 1 and a.model != "rnn-theano":
        raise OptionError(f"--batch-size {a.batch_size}: mini-batches are RNNTheano's only "
                          f"(--model rnn-theano), not --model {a.model}")
    if a.decay is not None and a.decay > 1:
        raise OptionError(f"--decay {a.decay}: an RMSProp decay is at most 1")
    use_linker("rnnlm", a.linker, a.model)
    from rnnlm.wildml import train
    lr = train.DEFAULT_LR[a.model] if a.learning_rate is None else a.learning_rate
    if a.dry_run:
        model, corpus, options, plan = _train_setup(a, write_cache=False)
        print(train.dry_run(model, corpus, lr, a.nepoch, a.evaluate_loss_after, options, plan))
        return 0
    from rnnrepro import blas
    from rnnrepro.results import check_record_folder
    if a.results_dir:   # a record of another run there is replaced only with --overwrite
        check_record_folder(a.results_dir, a.overwrite, a.resume, "--results-dir")
    with blas.limit_threads(a.blas_threads):   # per-sentence SGD: one thread by default
        model, corpus, options, plan = _train_setup(a)
        train.train_run(model, corpus, lr, a.nepoch, a.evaluate_loss_after, options, plan)
    return 0


def cmd_generate(a):
    import numpy as np
    from rnnlm.generate import generate_sentence
    from rnnlm.registry import load_language_model
    at_most("--min-length", a.min_length, "--max-length", a.max_length)
    prefix = a.prefix.split() if a.prefix else []
    at_most("--prefix (words)", len(prefix), "--max-length", a.max_length)
    runsafe.recover(os.path.dirname(os.path.abspath(a.checkpoint)))  # a killed --overwrite
    with runlog.notice(f"sampling {a.num_sentences} sentence(s) from {a.checkpoint} (loading "
                       f"it and compiling its graphs first)..."):
        scorer = load_language_model(a.checkpoint)
        if scorer.end_token in (a.avoid or ()):
            raise OptionError(f"--avoid {scorer.end_token}: the end token; no sentence could "
                              f"end")
        from rnnlm.wildml.data import UNKNOWN_TOKEN
        rng = np.random.RandomState(a.seed)
        # PTB's <unk> is a word of its corpus, sampled with --allow-unk; WildML's UNKNOWN_TOKEN
        # is never sampled (the tutorial re-draws it)
        allow = a.allow_unk and scorer.unknown_token != UNKNOWN_TOKEN
        for _ in range(a.num_sentences):
            words = generate_sentence(scorer, min_length=a.min_length, max_length=a.max_length,
                                      rng=rng, avoid=set(a.avoid or ()), prefix=prefix,
                                      allow_unknown=allow)
            print(" ".join(words), flush=True)   # each as it is drawn
    return 0


def cmd_score(a):
    from rnnlm.generate import score_sentences
    from rnnlm.registry import load_language_model
    if not a.text and not a.file:
        raise OptionError("give TEXT arguments or --file")
    texts = list(a.text) + (files.read_lines(a.file, "text file") if a.file else [])
    runsafe.recover(os.path.dirname(os.path.abspath(a.checkpoint)))  # a killed --overwrite
    with runlog.notice(f"scoring {len(texts)} sentence(s) with {a.checkpoint} (loading it and "
                       f"compiling its graphs first)..."):
        scorer = load_language_model(a.checkpoint)
        tok = (lambda t: t.split()) if a.whitespace else None
        r = score_sentences(scorer, texts, tokenizer=tok)   # finite, or refused
    if a.json:
        print(json.dumps(r, allow_nan=False))
    else:
        for t, lp in zip(texts, r["per_sentence"]):
            print(f"{lp:12.4f}  {t}")
        print(f"log-probability {r['log_prob']:.4f} (log10 {r['log10_prob']:.4f}) over "
              f"{r['tokens']} tokens, perplexity {r['perplexity']:.2f}, {r['oov']} OOV words")
    return 0


def cmd_import_npz(a):
    """Wrap a tutorial npz (U, V, W) and a vocabulary file into a checkpoint."""
    from rnnlm.wildml.tutorial_npz import import_tutorial_npz
    files.check_output(a.output, inputs=[a.npz, a.vocab], option="-o")
    kind, hidden, word_dim = import_tutorial_npz(a.npz, a.vocab, a.output)
    print(f"wrote {a.output} ({kind}, hidden {hidden}, vocabulary {word_dim})")
    return 0


# ----------------------------------------------------------------------------- PTB commands
def _ptb_common(p):
    p.add_argument("--data-dir", default=None,
                   help="folder with ptb.{train,valid,test}.txt, or the data folder holding ptb/ "
                        "(default: $PTBDATA, else $RNNLM_DATA/ptb, else data/ptb)")
    p.add_argument("--out", default=None,
                   help="run folder (checkpoint, log.jsonl, run.json; default "
                        "runs/ptb-lstm-<config> or runs/ptb-rnnlm-h<hidden>-c<class>; "
                        "results/ holds only curated records)")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run already in --out (default: refuse)")
    p.add_argument("--seed", type=seed_int, default=None,
                   help="initial weights and dropout (default 0 for ptb-lstm; 1 for ptb-rnnlm, "
                        "the toolkit's -rand-seed)")
    p.add_argument("--floatX", choices=("float32", "float64"), default=None,
                   help="float type (default: $RNN_FLOATX, else float32 for ptb-lstm; the "
                        "ptb-rnnlm toolkit trainer always computes in float64 like the toolkit)")
    p.add_argument("--quiet", action="store_true", help="no progress bars or per-epoch lines")
    p.add_argument("--no-test", action="store_true", help="skip the final test evaluation")
    p.add_argument("--dry-run", action="store_true", help=DRY_RUN_HELP)


def add_subcommands(subparsers):
    """The PTB subcommands (``ptb-lstm``, ``ptb-eval``, ``ptb-rnnlm``, ``ngram``, ``mix``) on
    ``subparsers``."""
    from rnnlm.ptb_lstm.configs import CONFIGS
    p = subparsers.add_parser("ptb-lstm", help="Zaremba LSTM on PTB (TF tutorial configs)")
    p.add_argument("--config", choices=sorted(CONFIGS), default="small",
                   help="the tutorial's SmallConfig, MediumConfig, LargeConfig or TestConfig")
    p.add_argument("--epochs", dest="max_epochs", type=positive_int, default=None,
                   help="stop after this many epochs (default: the config's max_max_epoch)")
    p.add_argument("--linker", choices=("c", "numba", "jax"), default=None, help=LINKER_HELP)
    p.add_argument("--checkpoint-every", type=positive_int, default=None, metavar="N",
                   help="also checkpoint every N training windows inside an epoch (resume "
                        "continues bit for bit from there)")
    p.add_argument("--time-limit", type=positive_float, default=None, metavar="SECONDS",
                   help="stop at the first checkpoint after this many seconds (with "
                        "--checkpoint-every: inside an epoch; else at an epoch's end); "
                        "continue later with --resume")
    p.add_argument("--dropout-masks", choices=("numpy", "counter"), default="numpy",
                   help="numpy: drawn on the host by numpy's generator (default; the recorded "
                        "runs); counter: drawn inside the compiled graph by a counter-based "
                        "generator from the seed and the window number (other masks, the same "
                        "on every linker and device; no host draw or copy per window on a GPU)")
    p.add_argument("--unroll", action="store_true",
                   help="write each window's steps out one after another (as TF's graph does) "
                        "instead of a scan loop; the same arithmetic, compiled per window shape")
    _ptb_common(p)
    p.set_defaults(func=cmd_ptb_lstm)

    p = subparsers.add_parser("scrn", help="SCRN (slow features, Mikolov et al. 2015) or the "
                                           "same-size SRN on PTB, as facebookarchive/SCRNNs")
    p.add_argument("--hidden", type=positive_int, default=100, help="fast hidden units (-nhid)")
    p.add_argument("--slow", type=nonnegative_int, default=0,
                   help="slow context units (-nslow; 0: the plain SRN)")
    p.add_argument("--epochs", type=positive_int, default=100, help="epochs (-nepochs)")
    p.add_argument("--batch-size", type=positive_int, default=32, help="columns (-batchsz)")
    p.add_argument("--bptt", type=positive_int, default=10,
                   help="steps unfolded back in time (-blen; updates every 5 steps, -bfreq)")
    p.add_argument("--lr", type=positive_float, default=0.05, help="initial learning rate (-eta)")
    p.add_argument("--train-words", type=positive_int, default=None,
                   help="train on the first N training words only (a shorter run, labelled)")
    p.add_argument("--seed", type=seed_int, default=1,
                   help="initial weights N(0, 0.05) (default 1, as main.lua's manualSeed)")
    p.add_argument("--linker", choices=("c", "numba", "jax"), default=None, help=LINKER_HELP)
    p.add_argument("--data-dir", default=None, help="PTB folder (as for ptb-lstm)")
    p.add_argument("--out", default=None, help="run folder (default runs/scrn-h<H>-s<S>)")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run already in --out (default: refuse)")
    p.add_argument("--quiet", action="store_true", help="no progress bars or per-epoch lines")
    p.add_argument("--dry-run", action="store_true", help=DRY_RUN_HELP)
    p.set_defaults(func=cmd_scrn)

    p = subparsers.add_parser("fnn", help="feedforward NNLM (Bengio et al. 2003) on PTB with "
                                          "the RNNLM toolkit's schedule (thesis Table 4.1)")
    p.add_argument("--order", type=positive_int, default=5,
                   help="n: the model sees the n-1 previous words (default 5, as KN5)")
    p.add_argument("--projection", type=positive_int, default=100,
                   help="m: size of each word's feature vector C(w)")
    p.add_argument("--hidden", type=positive_int, default=200, help="h: tanh hidden units")
    p.add_argument("--direct", action="store_true",
                   help="direct connections W from the projections to the output")
    p.add_argument("--batch-size", type=positive_int, default=64,
                   help="windows per SGD step (the per-example mean; our choice)")
    p.add_argument("--lr", type=positive_float, default=1.0,
                   help="initial learning rate (halved by the toolkit schedule)")
    p.add_argument("--weight-decay", type=nonnegative_float, default=0.0,
                   help="L2 weight decay on C, H, U, W, not the biases (Bengio: 1e-4)")
    p.add_argument("--epochs", type=positive_int, default=50,
                   help="most epochs (the schedule normally stops first)")
    p.add_argument("--seed", type=seed_int, default=1,
                   help="initial weights and the shuffle of each epoch")
    p.add_argument("--train-words", type=positive_int, default=None,
                   help="train on the first N training words only (a shorter run, labelled)")
    p.add_argument("--linker", choices=("c", "numba", "jax"), default=None, help=LINKER_HELP)
    p.add_argument("--floatX", choices=("float32", "float64"), default=None,
                   help="float type of the graphs (default $RNN_FLOATX, else float32)")
    p.add_argument("--data-dir", default=None, help="PTB folder (as for ptb-lstm)")
    p.add_argument("--out", default=None, help="run folder (default runs/fnn-n<N>-m<M>-h<H>)")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run already in --out (default: refuse)")
    p.add_argument("--quiet", action="store_true", help="no progress bars or per-epoch lines")
    p.add_argument("--dry-run", action="store_true", help=DRY_RUN_HELP)
    p.set_defaults(func=cmd_fnn)

    p = subparsers.add_parser("ptb-eval", help="perplexity of a saved PTB LSTM checkpoint on "
                                               "one split (cross-check engines and linkers)")
    p.add_argument("checkpoint", help="a checkpoint.npz written by rnnlm ptb-lstm")
    p.add_argument("--split", choices=("test", "valid", "train"), default="test",
                   help="the PTB split to evaluate (default test)")
    p.add_argument("--data-dir", default=None, help="PTB folder (as for ptb-lstm)")
    p.add_argument("--linker", choices=("c", "numba", "jax"), default=None, help=LINKER_HELP)
    p.add_argument("--floatX", choices=("float32", "float64"), default=None,
                   help="float type (default: $RNN_FLOATX, else float32)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON line")
    p.set_defaults(func=cmd_ptb_eval)

    p = subparsers.add_parser("ptb-rnnlm", help="RNNLM toolkit recipe on PTB (class RNN / RNNME)")
    p.add_argument("--hidden", type=nonnegative_int, default=100,
                   help="hidden units (-hidden); 0, with --direct: a maximum-entropy n-gram "
                        "model on the hashed direct connections alone")
    p.add_argument("--class", dest="class_size", type=positive_int, default=100,
                   help="number of word classes (-class)")
    p.add_argument("--old-classes", action="store_true",
                   help="plain-frequency class binning (toolkit -old-classes)")
    p.add_argument("--bptt", type=positive_int, default=4,
                   help="steps of backpropagation through time (-bptt; <= 1: plain BP)")
    p.add_argument("--bptt-block", type=positive_int, default=10,
                   help="words between BPTT updates (-bptt-block); errors go back "
                        "bptt + bptt-block - 2 steps")
    p.add_argument("--direct", type=nonnegative_float, default=0,
                   help="size of the direct-connection hash in millions (toolkit -direct)")
    p.add_argument("--direct-order", type=positive_int, default=3,
                   help="n-gram order of the direct connections (-direct-order)")
    p.add_argument("--alpha", type=positive_float, default=0.1,
                   help="initial learning rate (-alpha)")
    p.add_argument("--beta", type=nonnegative_float, default=1e-7, help="L2 regularisation (-beta)")
    p.add_argument("--gradient-cutoff", type=positive_float, default=15.0,
                   help="clip hidden-layer errors to +-this (-gradient-cutoff)")
    p.add_argument("--min-improvement", type=positive_float, default=1.003,
                   help="validation gain below which alpha halves, and later training stops "
                        "(-min-improvement)")
    p.add_argument("--init", choices=("toolkit", "numpy"), default="toolkit",
                   help="initial weights: the toolkit's own for --seed (glibc rand(), default) "
                        "or the same distribution from numpy")
    p.add_argument("--independent", action="store_true",
                   help="reset the state at sentence ends (toolkit -independent)")
    p.add_argument("--kernel", choices=("numba", "python"), default=None,
                   help="how the per-word loop runs: numba (compiled, several times faster: "
                        "scripts/bench_toolkit.py) or python (the readable numpy loop); the same "
                        "numbers to rounding in the last bits; default numba where installed, "
                        "else python")
    p.add_argument("--epochs", dest="max_epochs", type=positive_int, default=None,
                   help="stop after this many epochs even if the schedule has not ended")
    p.add_argument("--train-words", type=positive_int, default=None,
                   help="train on the first N training words only (a labelled smaller run)")
    blas_add_option(p)
    _ptb_common(p)
    p.set_defaults(func=cmd_ptb_rnnlm)

    p = subparsers.add_parser("ngram", help="Kneser-Ney or Good-Turing n-gram on PTB (SRILM "
                                            "ngram-count), valid/test perplexity")
    p.add_argument("--order", type=positive_int, default=5, help="n-gram order (-order)")
    p.add_argument("--min-count", nargs="*", action="extend", default=[], metavar="N=K",
                   help="keep n-grams of order N only with count >= K (SRILM -gtNmin K); "
                        "SRILM's defaults: 1 for orders 1-2, 2 above. The toolkit's PTB "
                        "recipe: 3=1 4=1 (5-grams keep 2); no cutoffs: 3=1 4=1 5=1")
    p.add_argument("--discount", choices=("kn", "gt"), default=None,
                   help="kn: interpolated modified Kneser-Ney (-kndiscount -interpolate, "
                        "default); gt: Good-Turing with Katz back-off (ngram-count's default; "
                        "-gt1max 1, -gtNmax 7)")
    p.add_argument("--maxent", action="store_true",
                   help="a maximum-entropy n-gram instead (SRILM -maxent): every n-gram of "
                        "the training text a feature, l1 + l2 regularised, exactly normalised")
    p.add_argument("--maxent-alpha", type=float, default=None, metavar="A",
                   help="l1 regularisation constant (-maxent-alpha; default 0.5)")
    p.add_argument("--maxent-sigma2", type=float, default=None, metavar="S",
                   help="l2 regularisation constant, a variance (-maxent-sigma2; default 6)")
    p.add_argument("--maxent-iterations", type=positive_int, default=None, metavar="N",
                   help="at most N L-BFGS-B iterations for the maximum-entropy estimate "
                        "(default 2000; the record says whether it converged)")
    p.add_argument("--arpa", default=None, metavar="FILE", help="also write the ARPA model")
    p.add_argument("--data-dir", default=None,
                   help="folder with ptb.{train,valid,test}.txt, or the data folder holding ptb/ "
                        "(default: $PTBDATA, else $RNNLM_DATA/ptb, else data/ptb)")
    p.add_argument("--out", default=None,
                   help="run folder (run.json, valid/test.probs.txt; default "
                        "runs/ngram-<discount><order>-ptb)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run already in --out (default: refuse)")
    p.add_argument("--no-test", action="store_true",
                   help="score the validation split only (no record is written)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--dry-run", action="store_true",
                   help="estimate on the first 2000 training lines, score 200 validation "
                        "lines, print what a real run would do; write nothing")
    p.set_defaults(func=cmd_ngram)

    p = subparsers.add_parser("mix", help="interpolate runs' per-word probabilities, weights "
                                          "tuned on valid by EM, test perplexity")
    p.add_argument("runs", nargs="+", help="run folders holding valid.probs.txt and "
                                           "test.probs.txt (rnnlm ngram, rnnlm ptb-rnnlm)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON line")
    p.add_argument("--out", default=None,
                   help="also keep the mixture as a run folder (run.json: weights, valid/test "
                        "perplexity, the inputs' folders and commits)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run already in --out (default: refuse)")
    p.set_defaults(func=cmd_mix)

    p = subparsers.add_parser("cache", help="a run's per-word probabilities interpolated with a "
                                            "unigram cache of the recent words (SRILM -cache)")
    p.add_argument("base", help="run folder holding valid.probs.txt and test.probs.txt (rnnlm "
                                "ngram, rnnlm ptb-rnnlm, rnnlm mix --out)")
    p.add_argument("--length", type=positive_int, nargs="+", default=[500], metavar="N",
                   help="cache length in tokens (SRILM -cache); several: the best on valid "
                        "(default 500)")
    p.add_argument("--data-dir", default=None, help="PTB folder (as for ptb-lstm)")
    p.add_argument("--out", required=True,
                   help="run folder: run.json, valid.probs.txt, test.probs.txt (for rnnlm mix)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run already in --out (default: refuse)")
    p.set_defaults(func=cmd_cache)

    p = subparsers.add_parser("ptb-rnnlm-test", help="the toolkit's -test (optionally "
                                                     "-dynamic) on a saved ptb-rnnlm model")
    p.add_argument("checkpoint", help="a checkpoint.npz written by rnnlm ptb-rnnlm")
    p.add_argument("--dynamic", type=nonnegative_float, default=0.0, metavar="ALPHA",
                   help="dynamic evaluation: keep learning from each scored word at this "
                        "learning rate (the toolkit's -dynamic; default 0: the static test)")
    p.add_argument("--data-dir", default=None, help="PTB folder (as for ptb-lstm)")
    p.add_argument("--out", required=True,
                   help="run folder: run.json, valid.probs.txt, test.probs.txt (for rnnlm mix)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run already in --out (default: refuse)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_ptb_rnnlm_test)


def _set_floatx(args, default):
    """--floatX, else $RNN_FLOATX, else the command's default."""
    from rnnrepro.engine import set_floatx
    set_floatx(args.floatX or os.environ.get("RNN_FLOATX") or default)


def cmd_ptb_lstm(args):
    use_linker("rnnlm", args.linker, "ptb-lstm")
    _set_floatx(args, "float32")
    from rnnlm.ptb_lstm import ptb_word_lm
    flags = ptb_word_lm.Flags(
        config_name=args.config, data_dir=args.data_dir, out=args.out,
        max_epochs=args.max_epochs, seed=0 if args.seed is None else args.seed,
        resume=args.resume, overwrite=args.overwrite, quiet=args.quiet,
        command=_command_line(args.argv), evaluate_test=not args.no_test,
        checkpoint_every=args.checkpoint_every, time_limit=args.time_limit,
        masks=args.dropout_masks, unroll=args.unroll)
    if args.dry_run:
        print(ptb_word_lm.dry_run(flags))
        return 0
    s = ptb_word_lm.train_lstm(flags)
    return 0 if s["epochs"] or s["stopped"] else 1


def cmd_scrn(args):
    use_linker("rnnlm", args.linker, "scrn")
    from rnnrepro.engine import set_floatx
    set_floatx(os.environ.get("RNN_FLOATX") or "float32")
    from rnnlm.scrn.train import Config, dry_run, train_scrn
    cfg = Config(n_hidden=args.hidden, n_slow=args.slow, n_epochs=args.epochs,
                 batch_size=args.batch_size, backprop_len=args.bptt,
                 initial_learning_rate=args.lr, seed=args.seed)
    if args.dry_run:
        print(dry_run(cfg, data_dir=args.data_dir, out=args.out, train_words=args.train_words))
        return 0
    train_scrn(cfg, data_dir=args.data_dir, out=args.out, train_words=args.train_words,
               resume=args.resume, overwrite=args.overwrite, quiet=args.quiet,
               command=_command_line(args.argv))
    return 0


def cmd_fnn(args):
    use_linker("rnnlm", args.linker, "fnn")
    _set_floatx(args, "float32")
    from rnnlm.fnn.train import Config, dry_run, train_fnn
    cfg = Config(order=args.order, projection=args.projection, hidden=args.hidden,
                 direct=args.direct, batch_size=args.batch_size, learning_rate=args.lr,
                 weight_decay=args.weight_decay, max_epochs=args.epochs, seed=args.seed)
    if args.dry_run:
        print(dry_run(cfg, data_dir=args.data_dir, out=args.out, train_words=args.train_words))
        return 0
    train_fnn(cfg, data_dir=args.data_dir, out=args.out, train_words=args.train_words,
              resume=args.resume, overwrite=args.overwrite, quiet=args.quiet,
              command=_command_line(args.argv))
    return 0


def cmd_ptb_eval(args):
    use_linker("rnnlm", args.linker, "ptb-lstm")
    _set_floatx(args, "float32")
    from rnnlm.ptb_lstm.ptb_word_lm import evaluate_checkpoint
    runsafe.recover(os.path.dirname(os.path.abspath(args.checkpoint)))  # a killed --overwrite
    r = evaluate_checkpoint(args.checkpoint, data_dir=args.data_dir, split=args.split)
    if args.json:   # finite, or refused (evaluate_checkpoint)
        print(json.dumps(r, allow_nan=False))
    else:
        print(f"{r['split']} perplexity: {r['perplexity']:.6f} ({r['targets']} targets, "
              f"{r['seconds']:.0f} s; {r['engine']} {r['engine_version']}, linker "
              f"{r['linker']}, {r['floatX']})")
    return 0


def cmd_ptb_rnnlm(args):
    if args.hidden == 0 and not args.direct:
        raise OptionError("--hidden 0: needs --direct (with neither, the model has nothing "
                          "to learn)")
    _set_floatx(args, "float64")
    from rnnlm.toolkit import trainnet
    config = trainnet.ToolkitConfig(
        hidden=args.hidden, class_size=args.class_size, old_classes=args.old_classes,
        direct_size=int(round(args.direct * 1_000_000)), direct_order=args.direct_order,
        bptt=args.bptt, bptt_block=args.bptt_block, gradient_cutoff=args.gradient_cutoff,
        beta=args.beta, independent=args.independent,
        seed=1 if args.seed is None else args.seed, init=args.init, alpha=args.alpha,
        min_improvement=args.min_improvement, max_epochs=args.max_epochs,
        train_words=args.train_words, kernel=args.kernel)
    from rnnrepro import blas
    with blas.limit_threads(args.blas_threads):   # per-word SGD: one thread by default
        if args.dry_run:
            print(trainnet.dry_run(config, data_dir=args.data_dir, out=args.out))
            return 0
        s = trainnet.train_class_rnn(config, data_dir=args.data_dir, out=args.out,
                                     resume=args.resume, overwrite=args.overwrite,
                                     quiet=args.quiet, command=_command_line(args.argv),
                                     evaluate_test=not args.no_test)
    return 0 if s["epochs"] else 1


def _min_counts(items):
    """``--min-count 3=1 4=1`` -> {3: 1, 4: 1}."""
    out = {}
    for item in items:
        a, sep, b = item.partition("=")
        try:
            if not sep:
                raise ValueError
            out[int(a)] = int(b)
        except ValueError:
            raise OptionError(f"--min-count {item}: expected ORDER=COUNT, e.g. 5=1") from None
    return out


def cmd_ngram(args):
    from rnnlm.ngram import run
    if args.maxent:
        for given, option in ((args.discount, "--discount"), (args.min_count, "--min-count"),
                              (args.arpa, "--arpa")):
            if given:
                raise OptionError(f"{option}: not for a maximum-entropy model (--maxent keeps "
                                  f"every n-gram and writes no ARPA file)")
    else:
        for given, option in ((args.maxent_alpha, "--maxent-alpha"),
                              (args.maxent_sigma2, "--maxent-sigma2"),
                              (args.maxent_iterations, "--maxent-iterations")):
            if given is not None:
                raise OptionError(f"{option}: only with --maxent")
    config = run.NgramConfig(order=args.order,
                             smoothing="maxent" if args.maxent else (args.discount or "kn"),
                             min_counts=_min_counts(args.min_count), alpha=args.maxent_alpha,
                             sigma2=args.maxent_sigma2,
                             max_iter=args.maxent_iterations or run.NgramConfig.max_iter)
    kw = dict(data_dir=args.data_dir, out=args.out, arpa=args.arpa)
    if args.dry_run:
        print(run.dry_run(config, **kw))
        return 0
    run.train_ngram(config, **kw, overwrite=args.overwrite, quiet=args.quiet,
                    command=_command_line(args.argv), evaluate_test=not args.no_test)
    return 0


def cmd_mix(args):
    from rnnlm.ngram.mix import mix_runs, write_mix_run
    if args.overwrite and not args.out:
        raise OptionError("--overwrite: only with --out")
    if args.out:
        rec = write_mix_run(args.runs, args.out, overwrite=args.overwrite,
                            command=_command_line(args.argv))
        r = {k: rec[k] for k in ("models", "weights", "em_iterations", "valid_perplexity",
                                 "model_valid_perplexity", "model_test_perplexity", "tokens")}
        r["test_perplexity"] = rec["value"]
    else:
        r = mix_runs(args.runs)
    if args.json:
        print(json.dumps(r))
        return 0
    for name, w, pv, pt in zip(r["models"], r["weights"], r["model_valid_perplexity"],
                               r["model_test_perplexity"]):
        print(f"{name}: weight {w:.4f}  (alone: valid {pv:.2f}, test {pt:.2f})")
    print(f"mixture: valid {r['valid_perplexity']:.2f}, test {r['test_perplexity']:.2f} "
          f"({r['tokens']['test']} test tokens, {r['em_iterations']} EM iterations)"
          + (f"; wrote {args.out}/run.json" if args.out else ""))
    return 0


def cmd_cache(args):
    from rnnlm.ngram.cache import cache_run
    rec = cache_run(args.base, args.out, args.length, data_dir=args.data_dir,
                    overwrite=args.overwrite, command=_command_line(args.argv))
    for r in rec["tuning"]:
        print(f"cache {r['length']}: lambda {r['lambda']:.4f}, valid {r['valid_perplexity']:.2f}")
    print(f"best cache {rec['cache_length']}: valid {rec['valid_perplexity']:.2f}, test "
          f"{rec['value']:.2f} (base alone: test {rec['base']['value']}); wrote {args.out}/run.json")
    return 0


def cmd_ptb_rnnlm_test(args):
    from rnnlm.toolkit.testnet import evaluate_checkpoint
    ppl = evaluate_checkpoint(args.checkpoint, args.out, data_dir=args.data_dir,
                              dynamic=args.dynamic, overwrite=args.overwrite, quiet=args.quiet,
                              command=_command_line(args.argv))
    print(f"valid {ppl['valid']:.3f}, test {ppl['test']:.3f}; wrote {args.out}/run.json")
    return 0


# ----------------------------------------------------------------------------- parser
def build_parser():
    p = ArgumentParser(prog="rnnlm", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    pp = sub.add_parser("preprocess", help="tokenise, build the vocabulary, cache (prints statistics)")
    _corpus_args(pp)
    pp.add_argument("--vocab-out", default=None, help="write index_to_word, one word per line")
    pp.add_argument("--quiet", action="store_true", help="no progress messages")
    pp.set_defaults(func=cmd_preprocess)

    pt = sub.add_parser("train", help="train RNNNumpy / RNNTheano / GRUTheano with train_with_sgd")
    _corpus_args(pt)
    _engine_args(pt)
    blas_add_option(pt)
    pt.add_argument("--model", choices=MODELS, default="rnn-theano",
                    help="the tutorial's model: part 2 numpy RNN, part 2/3 RNNTheano, part 4 GRU")
    pt.add_argument("--hidden-dim", type=positive_int, default=None, help="default 100 (RNN), 128 (GRU)")
    pt.add_argument("--bptt-truncate", type=bptt_truncate_int, default=None,
                    help="default 4 (RNN, as the tutorial), -1 = full BPTT (GRU default)")
    pt.add_argument("--per-output-dv", action="store_true",
                    help="RNNTheano: keep the dV terms of outputs outside the truncation window")
    pt.add_argument("--learning-rate", type=positive_float, default=None, help="default 0.005 (RNN), 0.001 (GRU)")
    pt.add_argument("--decay", type=nonnegative_float, default=None, help="GRU RMSProp decay (default 0.9)")
    pt.add_argument("--epochs", dest="nepoch", type=positive_int, default=100, help="epochs (default 100)")
    pt.add_argument("--evaluate-loss-after", type=positive_int, default=5,
                    help="evaluate the loss (and halve the rate if it rose) every N epochs")
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
                    help="opt-in mini-batches (RNNTheano only; not the tutorial: one step on the summed "
                        "gradient of N sentences, all seeing the same parameters, padding "
                        "masked; rnnlm.wildml.rnn_theano.RNNTheano.sgd_step_batch)")
    pt.add_argument("--seed", type=seed_int, default=10, help="np.random.seed before init (tutorial: 10)")
    pt.add_argument("--out", dest="out_dir", default=None,
                    help="checkpoint + log folder (default runs/...)")
    pt.add_argument("--resume", action="store_true", help="continue from <out-dir>/checkpoint.npz")
    pt.add_argument("--overwrite", action="store_true",
                    help="replace the run already in --out (default: refuse)")
    pt.add_argument("--results-dir", default=None,
                    help="also write run.json, log, PNG here (a record of another run there is "
                         "replaced only with --overwrite)")
    pt.add_argument("--what", default=None, help="run record: what was measured")
    pt.add_argument("--label", default=None,
                    help="run record: full / smaller / proxy (default from --corpus)")
    pt.add_argument("--published", type=nonnegative_float, default=None,
                    help="run record: the published value to compare with")
    pt.add_argument("--published-source", default=None,
                    help="run record: where the published value comes from")
    pt.add_argument("--quiet", action="store_true", help="no progress messages")
    pt.add_argument("--dry-run", action="store_true", help=DRY_RUN_HELP)
    pt.set_defaults(func=cmd_train)

    pg = sub.add_parser("generate", help="sample sentences from a checkpoint")
    pg.add_argument("checkpoint", help="any rnnlm checkpoint.npz (WildML, PTB LSTM, toolkit)")
    pg.add_argument("-n", "--num-sentences", type=nonnegative_int, default=10,
                    help="sentences to print (default 10)")
    pg.add_argument("--min-length", type=nonnegative_int, default=7, help="part 2: senten_min_length = 7")
    pg.add_argument("--max-length", type=positive_int, default=100,
                    help="give up on a sentence after this many words (part 4: 100)")
    pg.add_argument("--seed", type=seed_int, default=None, help="sampling seed (default: random)")
    pg.add_argument("--prefix", default=None,
                    help="words to start every sentence with, printed as given (a word outside "
                         "the vocabulary is fed to the model as its unknown token)")
    pg.add_argument("--avoid", nargs="*", default=None, help="more words never to emit")
    pg.add_argument("--allow-unk", action="store_true",
                    help="allow PTB's <unk> as a sampled word (UNKNOWN_TOKEN is never sampled)")
    pg.set_defaults(func=cmd_generate)

    ps = sub.add_parser("score", help="log-probability and perplexity of text")
    ps.__class__ = _IntermixedParser  # add_parser has no per-parser class
    ps.add_argument("checkpoint", help="any rnnlm checkpoint.npz (WildML, PTB LSTM, toolkit)")
    ps.add_argument("text", nargs="*", default=[], help="one sentence per argument")
    ps.add_argument("--file", default=None, help="one sentence per line")
    ps.add_argument("--whitespace", action="store_true", help="split on whitespace, no nltk")
    ps.add_argument("--json", action="store_true", help="print the result as JSON")
    ps.set_defaults(func=cmd_score)

    pi = sub.add_parser("import-npz", help="wrap a tutorial npz (U,V,W) + vocabulary file")
    pi.add_argument("npz", help="the tutorial's saved parameters (U, V, W or the GRU's)")
    pi.add_argument("--vocab", required=True, help="index_to_word, one word per line")
    pi.add_argument("-o", "--output", required=True,
                    help="the checkpoint to write (never one of the inputs)")
    pi.set_defaults(func=cmd_import_npz)

    add_subcommands(sub)
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
