"""``train_with_sgd``: the tutorial's outer SGD loop, plus logs, checkpoints and resume.

Faithful to part 2: at the start of every ``evaluate_loss_after``-th epoch the loss on the
training data is evaluated and recorded as ``(num_examples_seen, loss)``; if it went up since
the previous evaluation the learning rate is halved; then one pass of per-sentence steps in
corpus order. (So ``nepoch=10, evaluate_loss_after=1`` gives 10 losses, the first one at 0
examples seen, and none after the last epoch: the tutorial's published 10 numbers.)

``train_with_sgd`` keeps the tutorial's signature, names and order of steps. What it adds
comes in two objects: ``TrainOptions`` (intra-epoch monitoring evaluations,
``evaluate_every``, which never change the learning rate; evaluation on the first
``subsample_loss`` sentences and per-epoch shuffling, both part 4's; an opt-in mini-batch mode,
see ``RNNTheano.sgd_step_batch`` for how it changes the algorithm; a last evaluation) and
``TrainRun``, the run's bookkeeping: in a ``rnnrepro.runfolder.RunFolder``, a JSON-lines record
per evaluation, an atomic checkpoint after every epoch (the tutorial's npz layout plus where the
training stands) and resume from it.

``train_run`` is what ``rnnlm train`` does with the corpus, model and options its command line
built: ``train_with_sgd`` in a run folder, then the loss plot and the run record.

Licence of the original: Apache License 2.0 (rnn-tutorial-rnnlm, Denny Britz); rnn-tutorial-gru-lstm's train.py states none. See LICENSE.
"""
import dataclasses
import os
import sys
import time
from datetime import datetime
from typing import Optional

import numpy as np

from rnnrepro import checkpoint as ckpt
from rnnrepro import runlog, runsafe
from rnnrepro.runfolder import RunFolder


def model_arrays(model):
    if hasattr(model, "mE"):
        return model.get_parameters(with_cache=True)
    return model.get_parameters()


def _rng_state_to_json():
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return [name, keys.tolist(), int(pos), int(has_gauss), float(cached)]


def _rng_state_from_json(st):
    name, keys, pos, has_gauss, cached = st
    np.random.set_state((name, np.array(keys, dtype=np.uint32), pos, has_gauss, cached))


@dataclasses.dataclass
class TrainOptions:
    """What ``rnnlm train`` adds to the tutorial's ``train_with_sgd`` (all off by default)."""
    decay: Optional[float] = None         # GRUTheano's RMSProp decay (None: its default 0.9)
    subsample_loss: Optional[int] = None  # evaluate on the first N sentences only (part 4)
    evaluate_every: Optional[int] = None  # also a monitoring loss every N examples
    shuffle: bool = False                 # a new order of the sentences every epoch (part 4)
    batch_size: Optional[int] = None      # opt-in mini-batches (RNNTheano.sgd_step_batch)
    evaluate_at_end: bool = False         # one more loss after the last epoch (kind "final")
    quiet: bool = False                   # no progress bars or loss lines


