"""The toolkit's ``trainNet`` (rnnlmlib.cpp): epochs of ``ClassRNNLM.train_epoch``, a validation
pass, weights kept or rejected, alpha halved, stop; then ``testNet``. Per-epoch JSONL, a
checkpoint every epoch and resume go through the run's folder (``rnnrepro.runfolder``).

    train_class_rnn   the command: the run folder claimed, trainNet, testNet, run.json
    train_net         trainNet's loop (initNet or the checkpoint first)
    test_net          testNet on the test split, per-word probabilities for ``rnnlm mix``
"""
import dataclasses
import math
import os
import sys
import time
from typing import NamedTuple, Optional

import numpy as np

from rnnrepro import runlog, runsafe
from rnnrepro.results import write_result
from rnnrepro.runfolder import RunFolder

from rnnlm.ptb_text import resolve_data_dir
from rnnlm.toolkit.vocab import toolkit_data

_BACKUP = ("U", "W", "V1", "C1")  # saveWeights/restoreWeights: syn0 and syn1, *not* syn_d
_MODEL = ("hidden", "class_size", "old_classes", "direct_size", "direct_order", "bptt",
          "bptt_block", "gradient_cutoff", "beta", "independent", "seed", "fast_exp", "init")


def _say(msg, quiet=False):
    if not quiet:
        print(msg, flush=True)


@dataclasses.dataclass(frozen=True)
class ToolkitConfig:
    """The toolkit's options (``rnnlm -hidden 100 -class 100 -bptt 4 -bptt-block 10 ...``,
    the fields of its ``CRnnLM``): the model's hyperparameters (``hyper()``), trainNet's
    ``alpha`` and ``min_improvement``; then this project's short-run limits (``max_epochs``,
    ``train_words``: the first N training words) and ``kernel``: how the per-word loops run,
    ``numba`` or ``python`` (None: numba where installed; not part of the run's identity, a
    run may resume on the other). ``direct_size`` is the hash size in entries (-direct in
    millions)."""
    hidden: int = 100
    class_size: int = 100
    old_classes: bool = False
    direct_size: int = 0
    direct_order: int = 3
    bptt: int = 4
    bptt_block: int = 10
    gradient_cutoff: float = 15.0
    beta: float = 1e-7
    independent: bool = False
    seed: int = 1
    fast_exp: bool = True
    init: str = "toolkit"
    alpha: float = 0.1
    min_improvement: float = 1.003
    max_epochs: Optional[int] = None
    train_words: Optional[int] = None
    kernel: Optional[str] = None

    def hyper(self):
        """The model's hyperparameters: ``ClassRNNLM``'s keywords, the checkpoint's ``hyper``."""
        return {k: getattr(self, k) for k in _MODEL}

    def default_out(self):
        name = "ptb-rnnme" if self.direct_size else "ptb-rnnlm"
        return os.path.join("runs", f"{name}-h{self.hidden}-c{self.class_size}")  # never results/


@dataclasses.dataclass
class Schedule:
    """trainNet's schedule (CRnnLM's ``alpha``, ``alpha_divide``, ``llogp``, ``iter``), whether
    it has ended, and the seconds spent: the checkpoint's ``schedule``."""
    alpha: float
    alpha_divide: int = 0
    llogp: float = -100000000.0
    iter: int = 0
    done: bool = False
    seconds: float = 0.0

    def end_epoch(self, logp, min_improvement):
        """trainNet after epoch ``iter``'s validation log-probability ``logp``: True when the
        epoch is rejected (``logp < llogp``: the caller does ``restoreWeights``, else
        ``saveWeights``). Once ``logp * min_improvement < llogp`` alpha is halved after every
        epoch, and the second time that happens training stops (``done``; trainNet's
        ``break`` leaves alpha, llogp and iter as they are). Original: ``llogp`` takes this
        epoch's ``logp`` even when the epoch was rejected, so the next one is judged against
        the rejected value, not the best. (Also ``rnnlm fnn``'s schedule.)"""
        rejected = logp < self.llogp
        # rnnlmlib.h declares ``float min_improvement``: the comparison uses 1.003 rounded to
        # float32 (1.00300002098...), reproduced here.
        if logp * float(np.float32(min_improvement)) < self.llogp:
            if self.alpha_divide == 0:
                self.alpha_divide = 1
            else:
                self.done = True
                return rejected
        if self.alpha_divide:
            self.alpha /= 2
        self.llogp = logp
        self.iter += 1
        return rejected


class ToolkitData(NamedTuple):
    """The PTB folder and what ``toolkit_data`` reads from it."""
    dir: str
    vocab: list
    counts: object
    ids: dict


def load_data(data_dir, train_words=None):
    data_dir = resolve_data_dir(data_dir)
    return ToolkitData(data_dir, *toolkit_data(data_dir, train_words))


