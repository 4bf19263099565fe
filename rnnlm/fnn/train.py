"""``rnnlm fnn``: the feedforward NNLM trained on PTB with the RNNLM toolkit's schedule.

    rnnlm fnn --order 5 --projection 100 --hidden 200 --data-dir data/ptb

``train_fnn`` is the loop: epochs over the training windows shuffled (seeded by --seed and the
epoch), the validation log-probability after each, trainNet's rule (``Schedule.end_epoch`` of
``rnnlm.toolkit.trainnet``: its ``alpha`` is the learning rate, ``iter`` the epochs done), a log
line and a checkpoint per epoch in the run folder (``RunFolder``: ``--resume`` equals an
uninterrupted run, nothing random being carried between epochs but the seeded shuffles). At the
end: valid and test perplexity, ``valid.probs.txt`` / ``test.probs.txt`` (one probability per
scored word, the stream and order of the KN5 record: ``rnnlm mix`` interpolates them) and the
results record ``run.json``.
"""
import dataclasses
import math
import os
import time
from typing import NamedTuple

import numpy as np

from rnnrepro import runlog, runsafe
from rnnrepro.files import InputError
from rnnrepro.results import write_result
from rnnrepro.runfolder import RunFolder
from rnnlm.fnn.config import PUBLISHED, PUBLISHED_PLUS_KN5, PUBLISHED_SOURCE, Config
from rnnlm.ptb_lstm import reader
from rnnlm.ptb_text import EOS, SPLITS, resolve_data_dir, scored_words, split_path
from rnnlm.toolkit.trainnet import Schedule

NAN_CHECK = 500   # minibatches between two checks of the running training cost
UNK = "<unk>"


class Data(NamedTuple):
    dir: str
    vocab: list
    ids: dict        # split -> the word stream (int32), as the KN5 record scores it
    windows: dict    # split -> (contexts (N, n-1): w_{t-1} first, targets (N,))


def read_stream(path, word_to_id):
    """The ids of the words ``rnnlm ngram`` scores (``scored_words``: ``<eos>`` after each
    non-empty line); a word outside the training vocabulary is ``<unk>`` (SRILM ``-unk``; PTB
    has none such) or, without ``<unk>`` in training, refused."""
    unk, out = word_to_id.get(UNK), []
    for w in scored_words(path, EOS):
        i = word_to_id.get(w, unk)
        if i is None:
            raise InputError(f"{path}: {w!r} is not a word of the training text, which has "
                             f"no {UNK} to stand for it")
        out.append(i)
    return np.array(out, dtype=np.int32)


def make_windows(ids, order, eos):
    """(contexts, targets): for every word of ``ids`` its n-1 predecessors, newest first; the
    split's first n-1 positions see ``eos`` before the stream."""
    padded = np.concatenate([np.full(order - 1, eos, np.int32), ids])
    ctx = np.lib.stride_tricks.sliding_window_view(padded, order - 1)[:len(ids), ::-1]
    return np.ascontiguousarray(ctx, dtype=np.int32), ids


def load_data(data_dir, order, train_words=None):
    data_dir = resolve_data_dir(data_dir)
    word_to_id = reader.build_vocab(split_path(data_dir, "train"))
    vocab = sorted(word_to_id, key=word_to_id.get)
    ids = {s: read_stream(split_path(data_dir, s), word_to_id) for s in SPLITS}
    if train_words:
        ids["train"] = ids["train"][:train_words]
    eos = word_to_id[EOS]
    return Data(data_dir, vocab, ids, {s: make_windows(ids[s], order, eos) for s in SPLITS})


def train_epoch(model, windows, lr, seed, epoch, bar):
    """One pass over the windows in a seeded shuffle: the summed training NLL (nats)."""
    ctx, target = windows
    order = np.random.RandomState([seed, epoch]).permutation(len(target))
    b, total = model.cfg.batch_size, 0.0
    for k, i in enumerate(bar(range(0, len(target), b)), 1):
        sel = order[i:i + b]
        total += model.train(ctx[sel], target[sel], lr)
        if k % NAN_CHECK == 0:
            runsafe.check_finite("the training cost", total, epoch)
    return total