def train_with_sgd(model, X_train, y_train, learning_rate=0.005, nepoch=100,
                   evaluate_loss_after=5, options=None, run=None):
    """The tutorial's outer SGD loop; trains ``model`` in place, returns the list of
    ``(num_examples_seen, loss)``.

    ``options``: a ``TrainOptions`` (what the tutorial does not have). ``run``: a ``TrainRun``
    that keeps the log, checkpoint and resume of a run folder (default: none of them).
    """
    options = options or TrainOptions()
    run = run or TrainRun()
    step = {} if options.decay is None else {"decay": options.decay}
    # We keep track of the losses so we can plot them later (resumed: the checkpoint's)
    first_epoch, losses, num_examples_seen, learning_rate = run.start(
        model, X_train, y_train, learning_rate, evaluate_loss_after, options)
    compile_now(model, X_train, y_train, step, options.quiet)
    for epoch in range(first_epoch, nepoch):
        # Optionally evaluate the loss
        if epoch % evaluate_loss_after == 0:
            loss = run.loss(model, epoch, num_examples_seen, learning_rate)
            losses.append((num_examples_seen, loss))
            time = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
            run.say("%s: Loss after num_examples_seen=%d epoch=%d: %f"
                    % (time, num_examples_seen, epoch, loss))
            # Adjust the learning rate if loss increases
            if len(losses) > 1 and losses[-1][1] > losses[-2][1]:
                learning_rate = learning_rate * 0.5
                run.say("Setting learning rate to %f" % learning_rate)
            sys.stdout.flush()
        # For each training example... (part 4: in a new random order every epoch)
        n = len(y_train)
        order = np.random.permutation(n) if options.shuffle else np.arange(n)
        if options.batch_size and options.batch_size > 1:
            # not the tutorial: one step on the summed gradient of batch_size sentences
            batches = [order[i:i + options.batch_size] for i in range(0, n, options.batch_size)]
            for b in run.progress(batches, epoch, nepoch, "batch"):
                model.sgd_step_batch([X_train[i] for i in b], [y_train[i] for i in b],
                                     learning_rate)
                num_examples_seen += len(b)
        else:
            for i in run.progress(order, epoch, nepoch, "sent"):
                # One SGD step
                model.sgd_step(X_train[i], y_train[i], learning_rate, **step)
                num_examples_seen += 1
                if options.evaluate_every and num_examples_seen % options.evaluate_every == 0:
                    loss = run.loss(model, epoch, num_examples_seen, learning_rate, "monitor")
                    run.say("  monitor: num_examples_seen=%d loss %f" % (num_examples_seen, loss))
        # Saving model parameters (the tutorial: at each evaluation; here after every epoch,
        # with where the training stands, so that a run can resume)
        run.save(model, epoch, losses, num_examples_seen, learning_rate)
    if options.evaluate_at_end:   # not in the tutorial: its last loss is before the last epoch
        loss = run.loss(model, nepoch, num_examples_seen, learning_rate, "final")
        losses.append((num_examples_seen, loss))
        run.say("Final loss after num_examples_seen=%d: %f" % (num_examples_seen, loss))
    return losses


def compile_now(model, X_train, y_train, step, quiet):
    """Graph models compile lazily: do it now, visibly, and out of the epoch times (Numba
    compiles at the first call: one call of each on the first sentence, parameters put back)."""
    if not hasattr(model, "compile_training"):
        return   # RNNNumpy: nothing to compile
    from rnnrepro.engine import linker
    with runlog.compiling(quiet):
        model.compile_training()
        if len(X_train) and linker(model.model_type) != "c":
            saved = model_arrays(model)
            model.ce_error(X_train[0], y_train[0])
            model.sgd_step(X_train[0], y_train[0], 0.0, **step)
            model.set_parameters(saved)


