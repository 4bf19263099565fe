"""``train_with_sgd``: the tutorial's outer SGD loop, plus logs, checkpoints and resume.

Faithful to part 2: at the start of every ``evaluate_loss_after``-th epoch the loss on the
training data is evaluated and recorded as ``(num_examples_seen, loss)``; if it went up since
the previous evaluation the learning rate is halved; then one pass of per-sentence steps in
corpus order. (So ``nepoch=10, evaluate_loss_after=1`` gives 10 losses, the first one at 0
examples seen, and none after the last epoch: the tutorial's published 10 numbers.)

Additions, all optional: a JSON-lines record per evaluation, an atomic checkpoint (the
tutorial's npz layout ``U, V, W`` / ``E, U, W, V, b, c`` plus a state record) after every
epoch, resume from it, intra-epoch monitoring evaluations (``evaluate_every``, never change
the learning rate), evaluation on the first ``subsample_loss`` sentences (part 4), per-epoch
shuffling (part 4's ``np.random.permutation``), and an opt-in mini-batch mode (see
``RNNTheano.sgd_step_batch`` for how it changes the algorithm).

Licence of the original: Apache License 2.0 (rnn-tutorial-rnnlm, Denny Britz); rnn-tutorial-gru-lstm's train.py states none. See LICENSE.
"""
import os
import sys
import time
from datetime import datetime
from types import SimpleNamespace

import numpy as np

from rnnrepro import checkpoint as ckpt
from rnnrepro import runlog, runsafe


def model_arrays(model):
    if hasattr(model, "mE"):
        return model.get_parameters(with_cache=True)
    return model.get_parameters()


def save_model(path, model, extra_state=None):
    """Checkpoint in the tutorial's npz layout (np.load(path)['U'] works) + a state record."""
    from rnnrepro.engine import describe
    state = {"model_type": model.model_type, "config": model.config(),
             **describe(model.model_type)}
    state.update(extra_state or {})
    ckpt.save(path, model_arrays(model), state)


def _rng_state_to_json():
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return [name, keys.tolist(), int(pos), int(has_gauss), float(cached)]


def _rng_state_from_json(st):
    name, keys, pos, has_gauss, cached = st
    np.random.set_state((name, np.array(keys, dtype=np.uint32), pos, has_gauss, cached))


def train_with_sgd(model, X_train, y_train, learning_rate=0.005, nepoch=100, evaluate_loss_after=5,
                   decay=None, log_path=None, checkpoint_path=None, resume=False, vocab_state=None,
                   subsample_loss=None, evaluate_every=None, shuffle=False, batch_size=None,
                   quiet=False, run_info=None, evaluate_at_end=False, run_options=None,
                   overwrite=False):
    """Train ``model`` in place; returns the list of ``(num_examples_seen, loss)``.

    With a ``checkpoint_path`` its folder is claimed for the run (``rnnrepro.runsafe.claim``:
    locked; an existing run there is refused unless ``resume`` or ``overwrite``), and the
    run's identity (the model, the options below, ``run_options`` such as the seed and the
    corpus options, a fingerprint of the data and vocabulary, the engine) is stored in the
    checkpoint; ``resume`` refuses a different one. A NaN or infinite loss or parameter stops
    training with ``runsafe.NonFiniteError`` before the epoch is logged or saved.

    ``evaluate_at_end=True`` adds one evaluation after the last epoch (kind "final").
    ``decay`` is passed to ``sgd_step`` (RMSProp decay of ``GRUTheano``; None: the model's
    default). ``resume=True`` continues from ``checkpoint_path`` if it exists: parameters,
    learning rate, losses, example count, RNG state; the JSONL log is cut back to the
    checkpointed epoch, so a killed-and-resumed run logs the same as an uninterrupted one.
    """
    kwargs = dict(locals())
    if not checkpoint_path:
        return _train_with_sgd(**kwargs)
    folder = os.path.dirname(os.path.abspath(checkpoint_path))
    markers = [os.path.basename(checkpoint_path)]
    if log_path and os.path.dirname(os.path.abspath(log_path)) == folder:
        markers.append(os.path.basename(log_path))
    with runsafe.claim(folder, resume=resume, overwrite=overwrite, markers=markers,
                       say=None if quiet else print):
        return _train_with_sgd(**kwargs)


