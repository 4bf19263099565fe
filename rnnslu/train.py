"""Training loops of the two tutorials, with early stopping, logs, checkpoints and resume.

Two faithful regimes (``PRESETS``):

- ``dlt`` (deeplearning.net ``rnnslu.py``): one SGD step per sentence on the mean sentence NLL;
  after 10 epochs without a better validation F1 the learning rate is halved and the model is
  reset to the best one; training stops when the rate falls under 1e-5.
- ``is13`` (``elman-forward.py`` / ``jordan-forward.py``): one SGD step per word, on the NLL of
  that word given the last ``bs`` context windows (``minibatch``); no decay.
  ``is13_trainer="fast"`` runs the same updates through one compiled function per window
  length (no ``scan``, parameters updated in place) instead of is13's graph (the default,
  ``"word"``).

Both renormalise the embeddings to unit length after every update and evaluate valid and test
F1 (conlleval) after every epoch. Each epoch appends one JSON line to ``log.jsonl`` and rewrites
``checkpoint.npz`` atomically, so ``resume=True`` continues a killed run from its last completed
epoch and ends exactly where an uninterrupted run would.

Licences of the originals: is13's ``examples/*-forward.py`` are CC BY-NC 4.0; deeplearning.net's
``rnnslu.py`` is BSD 3-Clause. See LICENSE.
"""
import os
import random
from dataclasses import dataclass

import numpy as np

from rnnrepro import checkpoint, engine, runsafe
from rnnrepro.runfolder import RunFolder
from rnnrepro.files import naming, write_json
from rnnrepro.runlog import JsonlLog, Timer, compiling, git_commit, hardware, peak_rss_mb, \
    progress

from .conlleval import conlleval
from .data import index_to_name, load_atis, minibatch, shuffle
from .model import MODELS
from .toy import toy_corpus

PRESETS = {
    "dlt": dict(regime="sentence", lr=0.0970806646812754, win=7, nhidden=200,
                emb_dimension=50, seed=345, nepochs=60, decay=True, bs=9),
    "is13": dict(regime="word", lr=0.0627142536696559, win=7, nhidden=100,
                 emb_dimension=100, seed=345, nepochs=50, decay=False, bs=9),
}
# is13 regime: "word" (default) is is13's loop, one compiled call per word through a scan over
# the word's window; "fast" makes the same per-word updates (equal to 1e-10 relative in float64,
# see tests/test_sweep.py) through one compiled function per window length, unrolled, updating
# in place: faster than the word loop (results/bench_is13_run3, bench_is13_linkers), and the
# linker (--linker numba) matters more than the trainer (results/bench_is13_linkers). The
# faithful loop stays the default trainer.
IS13_TRAINERS = ("fast", "word")
BI_COMBINE = ("shifted", "aligned")  # bidirectional models: see rnnslu.model._Bidirectional
BIDIRECTIONAL = tuple(k for k, m in MODELS.items() if m.bidirectional)
TOY_EPOCHS = 8  # the embedded toy corpus needs far fewer epochs than ATIS