def train_class_rnn(config, data_dir=None, out=None, resume=False, overwrite=False, quiet=False,
                    command=None, evaluate_test=True):
    """``rnnlm ptb-rnnlm``: ``trainNet`` (``train_net``) in a claimed run folder (``out``;
    ``resume`` a run there, or ``overwrite`` it), then ``testNet`` and the run record unless
    not ``evaluate_test``. ``config``: a ``ToolkitConfig``. Returns the run's summary."""
    from rnnlm.toolkit.model import check_kernel
    out = out or config.default_out()
    config = dataclasses.replace(config, kernel=check_kernel(config.kernel))  # before writing
    with RunFolder(out, resume=resume, overwrite=overwrite, say=lambda m: _say(m, quiet)) \
            as folder:
        data = load_data(data_dir, config.train_words)
        model, sched, state = train_net(folder, config, data, command, quiet)
        records = folder.log.records()
        summary = {"epochs": len(records), "seconds": sched.seconds, "out": out,
                   "records": records, "finished": sched.done}
        if evaluate_test and records:
            summary.update(test_net(folder, model, data, quiet))
            record_result(folder, config, model, sched, data, state["commands"], summary)
        return summary


def train_net(folder, config, data, command=None, quiet=False):
    """``trainNet``: after every epoch the validation log-probability ``logp`` and
    ``Schedule.end_epoch`` (the epoch's weights kept or rejected, alpha halved, the stop);
    ``config.max_epochs`` cuts the run short (labelled as such). Returns the model, the
    schedule and the checkpoint's state."""
    model, backup, sched, state = init_net(folder, config, data, command, quiet)
    ids = data.ids
    while not sched.done:
        if config.max_epochs is not None and sched.iter >= config.max_epochs:
            break
        alpha = sched.alpha
        tlogp, tn, history, sec = learn_epoch(model, ids["train"], alpha, f"iter {sched.iter}",
                                              quiet)
        t1 = time.perf_counter()
        logp, vn = model.evaluate(ids["valid"], history=history)  # trainNet keeps history
        vsec = time.perf_counter() - t1
        # a NaN logp would pass the toolkit's "worse than last time" test and be kept
        runsafe.check_finite("the training log-probability", tlogp, sched.iter + 1)
        runsafe.check_finite("the validation log-probability", logp, sched.iter + 1)
        runsafe.check_finite("parameter", dict(model.arrays()), sched.iter + 1)
        sched.seconds += sec + vsec
        epoch = sched.iter + 1
        rejected = sched.end_epoch(logp, config.min_improvement)   # alpha, llogp, iter
        if rejected:
            restore_weights(model, backup)
        else:
            backup = save_weights(model)
        rec = {"epoch": epoch, "alpha": alpha,
               "train_perplexity": 10 ** (-tlogp / tn), "valid_perplexity": 10 ** (-logp / vn),
               "valid_entropy_bits": -logp / math.log10(2) / vn, "rejected": rejected,
               "train_seconds": round(sec, 2), "valid_seconds": round(vsec, 2),
               "words_per_second": round(len(ids["train"]) / sec, 1), "kernel": model.kernel,
               "peak_rss_mb": round(runlog.peak_rss_mb(), 1)}
        folder.log.write(rec)
        _say(f"Iter: {epoch - 1:3d}  Alpha: {alpha:.6f}  TRAIN ppl: {rec['train_perplexity']:.2f}"
             f"  VALID ppl: {rec['valid_perplexity']:.2f}{'  (rejected)' if rejected else ''}"
             f"  ({rec['words_per_second']:.0f} w/s)", quiet)
        save_net(folder, model, backup, sched, state)
    return model, sched, state


def init_net(folder, config, data, command=None, quiet=False):
    """``initNet`` (the backup is its ``saveWeights``) or, resuming, the checkpoint's weights,
    backup, BPTT buffers and schedule (its kind, the run's identity and every shape checked
    first). Returns (model, backup, schedule, the checkpoint's state but the schedule)."""
    from rnnlm.toolkit import model as class_rnn
    hyper = config.hyper()
    identity = runsafe.run_identity(
        dict(model_type="class-rnn", hyper=hyper, alpha=config.alpha,
             min_improvement=config.min_improvement),
        data=runsafe.fingerprint(data.vocab, data.counts, data.ids), symbolic=False)
    saved = folder.restore(identity, expect=checkpoint_shapes(len(data.vocab), hyper),
                           state_keys=("vocab", "counts", "hyper", "schedule"),
                           check=lambda arrays, state: _check_kind(folder.ckpt_path, state))
    if saved is None:
        model = class_rnn.ClassRNNLM(data.vocab, data.counts, kernel=config.kernel, **hyper)
        backup, sched, commands = save_weights(model), Schedule(config.alpha), []
    else:
        arrays, saved_state = saved
        model = class_rnn.load_model(arrays, saved_state, kernel=config.kernel)
        model.bptt_hidden_ac = arrays["bptt_hidden_ac"]
        model.bptt_hidden_er = arrays["bptt_hidden_er"]
        backup = {k: arrays["backup_" + k].copy() for k in _BACKUP}
        sched = Schedule(**saved_state["schedule"])
        commands = saved_state.get("commands", [])
        folder.log.truncate_after(sched.iter + (1 if sched.done else 0))
        _say(f"resuming the toolkit schedule at iter {sched.iter}", quiet)
    _announce(model, config, data, quiet)
    state = {"model_type": "class-rnn", "vocab": data.vocab,
             "counts": [int(c) for c in data.counts], "hyper": hyper,
             "train_words": len(data.ids["train"]), "tokenizer": "whitespace",
             "commands": commands + [command or " ".join(sys.argv)]}
    return model, backup, sched, state