def run_identity(model, X_train, y_train, vocab_state, run_options, **options):
    """The WildML run's identity (see ``rnnrepro.runsafe.run_identity``)."""
    vocab = (vocab_state or {}).get("index_to_word")
    return runsafe.run_identity(
        dict(run_options or {}, model_type=model.model_type, model=model.config(), **options),
        data=runsafe.fingerprint(X_train, y_train, vocab),
        symbolic=model.model_type != "rnn-numpy", model=model.model_type)


def _train_with_sgd(model, X_train, y_train, learning_rate, nepoch, evaluate_loss_after, decay,
                    log_path, checkpoint_path, resume, vocab_state, subsample_loss,
                    evaluate_every, shuffle, batch_size, quiet, run_info, evaluate_at_end,
                    run_options, overwrite):
    """The tutorial's loop: every ``evaluate_loss_after``-th epoch the loss, and the rate halved
    if it rose (``evaluate_and_adjust``), then one pass of SGD steps (``sgd_epoch``); here also
    a checkpoint after every epoch (``save_epoch``)."""
    identity = None if not checkpoint_path else run_identity(
        model, X_train, y_train, vocab_state, run_options, learning_rate=learning_rate,
        evaluate_loss_after=evaluate_loss_after, decay=decay, subsample_loss=subsample_loss,
        evaluate_every=evaluate_every, shuffle=shuffle, batch_size=batch_size)
    log = runlog.JsonlLog(log_path) if log_path else None
    run = _start_or_resume(model, learning_rate, checkpoint_path, resume, identity, log, quiet)
    step_kw = {} if decay is None else {"decay": decay}
    _compile_now(model, X_train, y_train, step_kw, quiet)
    Xe = X_train[:subsample_loss] if subsample_loss else X_train
    Ye = y_train[:subsample_loss] if subsample_loss else y_train

    def evaluate(epoch, kind):
        t0 = time.perf_counter()
        loss = float(model.calculate_loss(Xe, Ye))
        runsafe.check_finite("the training-data loss", loss, epoch)
        rec = {"epoch": epoch, "num_examples_seen": run.num_examples_seen, "loss": loss,
               "learning_rate": run.learning_rate, "kind": kind,
               "train_seconds": round(run.train_seconds, 3),
               "eval_seconds": round(time.perf_counter() - t0, 3)}
        if log:
            log.write(rec)
        return loss

    for epoch in range(run.start_epoch, nepoch):
        if epoch % evaluate_loss_after == 0:
            evaluate_and_adjust(run, evaluate(epoch, "epoch"), epoch, quiet)
        run.nepoch = nepoch   # for the progress line's time left in the run
        sgd_epoch(model, X_train, y_train, run, epoch, step_kw, shuffle, batch_size,
                  evaluate_every, evaluate, quiet)
        if hasattr(model, "get_parameters"):
            runsafe.check_finite("parameter", model_arrays(model), epoch)
        if checkpoint_path:
            save_epoch(checkpoint_path, model, run, epoch, shuffle, vocab_state, run_info,
                       identity)
    if evaluate_at_end:
        # not in the tutorial (its last loss is measured *before* the last epoch)
        loss = evaluate(nepoch, "final")
        run.losses.append((run.num_examples_seen, loss))
        if not quiet:
            print("Final loss after num_examples_seen=%d: %f" % (run.num_examples_seen, loss))
    return run.losses


def _start_or_resume(model, learning_rate, checkpoint_path, resume, identity, log, quiet):
    """Where training starts: epoch 0, or (``resume``) the checkpoint's epoch, parameters,
    learning rate, losses, example count and RNG state, with the log cut back to it."""
    run = SimpleNamespace(losses=[], num_examples_seen=0, start_epoch=0, train_seconds=0.0,
                          learning_rate=learning_rate)
    if resume and checkpoint_path and os.path.exists(checkpoint_path):
        arrays, state = ckpt.load(checkpoint_path)
        if state.get("model_type") != model.model_type:
            raise ckpt.CheckpointError(f"{checkpoint_path}: a {state.get('model_type')} checkpoint, "
                                       f"not {model.model_type}")
        runsafe.check_resume(checkpoint_path, state, identity)
        ckpt.check_contents(checkpoint_path, arrays, state, state_keys=("training",), expect={
            k: np.shape(v) for k, v in model_arrays(model).items()})
        model.set_parameters(arrays)
        tr = state["training"]
        run.start_epoch, run.num_examples_seen = tr["epochs_done"], tr["num_examples_seen"]
        run.learning_rate, run.losses = tr["learning_rate"], [tuple(l) for l in tr["losses"]]
        run.train_seconds = tr.get("seconds", 0.0)
        if tr.get("rng"):
            _rng_state_from_json(tr["rng"])
        if log:
            log.truncate_after(run.start_epoch - 1)
        if not quiet:
            print(f"Resumed from {checkpoint_path}: {run.start_epoch} epoch(s) done, "
                  f"{run.num_examples_seen} examples seen, learning rate {run.learning_rate}")
    elif log:
        log.reset()  # a fresh run, or nothing to resume from: start clean
    return run


