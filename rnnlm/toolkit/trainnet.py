"""The toolkit's ``trainNet`` (rnnlmlib.cpp): epochs of ``ClassRNNLM.train_epoch``, a validation
pass, weights kept or rejected, alpha halved, stop; per-epoch JSONL, a checkpoint every epoch,
resume.
"""
import math
import os
import sys
import time

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
                    resume=False,
                    quiet=False, command=None, evaluate_test=True, overwrite=False):
    """The toolkit's ``trainNet`` schedule around ``ClassRNNLM.train_epoch``.

    After every epoch: validation log-probability ``logp``; if worse than the last one
    (``llogp``) the epoch's weights are rejected (``restoreWeights``); once
    ``logp * min_improvement < llogp`` alpha is halved every epoch, and the second time it
    happens training stops. ``max_epochs`` cuts the run short (labelled as such).
    """
    name = "ptb-rnnme" if direct else "ptb-rnnlm"
    out = out or os.path.join("results", f"{name}-h{hidden}-c{class_size}")
    kwargs = dict(locals())
    del kwargs["name"], kwargs["overwrite"]
    with runsafe.claim(out, resume=resume, overwrite=overwrite, markers=(CKPT, LOG),
                       say=lambda m: _say(m, quiet)):
        return _train_class_rnn(**kwargs)


