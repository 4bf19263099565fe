"""The toolkit's ``trainNet`` (rnnlmlib.cpp): epochs of ``ClassRNNLM.train_epoch``, a validation
pass, weights kept or rejected, alpha halved, stop; per-epoch JSONL, a checkpoint every epoch,
resume.
"""
import math
import os
import sys
import time
from types import SimpleNamespace

import numpy as np

from rnnrepro import checkpoint, runlog, runsafe
from rnnrepro.results import write_result

from rnnlm.ptb_text import resolve_data_dir
from rnnlm.toolkit.vocab import toolkit_data

CKPT = "checkpoint.npz"
LOG = "log.jsonl"


def _say(msg, quiet=False):
    if not quiet:
        print(msg, flush=True)


_BACKUP = ("U", "W", "V1", "C1")  # saveWeights/restoreWeights: syn0 and syn1, *not* syn_d


def train_class_rnn(data_dir=None, out=None, hidden=100, class_size=100, old_classes=False,
                    bptt=4, bptt_block=10, direct=0, direct_order=3, alpha=0.1, beta=1e-7,
                    gradient_cutoff=15.0, min_improvement=1.003, independent=False,
                    max_epochs=None, train_words=None, seed=1, fast_exp=True, init="toolkit",
                    kernel=None, resume=False,
                    quiet=False, command=None, evaluate_test=True, overwrite=False):
    """The toolkit's ``trainNet`` schedule around ``ClassRNNLM.train_epoch``.

    After every epoch: validation log-probability ``logp``; if worse than the last one
    (``llogp``) the epoch's weights are rejected (``restoreWeights``); once
    ``logp * min_improvement < llogp`` alpha is halved every epoch, and the second time it
    happens training stops. ``max_epochs`` cuts the run short (labelled as such). ``kernel``:
    ``numba`` (the compiled per-word loop) or ``python`` (the numpy loop); None: numba where
    installed. Both give the same numbers (to rounding in the last bits).
    """
    name = "ptb-rnnme" if direct else "ptb-rnnlm"
    out = out or os.path.join("runs", f"{name}-h{hidden}-c{class_size}")  # never results/
    kwargs = dict(locals())
    del kwargs["name"], kwargs["overwrite"]
    from rnnlm.toolkit.model import check_kernel
    kwargs["kernel"] = check_kernel(kernel)  # before anything is written
    with runsafe.claim(out, resume=resume, overwrite=overwrite, markers=(CKPT, LOG),
                       say=lambda m: _say(m, quiet)):
        return _train_class_rnn(**kwargs)


def _train_class_rnn(data_dir, out, hidden, class_size, old_classes, bptt, bptt_block, direct,
                     direct_order, alpha, beta, gradient_cutoff, min_improvement, independent,
                     max_epochs, train_words, seed, fast_exp, init, kernel, resume, quiet,
                     command, evaluate_test):
    data_dir = resolve_data_dir(data_dir)
    hyper = dict(hidden=hidden, class_size=class_size, old_classes=old_classes,
                 direct_size=direct, direct_order=direct_order, bptt=bptt, bptt_block=bptt_block,
                 gradient_cutoff=gradient_cutoff, beta=beta, independent=independent, seed=seed,
                 fast_exp=fast_exp, init=init)
    run = init_run(out, data_dir, train_words, hyper, alpha, min_improvement, resume, command,
                   quiet, kernel)
    while not run.sched["done"]:
        if max_epochs is not None and run.sched["iter"] >= max_epochs:
            break
        if train_iteration(run, min_improvement, quiet):
            break
    records = run.log.records()
    summary = {"epochs": len(records), "seconds": run.sched["seconds"], "out": out,
               "records": records, "finished": run.sched["done"]}
    if evaluate_test and records:
        summary.update(test_net(run, data_dir, train_words, records, quiet))
    return summary