def _check_kind(path, state):
    from rnnrepro.checkpoint import CheckpointError
    if state.get("model_type") != "class-rnn":
        raise CheckpointError(f"{path}: not a class-rnn checkpoint")


def checkpoint_shapes(vocab_size, hyper):
    """Every array of the checkpoint and its shape: the weights, their backup, the BPTT
    buffers."""
    from rnnlm.toolkit import model as class_rnn
    shapes = class_rnn.array_shapes(vocab_size, hyper)
    buffers = (hyper["bptt"] + hyper["bptt_block"] + 1, hyper["hidden"])
    shapes.update({"backup_" + k: shapes[k] for k in _BACKUP},
                  bptt_hidden_ac=buffers, bptt_hidden_er=buffers)
    return shapes


def _announce(model, config, data, quiet=False):
    """The numba loops compiled (or loaded from numba's cache) and the run's one-line plan."""
    from rnnlm.toolkit.model import warm_up_kernel
    if model.kernel == "numba":
        with runlog.compiling(quiet):
            warm_up_kernel()
    _say(f"ptb-rnnlm: vocab {len(data.vocab)}, classes {model.n_classes}, train "
         f"{len(data.ids['train'])} words, hidden {config.hidden}, bptt {config.bptt}/"
         f"{config.bptt_block}, direct {config.direct_size} order {model.direct_order}, "
         f"{model.kernel} kernel", quiet)


def save_weights(model):
    """``saveWeights``: a copy of syn0 and syn1 (U, W, V1, C1)."""
    return {k: getattr(model, k).copy() for k in _BACKUP}


def restore_weights(model, backup):
    """``restoreWeights``: syn0 and syn1 back to the copy; ``syn_d`` keeps the epoch's work."""
    for k in _BACKUP:
        getattr(model, k)[...] = backup[k]


def save_net(folder, model, backup, sched, state):
    """``saveNet``: the checkpoint: weights, their backup, the BPTT buffers and the schedule."""
    arrays = dict(model.arrays())
    arrays.update({"backup_" + k: v for k, v in backup.items()})
    arrays.update(bptt_hidden_ac=model.bptt_hidden_ac, bptt_hidden_er=model.bptt_hidden_er)
    folder.save(arrays, dict(state, schedule=dataclasses.asdict(sched)))


def learn_epoch(model, words, alpha, desc, quiet):
    """One training pass with a progress bar: (log10 prob, words scored, history, seconds)."""
    bar = runlog.progress(None, total=len(words), desc=desc, quiet=quiet, unit="w")
    t0 = time.perf_counter()

    def progress(n):
        bar.n = n
        el = time.perf_counter() - t0
        bar.set_postfix(wps=f"{n / max(el, 1e-9):.0f}")
    tlogp, tn, history = model.train_epoch(words, alpha, progress=progress)
    bar.close()
    return tlogp, tn, history, time.perf_counter() - t0


def test_net(folder, model, data, quiet=False):
    """``testNet`` on the test split; returns the summary's test fields. Also writes the
    per-word probabilities of the test pass and of the same pass over the validation split
    (``testNet`` run on it, as ``rnnlm -rnnlm MODEL -test valid`` would: fresh state) as
    ``test.probs.txt`` / ``valid.probs.txt`` (the toolkit's ``-debug 2`` numbers, one per
    scored word), for ``rnnlm mix`` with an n-gram's."""
    from rnnlm.ngram.mix import write_probs
    ids = data.ids
    t0 = time.perf_counter()
    logp = {split: np.empty(len(ids[split])) for split in ("test", "valid")}
    tlogp, tn = model.evaluate(ids["test"], test=True, logp_out=logp["test"])
    ppl = 10 ** (-tlogp / tn)
    _say(f"test log probability: {tlogp:.2f}  PPL net: {ppl:.3f} ({tn} words, "
         f"{time.perf_counter() - t0:.0f} s)", quiet)
    # the toolkit prints whatever testNet gives; a run whose alpha diverged tested at 7.6e46,
    # which is no result: refused here (exit status 2), the checkpoint and log kept, no run.json
    runsafe.check_perplexity(f"the test perplexity of {folder.folder}", ppl, len(data.vocab),
                             "try a smaller --alpha")
    model.evaluate(ids["valid"], test=True, logp_out=logp["valid"])
    for split, lp in logp.items():
        # OOV words (NaN) are skipped, as the toolkit skips them
        write_probs(folder.path(f"{split}.probs.txt"), 10.0 ** lp[~np.isnan(lp)])
    return {"test_perplexity": ppl, "test_words": tn}