def _train_class_rnn(data_dir, out, hidden, class_size, old_classes, bptt, bptt_block, direct,
                     direct_order, alpha, beta, gradient_cutoff, min_improvement, independent,
                     max_epochs, train_words, seed, fast_exp, init, resume, quiet, command,
                     evaluate_test):
    from rnnlm.toolkit import model as class_rnn
    data_dir = resolve_data_dir(data_dir)
    vocab, counts, ids = toolkit_data(data_dir, train_words)
    log = runlog.JsonlLog(os.path.join(out, LOG))
    ckpt_path = os.path.join(out, CKPT)
    hyper = dict(hidden=hidden, class_size=class_size, old_classes=old_classes,
                 direct_size=direct, direct_order=direct_order, bptt=bptt, bptt_block=bptt_block,
                 gradient_cutoff=gradient_cutoff, beta=beta, independent=independent, seed=seed,
                 fast_exp=fast_exp, init=init)
    identity = runsafe.run_identity(
        dict(model_type="class-rnn", hyper=hyper, alpha=alpha, min_improvement=min_improvement),
        data=runsafe.fingerprint(vocab, counts, ids), symbolic=False)
    sched = {"alpha": alpha, "alpha_divide": 0, "llogp": -100000000.0, "iter": 0,
             "done": False, "seconds": 0.0}
    if resume and os.path.exists(ckpt_path):
        arrays, state = checkpoint.load(ckpt_path)
        if state.get("model_type") != "class-rnn":
            raise checkpoint.CheckpointError(f"{ckpt_path}: not a class-rnn checkpoint")
        runsafe.check_resume(ckpt_path, state, identity)
        model = class_rnn.load_model(arrays, state)
        model.bptt_hidden_ac, model.bptt_hidden_er = arrays["bptt_hidden_ac"], \
            arrays["bptt_hidden_er"]
        backup = {k: arrays["backup_" + k].copy() for k in _BACKUP}
        sched = state["schedule"]
        commands = state.get("commands", [])
        log.truncate_after(sched["iter"] + (1 if sched["done"] else 0))
        _say(f"resuming the toolkit schedule at iter {sched['iter']}", quiet)
    else:
        commands = []
        log.reset()
        model = class_rnn.ClassRNNLM(vocab, counts, **hyper)
        backup = {k: getattr(model, k).copy() for k in _BACKUP}  # initNet calls saveWeights
    commands = commands + [command or " ".join(sys.argv)]
    _say(f"ptb-rnnlm: vocab {len(vocab)}, classes {model.n_classes}, train {len(ids['train'])} "
         f"words, hidden {hidden}, bptt {bptt}/{bptt_block}, direct {direct} "
         f"order {model.direct_order}", quiet)

    def save(state_done):
        arrays = dict(model.arrays())
        arrays.update({"backup_" + k: v for k, v in backup.items()})
        arrays.update(bptt_hidden_ac=model.bptt_hidden_ac, bptt_hidden_er=model.bptt_hidden_er)
        sched["done"] = state_done
        state = {"model_type": "class-rnn", "vocab": vocab, "counts": [int(c) for c in counts],
                 "hyper": hyper, "schedule": sched, "train_words": len(ids["train"]),
                 "commands": commands, "tokenizer": "whitespace", "identity": identity}
        checkpoint.save(ckpt_path, arrays, state)

    while not sched["done"]:
        if max_epochs is not None and sched["iter"] >= max_epochs:
            break
        a = sched["alpha"]
        bar = runlog.progress(None, total=len(ids["train"]), desc=f"iter {sched['iter']}",
                              quiet=quiet, unit="w")
        t0 = time.perf_counter()

        def progress(n):
            bar.n = n
            el = time.perf_counter() - t0
            bar.set_postfix(wps=f"{n / max(el, 1e-9):.0f}")
        tlogp, tn, history = model.train_epoch(ids["train"], a, progress=progress)
        bar.close()
        sec = time.perf_counter() - t0
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
                getattr(model, k)[...] = backup[k]
        else:
            backup = {k: getattr(model, k).copy() for k in _BACKUP}
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
               "words_per_second": round(len(ids["train"]) / sec, 1),
               "peak_rss_mb": round(runlog.peak_rss_mb(), 1)}
        log.write(rec)
        _say(f"Iter: {sched['iter']:3d}  Alpha: {a:.6f}  TRAIN ppl: {rec['train_perplexity']:.2f}"
             f"  VALID ppl: {rec['valid_perplexity']:.2f}{'  (rejected)' if rejected else ''}"
             f"  ({rec['words_per_second']:.0f} w/s)", quiet)
        if finished:
            save(True)
            break
        if sched["alpha_divide"]:
            sched["alpha"] = a / 2
        sched["llogp"] = vlogp
        sched["iter"] += 1
        save(False)

    records = log.records()
    summary = {"epochs": len(records), "seconds": sched["seconds"], "out": out,
               "records": records, "finished": sched["done"]}
    if evaluate_test and records:
        t0 = time.perf_counter()
        tlogp, tn = model.evaluate(ids["test"], test=True)
        ppl = 10 ** (-tlogp / tn)
        summary.update(test_perplexity=ppl, test_words=tn)
        _say(f"test log probability: {tlogp:.2f}  PPL net: {ppl:.3f} ({tn} words, "
             f"{time.perf_counter() - t0:.0f} s)", quiet)
        parts = []
        if train_words:
            parts.append(f"first {len(ids['train'])} of 929589 training words")
        if not sched["done"]:
            parts.append(f"{len(records)} epochs, schedule not finished")
        label = "full" if not parts else "smaller: " + ", ".join(parts)
        what = (f"RNNME toolkit recipe (hidden {hidden}, class {class_size}, direct "
                f"{direct / 1e6:g}M order {model.direct_order})" if direct else
                f"RNNLM toolkit recipe (hidden {hidden}, class {class_size}, bptt {bptt}, "
                f"bptt-block {bptt_block})")
        published = class_rnn.PUBLISHED["rnn"] if (not direct and hidden == 100) else None
        wps = [r["words_per_second"] for r in records]
        write_result(out, os.path.basename(os.path.normpath(out)), what, ppl, published,
                     class_rnn.PUBLISHED_SOURCE if published else None, label,
                     " ; ".join(commands), f"PTB simple-examples ({data_dir})",
                     len(records), round(sched["seconds"], 1), round(float(np.median(wps)), 1),
                     extra={"valid_perplexity": records[-1]["valid_perplexity"],
                            "peak_rss_mb": round(max([runlog.peak_rss_mb()] + [
                                r.get("peak_rss_mb", 0) for r in records]), 1),
                            "hyper": hyper, "trainer": "faithful per-word online SGD (numpy)",
                            "engine": "numpy", "engine_version": np.__version__, "linker": None,
                            "schedule_finished": sched["done"]})
    return summary