def init_run(out, data_dir, train_words, hyper, alpha, min_improvement, resume, command, quiet,
             kernel=None):
    """The run's data, model, weight backup and schedule: ``initNet`` (the backup is its
    ``saveWeights``) or, with ``resume``, the checkpoint's (identity checked). ``kernel``: how
    the per-word loops run (not part of the run's identity: a run may resume on the other)."""
    from rnnlm.toolkit import model as class_rnn
    vocab, counts, ids = toolkit_data(data_dir, train_words)
    run = SimpleNamespace(out=out, vocab=vocab, counts=counts, ids=ids, hyper=hyper,
                          log=runlog.JsonlLog(os.path.join(out, LOG)),
                          ckpt_path=os.path.join(out, CKPT))
    run.identity = runsafe.run_identity(
        dict(model_type="class-rnn", hyper=hyper, alpha=alpha, min_improvement=min_improvement),
        data=runsafe.fingerprint(vocab, counts, ids), symbolic=False)
    run.sched = {"alpha": alpha, "alpha_divide": 0, "llogp": -100000000.0, "iter": 0,
                 "done": False, "seconds": 0.0}
    if resume and os.path.exists(run.ckpt_path):
        shapes = class_rnn.array_shapes(len(vocab), hyper)
        buffers = (hyper["bptt"] + hyper["bptt_block"] + 1, hyper["hidden"])
        shapes.update({"backup_" + k: shapes[k] for k in _BACKUP},
                      bptt_hidden_ac=buffers, bptt_hidden_er=buffers)
        arrays, state = checkpoint.load(run.ckpt_path)
        if state.get("model_type") != "class-rnn":
            raise checkpoint.CheckpointError(f"{run.ckpt_path}: not a class-rnn checkpoint")
        runsafe.check_resume(run.ckpt_path, state, run.identity)
        checkpoint.check_contents(run.ckpt_path, arrays, state, expect=shapes,
                                  state_keys=("vocab", "counts", "hyper", "schedule"))
        run.model = class_rnn.load_model(arrays, state, kernel=kernel)
        run.model.bptt_hidden_ac, run.model.bptt_hidden_er = arrays["bptt_hidden_ac"], \
            arrays["bptt_hidden_er"]
        run.backup = {k: arrays["backup_" + k].copy() for k in _BACKUP}
        run.sched = state["schedule"]
        commands = state.get("commands", [])
        run.log.truncate_after(run.sched["iter"] + (1 if run.sched["done"] else 0))
        _say(f"resuming the toolkit schedule at iter {run.sched['iter']}", quiet)
    else:
        commands = []
        run.log.reset()
        run.model = class_rnn.ClassRNNLM(vocab, counts, kernel=kernel, **hyper)
        run.backup = {k: getattr(run.model, k).copy() for k in _BACKUP}  # initNet: saveWeights
    run.commands = commands + [command or " ".join(sys.argv)]
    model = run.model
    if model.kernel == "numba":
        with runlog.compiling(quiet):
            class_rnn.warm_up_kernel()
    _say(f"ptb-rnnlm: vocab {len(vocab)}, classes {model.n_classes}, train {len(ids['train'])} "
         f"words, hidden {hyper['hidden']}, bptt {hyper['bptt']}/{hyper['bptt_block']}, direct "
         f"{hyper['direct_size']} order {model.direct_order}, {model.kernel} kernel", quiet)
    return run


def save_run(run, done):
    """The checkpoint: weights, their backup, the BPTT buffers and the schedule."""
    arrays = dict(run.model.arrays())
    arrays.update({"backup_" + k: v for k, v in run.backup.items()})
    arrays.update(bptt_hidden_ac=run.model.bptt_hidden_ac,
                  bptt_hidden_er=run.model.bptt_hidden_er)
    run.sched["done"] = done
    state = {"model_type": "class-rnn", "vocab": run.vocab,
             "counts": [int(c) for c in run.counts], "hyper": run.hyper, "schedule": run.sched,
             "train_words": len(run.ids["train"]), "commands": run.commands,
             "tokenizer": "whitespace", "identity": run.identity}
    checkpoint.save(run.ckpt_path, arrays, state)


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