def make_config(preset="dlt", **overrides):
    """The tutorial's parameter dict ``s`` for a preset, with ``overrides`` (None = keep)."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {sorted(PRESETS)}")
    s = dict(PRESETS[preset], preset=preset, model="elman", data="atis", fold=3,
             data_dir=None, reset="aliased", out=None, verbose=1, is13_trainer="word")
    if overrides.get("data") == "toy" and overrides.get("nepochs") is None:
        s["nepochs"] = TOY_EPOCHS
    s.update({k: v for k, v in overrides.items() if v is not None})
    if s["model"] not in MODELS:
        raise ValueError(f"unknown model {s['model']!r}; choose from {sorted(MODELS)}")
    if s["model"] in BIDIRECTIONAL:   # its own option; absent for the other models
        s["bi_combine"] = s.get("bi_combine") or "shifted"
        if s["bi_combine"] not in BI_COMBINE:
            raise ValueError(f"bi_combine must be one of {BI_COMBINE}, not {s['bi_combine']!r}")
    elif s.get("bi_combine"):
        raise ValueError(f"bi_combine is for the bidirectional models, not {s['model']!r}")
    else:
        s.pop("bi_combine", None)
    if s["is13_trainer"] not in IS13_TRAINERS:
        raise ValueError(f"is13_trainer must be one of {IS13_TRAINERS}, not {s['is13_trainer']!r}")
    if s["reset"] not in ("aliased", "always"):
        raise ValueError("reset must be 'aliased' (faithful) or 'always'")
    if s["out"] is None:
        where = "toy" if s["data"] == "toy" else f"fold{s['fold']}"
        s["out"] = os.path.join("runs", f"rnnslu-{s['preset']}-{s['model']}-{where}")
    return s


def model_options(s):
    """The model's own options in ``s``: ``combine`` for a bidirectional model (the key is
    absent from the configs of the other models, so their run identities are unchanged)."""
    return {"combine": s["bi_combine"]} if s.get("bi_combine") else {}


def load_data(s):
    if s["data"] == "toy":
        return toy_corpus()
    if s["data"] == "atis":
        return load_atis(s["fold"], s["data_dir"])
    raise ValueError(f"unknown data {s['data']!r}: 'atis' or 'toy'")


def _say(s, *args):
    if s["verbose"]:
        print(*args, flush=True)


def evaluate(rnn, windows, lex, y, idx2label, idx2word, filename):
    """Predict every sentence (``windows``: its context windows, built once per run), write the
    conlleval file, return {'p','r','f1'}."""
    predictions = [[idx2label[i] for i in rnn.classify(w)] for w in windows]
    groundtruth = [[idx2label[i] for i in t] for t in y]
    words = [[idx2word[i] for i in w] for w in lex]
    with naming(filename):  # a full disk names the file
        return conlleval(predictions, groundtruth, words, filename)


def train_epoch(rnn, s, train_windows, train_y, order, clr, desc, run=None):
    """One pass over the training sentences in ``order``; returns the mean training cost.

    ``train_windows`` are the sentences' context windows (``rnn.windows``), built once per run
    rather than every epoch. ``run`` = (this epoch, epochs in the run): the progress shows the
    time left in the run too."""
    costs = []
    if s["regime"] == "sentence":
        step = rnn.training_step("sentence")
        for i in progress(order, desc=desc, quiet=not s["verbose"], unit="sent", run=run):
            costs.append(step(train_windows[i], train_y[i], clr))
    elif s.get("is13_trainer", "word") == "fast":
        # the same per-word updates, one compiled function per window length (sentence_words_train)
        for i in progress(order, desc=desc, quiet=not s["verbose"], unit="sent", run=run):
            costs.extend(rnn.sentence_words_train(train_windows[i], train_y[i], clr, s["bs"]))
    elif rnn.bidirectional:  # "word": is13's loop, each word's window reaching past it too
        step = rnn.training_step("word")
        for i in progress(order, desc=desc, quiet=not s["verbose"], unit="sent", run=run):
            w, n = train_windows[i], len(train_y[i])
            for t, label in enumerate(train_y[i]):
                lo, hi = rnn.word_window(t, n, s["bs"])
                costs.append(step(w[lo:hi], t - lo, int(label), clr))
    else:  # "word": is13's loop, one compiled call per word (the reference)
        step = rnn.training_step("word")
        for i in progress(order, desc=desc, quiet=not s["verbose"], unit="sent", run=run):
            for word_batch, label in zip(minibatch(train_windows[i], s["bs"]), train_y[i]):
                costs.append(step(word_batch, int(label), clr))
    return float(np.mean(costs))


def decay_step(st, e, decay, reset):
    """rnnslu.py's decay rule at the end of epoch ``e``; True when the caller must restore the
    best parameters.

    After 10 epochs without a better validation F1 the rate is halved and the model reset to
    the best one. Faithful oddity: rnnslu.py does ``rnn = best_rnn``, so from then on the
    "best" snapshot *is* the live model; until a new best is found, the later resets (the test
    stays true, so one comes every epoch) restore nothing. ``reset='always'`` restores the
    saved best parameters at every decay instead.
    """
    if not (decay and abs(st["be"] - e) >= 10):
        return False
    st["clr"] *= 0.5
    restore = reset == "always" or not st["aliased"]
    st["aliased"] = True
    return restore


def _snapshot(rnn):
    return {k: v.copy() for k, v in rnn.get_params().items()}


# keys ``main`` adds to ``s`` (results, provenance): not part of the run's identity
RESULT_KEYS = ("be", "vf1", "tf1", "vp", "vr", "tp", "tr", "epochs_run")
SPLITS = ("train", "valid", "test")


@dataclass
class Corpus:
    """The three splits by name (``lex``: sentences, ``y``: their labels, ``windows``: their
    context windows, built once per run) and the dicts' index -> name maps."""
    lex: dict
    y: dict
    windows: dict
    idx2label: dict
    idx2word: dict


