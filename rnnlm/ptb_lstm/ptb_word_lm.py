"""TF's ``ptb_word_lm.py``: ``run_epoch`` and ``main`` (``train_lstm``), plus per-epoch JSONL, a
checkpoint every epoch, resume, and the test pass of a saved checkpoint.

The run's folder (claim, resume with its checks, log, atomic checkpoint) is a
``rnnrepro.runfolder.RunFolder``; checkpoints inside an epoch and the time limit of short jobs
are ``shortjob.ShortJob``'s.

Licence of the original: Apache License 2.0 (The TensorFlow Authors). See LICENSE.
"""
import math
import os
import sys
import time
from dataclasses import dataclass
from typing import Optional

import numpy as np

from rnnrepro import checkpoint, engine, runlog, runsafe
from rnnrepro.engine import asfloat, describe, summary
from rnnrepro.results import write_result
from rnnrepro.runfolder import RunFolder

from rnnlm.ptb_lstm import reader, shortjob
from rnnlm.ptb_lstm.configs import CONFIGS


def _say(msg, quiet=False):
    if not quiet:
        print(msg, flush=True)


@dataclass
class Flags:
    """What TF's ``main`` reads from ``FLAGS`` (``--model``, ``--data_path``, ``--save_path``
    there; ``config_name``, ``data_dir``, ``out`` here) and this command's other options, under
    the names of ``rnnlm ptb-lstm``'s options."""
    config_name: str = "small"
    data_dir: Optional[str] = None
    out: Optional[str] = None              # default runs/ptb-lstm-<config> (never results/)
    max_epochs: Optional[int] = None       # stop after this many epochs in all (resumable)
    seed: int = 0
    resume: bool = False
    overwrite: bool = False
    quiet: bool = False
    command: Optional[str] = None          # the command line, for the run's record
    evaluate_test: bool = True             # --no-test: False
    checkpoint_every: Optional[int] = None  # short jobs: shortjob.ShortJob
    time_limit: Optional[float] = None
    masks: str = "numpy"                   # --dropout-masks (PTBLSTM: the device path)
    unroll: bool = False

    def folder(self):
        return self.out or os.path.join("runs", f"ptb-lstm-{self.config_name}")

    def epochs(self, config):
        """Epochs this run trains: the config's ``max_max_epoch`` or fewer (the learning-rate
        schedule stays the config's, so a stopped run can be resumed to completion)."""
        return config["max_max_epoch"] if self.max_epochs is None else \
            min(self.max_epochs, config["max_max_epoch"])


def get_config(config_name, overrides=None):
    """TF's ``get_config``: the named configuration (``configs.CONFIGS``), with ``overrides``."""
    return dict(CONFIGS[config_name], **(overrides or {}))


def load_data(data_dir, config):
    """``reader.ptb_raw_data`` of ``data_dir`` (``$PTBDATA`` or data/ptb when None), each split
    checked for the config's windows: (data_dir, (train, valid, test, vocab))."""
    data_dir = reader.resolve_data_dir(data_dir)
    raw_data = reader.ptb_raw_data(data_dir)
    reader.check_splits(data_dir, dict(zip(("train", "valid", "test", "vocab"), raw_data)),
                        config["batch_size"], config["num_steps"])
    return data_dir, raw_data


# ---------------------------------------------------------------------------------------------
# the tutorial's loop


def training_op(model, lr, rng, first_window=0):
    """TF's ``m.train_op`` at learning rate ``lr``, as ``run_epoch``'s ``eval_op``: one SGD step
    on window ``step`` of the epoch, with the dropout masks of the run's window
    ``first_window + step`` (drawn from ``rng``, or in the graph from the seed and that number:
    ``PTBLSTM.dropout_args``)."""
    batch_size, num_steps = model.config["batch_size"], model.config["num_steps"]
    lr = asfloat(lr)

    def train_op(x, y, c, h, step):
        masks = model.dropout_args(rng, batch_size, num_steps, first_window + step)
        cost, c, h, _ = model.train_step(x, y, c, h, lr, *masks)
        return cost, c, h
    return train_op