def train_iteration(run, min_improvement, quiet):
    """One pass of ``trainNet``'s loop: train, validate (``logp``), keep or reject the epoch's
    weights (``restoreWeights`` when worse than ``llogp``), halve alpha once the gain is under
    ``min_improvement`` (the second time: stop), log and checkpoint. True when training ends."""
    model, sched, ids = run.model, run.sched, run.ids
    a = sched["alpha"]
    tlogp, tn, history, sec = learn_epoch(model, ids["train"], a, f"iter {sched['iter']}", quiet)
    t1 = time.perf_counter()
    vlogp, vn = model.evaluate(ids["valid"], history=history)  # trainNet keeps history
    vsec = time.perf_counter() - t1
    # a NaN logp would pass the toolkit's "worse than last time" test and be kept
    runsafe.check_finite("the training log-probability", tlogp, sched["iter"] + 1)
    runsafe.check_finite("the validation log-probability", vlogp, sched["iter"] + 1)
    runsafe.check_finite("parameter", dict(model.arrays()), sched["iter"] + 1)
    sched["seconds"] += sec + vsec
    llogp = sched["llogp"]
    rejected = vlogp < llogp
    if rejected:
        for k in _BACKUP:
            getattr(model, k)[...] = run.backup[k]
    else:
        run.backup = {k: getattr(model, k).copy() for k in _BACKUP}
    finished = False
    # rnnlmlib.h declares ``float min_improvement``: the comparison uses 1.003 rounded to
    # float32 (1.00300002098...), reproduced here.
    if vlogp * float(np.float32(min_improvement)) < llogp:
        if sched["alpha_divide"] == 0:
            sched["alpha_divide"] = 1
        else:
            finished = True
    rec = {"epoch": sched["iter"] + 1, "alpha": a,
           "train_perplexity": 10 ** (-tlogp / tn), "valid_perplexity": 10 ** (-vlogp / vn),
           "valid_entropy_bits": -vlogp / math.log10(2) / vn, "rejected": rejected,
           "train_seconds": round(sec, 2), "valid_seconds": round(vsec, 2),
           "words_per_second": round(len(ids["train"]) / sec, 1), "kernel": model.kernel,
           "peak_rss_mb": round(runlog.peak_rss_mb(), 1)}
    run.log.write(rec)
    _say(f"Iter: {sched['iter']:3d}  Alpha: {a:.6f}  TRAIN ppl: {rec['train_perplexity']:.2f}"
         f"  VALID ppl: {rec['valid_perplexity']:.2f}{'  (rejected)' if rejected else ''}"
         f"  ({rec['words_per_second']:.0f} w/s)", quiet)
    if finished:
        save_run(run, True)
        return True
    if sched["alpha_divide"]:
        sched["alpha"] = a / 2
    sched["llogp"] = vlogp
    sched["iter"] += 1
    save_run(run, False)
    return False


def test_net(run, data_dir, train_words, records, quiet):
    """``testNet`` on the test split and the run record (``run.json``); returns the summary's
    test fields. Also writes the per-word probabilities of the test pass and of the same pass
    over the validation split (``testNet`` run on it, as ``rnnlm -rnnlm MODEL -test valid``
    would: fresh state) as ``test.probs.txt`` / ``valid.probs.txt`` (the toolkit's
    ``-debug 2`` numbers, one per scored word), for ``rnnlm mix`` with an n-gram's."""
    from rnnlm.ngram.mix import write_probs
    from rnnlm.toolkit import model as class_rnn
    model, sched, hyper, ids = run.model, run.sched, run.hyper, run.ids
    t0 = time.perf_counter()
    logp = {split: np.empty(len(ids[split])) for split in ("test", "valid")}
    tlogp, tn = model.evaluate(ids["test"], test=True, logp_out=logp["test"])
    ppl = 10 ** (-tlogp / tn)
    _say(f"test log probability: {tlogp:.2f}  PPL net: {ppl:.3f} ({tn} words, "
         f"{time.perf_counter() - t0:.0f} s)", quiet)
    # the toolkit prints whatever testNet gives; a run whose alpha diverged tested at 7.6e46,
    # which is no result: refused here (exit status 2), the checkpoint and log kept, no run.json
    runsafe.check_perplexity(f"the test perplexity of {run.out}", ppl, len(run.vocab),
                             "try a smaller --alpha")
    model.evaluate(ids["valid"], test=True, logp_out=logp["valid"])
    for split, lp in logp.items():
        # OOV words (NaN) are skipped, as the toolkit skips them
        write_probs(os.path.join(run.out, f"{split}.probs.txt"), 10.0 ** lp[~np.isnan(lp)])
    parts = []
    if train_words:
        parts.append(f"first {len(ids['train'])} of 929589 training words")
    if not sched["done"]:
        parts.append(f"{len(records)} epochs, schedule not finished")
    label = "full" if not parts else "smaller: " + ", ".join(parts)
    hidden, class_size, direct = hyper["hidden"], hyper["class_size"], hyper["direct_size"]
    what = (f"RNNME toolkit recipe (hidden {hidden}, class {class_size}, direct "
            f"{direct / 1e6:g}M order {model.direct_order})" if direct else
            f"RNNLM toolkit recipe (hidden {hidden}, class {class_size}, bptt {hyper['bptt']}, "
            f"bptt-block {hyper['bptt_block']})")
    published = (class_rnn.PUBLISHED["rnn"]
                 if not direct and hidden == class_rnn.PUBLISHED_HIDDEN else None)
    wps = [r["words_per_second"] for r in records]
    write_result(run.out, os.path.basename(os.path.normpath(run.out)), what, ppl, published,
                 class_rnn.PUBLISHED_SOURCE if published else None, label,
                 " ; ".join(run.commands), f"PTB simple-examples ({data_dir})",
                 len(records), round(sched["seconds"], 1), round(float(np.median(wps)), 1),
                 extra={"valid_perplexity": records[-1]["valid_perplexity"],
                        "peak_rss_mb": round(max([runlog.peak_rss_mb()] + [
                            r.get("peak_rss_mb", 0) for r in records]), 1),
                        "hyper": hyper, "trainer": "faithful per-word online SGD ("
                        + ("compiled with numba" if model.kernel == "numba" else "numpy") + ")",
                        "kernel": model.kernel,
                        "engine": "numpy", "engine_version": np.__version__, "linker": None,
                        "schedule_finished": sched["done"]})
    return {"test_perplexity": ppl, "test_words": tn}


