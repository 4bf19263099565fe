"""TF's ``ptb_word_lm.py``: ``run_epoch`` and ``main`` (``train_lstm``), plus per-epoch JSONL, a
checkpoint every epoch, resume, and the test pass of a saved checkpoint.

Licence of the original: Apache License 2.0 (The TensorFlow Authors). See LICENSE.
"""
import math
import os
import sys
import time
from types import SimpleNamespace

import numpy as np

from rnnrepro import checkpoint, runlog, runsafe
from rnnrepro.engine import asfloat, config, describe, summary
from rnnrepro.results import write_result

from rnnlm.ptb_lstm import reader

CKPT = "checkpoint.npz"
LOG = "log.jsonl"


def _say(msg, quiet=False):
    if not quiet:
        print(msg, flush=True)


# ---------------------------------------------------------------------------------------------
# LSTM


def run_epoch(model, data, batch_size, num_steps, lr=None, rng=None, quiet=True, desc=None,
              verbose=False, start=None, every=None, on_checkpoint=None, first_window=0,
              run=None):
    """``run_epoch``: perplexity exp(costs / iters), state carried window to window.

    With ``lr`` it trains (``train_step``); without it only evaluates. Returns
    (perplexity, words, seconds), or None when ``on_checkpoint`` asked to stop.

    Mid-epoch checkpoints (training only): every ``every`` windows ``on_checkpoint(progress)``
    gets the epoch's progress (``windows`` done, the carried ``c``/``h``, the running
    ``costs``/``iters``/``words``, ``seconds``) and returns True to stop here; ``start`` is such
    a progress dict to continue from (``rng`` must then be in the state it had at that point).
    ``first_window``: the run's number of this epoch's first window (counter-drawn dropout
    masks are a function of the seed and that number: ``PTBLSTM.dropout_args``).

    The costs are read back one window late: on a GPU (JAX) reading a cost waits for its
    window, and reading the previous one instead lets the next window's dropout masks be drawn
    on the CPU while the GPU computes. Same sum, same order.
    """
    c, h = model.zero_state(batch_size)
    costs, iters, words, done, sec0 = 0.0, 0, 0, 0, 0.0
    if start:
        c, h = start["c"], start["h"]
        costs, iters, words = start["costs"], start["iters"], start["words"]
        done, sec0 = start["windows"], start["seconds"]
    n = reader.epoch_size(len(data), batch_size, num_steps)
    windows = reader.ptb_producer(data, batch_size, num_steps)
    bar = runlog.progress(None, total=n, desc=desc, quiet=quiet, unit="win", run=run)
    bar.update(done)
    pending = []

    def settle(keep):
        nonlocal costs
        while len(pending) > keep:
            costs += float(pending.pop(0))
    t0 = time.perf_counter()
    for step, (x, y) in enumerate(windows):
        if step < done:
            continue
        if lr is None:
            cost, c, h = model.evaluate(x, y, c, h)
        else:
            masks = model.dropout_args(rng, batch_size, num_steps, first_window + step)
            cost, c, h, _ = model.train_step(x, y, c, h, asfloat(lr), *masks)
        pending.append(cost)
        iters += num_steps
        words += x.size
        settle(1)
        bar.update(1)
        if bar.disable is False:
            el = time.perf_counter() - t0 + sec0
            bar.set_postfix(ppl=f"{np.exp(costs / max(iters - num_steps, 1)):.1f}",
                            wps=f"{words / max(el, 1e-9):.0f}")
        elif verbose and n >= 10 and step % (n // 10) == 10:  # the tutorial's progress line
            settle(0)
            el = time.perf_counter() - t0 + sec0
            print(f"{step * 1.0 / n:.3f} perplexity: {np.exp(costs / iters):.3f} "
                  f"speed: {words / max(el, 1e-9):.0f} wps", flush=True)
        if on_checkpoint is not None and every and (step + 1) % every == 0 and step + 1 < n:
            settle(0)
            progress = {"windows": step + 1, "c": np.asarray(c), "h": np.asarray(h),
                        "costs": costs, "iters": iters, "words": words,
                        "seconds": time.perf_counter() - t0 + sec0}
            if on_checkpoint(progress):
                bar.close()
                return None
    settle(0)
    bar.close()
    return float(np.exp(costs / iters)), words, time.perf_counter() - t0 + sec0


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
    params = {k: v for k, v in arrays.items() if k not in _EPOCH_ARRAYS}
    model = lstm.PTBLSTM(state["config"], len(vocab), params=params, compile_train=False)
    ppl, n, sec = evaluate_stream(model, {"train": train, "valid": valid, "test": test}[split])
    if not math.isfinite(ppl):   # finite weights that overflow: never print 'perplexity nan'
        raise checkpoint.CheckpointError(f"{path}: the {split} perplexity is {ppl} (the model "
                                         f"overflows); no result")
    return {"checkpoint": path, "split": split, "perplexity": ppl, "targets": n,
            "seconds": round(sec, 1), "epochs_done": state["epochs_done"],
            "trained_with": {k: state.get(k) for k in ("linker", "floatX")},
            **describe("ptb-lstm")}


def train_lstm(config_name="small", data_dir=None, out=None, max_epochs=None, resume=False,
               seed=0, quiet=False, command=None, evaluate_test=True, config_overrides=None,
               overwrite=False, checkpoint_every=None, time_limit=None, masks="numpy",
               unroll=False):
    """Train (or resume) an LSTM config on PTB; returns a summary dict.

    ``max_epochs`` stops after that many epochs in total (the learning-rate schedule is still the
    config's ``max_max_epoch`` one, so a stopped run can be resumed to completion). The run
    folder is claimed (``rnnrepro.runsafe.claim``) and ``resume`` refuses another identity.

    For jobs of limited length (a lent GPU: 10-minute commands): ``checkpoint_every`` N also
    checkpoints every N training windows inside an epoch (the carried state, the running cost
    and the dropout generator's state with it, so ``resume`` continues bit for bit), and
    ``time_limit`` (seconds from the start of this call) stops the run at the first checkpoint
    after it, with ``summary["stopped"]`` set; a later ``resume`` continues.

    For a fast device path (``PTBLSTM``): ``masks="counter"`` draws the dropout masks in the
    graph from the seed and the window number (other masks than the default numpy draw, the
    same on every linker and device), ``unroll`` writes each window out instead of ``scan``.
    """
    out = out or os.path.join("runs", f"ptb-lstm-{config_name}")  # never results/
    with runsafe.claim(out, resume=resume, overwrite=overwrite, markers=(CKPT, LOG),
                       say=lambda m: _say(m, quiet)):
        return _train_lstm(config_name, data_dir, out, max_epochs, resume, seed, quiet, command,
                           evaluate_test, config_overrides, checkpoint_every, time_limit,
                           masks, unroll)


_RNG = "rng_keys"  # the dropout generator's state in a mid-epoch checkpoint (MT19937 keys)
_EPOCH_ARRAYS = ("progress_c", "progress_h", _RNG)


def _train_lstm(config_name, data_dir, out, max_epochs, resume, seed, quiet, command,
                evaluate_test, config_overrides, checkpoint_every=None, time_limit=None,
                masks="numpy", unroll=False):
    """``main``: the data, the model (``init_run``), then per epoch the config's learning rate,
    a training ``run_epoch`` and a validation one (``train_epoch``); then the test pass."""
    t_call = time.perf_counter()
    from rnnlm.ptb_lstm import model as lstm
    cfg = dict(lstm.CONFIGS[config_name])
    cfg.update(config_overrides or {})
    data_dir = reader.resolve_data_dir(data_dir)
    data = dict(zip(("train", "valid", "test", "vocab"), reader.ptb_raw_data(data_dir)))
    reader.check_splits(data_dir, data, cfg["batch_size"], cfg["num_steps"])
    total_epochs = cfg["max_max_epoch"] if max_epochs is None else min(max_epochs,
                                                                        cfg["max_max_epoch"])
    run = init_run(out, config_name, cfg, data, seed, resume, command, total_epochs, quiet,
                   masks, unroll)
    run.total_epochs = total_epochs   # for the progress line's time left in the run
    run.out_of_time = lambda: time_limit is not None and \
        time.perf_counter() - t_call >= time_limit
    stopped = None
    for epoch in range(run.start_epoch, total_epochs):
        if epoch > run.start_epoch and run.out_of_time():
            stopped = f"after epoch {epoch}"
            break
        if not train_epoch(run, epoch, data, checkpoint_every, quiet):
            stopped = f"in epoch {epoch + 1}"
            break
    records = run.log.records()
    summary = {"epochs": len(records), "valid_perplexity": records[-1]["valid_perplexity"]
               if records else None, "seconds": run.seconds, "out": out, "records": records,
               "stopped": stopped}
    if stopped:
        _say(f"time limit: stopped {stopped} with a checkpoint in {run.ckpt_path}; continue "
             f"with --resume", quiet)
    if evaluate_test and records and not stopped:
        summary.update(test_and_record(run, data["test"], data_dir, records,
                                       summary["valid_perplexity"], quiet))
    return summary


def device_path(masks="numpy", unroll=False):
    """The device-path options that differ from the defaults, as the run identity names them
    (none for a default run, so identities of earlier runs are unchanged)."""
    return {**({"masks": masks} if masks != "numpy" else {}),
            **({"unroll": True} if unroll else {})}


def init_run(out, config_name, cfg, data, seed, resume, command, total_epochs, quiet,
             masks="numpy", unroll=False):
    """The run's identity, log, model (compiled now, so compilation stays out of the epoch
    times) and, with ``resume``, where the checkpoint left it (an epoch's end, or inside one:
    the carried state, running sums and dropout generator of ``run_epoch``)."""
    from rnnlm.ptb_lstm import model as lstm
    train, valid, test, vocab = data["train"], data["valid"], data["test"], data["vocab"]
    run = SimpleNamespace(out=out, config_name=config_name, cfg=cfg, seed=seed, vocab=vocab,
                          log=runlog.JsonlLog(os.path.join(out, LOG)),
                          ckpt_path=os.path.join(out, CKPT), start_epoch=0, seconds=0.0,
                          partial=None)
    run.identity = runsafe.run_identity(
        dict(model_type="lstm", config_name=config_name, config=cfg, seed=seed,
             **device_path(masks, unroll)),
        data=runsafe.fingerprint(train, valid, test, vocab), model="ptb-lstm")
    params, commands = None, []
    ckpt_path = run.ckpt_path
    if resume and os.path.exists(ckpt_path):
        arrays, state = checkpoint.load(ckpt_path)
        if state.get("model_type") != "lstm" or state.get("config_name") != config_name:
            raise checkpoint.CheckpointError(f"{ckpt_path}: not a {config_name} LSTM checkpoint")
        runsafe.check_resume(ckpt_path, state, run.identity)
        checkpoint.check_contents(ckpt_path, arrays, state, expect=lstm.param_shapes(
            cfg, len(vocab)), state_keys=("epochs_done",))
        if state.get("epoch_progress"):
            carried = (cfg["num_layers"], cfg["batch_size"], cfg["hidden_size"])
            checkpoint.check_contents(ckpt_path, arrays, state, expect={
                "progress_c": carried, "progress_h": carried, _RNG: (624,)})
        run.start_epoch = state["epochs_done"]
        params = {k: v for k, v in arrays.items() if k not in _EPOCH_ARRAYS}
        run.seconds = state.get("seconds", 0.0)
        commands = state.get("commands", [])
        run.log.truncate_after(run.start_epoch)
        partial = state.get("epoch_progress")
        if partial:  # a mid-epoch checkpoint: the carried state and the running sums
            run.partial = dict(partial, c=arrays["progress_c"], h=arrays["progress_h"],
                               rng=arrays[_RNG])
            _say(f"resuming {config_name} in epoch {run.start_epoch + 1} after "
                 f"{partial['windows']} windows", quiet)
        else:
            _say(f"resuming {config_name} from epoch {run.start_epoch}", quiet)
    else:
        run.log.reset()
    if run.partial and run.start_epoch >= total_epochs:  # weights from inside the next epoch
        raise runsafe.RunError(f"{ckpt_path}: the checkpoint is inside epoch "
                               f"{run.start_epoch + 1}; resume with --max-epochs above "
                               f"{run.start_epoch} to finish it")
    run.commands = commands + [command or " ".join(sys.argv)]
    with runlog.compiling(quiet):  # eagerly: keeps compilation out of the epoch times
        run.model = lstm.get_model(cfg, len(vocab), params=params, seed=seed, masks=masks,
                                   unroll=unroll)
        run.model.compile_for(cfg["batch_size"], cfg["num_steps"])
    _say(f"ptb-lstm {config_name}: vocab {len(vocab)}, train {len(train)} words, "
         f"{summary('ptb-lstm')}", quiet)
    return run


def state_record(run, epochs_done, progress=None):
    """The checkpoint's state: where the run is and what it is (its identity)."""
    st = {"model_type": "lstm", "config_name": run.config_name, "config": run.cfg,
          "epochs_done": epochs_done, "seed": run.seed, "vocab": run.vocab,
          "seconds": run.seconds, "floatX": config.floatX, "linker": run.model.linker,
          "commands": run.commands, "tokenizer": "whitespace", "identity": run.identity}
    if progress is not None:
        st["epoch_progress"] = progress
    return st


def train_epoch(run, epoch, data, checkpoint_every, quiet):
    """One epoch of ``main``'s loop: ``run_epoch`` on the training data at the config's learning
    rate (mid-epoch checkpoints every ``checkpoint_every`` windows), ``run_epoch`` on the
    validation data, the log line, the checkpoint. False when the time limit stopped it."""
    from rnnlm.ptb_lstm import model as lstm
    cfg, model = run.cfg, run.model
    lr = lstm.learning_rate(cfg, epoch)
    rng = np.random.RandomState(run.seed * 100003 + epoch + 1)  # re-derived: resume-exact
    first_window = epoch * reader.epoch_size(len(data["train"]), cfg["batch_size"],
                                             cfg["num_steps"])
    start = None
    if run.partial is not None and epoch == run.start_epoch:
        st = rng.get_state()  # ('MT19937', keys, pos, has_gauss, cached_gaussian)
        rng.set_state((st[0], run.partial["rng"], run.partial["rng_pos"],
                       run.partial["rng_has_gauss"], run.partial["rng_gauss"]))
        start = run.partial

    def on_checkpoint(progress):
        # never a diverged model in the checkpoint: the running cost covers every window
        runsafe.check_finite("the training cost", progress["costs"], epoch + 1)
        st = rng.get_state()
        record = {k: progress[k] for k in ("windows", "costs", "iters", "words", "seconds")}
        record.update(rng_pos=int(st[2]), rng_has_gauss=int(st[3]), rng_gauss=float(st[4]))
        arrays = dict(model.get_params(), progress_c=progress["c"], progress_h=progress["h"])
        arrays[_RNG] = st[1]
        checkpoint.save(run.ckpt_path, arrays, state_record(run, epoch, record))
        return run.out_of_time()

    result = run_epoch(model, data["train"], cfg["batch_size"], cfg["num_steps"], lr=lr,
                       rng=rng, quiet=quiet, desc=f"epoch {epoch + 1}", verbose=not quiet,
                       start=start, every=checkpoint_every,
                       on_checkpoint=on_checkpoint if checkpoint_every else None,
                       first_window=first_window,
                       run=(epoch, getattr(run, "total_epochs", epoch + 1)))
    if result is None:
        return False
    train_ppl, words, sec = result
    valid_ppl, _, vsec = run_epoch(model, data["valid"], cfg["batch_size"], cfg["num_steps"],
                                   quiet=quiet, desc="valid")
    runsafe.check_finite("the training perplexity", train_ppl, epoch + 1)
    runsafe.check_finite("the validation perplexity", valid_ppl, epoch + 1)
    params = model.get_params()
    runsafe.check_finite("parameter", params, epoch + 1)
    run.seconds += sec + vsec
    train_wps = words / sec
    rec = {"epoch": epoch + 1, "lr": lr, "train_perplexity": train_ppl,
           "valid_perplexity": valid_ppl, "train_seconds": round(sec, 2),
           "valid_seconds": round(vsec, 2), "words_per_second": round(train_wps, 1),
           "peak_rss_mb": round(runlog.peak_rss_mb(), 1)}
    run.log.write(rec)
    _say(f"Epoch: {epoch + 1} Learning rate: {lr:.3f} Train Perplexity: {train_ppl:.3f} "
         f"Valid Perplexity: {valid_ppl:.3f} ({train_wps:.0f} wps)", quiet)
    checkpoint.save(run.ckpt_path, params, state_record(run, epoch + 1))
    return True


def test_and_record(run, test, data_dir, records, valid_perplexity, quiet):
    """``main``'s test pass (batch 1, state carried: ``evaluate_stream``) and the run record;
    returns the summary's test fields."""
    from rnnlm.ptb_lstm import model as lstm
    cfg, config_name = run.cfg, run.config_name
    test_ppl, n, tsec = evaluate_stream(run.model, test)
    _say(f"Test Perplexity: {test_ppl:.3f} ({n} targets, {tsec:.0f} s)", quiet)
    wps = [r["words_per_second"] for r in records]
    done = len(records)
    label = "full" if done >= cfg["max_max_epoch"] else \
        f"smaller: {done} of {cfg['max_max_epoch']} epochs"
    write_result(run.out, os.path.basename(os.path.normpath(run.out)),
                 f"LSTM {config_name} (Zaremba et al. 2014 / TF PTB tutorial)", test_ppl,
                 lstm.PUBLISHED.get(config_name), lstm.PUBLISHED_SOURCE, label,
                 " ; ".join(run.commands), f"PTB simple-examples ({data_dir})", done,
                 round(run.seconds, 1), round(float(np.median(wps)), 1),
                 extra={"valid_perplexity": valid_perplexity, "config": cfg,
                        "peak_rss_mb": round(max([runlog.peak_rss_mb()] + [
                            r.get("peak_rss_mb", 0) for r in records]), 1)},
                 model="ptb-lstm")
    return {"test_perplexity": test_ppl, "test_words": n}


def dry_run(config_name="small", data_dir=None, out=None, max_epochs=None, seed=0,
            windows=2, masks="numpy", unroll=False):
    """``rnnlm ptb-lstm --dry-run``: the config's model on the first ``windows`` training
    windows, one training step and one validation pass over as many windows; writes nothing.
    Returns what a real run would do, as text."""
    from rnnlm.ptb_lstm import model as lstm
    cfg = lstm.CONFIGS[config_name]
    data_dir = reader.resolve_data_dir(data_dir)
    data = dict(zip(("train", "valid", "test", "vocab"), reader.ptb_raw_data(data_dir)))
    bs, ns = cfg["batch_size"], cfg["num_steps"]
    reader.check_splits(data_dir, data, bs, ns)
    train, valid, vocab = data["train"], data["valid"], data["vocab"]
    few = bs * (windows * ns + 1)
    model = lstm.get_model(cfg, len(vocab), seed=seed, masks=masks, unroll=unroll)
    rng = np.random.RandomState(seed * 100003 + 1)
    train_ppl, _, _ = run_epoch(model, train[:bs * (ns + 1)], bs, ns,
                                lr=lstm.learning_rate(cfg, 0), rng=rng)
    valid_ppl, _, _ = run_epoch(model, valid[:few], bs, ns)
    epochs = cfg["max_max_epoch"] if max_epochs is None else min(max_epochs,
                                                                 cfg["max_max_epoch"])
    out = out or os.path.join("runs", f"ptb-lstm-{config_name}")  # never results/
    n = reader.epoch_size(len(train), bs, ns)
    return "\n".join([
        f"dry run, nothing written: LSTM {config_name} ({cfg['num_layers']} x "
        f"{cfg['hidden_size']}, {ns} steps, batch {bs}, keep_prob {cfg['keep_prob']}), "
        f"vocabulary {len(vocab)}, {summary('ptb-lstm')}",
        f"one training window: perplexity {train_ppl:.2f}; validation on {windows} "
        f"window(s): perplexity {valid_ppl:.2f}",
        f"a real run: {epochs} epoch(s) of {n} windows ({len(train)} training words), "
        f"learning rate {cfg['learning_rate']} decayed by {cfg['lr_decay']:.4g} after epoch "
        f"{cfg['max_epoch']}, then the test pass; into {out}/ (checkpoint.npz, log.jsonl, "
        f"run.json)"])
