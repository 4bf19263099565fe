"""``RNNTrainer`` (``train.lua``): the SCRN / SRN training loop on PTB, epoch by epoch.

    rnnlm scrn --hidden 100 --slow 40 --bptt 10 --data-dir data/ptb     # SCRN
    rnnlm scrn --hidden 100 --slow 0 --data-dir data/ptb                # the same-size SRN

``run`` is ``RNNTrainer:run``: train one epoch (``run_epoch_train``), measure the validation
entropy (``run_epoch_val``, base 2), and if it is worse than the last accepted one times
``shrink_factor`` (0.9999), divide the learning rate by 1.2 and go back to the last accepted
model; else accept this one. No stopping rule: ``n_epochs`` epochs (default 100). Kept oddity:

* Original: ``self.model = last_model or self.model`` makes the model *be* the saved copy, so
  until the next accepted epoch trains on and a second worse epoch in a row reverts to
  nothing (the weights stay as trained). ``aliased`` in the state says so.

Data as ``datasource.lua`` ``get_shard``: each split cut into ``batch_size`` contiguous
columns (``reader.batchify`` transposed), inputs its rows 1..T-1, labels rows 2..T;
validation and test run batched too, from the initial state 0.1. Around the loop,
``RunFolder``: log.jsonl per epoch, checkpoint every epoch (resume equals an uninterrupted
run: nothing is random after the initial weights), and the results record at the end.
"""
import dataclasses
import functools
import math
import os
import time

import numpy as np

from rnnrepro import runlog, runsafe
from rnnrepro.results import write_result
from rnnrepro.runfolder import RunFolder
from rnnlm.ptb_lstm import reader
from rnnlm.scrn.config import PUBLISHED, PUBLISHED_SOURCE, Config

VALID_STEPS = 100   # steps per call of the forward-only function (any number: same sums)
NAN_CHECK = 200     # blocks between two checks of the training cost (train.lua: 1000 steps)


def model_name(cfg):
    return f"SCRN {cfg.n_hidden}+{cfg.n_slow}" if cfg.n_slow else f"SRN {cfg.n_hidden}"


def default_out(cfg):
    return os.path.join("runs", f"scrn-h{cfg.n_hidden}-s{cfg.n_slow}")


def load_shards(data_dir, batch_size, train_words=None):
    """``get_shard`` of each split: (T, batch_size) word ids; ``train_words``: a prefix of
    the training stream (a shorter run, labelled so), and the vocabulary size."""
    data_dir = reader.resolve_data_dir(data_dir)
    train, valid, test, vocab = reader.ptb_raw_data(data_dir)
    if train_words:
        train = train[:train_words]
    data = {"train": train, "valid": valid, "test": test, "vocab": vocab}
    for split in ("train", "valid", "test"):
        reader.check_split(data_dir, split, data[split], vocab, 2 * batch_size,
                           f"two rows of batch_size {batch_size} columns")
    shards = {s: reader.batchify(data[s], batch_size).T.copy() for s in reader.SPLITS}
    return shards, len(vocab), data_dir


def run_epoch_train(model, shard, learning_rate, bar):
    """``run_epoch_train``: (entropy base 2 of the training words, words). ``bar`` wraps the
    range of blocks (a progress bar)."""
    model.reset()
    inputs, labels = shard[:-1], shard[1:]
    F = model.cfg.backprop_freq
    blocks = len(inputs) // F
    total_err, n_total = 0.0, 0
    for i in bar(range(blocks)):
        s = slice(i * F, (i + 1) * F)
        total_err += model.new_inputs_train(inputs[s], labels[s], learning_rate)
        n_total += inputs[s].size
        if (i + 1) % NAN_CHECK == 0:   # train.lua: 'Not a Number detected'
            runsafe.check_finite("the training cost", total_err)
    if blocks * F < len(inputs):   # Original: the epoch's last steps run forward only
        err, n = model.test(inputs[blocks * F:], labels[blocks * F:])
        total_err, n_total = total_err + err, n_total + n
    return total_err / n_total / math.log(2), inputs.size