def run_epoch(model, data, eval_op=None, verbose=False, bar=None):
    """TF's ``run_epoch``: the state carried window to window, perplexity exp(costs / iters).

    With ``eval_op`` (``training_op``) it trains; without it only evaluates. ``bar``: a
    ``runlog.progress`` of the epoch. Returns (perplexity, words, seconds).

    The costs are read back one window late: on a GPU (JAX) reading a cost waits for its
    window, and reading the previous one instead lets the next window's dropout masks be drawn
    on the CPU while the GPU computes. Same sum, same order."""
    batch_size, num_steps = model.config["batch_size"], model.config["num_steps"]
    epoch_size = reader.epoch_size(len(data), batch_size, num_steps)
    bar = bar or runlog.progress(None, quiet=True)
    start_time = time.perf_counter()
    costs, iters, pending = 0.0, 0, None
    c, h = model.zero_state(batch_size)
    for step, (x, y) in enumerate(reader.ptb_producer(data, batch_size, num_steps)):
        if eval_op is None:
            cost, c, h = model.evaluate(x, y, c, h)
        else:
            cost, c, h = eval_op(x, y, c, h, step)
        if pending is not None:
            costs += float(pending)
        pending, iters = cost, iters + num_steps
        bar.update(1)
        wps = iters * batch_size / max(time.perf_counter() - start_time, 1e-9)
        if getattr(bar, "disable", True) is False:   # a terminal bar: the numbers on it
            bar.set_postfix(ppl=f"{np.exp(costs / max(iters - num_steps, 1)):.1f}",
                            wps=f"{wps:.0f}")
        elif verbose and epoch_size >= 10 and step % (epoch_size // 10) == 10:
            print(f"{step * 1.0 / epoch_size:.3f} perplexity: "
                  f"{np.exp((costs + float(pending)) / iters):.3f} speed: {wps:.0f} wps",
                  flush=True)
    costs += float(pending)
    bar.close()
    return float(np.exp(costs / iters)), iters * batch_size, time.perf_counter() - start_time


def epoch_bar(model, data, desc, quiet, run=None):
    """``runlog.progress`` of one ``run_epoch`` over ``data``; ``run``: (epochs done, epochs)."""
    total = reader.epoch_size(len(data), model.config["batch_size"], model.config["num_steps"])
    return runlog.progress(None, total=total, desc=desc, quiet=quiet, unit="win", run=run)


def evaluate_stream(model, data, num_steps=100):
    """The tutorial's test setting (batch_size 1, num_steps 1): every target, state carried;
    computed ``num_steps`` words per call (same numbers)."""
    c, h = model.zero_state(1)
    costs, iters = 0.0, 0
    t0 = time.perf_counter()
    for x, y in reader.stream_windows(data, num_steps):
        cost, c, h = model.evaluate(x, y, c, h)
        costs += float(cost)
        iters += x.shape[1]
    assert iters, "no target: reader.check_split refuses such a split before this"
    return float(np.exp(costs / iters)), iters, time.perf_counter() - t0


def evaluate_checkpoint(path, data_dir=None, split="test"):
    """Perplexity of a saved PTB LSTM on one split in the tutorial's test setting (batch 1,
    state carried; ``evaluate_stream``) with the engine, linker and floatX in effect: the
    cross-check of one checkpoint between machines (a GPU run's, on the CPU's C linker)."""
    from rnnlm.ptb_lstm import model as lstm
    arrays, state = checkpoint.load(path)
    if state.get("model_type") != "lstm":
        raise checkpoint.CheckpointError(f"{path}: not a PTB LSTM checkpoint")
    checkpoint.check_contents(path, arrays, state, state_keys=("config", "vocab", "epochs_done"))
    checkpoint.check_finite(path, arrays)
    data_dir = reader.resolve_data_dir(data_dir)
    train, valid, test, vocab = reader.ptb_raw_data(data_dir)
    if list(vocab) != list(state["vocab"]):
        raise checkpoint.CheckpointError(f"{path}: trained on another vocabulary than the PTB "
                                         f"files in {data_dir}")
    checkpoint.check_contents(path, arrays, state, expect=lstm.param_shapes(state["config"],
                                                                            len(vocab)))
    reader.check_split(data_dir, split, {"train": train, "valid": valid, "test": test}[split],
                       vocab, 2, "one target")
    params = {k: v for k, v in arrays.items() if k not in shortjob.EPOCH_ARRAYS}
    model = lstm.PTBLSTM(state["config"], len(vocab), params=params, compile_train=False)
    ppl, n, sec = evaluate_stream(model, {"train": train, "valid": valid, "test": test}[split])
    if not math.isfinite(ppl):   # finite weights that overflow: never print 'perplexity nan'
        raise checkpoint.CheckpointError(f"{path}: the {split} perplexity is {ppl} (the model "
                                         f"overflows); no result")
    return {"checkpoint": path, "split": split, "perplexity": ppl, "targets": n,
            "seconds": round(sec, 1), "epochs_done": state["epochs_done"],
            "trained_with": {k: state.get(k) for k in ("linker", "floatX")},
            **describe("ptb-lstm")}


def train_lstm(flags, config_overrides=None):
    """TF's ``main``: the data, the model, then per epoch the config's learning rate, a
    training ``run_epoch`` and a validation one; then the test pass (``evaluate_stream``).
    Trains (or, with ``flags.resume``, continues) ``flags.config_name`` (its values replaced by
    ``config_overrides``) in the run folder ``flags.folder()``; returns a summary dict."""
    from rnnlm.ptb_lstm import model as lstm
    job = shortjob.ShortJob(flags.checkpoint_every, flags.time_limit)  # its clock starts now
    config = get_config(flags.config_name, config_overrides)
    data_dir, raw_data = load_data(flags.data_dir, config)
    train_data, valid_data, test_data, _ = raw_data
    epoch_size = reader.epoch_size(len(train_data), config["batch_size"], config["num_steps"])
    max_epochs = flags.epochs(config)
    with RunFolder(flags.folder(), resume=flags.resume, overwrite=flags.overwrite,
                   say=lambda msg: _say(msg, flags.quiet)) as run:
        m, state = start_run(run, flags, config, raw_data, job)
        first, stopped = state["epochs_done"], None
        for i in range(first, max_epochs):
            if i > first and job.out_of_time():
                stopped = f"after epoch {i}"
                break
            lr = lstm.learning_rate(config, i)
            rng = np.random.RandomState(flags.seed * 100003 + i + 1)  # per epoch: resume-exact
            train_op = training_op(m, lr, rng, first_window=i * epoch_size)
            bar = epoch_bar(m, train_data, f"epoch {i + 1}", flags.quiet, run=(i, max_epochs))
            if job.every or job.start:   # checkpoints inside the epoch (shortjob.py)
                train = job.run_epoch(m, train_data, train_op, rng, verbose=not flags.quiet,
                                      bar=bar, save=mid_epoch_save(run, m, state, i))
            else:
                train = run_epoch(m, train_data, train_op, verbose=not flags.quiet, bar=bar)
            if train is None:
                stopped = f"in epoch {i + 1}"
                break
            valid = run_epoch(m, valid_data, bar=epoch_bar(m, valid_data, "valid", flags.quiet))
            end_epoch(run, m, state, lr, train, valid, flags.quiet)
        records = run.log.records()
        result = {"epochs": len(records), "valid_perplexity": records[-1]["valid_perplexity"]
                  if records else None, "seconds": state["seconds"], "out": run.folder,
                  "records": records, "stopped": stopped}
        if stopped:
            _say(f"time limit: stopped {stopped} with a checkpoint in {run.ckpt_path}; "
                 f"continue with --resume", flags.quiet)
        elif flags.evaluate_test and records:
            result.update(test_and_record(run, m, state, test_data, data_dir, flags.quiet))
    return result


def device_path(masks="numpy", unroll=False):
    """The device-path options that differ from the defaults, as the run identity names them
    (none for a default run, so identities of earlier runs are unchanged)."""
    return {**({"masks": masks} if masks != "numpy" else {}),
            **({"unroll": True} if unroll else {})}


def start_run(run, flags, config, raw_data, job):
    """The model (compiled now, so compilation stays out of the epoch times) and the
    checkpoint's state (``state["epochs_done"]``: where the loop starts); with ``resume``,
    where the checkpoint left the run (an epoch's end, or inside one: ``job.start``)."""
    from rnnlm.ptb_lstm import model as lstm
    vocab, name = raw_data[3], flags.config_name
    state = {"model_type": "lstm", "config_name": name, "config": config, "epochs_done": 0,
             "seed": flags.seed, "vocab": vocab, "seconds": 0.0,
             "floatX": engine.config.floatX, "linker": None, "commands": [],
             "tokenizer": "whitespace"}

    def same_kind(arrays, saved):
        if saved.get("model_type") != "lstm" or saved.get("config_name") != name:
            raise checkpoint.CheckpointError(f"{run.ckpt_path}: not a {name} LSTM checkpoint")
    identity = runsafe.run_identity(
        dict(model_type="lstm", config_name=name, config=config, seed=flags.seed,
             **device_path(flags.masks, flags.unroll)),
        data=runsafe.fingerprint(*raw_data), model="ptb-lstm")
    saved = run.restore(identity, expect=lstm.param_shapes(config, len(vocab)),
                        state_keys=("epochs_done",), check=same_kind)
    params = None
    if saved:
        arrays, saved_state = saved
        job.start = shortjob.restore(run.ckpt_path, arrays, saved_state, config)
        params = {k: v for k, v in arrays.items() if k not in shortjob.EPOCH_ARRAYS}
        state.update({k: saved_state.get(k, state[k]) for k in ("epochs_done", "seconds",
                                                                 "commands")})
        run.log.truncate_after(state["epochs_done"])
        _say(f"resuming {name} in epoch {state['epochs_done'] + 1} after "
             f"{job.start['windows']} windows" if job.start else
             f"resuming {name} from epoch {state['epochs_done']}", flags.quiet)
    if job.start and state["epochs_done"] >= flags.epochs(config):  # weights from inside
        raise runsafe.RunError(f"{run.ckpt_path}: the checkpoint is inside epoch "
                               f"{state['epochs_done'] + 1}; resume with --epochs above "
                               f"{state['epochs_done']} to finish it")
    state["commands"] = state["commands"] + [flags.command or " ".join(sys.argv)]
    with runlog.compiling(flags.quiet):  # eagerly: keeps compilation out of the epoch times
        m = lstm.get_model(config, len(vocab), params=params, seed=flags.seed,
                           masks=flags.masks, unroll=flags.unroll)
        m.compile_for(config["batch_size"], config["num_steps"])
    state["linker"] = m.linker
    _say(f"ptb-lstm {name}: vocab {len(vocab)}, train {len(raw_data[0])} words, "
         f"{summary('ptb-lstm')}", flags.quiet)
    return m, state


def mid_epoch_save(run, model, state, epoch):
    """``ShortJob.run_epoch``'s ``save``: the weights, the epoch's progress arrays and record
    in the checkpoint (never a diverged model: the running cost covers every window)."""
    def save(arrays, progress):
        runsafe.check_finite("the training cost", progress["costs"], epoch + 1)
        run.save(dict(model.get_params(), **arrays),
                 dict(state, epochs_done=epoch, epoch_progress=progress))
    return save


def end_epoch(run, model, state, lr, train, valid, quiet):
    """The end of an epoch of ``main``'s loop: the checks (never a diverged model kept), the
    log line, the tutorial's print, the checkpoint."""
    epoch = state["epochs_done"] + 1
    (train_perplexity, words, sec), (valid_perplexity, _, vsec) = train, valid
    runsafe.check_finite("the training perplexity", train_perplexity, epoch)
    runsafe.check_finite("the validation perplexity", valid_perplexity, epoch)
    params = model.get_params()
    runsafe.check_finite("parameter", params, epoch)
    state["seconds"] += sec + vsec
    run.log.write({"epoch": epoch, "lr": lr, "train_perplexity": train_perplexity,
                   "valid_perplexity": valid_perplexity, "train_seconds": round(sec, 2),
                   "valid_seconds": round(vsec, 2), "words_per_second": round(words / sec, 1),
                   "peak_rss_mb": round(runlog.peak_rss_mb(), 1)})
    _say(f"Epoch: {epoch} Learning rate: {lr:.3f} Train Perplexity: {train_perplexity:.3f} "
         f"Valid Perplexity: {valid_perplexity:.3f} ({words / sec:.0f} wps)", quiet)
    state["epochs_done"] = epoch
    run.save(params, state)


def test_and_record(run, model, state, test_data, data_dir, quiet):
    """``main``'s test pass (batch 1, state carried: ``evaluate_stream``) and the run record;
    returns the summary's test fields."""
    from rnnlm.ptb_lstm import model as lstm
    config, name, records = state["config"], state["config_name"], run.log.records()
    test_perplexity, n, tsec = evaluate_stream(model, test_data)
    _say(f"Test Perplexity: {test_perplexity:.3f} ({n} targets, {tsec:.0f} s)", quiet)
    done = len(records)
    label = "full" if done >= config["max_max_epoch"] else \
        f"smaller: {done} of {config['max_max_epoch']} epochs"
    write_result(run.folder, os.path.basename(os.path.normpath(run.folder)),
                 f"LSTM {name} (Zaremba et al. 2014 / TF PTB tutorial)", test_perplexity,
                 lstm.PUBLISHED.get(name), lstm.PUBLISHED_SOURCE, label,
                 " ; ".join(state["commands"]), f"PTB simple-examples ({data_dir})", done,
                 round(state["seconds"], 1),
                 round(float(np.median([r["words_per_second"] for r in records])), 1),
                 extra={"valid_perplexity": records[-1]["valid_perplexity"], "config": config,
                        "peak_rss_mb": round(max([runlog.peak_rss_mb()] + [
                            r.get("peak_rss_mb", 0) for r in records]), 1)},
                 model="ptb-lstm")
    return {"test_perplexity": test_perplexity, "test_words": n}


def dry_run(flags, windows=2):
    """``rnnlm ptb-lstm --dry-run``: the config's model on the first ``windows`` training
    windows, one training step and one validation pass over as many windows; writes nothing.
    Returns what a real run would do, as text."""
    from rnnlm.ptb_lstm import model as lstm
    cfg = get_config(flags.config_name)
    data_dir, (train, valid, _, vocab) = load_data(flags.data_dir, cfg)
    bs, ns = cfg["batch_size"], cfg["num_steps"]
    model = lstm.get_model(cfg, len(vocab), seed=flags.seed, masks=flags.masks,
                           unroll=flags.unroll)
    rng = np.random.RandomState(flags.seed * 100003 + 1)
    train_ppl, _, _ = run_epoch(model, train[:bs * (ns + 1)],
                                training_op(model, lstm.learning_rate(cfg, 0), rng))
    valid_ppl, _, _ = run_epoch(model, valid[:bs * (windows * ns + 1)])
    n = reader.epoch_size(len(train), bs, ns)
    return "\n".join([
        f"dry run, nothing written: LSTM {flags.config_name} ({cfg['num_layers']} x "
        f"{cfg['hidden_size']}, {ns} steps, batch {bs}, keep_prob {cfg['keep_prob']}), "
        f"vocabulary {len(vocab)}, {summary('ptb-lstm')}",
        f"one training window: perplexity {train_ppl:.2f}; validation on {windows} "
        f"window(s): perplexity {valid_ppl:.2f}",
        f"a real run: {flags.epochs(cfg)} epoch(s) of {n} windows ({len(train)} training "
        f"words), learning rate {cfg['learning_rate']} decayed by {cfg['lr_decay']:.4g} after "
        f"epoch {cfg['max_epoch']}, then the test pass; into {flags.folder()}/ "
        f"(checkpoint.npz, log.jsonl, run.json)"])