def train_fnn(cfg, data_dir=None, out=None, train_words=None, resume=False, overwrite=False,
              quiet=False, command="rnnlm fnn"):
    """Train ``cfg`` on PTB into the run folder ``out``; the test pass, the per-word
    probabilities and the results record at the end. Returns the summary."""
    from rnnlm.fnn.model import FNN, param_shapes
    data = load_data(data_dir, cfg.order, train_words)
    out = out or cfg.default_out()
    identity = dict(cfg.model_fields(), train_words=train_words, vocab_size=len(data.vocab))
    with RunFolder(out, resume=resume, overwrite=overwrite,
                   say=lambda m: runlog.say(m, quiet)) as folder:
        model = FNN(cfg, len(data.vocab))
        sched, backup = restore(folder, model, identity, param_shapes(cfg, len(data.vocab)),
                                cfg)
        runlog.say(f"{cfg.name()}: {len(data.vocab)} words, {len(data.ids['train'])} training "
                   f"windows, epochs {sched.iter + 1}..{cfg.max_epochs} into {out}/", quiet)
        n_train = len(data.ids["train"])
        while not sched.done and sched.iter < cfg.max_epochs:
            epoch, lr, t0 = sched.iter + 1, sched.alpha, time.time()
            bar = lambda it: runlog.progress(it, desc=f"epoch {epoch}", quiet=quiet,  # noqa
                                             unit="batch", run=(epoch - 1, cfg.max_epochs))
            nll = train_epoch(model, data.windows["train"], lr, cfg.seed, epoch, bar)
            sec = time.time() - t0
            logp = float(model.logprobs(*data.windows["valid"]).sum())
            runsafe.check_finite("the training cost", nll, epoch)
            runsafe.check_finite("the validation log-probability", logp, epoch)
            runsafe.check_finite("parameter", model.get_params(), epoch)
            rejected = sched.end_epoch(logp, cfg.min_improvement)
            if rejected:
                model.set_params(backup)
            else:
                backup = model.get_params()
            sched.seconds += sec
            rec = {"epoch": epoch, "learning_rate": lr, "train_perplexity": math.exp(nll / n_train),
                   "valid_perplexity": math.exp(-logp / len(data.ids["valid"])),
                   "rejected": rejected, "done": sched.done, "seconds": round(sec, 2),
                   "words_per_second": round(n_train / sec, 1)}
            folder.log.write(rec)
            runlog.say(f"epoch {epoch}: lr {lr:.6g}  train ppl {rec['train_perplexity']:.2f}  "
                       f"valid ppl {rec['valid_perplexity']:.2f}"
                       f"{'  (rejected)' if rejected else ''}"
                       f"{'  (stop)' if sched.done else ''}  {rec['words_per_second']:.0f} w/s",
                       quiet)
            folder.save(checkpoint_arrays(model, backup),
                        dict(dataclasses.asdict(sched), has_backup=backup is not None))
        return finish(folder, model, data, sched, cfg, train_words, command, quiet)


def checkpoint_arrays(model, backup):
    """The weights, and the last accepted ones (``last_*``; trainNet's ``saveWeights``)."""
    arrays = model.get_params()
    arrays.update({"last_" + k: v for k, v in (backup or {}).items()})
    return arrays


def restore(folder, model, identity, shapes, cfg):
    """(schedule, last accepted weights) from the checkpoint (its weights into ``model``)
    with ``resume``, else a fresh schedule and no backup."""
    state_keys = ("has_backup", "done", "seconds", "alpha_divide", "llogp")
    saved = folder.restore(identity, expect=shapes, state_keys=state_keys)
    if not saved:
        return Schedule(cfg.learning_rate), None
    arrays, state = saved
    model.set_params(arrays)
    if "lr" in state:   # written before the schedule was the toolkit's: its lr, epochs trained
        state = dict(state, alpha=state["lr"], iter=state["epoch"] - state["done"])
    sched = Schedule(**{f.name: state[f.name] for f in dataclasses.fields(Schedule)})
    backup = {k: arrays["last_" + k] for k in shapes} if state["has_backup"] else None
    folder.log.truncate_after(sched.iter + sched.done)   # iter stays at the stopping epoch
    return sched, backup