def set_up(s):
    """rnnslu.py's set-up: the data, the seeds, the model; returns ``(corpus, rnn, identity)``
    (``identity``: what a resumed run must share with this one)."""
    if s.get("floatX"):
        engine.set_floatx(s["floatX"])
    train_set, valid_set, test_set, dic = load_data(s)
    # Sizes from the dicts. (rnnslu.py counted the *distinct indices used* in the data, which
    # undercounts whenever a label never occurs; is13 used the dicts, as we do.)
    vocsize, nclasses = len(dic["words2idx"]), len(dic["labels2idx"])
    identity = runsafe.run_identity(
        s, data=runsafe.fingerprint(train_set, valid_set, test_set, dic), ignore=RESULT_KEYS,
        model="rnnslu")
    np.random.seed(s["seed"])
    random.seed(s["seed"])
    rnn = MODELS[s["model"]](nh=s["nhidden"], nc=nclasses, ne=vocsize,
                             de=s["emb_dimension"], cs=s["win"], seed=s["seed"],
                             **model_options(s))
    lex = {name: split[0] for name, split in zip(SPLITS, (train_set, valid_set, test_set))}
    y = {name: split[2] for name, split in zip(SPLITS, (train_set, valid_set, test_set))}
    windows = {name: [rnn.windows(x) for x in lex[name]] for name in SPLITS}
    corpus = Corpus(lex, y, windows, index_to_name(dic["labels2idx"]),
                    index_to_name(dic["words2idx"]))
    return corpus, rnn, identity


def restore(run, s, rnn, identity, n_train):
    """The training state ``st`` and the best parameters (None: no best yet): a fresh run's,
    or with ``--resume`` the checkpoint's, after ``run.restore``'s checks and ours: written
    for this model and regime, its best parameters (if any yet) of this model's shapes, every
    key of the training state there."""
    st = dict(epoch=0, clr=s["lr"], best_f1=-np.inf, be=-1, aliased=False, done=False,
              order=list(range(n_train)), best={})
    shapes = {k: v.shape for k, v in rnn.get_params().items()}

    def check(arrays, saved):
        checkpoint.check_contents(run.ckpt_path, arrays, saved,
                                  state_keys=("config", "train_state"))
        if any(k.startswith("best/") for k in arrays):
            checkpoint.check_contents(run.ckpt_path, arrays, saved,
                                      {"best/" + k: v for k, v in shapes.items()})
        missing = [k for k in st if k not in saved["train_state"]]
        if missing:
            raise checkpoint.CheckpointError(f"{run.ckpt_path}: its training state lacks "
                                             f"{', '.join(missing)}")
        if not isinstance(saved["config"], dict) or saved["config"].get("model") != s["model"] \
                or saved["config"].get("regime") != s["regime"]:
            raise checkpoint.CheckpointError(
                f"{run.ckpt_path}: written by a different configuration; use another --out")

    saved = run.restore(identity, expect={"param/" + k: v for k, v in shapes.items()},
                        check=check)
    if saved is None:
        return st, None
    arrays, state = saved
    st = state["train_state"]
    rnn.set_params({k[len("param/"):]: v for k, v in arrays.items() if k.startswith("param/")})
    best_params = {k[len("best/"):]: v for k, v in arrays.items() if k.startswith("best/")}
    run.log.truncate_after(st["epoch"] - 1)
    _say(s, f"resuming {run.folder} at epoch {st['epoch']} (lr {st['clr']:.6g})")
    return st, best_params or None