def _compile_now(model, X_train, y_train, step_kw, quiet):
    """Graph models compile lazily: do it now, visibly, and out of the epoch times."""
    graphs = model.__dict__.get("_graphs", {})
    if any(k in graphs for k in ("ce_error", "sgd_step", "_rmsprop_step")):
        from rnnrepro.engine import linker
        with runlog.compiling(quiet):
            for name in ("ce_error", "sgd_step", "_rmsprop_step"):
                if name in graphs:
                    getattr(model, name)
            if len(X_train) and linker(model.model_type) != "c":  # Numba: at the first call
                saved = model_arrays(model)
                model.ce_error(X_train[0], y_train[0])
                model.sgd_step(X_train[0], y_train[0], 0.0, **step_kw)
                model.set_parameters(saved)


def evaluate_and_adjust(run, loss, epoch, quiet):
    """The tutorial's "Adjust the learning rate if loss increases": record the loss, halve the
    rate when it is above the previous one."""
    run.losses.append((run.num_examples_seen, loss))
    if not quiet:
        now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        print("%s: Loss after num_examples_seen=%d epoch=%d: %f"
              % (now, run.num_examples_seen, epoch, loss))
    if len(run.losses) > 1 and run.losses[-1][1] > run.losses[-2][1]:
        run.learning_rate = run.learning_rate * 0.5
        if not quiet:
            print("Setting learning rate to %f" % run.learning_rate)
    sys.stdout.flush()


def sgd_epoch(model, X_train, y_train, run, epoch, step_kw, shuffle, batch_size,
              evaluate_every, evaluate, quiet):
    """The tutorial's "For each training example...": one ``sgd_step`` per sentence in corpus
    order (part 4: permuted), or opt-in mini-batches; ``evaluate_every`` adds monitoring
    evaluations (their time kept out of ``train_seconds``)."""
    n = len(y_train)
    order = np.random.permutation(n) if shuffle else np.arange(n)
    t0 = time.perf_counter()
    if batch_size and batch_size > 1:
        batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
        for b in runlog.progress(batches, desc=f"epoch {epoch}", quiet=quiet, unit="batch",
                                 run=(epoch, getattr(run, "nepoch", epoch + 1))):
            model.sgd_step_batch([X_train[i] for i in b], [y_train[i] for i in b],
                                 run.learning_rate)
            run.num_examples_seen += len(b)
    else:
        for i in runlog.progress(order, total=n, desc=f"epoch {epoch}", quiet=quiet,
                                 unit="sent", run=(epoch, getattr(run, "nepoch", epoch + 1))):
            model.sgd_step(X_train[i], y_train[i], run.learning_rate, **step_kw)
            run.num_examples_seen += 1
            if evaluate_every and run.num_examples_seen % evaluate_every == 0:
                run.train_seconds += time.perf_counter() - t0
                loss = evaluate(epoch, "monitor")
                if not quiet:
                    print("  monitor: num_examples_seen=%d loss %f"
                          % (run.num_examples_seen, loss))
                t0 = time.perf_counter()
    run.train_seconds += time.perf_counter() - t0


def save_epoch(checkpoint_path, model, run, epoch, shuffle, vocab_state, run_info, identity):
    """The checkpoint after an epoch: parameters (the tutorial's npz layout) and where the
    training stands."""
    training = {"epochs_done": epoch + 1, "num_examples_seen": run.num_examples_seen,
                "learning_rate": run.learning_rate, "losses": run.losses,
                "seconds": run.train_seconds, "rng": _rng_state_to_json() if shuffle else None}
    extra = {"training": training, **(vocab_state or {}), **(run_info or {}),
             "identity": identity}
    save_model(checkpoint_path, model, extra)


# ---------------------------------------------------------------------------------------------
# What ``rnnlm train`` does (``opts``: its parsed options, see ``rnnlm.cli``)

DEFAULT_LR = {"rnn-numpy": 0.005, "rnn-theano": 0.005, "gru-theano": 0.001}