def dry_run(data_dir=None, out=None, hidden=100, class_size=100, old_classes=False, bptt=4,
            bptt_block=10, direct=0, direct_order=3, alpha=0.1, beta=1e-7, gradient_cutoff=15.0,
            min_improvement=1.003, independent=False, max_epochs=None, train_words=None, seed=1,
            fast_exp=True, init="toolkit", kernel=None, words=None):
    """``rnnlm ptb-rnnlm --dry-run``: ``initNet``, then ``trainNet``'s inner loop over the
    first ``words`` training words (two BPTT blocks by default) and a validation pass over as
    many; writes nothing. Returns what a real run would do, as text."""
    from rnnlm.toolkit.model import ClassRNNLM, warm_up_kernel
    data_dir = resolve_data_dir(data_dir)
    vocab, counts, ids = toolkit_data(data_dir, train_words)
    model = ClassRNNLM(vocab, counts, hidden=hidden, class_size=class_size,
                       old_classes=old_classes, direct_size=direct, direct_order=direct_order,
                       bptt=bptt, bptt_block=bptt_block, gradient_cutoff=gradient_cutoff,
                       beta=beta, independent=independent, seed=seed, fast_exp=fast_exp,
                       init=init, kernel=kernel)
    if model.kernel == "numba":
        with runlog.compiling():
            warm_up_kernel()
    n = words or 2 * bptt_block
    tlogp, tn, history = model.train_epoch(ids["train"][:n], alpha)
    vlogp, vn = model.evaluate(ids["valid"][:n], history=history)
    name = "ptb-rnnme" if direct else "ptb-rnnlm"
    out = out or os.path.join("runs", f"{name}-h{hidden}-c{class_size}")  # never results/
    return "\n".join([
        f"dry run, nothing written: class RNN hidden {hidden}, {model.n_classes} classes, "
        f"bptt {bptt}/{bptt_block}, direct {direct} order {model.direct_order}, vocabulary "
        f"{len(vocab)} ({model.kernel} kernel, float64)",
        f"trainNet on the first {n} training words: perplexity {10 ** (-tlogp / tn):.2f}; "
        f"validation on {n} words: perplexity {10 ** (-vlogp / vn):.2f}",
        f"a real run: epochs over {len(ids['train'])} training words at alpha {alpha}, halved "
        f"once validation gains less than {min_improvement}x, stop the second time"
        + (f" or after {max_epochs} epoch(s)" if max_epochs else "")
        + f"; then the test pass; into {out}/ (checkpoint.npz, log.jsonl, run.json)"])