def score(model, data, split):
    """ln P of every word of ``split`` (the KN5 record's stream) and the perplexity."""
    lp = np.minimum(model.logprobs(*data.windows[split]), 0.0)
    ppl = math.exp(-lp.mean())
    runsafe.check_finite(f"the {split} perplexity", ppl)
    return lp, ppl


def finish(folder, model, data, sched, cfg, train_words, command, quiet):
    """Valid and test perplexity of the final weights, the per-word probability files and
    the results record."""
    from rnnlm.ngram.mix import write_probs
    res = {}
    for split in ("valid", "test"):
        lp, res[split] = score(model, data, split)
        write_probs(folder.path(f"{split}.probs.txt"), np.exp(lp))
    runlog.say(f"{cfg.name()}: valid perplexity {res['valid']:.2f}, test perplexity "
               f"{res['test']:.2f}", quiet)
    records = folder.log.records()
    cut = [] if sched.done else [f"stopped by the epoch cap at {sched.iter} epochs, before "
                                 f"the schedule ended"]
    if train_words:
        cut.append(f"first {train_words} training words")
    # the sizes once, as the toolkit's records (its ``hyper``: here ``config``)
    what = (f"Feedforward NNLM, Bengio et al. 2003 (order {cfg.order}, projection "
            f"{cfg.projection}, hidden {cfg.hidden}{', direct' if cfg.direct else ''}), our "
            f"recipe: the thesis's FNN setting not established")
    label = f"smaller: {'; '.join(cut)}" if cut else "full"
    wps = [r["words_per_second"] for r in records]
    run_id = os.path.basename(os.path.normpath(folder.folder))
    write_result(folder.folder, run_id, what, res["test"], PUBLISHED, PUBLISHED_SOURCE, label,
                 command, f"PTB simple-examples ({data.dir})", len(records),
                 round(sched.seconds, 1), round(float(np.median(wps)), 1) if wps else None,
                 model="fnn",
                 extra={"valid_perplexity": res["valid"], "model_type": "fnn",
                        "config": dataclasses.asdict(cfg),
                        "train_words": train_words, "published_plus_kn5": PUBLISHED_PLUS_KN5,
                        "test_words": int(len(data.ids["test"])),
                        "per_word_probs": ["valid.probs.txt", "test.probs.txt"],
                        "conventions": "each line's words then </s> scored, as rnnlm ngram "
                                       "(SRILM ngram -ppl); contexts cross sentence ends; "
                                       "the first n-1 positions padded with </s>"})
    return {"epochs": len(records), "valid_perplexity": res["valid"],
            "test_perplexity": res["test"], "done": sched.done}


def dry_run(cfg, data_dir=None, out=None, train_words=None):
    """``rnnlm fnn --dry-run``: the model, one update on a batch of training windows and a
    short validation pass; writes nothing. Returns what a real run would do, as text."""
    from rnnlm.fnn.model import FNN
    data = load_data(data_dir, cfg.order, train_words)
    model = FNN(cfg, len(data.vocab))
    ctx, target = data.windows["train"]
    nll = model.train(ctx[:cfg.batch_size], target[:cfg.batch_size], cfg.learning_rate)
    vctx, vtarget = data.windows["valid"]
    ppl = math.exp(-model.logprobs(vctx[:1000], vtarget[:1000]).mean())
    n = len(target)
    return (f"dry run, nothing written: {cfg.name()} on {data.dir} ({len(data.vocab)} words): "
            f"one batch trained (loss {nll / min(n, cfg.batch_size):.3f}), valid ppl {ppl:.2f} "
            f"on its first {len(vtarget[:1000])} words\n"
            f"a real run: up to {cfg.max_epochs} epoch(s) of {n} windows in batches of "
            f"{cfg.batch_size}, lr {cfg.learning_rate} halved by the toolkit schedule, "
            f"into {out or cfg.default_out()}/")