class TrainRun:
    """The bookkeeping around ``train_with_sgd``'s loop, so that the loop reads like the
    tutorial's: where the run stands when it starts, the loss records, progress and training
    time, the finiteness checks, and (given ``folder``, an entered
    ``rnnrepro.runfolder.RunFolder``) the JSON-lines log, checkpoint and resume.

    ``state``: more of the run that every checkpoint holds (the vocabulary, the corpus);
    ``run_options``: more of the run's identity (the seed, the corpus options). A NaN or
    infinite loss or parameter stops training with ``runsafe.NonFiniteError`` before the epoch
    is logged or saved.
    """

    def __init__(self, folder=None, state=None, run_options=None):
        self.folder, self.state, self.run_options = folder, state or {}, run_options or {}
        self.quiet, self.shuffle = False, False
        self.train_seconds, self._clock = 0.0, None
        self.X_eval = self.y_eval = None

    def say(self, line):
        if not self.quiet:
            print(line)

    def start(self, model, X_train, y_train, learning_rate, evaluate_loss_after, options):
        """``(first epoch, losses, num_examples_seen, learning_rate)``: the start of a fresh
        run, or with ``--resume`` the checkpoint's (parameters, RMSProp caches and RNG state
        restored too; the log cut back to the checkpointed epoch, so a killed-and-resumed run
        logs the same as an uninterrupted one)."""
        self.quiet, self.shuffle = options.quiet, options.shuffle
        n = options.subsample_loss
        self.X_eval, self.y_eval = (X_train[:n], y_train[:n]) if n else (X_train, y_train)
        if self.folder is None:
            return 0, [], 0, learning_rate
        identity = runsafe.run_identity(
            dict(self.run_options, model_type=model.model_type, model=model.config(),
                 learning_rate=learning_rate, evaluate_loss_after=evaluate_loss_after,
                 **{k: v for k, v in dataclasses.asdict(options).items()
                    if k not in ("evaluate_at_end", "quiet")}),
            data=runsafe.fingerprint(X_train, y_train, self.state.get("index_to_word")),
            symbolic=model.model_type != "rnn-numpy", model=model.model_type)
        saved = self.folder.restore(
            identity, expect={k: np.shape(v) for k, v in model_arrays(model).items()},
            state_keys=("training",), check=lambda arrays, state: check_kind(
                self.folder.ckpt_path, state, model))
        if saved is None:
            return 0, [], 0, learning_rate
        arrays, state = saved
        model.set_parameters(arrays)
        tr = state["training"]
        self.train_seconds = tr.get("seconds", 0.0)
        if tr.get("rng"):
            _rng_state_from_json(tr["rng"])
        self.folder.log.truncate_after(tr["epochs_done"] - 1)
        self.say(f"Resumed from {self.folder.ckpt_path}: {tr['epochs_done']} epoch(s) done, "
                 f"{tr['num_examples_seen']} examples seen, learning rate {tr['learning_rate']}")
        return (tr["epochs_done"], [tuple(l) for l in tr["losses"]], tr["num_examples_seen"],
                tr["learning_rate"])

    def loss(self, model, epoch, num_examples_seen, learning_rate, kind="epoch"):
        """``model.calculate_loss`` on the training data (its first ``subsample_loss``
        sentences), checked finite and logged; its time is kept out of ``train_seconds``."""
        t0 = time.perf_counter()
        if self._clock is not None:
            self.train_seconds += t0 - self._clock
        loss = float(model.calculate_loss(self.X_eval, self.y_eval))
        runsafe.check_finite("the training-data loss", loss, epoch)
        if self.folder:
            self.folder.log.write({
                "epoch": epoch, "num_examples_seen": num_examples_seen, "loss": loss,
                "learning_rate": learning_rate, "kind": kind,
                "train_seconds": round(self.train_seconds, 3),
                "eval_seconds": round(time.perf_counter() - t0, 3)})
        if self._clock is not None:
            self._clock = time.perf_counter()
        return loss

    def progress(self, items, epoch, nepoch, unit):
        """``items`` with a progress bar (the epoch's place in the run for its time left),
        their time counted in ``train_seconds``."""
        self._clock = time.perf_counter()
        yield from runlog.progress(items, total=len(items), desc=f"epoch {epoch}",
                                   quiet=self.quiet, unit=unit, run=(epoch, nepoch))
        self.train_seconds += time.perf_counter() - self._clock
        self._clock = None

    def save(self, model, epoch, losses, num_examples_seen, learning_rate):
        """After an epoch: the parameters checked finite, and the checkpoint (the tutorial's
        npz layout ``U, V, W`` / ``E, U, W, V, b, c`` plus where the training stands)."""
        if hasattr(model, "get_parameters"):
            runsafe.check_finite("parameter", model_arrays(model), epoch)
        if not self.folder:
            return
        from rnnrepro.engine import describe
        training = {"epochs_done": epoch + 1, "num_examples_seen": num_examples_seen,
                    "learning_rate": learning_rate, "losses": losses,
                    "seconds": self.train_seconds,
                    "rng": _rng_state_to_json() if self.shuffle else None}
        self.folder.save(model_arrays(model), {
            "model_type": model.model_type, "config": model.config(),
            **describe(model.model_type), "training": training, **self.state})


def check_kind(path, state, model):
    """Refuse a checkpoint of another model type."""
    if state.get("model_type") != model.model_type:
        raise ckpt.CheckpointError(f"{path}: a {state.get('model_type')} checkpoint, "
                                   f"not {model.model_type}")