def load_training_corpus(opts, write_cache=True):
    """The corpus of ``opts`` (``--corpus``, ``--path``, ...), cut to ``--head`` sentences."""
    from rnnlm.wildml.data import load_corpus
    if corpus_style(opts) == "gru" and opts.vocabulary_size < 2:  # [:vocabulary_size - 2]
        from rnnrepro.cli import OptionError
        raise OptionError(f"--vocabulary-size {opts.vocabulary_size}: part 4's vocabulary "
                          f"holds <MASK/> and UNKNOWN_TOKEN, so 2 words at least")
    corpus = load_corpus(opts.corpus, path=opts.path, directory=opts.data_dir, split=opts.split,
                         vocabulary_size=opts.vocabulary_size, style=corpus_style(opts),
                         min_sent_characters=opts.min_sent_characters,
                         max_sentences=opts.max_sentences, cache_dir=opts.cache_dir,
                         use_cache=not opts.no_cache, verbose=not opts.quiet,
                         write_cache=write_cache)
    return corpus.head(opts.head) if getattr(opts, "head", None) else corpus


def corpus_style(opts):
    """``--style``, else part 4's for the GRU and part 2's for the RNNs."""
    return opts.style or ("gru" if getattr(opts, "model", None) == "gru-theano" else "rnnlm")


def build_model(kind, word_dim, opts):
    """``np.random.seed(--seed)`` then the tutorial's model: RNNNumpy / RNNTheano (bptt_truncate
    4 unless given) or GRUTheano (full BPTT unless ``--bptt-truncate`` is given)."""
    np.random.seed(opts.seed)
    truncate = 4 if opts.bptt_truncate is None else opts.bptt_truncate
    if kind == "rnn-numpy":
        from rnnlm.wildml.rnn_numpy import RNNNumpy
        return RNNNumpy(word_dim, hidden_dim=opts.hidden_dim or 100, bptt_truncate=truncate)
    if kind == "rnn-theano":
        from rnnlm.wildml.rnn_theano import RNNTheano
        return RNNTheano(word_dim, hidden_dim=opts.hidden_dim or 100, bptt_truncate=truncate,
                         faithful_truncation=not opts.per_output_dv)
    from rnnlm.wildml.gru_theano import GRUTheano
    bt = -1 if opts.bptt_truncate is None else opts.bptt_truncate
    return GRUTheano(word_dim, hidden_dim=opts.hidden_dim or 128, bptt_truncate=bt)


def _engine_of(kind):
    if kind == "rnn-numpy":
        return {"engine": "numpy", "floatX": "float64", "linker": None}
    from rnnrepro.engine import describe
    return describe(kind)


def run_plan(opts):
    """The learning rate and run folder a run of ``opts`` uses."""
    lr = opts.learning_rate if opts.learning_rate is not None else DEFAULT_LR[opts.model]
    out = opts.out_dir or os.path.join("runs", f"rnnlm-{opts.model}-"
                                               f"{time.strftime('%Y%m%d-%H%M%S')}")
    return lr, out