def main(s, resume=False, overwrite=False):
    """Train with early stopping on validation F1 (rnnslu.py's ``main``; is13's loop is the
    same with a per-word ``train_epoch``); returns ``(s, rnn)``. The run folder ``s['out']`` is
    held for the run (``RunFolder``): a run already there is refused unless ``resume`` (same
    identity only) or ``overwrite``."""
    with RunFolder(s["out"], resume=resume, overwrite=overwrite,
                   say=lambda m: _say(s, m)) as run:
        corpus, rnn, identity = set_up(s)
        st, best_params = restore(run, s, rnn, identity, len(corpus.lex["train"]))
        s.setdefault("commit", git_commit())   # the code this run started from
        write_json(run.path("config.json"), dict(s, **engine.describe("rnnslu")), indent=1)
        with compiling(quiet=not s["verbose"]):  # eagerly: keeps compilation out of epoch times
            rnn.compile_training(s["regime"], s.get("is13_trainer", "word"), s["bs"])
        for e in range(st["epoch"], s["nepochs"]):
            if st["done"]:   # a resumed run that had stopped
                break
            # shuffle (faithful: same seed every epoch, applied to the current order)
            shuffle([st["order"]], s["seed"])
            with Timer() as t_train:
                cost = train_epoch(rnn, s, corpus.windows["train"], corpus.y["train"],
                                   st["order"], st["clr"], f"epoch {e}", run=(e, s["nepochs"]))
            runsafe.check_finite("the training cost", cost, e)
            runsafe.check_finite("parameter", rnn.get_params(), e)
            _say(s, f"[learning] epoch {e} >> 100.00% completed in {t_train.seconds:.2f} (sec) <<")
            with Timer() as t_eval:   # test, then valid
                res_test, res_valid = (evaluate(
                    rnn, corpus.windows[split], corpus.lex[split], corpus.y[split],
                    corpus.idx2label, corpus.idx2word, run.path(f"current.{split}.txt"))
                    for split in ("test", "valid"))
            lr_used = st["clr"]
            if res_valid["f1"] > st["best_f1"]:
                best_params = _snapshot(rnn)   # rnnslu.py: best_rnn = copy.deepcopy(rnn)
                rnn.save(run.path("best"))
                st["best_f1"], st["be"], st["aliased"] = res_valid["f1"], e, False
                st["best"] = dict(vf1=res_valid["f1"], vp=res_valid["p"], vr=res_valid["r"],
                                  tf1=res_test["f1"], tp=res_test["p"], tr=res_test["r"])
                _say(s, "NEW BEST: epoch", e, "valid F1", res_valid["f1"], "best test F1",
                     res_test["f1"])
                for split in ("test", "valid"):
                    os.replace(run.path(f"current.{split}.txt"), run.path(f"best.{split}.txt"))
            if decay_step(st, e, s["decay"], s["reset"]):
                rnn.set_params(best_params)
            if st["clr"] < 1e-5:
                st["done"] = True
            st["epoch"] = e + 1
            run.log.write(dict(epoch=e, lr=lr_used, train_nll=cost, valid=res_valid,
                               test=res_test, best_epoch=st["be"],
                               train_seconds=round(t_train.seconds, 3),
                               eval_seconds=round(t_eval.seconds, 3),
                               peak_rss_mb=round(peak_rss_mb(), 1)))
            arrays = {"param/" + k: v for k, v in rnn.get_params().items()}
            arrays.update({"best/" + k: v for k, v in (best_params or {}).items()})
            run.save(arrays, dict(config=s, train_state=st))
        return finish(s, st, run.folder), rnn


def finish(s, st, folder):
    """``s`` with the best epoch's scores (rnnslu.py's ``param['be']``, ``['vf1']``, ...) and
    the number of epochs run; prints rnnslu.py's last line."""
    b = st["best"]
    s.update(be=st["be"], vf1=b.get("vf1"), tf1=b.get("tf1"), vp=b.get("vp"), vr=b.get("vr"),
             tp=b.get("tp"), tr=b.get("tr"), epochs_run=st["epoch"])
    # (is13's scripts printed the *last* epoch's scores on this line; we print the best ones)
    _say(s, "BEST RESULT: epoch", st["be"], "valid F1", b.get("vf1"), "best test F1",
         b.get("tf1"), "with the model", folder)
    return s


def write_result(s):
    """``result.json`` of a finished run (its config and ``summary``), written atomically: what
    marks the run finished for ``rnnslu sweep`` and ``scripts/record_rnnslu.py``; returns the
    summary."""
    from rnnrepro.files import write_json
    summ = summary(s)
    write_json(os.path.join(s["out"], "result.json"), dict(config=s, summary=summ), indent=1,
               default=str)
    return summ


def summary(s, folder=None):
    """The facts of a finished run for ``results/``: scores, speed, memory, provenance."""
    folder = folder or s["out"]
    recs = JsonlLog(os.path.join(folder, "log.jsonl")).records()
    secs = [r["train_seconds"] for r in recs]
    return dict(best_epoch=s["be"], valid_f1=s["vf1"], test_f1=s["tf1"],
                epochs_run=len(recs),
                seconds_per_epoch=round(float(np.mean(secs)), 2) if secs else None,
                peak_rss_mb=max((r["peak_rss_mb"] for r in recs), default=None),
                commit=s.get("commit") or git_commit(), hardware=hardware(),
                **engine.describe("rnnslu"))