def run_epoch_val(model, shard):
    """``run_epoch_val``: entropy base 2 of a split, batched, from the initial state."""
    model.reset()
    inputs, labels = shard[:-1], shard[1:]
    total_err, total_n = 0.0, 0
    for i in range(0, len(inputs), VALID_STEPS):
        err, n = model.test(inputs[i:i + VALID_STEPS], labels[i:i + VALID_STEPS])
        total_err, total_n = total_err + err, total_n + n
    return total_err / total_n / math.log(2)


@dataclasses.dataclass
class Schedule:
    """``RNNTrainer``'s state between epochs: ``training_params.learning_rate``,
    ``last_val_err``, ``last_model`` (arrays, or None) and whether the model *is* it."""
    learning_rate: float
    last_val_err: float = 1e30
    last_model: dict = None
    aliased: bool = False

    def step(self, cfg, val_err, model):
        """The end of ``RNNTrainer:run``'s epoch ('slow' annealing, the default): True when
        the learning rate was divided."""
        if val_err > self.last_val_err * cfg.shrink_factor:
            self.learning_rate /= cfg.learning_rate_shrink
            if self.last_model is not None and not self.aliased:
                model.set_params(self.last_model)   # self.model = last_model
                self.aliased = True    # Original: the model now *is* last_model
            return True
        self.last_val_err, self.last_model, self.aliased = val_err, model.get_params(), False
        return False


def run(model, shards, folder, sched, first_epoch, quiet=False):
    """``RNNTrainer:run``: epochs ``first_epoch`` .. ``n_epochs``; each logged and
    checkpointed in ``folder`` (a ``RunFolder``). Returns the epochs' log records."""
    cfg, records = model.cfg, []
    for i in range(first_epoch, cfg.n_epochs + 1):
        timer = time.time()
        bar = functools.partial(runlog.progress, desc=f"epoch {i}", quiet=quiet, unit="block",
                                run=(i - 1, cfg.n_epochs))
        train_err, n_words = run_epoch_train(model, shards["train"], sched.learning_rate, bar)
        seconds = time.time() - timer
        val_err = run_epoch_val(model, shards["valid"])
        runsafe.check_finite("the training entropy", train_err, i)
        runsafe.check_finite("the validation entropy", val_err, i)
        learning_rate = sched.learning_rate
        shrunk = sched.step(cfg, val_err, model)
        rec = {"epoch": i, "learning_rate": learning_rate, "train_entropy": train_err,
               "train_perplexity": 2 ** train_err, "valid_entropy": val_err,
               "valid_perplexity": 2 ** val_err, "shrunk": shrunk, "seconds": seconds,
               "words_per_second": n_words / seconds}
        runlog.say(f"Epoch: {i}. Training time: {seconds:.2f}s. Words/s: {n_words / seconds:.2f}"
                   f" | train ppl {2 ** train_err:.2f} | valid ppl {2 ** val_err:.2f}"
                   + (f" | learning rate now {sched.learning_rate:.6g}" if shrunk else ""),
                   quiet)
        folder.log.write(rec)
        folder.save(checkpoint_arrays(model, sched), checkpoint_state(i, sched))
        records.append(rec)
    return records


def checkpoint_arrays(model, sched):
    arrays = model.get_params()
    if sched.last_model is not None:
        arrays.update({"last_" + k: v for k, v in sched.last_model.items()})
    return arrays


def checkpoint_state(epoch, sched):
    return {"epoch": epoch, "learning_rate": sched.learning_rate,
            "last_val_err": sched.last_val_err, "aliased": sched.aliased,
            "has_last_model": sched.last_model is not None}


def restore(folder, model, cfg, identity):
    """(the ``Schedule``, the first epoch to run): from the checkpoint with ``resume``, else
    fresh."""
    from rnnlm.scrn.model import param_shapes
    shapes = param_shapes(cfg, model.vocab_size)
    saved = folder.restore(identity, expect=shapes, state_keys=("epoch", "learning_rate",
                                                                "last_val_err", "aliased"))
    if not saved:
        return Schedule(cfg.initial_learning_rate), 1
    arrays, state = saved
    model.set_params(arrays)
    last = {k: arrays["last_" + k] for k in shapes} if state.get("has_last_model") else None
    folder.log.truncate_after(state["epoch"])
    return Schedule(state["learning_rate"], state["last_val_err"], last, state["aliased"]), \
        state["epoch"] + 1