def train_run(opts, command=None):
    """``rnnlm train``: corpus, model, ``train_with_sgd`` into ``--out-dir`` (checkpoint, log,
    loss.png, run.json), and the run record in ``--results-dir`` when given. Returns the
    record."""
    from rnnlm.plot import curve_from_log, plot_curves
    from rnnrepro.results import check_record_folder, write_record_folder, write_run_json
    if opts.results_dir:   # a record of another run there is replaced only with --overwrite
        check_record_folder(opts.results_dir, opts.overwrite, opts.resume, "--results-dir")
    corpus = load_training_corpus(opts)
    lr, out = run_plan(opts)
    os.makedirs(out, exist_ok=True)
    ckpt_path = os.path.join(out, "checkpoint.npz")
    log_path = os.path.join(out, "log.jsonl")
    model = build_model(opts.model, corpus.vocabulary_size, opts)
    eng = _engine_of(opts.model)
    if not opts.quiet:
        print(f"{opts.model}: word_dim={corpus.vocabulary_size} hidden_dim={model.hidden_dim} "
              f"bptt_truncate={model.bptt_truncate} sentences={len(corpus)} lr={lr} "
              f"engine={eng['engine']} linker={eng['linker']} floatX={eng['floatX']} -> {out}")
    run_info = {"corpus": corpus.options, "corpus_stats": corpus.stats}
    with runlog.Timer() as timer:
        losses = train_with_sgd(
            model, corpus.X_train, corpus.y_train, learning_rate=lr, nepoch=opts.nepoch,
            evaluate_loss_after=opts.evaluate_loss_after, decay=opts.decay, log_path=log_path,
            checkpoint_path=ckpt_path, resume=opts.resume, vocab_state=corpus.vocab_state(),
            subsample_loss=opts.subsample_loss, evaluate_every=opts.evaluate_every,
            shuffle=opts.shuffle or (opts.model == "gru-theano" and not opts.no_shuffle),
            batch_size=opts.batch_size, quiet=opts.quiet, run_info=run_info,
            evaluate_at_end=opts.evaluate_at_end, overwrite=opts.overwrite,
            run_options={"seed": opts.seed, "corpus": corpus.options})
    xs, ys = curve_from_log(log_path)
    png = plot_curves([(f"{opts.model} H={model.hidden_dim}", xs, ys)],
                      os.path.join(out, "loss.png"),
                      title=f"{opts.model} on {opts.corpus} ({len(corpus)} sentences)")
    record = {
        "id": os.path.basename(os.path.normpath(opts.results_dir or out)), "package": "rnnlm",
        "what": opts.what or f"{opts.model} hidden {model.hidden_dim} training loss on "
                             f"{opts.corpus}",
        "metric": "training loss (mean cross-entropy per word, nats), last evaluation",
        "value": losses[-1][1] if losses else None, "published": opts.published,
        "published_source": opts.published_source,
        "label": opts.label or ("full" if opts.corpus == "reddit" else
                                "proxy: PTB text, reddit CSV unavailable"),
        "command": command or " ".join(sys.argv), "commit": runlog.git_commit(),
        "data": corpus.stats.get("source"), "hardware": runlog.hardware(),
        "engine": eng["engine"], "floatX": eng["floatX"], "linker": eng["linker"],
        "epochs": opts.nepoch, "seconds": round(timer.seconds, 1),
        "peak_rss_mb": round(runlog.peak_rss_mb(), 1), "losses": losses,
        "model": {"type": opts.model, **model.config()}, "learning_rate": lr,
        "sentences": len(corpus), "vocabulary_size": corpus.vocabulary_size,
    }
    write_run_json(out, dict(record), log_path, [])
    if opts.results_dir:   # all or nothing; a resumed run updates its record, keeping extras
        with open(log_path, "rb") as f, open(png, "rb") as g:
            copied = {"log.jsonl": f.read(), os.path.basename(png): g.read()}
        write_record_folder(opts.results_dir, dict(record, log="log.jsonl",
                                                   plots=[os.path.basename(png)]),
                            copied, overwrite=opts.overwrite, same_input=opts.resume,
                            option="--results-dir")
    if not opts.quiet:
        print(f"checkpoint {ckpt_path}; log {log_path}; {timer.seconds:.1f} s")
    return record


DRY_SENTENCES = 3


def dry_run(opts):
    """``rnnlm train --dry-run``: the model on the first few sentences, one SGD step and one
    loss evaluation; writes nothing (not even the corpus cache). Returns what a real run
    would do, as text."""
    corpus = load_training_corpus(opts, write_cache=False)
    lr, out = run_plan(opts)
    model = build_model(opts.model, corpus.vocabulary_size, opts)
    X, Y = corpus.X_train[:DRY_SENTENCES], corpus.y_train[:DRY_SENTENCES]
    before = float(model.calculate_loss(X, Y))
    step_kw = {} if opts.decay is None or opts.model != "gru-theano" else {"decay": opts.decay}
    model.sgd_step(X[0], Y[0], lr, **step_kw)
    after = float(model.calculate_loss(X, Y))
    eng = _engine_of(opts.model)
    shuffle = opts.shuffle or (opts.model == "gru-theano" and not opts.no_shuffle)
    return "\n".join([
        f"dry run, nothing written: {opts.model} hidden {model.hidden_dim}, bptt_truncate "
        f"{model.bptt_truncate}, vocabulary {corpus.vocabulary_size} "
        f"({eng['engine']}, linker {eng['linker']}, {eng['floatX']})",
        f"one SGD step (lr {lr}) on sentence 1: mean loss over the first {len(X)} sentences "
        f"{before:.4f} -> {after:.4f}",
        f"a real run: {opts.nepoch} epoch(s) over {len(corpus)} sentences"
        f"{' (shuffled)' if shuffle else ''}, the loss every {opts.evaluate_loss_after} "
        f"epoch(s), into {out}/ (checkpoint.npz, log.jsonl, loss.png, run.json)"
        + (f" and {opts.results_dir}/" if opts.results_dir else "")
        + (" resuming its checkpoint" if opts.resume else "")])