# ---------------------------------------------------------------------------------------------
# What ``rnnlm train`` does (the command line builds the corpus, the model and the options)

DEFAULT_LR = {"rnn-numpy": 0.005, "rnn-theano": 0.005, "gru-theano": 0.001}


def default_out_dir(kind):
    """``runs/rnnlm-<model>-<date>-<time>``: where a run goes without ``--out``."""
    return os.path.join("runs", f"rnnlm-{kind}-{time.strftime('%Y%m%d-%H%M%S')}")


def build_model(kind, word_dim, seed=10, hidden_dim=None, bptt_truncate=None,
                per_output_dv=False):
    """``np.random.seed(seed)`` then the tutorial's model: RNNNumpy / RNNTheano (bptt_truncate
    4 unless given) or GRUTheano (full BPTT unless ``bptt_truncate`` is given)."""
    np.random.seed(seed)
    truncate = 4 if bptt_truncate is None else bptt_truncate
    if kind == "rnn-numpy":
        from rnnlm.wildml.rnn_numpy import RNNNumpy
        return RNNNumpy(word_dim, hidden_dim=hidden_dim or 100, bptt_truncate=truncate)
    if kind == "rnn-theano":
        from rnnlm.wildml.rnn_theano import RNNTheano
        return RNNTheano(word_dim, hidden_dim=hidden_dim or 100, bptt_truncate=truncate,
                         faithful_truncation=not per_output_dv)
    from rnnlm.wildml.gru_theano import GRUTheano
    bt = -1 if bptt_truncate is None else bptt_truncate
    return GRUTheano(word_dim, hidden_dim=hidden_dim or 128, bptt_truncate=bt)


def _engine_of(kind):
    if kind == "rnn-numpy":
        return {"engine": "numpy", "floatX": "float64", "linker": None}
    from rnnrepro.engine import describe
    return describe(kind)


@dataclasses.dataclass
class RunPlan:
    """Where a ``rnnlm train`` run goes and what its record says beyond the numbers."""
    out_dir: str                             # the run folder (checkpoint, log, loss.png, run.json)
    resume: bool = False                     # continue the run there
    overwrite: bool = False                  # replace the run there
    seed: Optional[int] = None               # np.random.seed before the model: in the identity
    results_dir: Optional[str] = None        # also the record there (all or nothing)
    command: Optional[str] = None            # default: sys.argv
    what: Optional[str] = None
    label: Optional[str] = None
    published: Optional[float] = None
    published_source: Optional[str] = None


def train_run(model, corpus, learning_rate, nepoch, evaluate_loss_after, options, plan):
    """``rnnlm train``: ``train_with_sgd`` in the run folder ``plan.out_dir`` (checkpoint, log,
    loss.png, run.json), and the run record in ``plan.results_dir`` when given. Returns the
    record."""
    from rnnlm.plot import curve_from_log, plot_curves
    from rnnrepro.results import write_record_folder, write_run_json
    kind, out = model.model_type, plan.out_dir
    eng = _engine_of(kind)
    if not options.quiet:
        print(f"{kind}: word_dim={corpus.vocabulary_size} hidden_dim={model.hidden_dim} "
              f"bptt_truncate={model.bptt_truncate} sentences={len(corpus)} lr={learning_rate} "
              f"engine={eng['engine']} linker={eng['linker']} floatX={eng['floatX']} -> {out}")
    folder = RunFolder(out, resume=plan.resume, overwrite=plan.overwrite,
                       say=None if options.quiet else print)
    run = TrainRun(folder, state={**corpus.vocab_state(), "corpus": corpus.options,
                                  "corpus_stats": corpus.stats},
                   run_options={"seed": plan.seed, "corpus": corpus.options})
    with runlog.Timer() as timer, folder:
        losses = train_with_sgd(model, corpus.X_train, corpus.y_train, learning_rate, nepoch,
                                evaluate_loss_after, options, run)
    log_path = folder.log.path
    xs, ys = curve_from_log(log_path)
    png = plot_curves([(f"{kind} H={model.hidden_dim}", xs, ys)],
                      os.path.join(out, "loss.png"),
                      title=f"{kind} on {corpus.options['corpus']} ({len(corpus)} sentences)")
    record = run_record(plan, model, corpus, losses, learning_rate, nepoch, timer.seconds)
    write_run_json(out, dict(record), log_path, [])
    if plan.results_dir:   # all or nothing; a resumed run updates its record, keeping extras
        with open(log_path, "rb") as f, open(png, "rb") as g:
            copied = {"log.jsonl": f.read(), os.path.basename(png): g.read()}
        write_record_folder(plan.results_dir, dict(record, log="log.jsonl",
                                                   plots=[os.path.basename(png)]),
                            copied, overwrite=plan.overwrite, same_input=plan.resume,
                            option="--results-dir")
    if not options.quiet:
        print(f"checkpoint {folder.ckpt_path}; log {log_path}; {timer.seconds:.1f} s")
    return record