def train_scrn(cfg, data_dir=None, out=None, train_words=None, resume=False, overwrite=False,
               quiet=False, command="rnnlm scrn"):
    """Train ``cfg`` on PTB in the run folder ``out``; the test pass and the results record
    at the end. Returns the summary (epochs run, valid and test perplexity)."""
    from rnnlm.scrn.model import SCRN
    shards, vocab_size, data_dir = load_shards(data_dir, cfg.batch_size, train_words)
    out = out or default_out(cfg)
    identity = dict(dataclasses.asdict(cfg), n_epochs=None, train_words=train_words,
                    vocab_size=vocab_size)
    with RunFolder(out, resume=resume, overwrite=overwrite,
                   say=lambda m: runlog.say(m, quiet)) as folder:
        model = SCRN(cfg, vocab_size)
        sched, first = restore(folder, model, cfg, identity)
        runlog.say(f"{model_name(cfg)}: {vocab_size} words, epochs {first}..{cfg.n_epochs} "
                   f"into {out}/", quiet)
        run(model, shards, folder, sched, first, quiet)
        return test_and_record(model, shards, folder, data_dir,
                               {"train_words": train_words, "command": command}, quiet)


def test_and_record(model, shards, folder, data_dir, how, quiet):
    """The final model's validation and test perplexity (``run_epoch_test``), and the run's
    results record (``write_result``) in the run folder."""
    cfg, records = model.cfg, folder.log.records()
    valid_ppl = 2 ** run_epoch_val(model, shards["valid"])
    test_ppl = 2 ** run_epoch_val(model, shards["test"])
    runsafe.check_finite("the test perplexity", test_ppl)
    runlog.say(f"{model_name(cfg)}: valid perplexity {valid_ppl:.2f}, test perplexity "
               f"{test_ppl:.2f}", quiet)
    full = Config().n_epochs   # the original's 100
    cut = [f"{len(records)} of {full} epochs"] if len(records) < full else []
    if how["train_words"]:
        cut.append(f"first {how['train_words']} training words")
    label = "smaller: " + "; ".join(cut) if cut else "full"
    wps = [r["words_per_second"] for r in records]
    write_result(folder.folder, os.path.basename(os.path.normpath(folder.folder)),
                 f"{model_name(cfg)} (Mikolov et al. 2015, facebookarchive/SCRNNs)", test_ppl,
                 PUBLISHED.get((cfg.n_hidden, cfg.n_slow)), PUBLISHED_SOURCE, label,
                 how["command"], f"PTB simple-examples ({data_dir})", len(records),
                 round(sum(r["seconds"] for r in records), 1),
                 round(float(np.median(wps)), 1) if wps else None,
                 extra={"valid_perplexity": valid_ppl, "config": dataclasses.asdict(cfg),
                        "train_words": how["train_words"]}, model="scrn")
    return {"epochs": len(records), "valid_perplexity": valid_ppl, "test_perplexity": test_ppl}


def dry_run(cfg, data_dir=None, out=None, train_words=None):
    """``rnnlm scrn --dry-run``: the model on two blocks of training words, one update and a
    short validation pass; writes nothing. Returns what a real run would do, as text."""
    from rnnlm.scrn.model import SCRN
    shards, vocab_size, data_dir = load_shards(data_dir, cfg.batch_size, train_words)
    model = SCRN(cfg, vocab_size)
    few = {"train": shards["train"][:2 * cfg.backprop_freq + 1],
           "valid": shards["valid"][:cfg.backprop_freq + 1]}
    train_err, _ = run_epoch_train(model, few["train"], cfg.initial_learning_rate,
                                   lambda it: it)
    val_err = run_epoch_val(model, few["valid"])
    steps = len(shards["train"]) - 1
    return (f"dry run, nothing written: {model_name(cfg)} on {data_dir} ({vocab_size} words): "
            f"train ppl {2 ** train_err:.2f}, valid ppl {2 ** val_err:.2f} on a few steps\n"
            f"a real run: {cfg.n_epochs} epoch(s) of {steps} steps x {cfg.batch_size} "
            f"columns, BPTT {cfg.backprop_len} every {cfg.backprop_freq}, lr "
            f"{cfg.initial_learning_rate}, into {out or default_out(cfg)}/")


__all__ = ["Config", "train_scrn", "dry_run", "run", "run_epoch_train", "run_epoch_val"]