def record_result(folder, config, model, sched, data, commands, summary):
    """The run record (``run.json``) of a tested run: what was trained, its test perplexity
    beside the thesis's where the size is the thesis's, and whether it is the full recipe."""
    from rnnlm.toolkit import model as class_rnn
    records, out = summary["records"], folder.folder
    parts = []
    if config.train_words:
        parts.append(f"first {len(data.ids['train'])} of 929589 training words")
    if not sched.done:
        parts.append(f"{len(records)} epochs, schedule not finished")
    label = "full" if not parts else "smaller: " + ", ".join(parts)
    hidden, class_size, direct = config.hidden, config.class_size, config.direct_size
    if not hidden:
        what = (f"maximum-entropy {model.direct_order}-gram on the toolkit's hashed direct "
                f"connections (hidden 0, class {class_size}, direct {direct / 1e6:g}M)")
    elif direct:
        what = (f"RNNME toolkit recipe (hidden {hidden}, class {class_size}, direct "
                f"{direct / 1e6:g}M order {model.direct_order})")
    else:
        what = (f"RNNLM toolkit recipe (hidden {hidden}, class {class_size}, bptt {config.bptt}, "
                f"bptt-block {config.bptt_block})")
    published, source = class_rnn.published(hidden, direct, model.direct_order)
    wps = [r["words_per_second"] for r in records]
    write_result(out, os.path.basename(os.path.normpath(out)), what, summary["test_perplexity"],
                 published, source, label,
                 " ; ".join(commands), f"PTB simple-examples ({data.dir})",
                 len(records), round(sched.seconds, 1), round(float(np.median(wps)), 1),
                 extra={"valid_perplexity": records[-1]["valid_perplexity"],
                        "peak_rss_mb": round(max([runlog.peak_rss_mb()] + [
                            r.get("peak_rss_mb", 0) for r in records]), 1),
                        "hyper": config.hyper(), "trainer": "faithful per-word online SGD ("
                        + ("compiled with numba" if model.kernel == "numba" else "numpy") + ")",
                        "kernel": model.kernel,
                        "engine": "numpy", "engine_version": np.__version__, "linker": None,
                        "schedule_finished": sched.done})


def dry_run(config, data_dir=None, out=None, words=None):
    """``rnnlm ptb-rnnlm --dry-run``: ``initNet``, then ``trainNet``'s inner loop over the
    first ``words`` training words (two BPTT blocks by default) and a validation pass over as
    many; writes nothing. Returns what a real run would do, as text."""
    from rnnlm.toolkit.model import ClassRNNLM, warm_up_kernel
    data = load_data(data_dir, config.train_words)
    model = ClassRNNLM(data.vocab, data.counts, kernel=config.kernel, **config.hyper())
    if model.kernel == "numba":
        with runlog.compiling():
            warm_up_kernel()
    n = words or 2 * config.bptt_block
    tlogp, tn, history = model.train_epoch(data.ids["train"][:n], config.alpha)
    vlogp, vn = model.evaluate(data.ids["valid"][:n], history=history)
    c = config
    return "\n".join([
        f"dry run, nothing written: class RNN hidden {c.hidden}, {model.n_classes} classes, "
        f"bptt {c.bptt}/{c.bptt_block}, direct {c.direct_size} order {model.direct_order}, "
        f"vocabulary {len(data.vocab)} ({model.kernel} kernel, float64)",
        f"trainNet on the first {n} training words: perplexity {10 ** (-tlogp / tn):.2f}; "
        f"validation on {n} words: perplexity {10 ** (-vlogp / vn):.2f}",
        f"a real run: epochs over {len(data.ids['train'])} training words at alpha {c.alpha}, "
        f"halved once validation gains less than {c.min_improvement}x, stop the second time"
        + (f" or after {c.max_epochs} epoch(s)" if c.max_epochs else "")
        + f"; then the test pass; into {out or c.default_out()}/ (checkpoint.npz, log.jsonl, "
        "run.json)"])