def run_record(plan, model, corpus, losses, learning_rate, nepoch, seconds):
    """The run's record (``run.json``; see ``rnnrepro.results``)."""
    kind, name = model.model_type, corpus.options["corpus"]
    eng = _engine_of(kind)
    return {
        "id": os.path.basename(os.path.normpath(plan.results_dir or plan.out_dir)),
        "package": "rnnlm",
        "what": plan.what or f"{kind} hidden {model.hidden_dim} training loss on {name}",
        "metric": "training loss (mean cross-entropy per word, nats), last evaluation",
        "value": losses[-1][1] if losses else None, "published": plan.published,
        "published_source": plan.published_source,
        "label": plan.label or ("full" if name == "reddit" else
                                "proxy: PTB text, reddit CSV unavailable"),
        "command": plan.command or " ".join(sys.argv), "commit": runlog.git_commit(),
        "data": corpus.stats.get("source"), "hardware": runlog.hardware(),
        "engine": eng["engine"], "floatX": eng["floatX"], "linker": eng["linker"],
        "epochs": nepoch, "seconds": round(seconds, 1),
        "peak_rss_mb": round(runlog.peak_rss_mb(), 1), "losses": losses,
        "model": {"type": kind, **model.config()}, "learning_rate": learning_rate,
        "sentences": len(corpus), "vocabulary_size": corpus.vocabulary_size,
    }


DRY_SENTENCES = 3


def dry_run(model, corpus, learning_rate, nepoch, evaluate_loss_after, options, plan):
    """``rnnlm train --dry-run``: one SGD step and one loss evaluation on the first few
    sentences; writes nothing (the command reads no corpus cache it would write). Returns what
    a real run would do, as text."""
    X, Y = corpus.X_train[:DRY_SENTENCES], corpus.y_train[:DRY_SENTENCES]
    before = float(model.calculate_loss(X, Y))
    gru = model.model_type == "gru-theano"
    step = {"decay": options.decay} if gru and options.decay is not None else {}
    model.sgd_step(X[0], Y[0], learning_rate, **step)
    after = float(model.calculate_loss(X, Y))
    eng = _engine_of(model.model_type)
    return "\n".join([
        f"dry run, nothing written: {model.model_type} hidden {model.hidden_dim}, bptt_truncate "
        f"{model.bptt_truncate}, vocabulary {corpus.vocabulary_size} "
        f"({eng['engine']}, linker {eng['linker']}, {eng['floatX']})",
        f"one SGD step (lr {learning_rate}) on sentence 1: mean loss over the first {len(X)} "
        f"sentences {before:.4f} -> {after:.4f}",
        f"a real run: {nepoch} epoch(s) over {len(corpus)} sentences"
        f"{' (shuffled)' if options.shuffle else ''}, the loss every {evaluate_loss_after} "
        f"epoch(s), into {plan.out_dir}/ (checkpoint.npz, log.jsonl, loss.png, run.json)"
        + (f" and {plan.results_dir}/" if plan.results_dir else "")
        + (" resuming its checkpoint" if plan.resume else "")])
