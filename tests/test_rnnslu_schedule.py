"""rnnslu training loops against independent references.

* The dlt decay inside ``main()``, driven by a scripted validation-F1 sequence that goes stale:
  the restore of the best model, the faithful ``rnn = best_rnn`` aliasing (later decays restore
  nothing), the halvings in the log, the stop under 1e-5, resume mid-decay.
* The same-seed reshuffling, against ``random.seed(345); random.shuffle(order)`` every epoch.
* is13 and Jordan resume equal to an uninterrupted run.

All on the first sentences of the embedded toy corpus (``load_data`` cut down), tiny sizes.
"""
import json
import os
import random

import numpy as np
import pytest

from rnnrepro import checkpoint, engine
from rnnslu import train as slu_train
from rnnslu.toy import toy_corpus

SMALL = dict(data="toy", nhidden=6, emb_dimension=4, win=3, verbose=0)


def _small_corpus(n_train=30, n_eval=8):
    tr, va, te, dic = toy_corpus()
    cut = lambda split, n: tuple(list(part[:n]) for part in split)
    return cut(tr, n_train), cut(va, n_eval), cut(te, n_eval), dic


_MODELS = {}


@pytest.fixture
def small_data(monkeypatch):
    """The cut-down toy corpus, and one compiled model per (kind, sizes) shared by every
    ``main`` call of this module (each call still gets the seeded initial parameters)."""
    data = _small_corpus()
    monkeypatch.setattr(slu_train, "load_data", lambda s: data)
    real = dict(slu_train.MODELS)

    def shared(kind):
        def make(nh, nc, ne, de, cs, seed, **kw):
            fresh = real[kind](nh=nh, nc=nc, ne=ne, de=de, cs=cs, seed=seed, **kw)  # no compile yet
            key = (kind, nh, nc, ne, de, cs, engine.floatx(), tuple(sorted(kw.items())))
            model = _MODELS.setdefault(key, fresh)
            model.set_params(fresh.get_params())
            return model
        return make
    monkeypatch.setattr(slu_train, "MODELS", {k: shared(k) for k in real})
    return data


def _log(folder):
    with open(os.path.join(folder, "log.jsonl")) as f:
        return [json.loads(line) for line in f]


def _strip(recs):
    return [{k: v for k, v in r.items() if not k.endswith("seconds") and k != "peak_rss_mb"}
            for r in recs]


class ScriptedF1:
    """Validation F1 per epoch from a script (the real conlleval file is still written);
    the test-set evaluation stays real."""

    def __init__(self, monkeypatch, script, start=0):
        self.script, self.i = script, start
        real = slu_train.evaluate

        def evaluate(rnn, windows, lex, y, idx2label, idx2word, filename):
            res = real(rnn, windows, lex, y, idx2label, idx2word, filename)
            if os.path.basename(filename) != "current.valid.txt":
                return res
            f1 = self.script[self.i]
            self.i += 1
            return dict(p=f1, r=f1, f1=f1)
        monkeypatch.setattr(slu_train, "evaluate", evaluate)


class Snapshots:
    """Every checkpoint ``main`` writes, copied (one per epoch)."""

    def __init__(self, monkeypatch):
        self.saved = []
        real = slu_train.checkpoint.save

        def save(path, arrays, state):
            self.saved.append(({k: np.array(v) for k, v in arrays.items()},
                               json.loads(json.dumps(state))))
            return real(path, arrays, state)
        monkeypatch.setattr(slu_train.checkpoint, "save", save)


# Epoch 0 is the best (F1 50), every later epoch is worse (40): from epoch 10 on the decay
# fires every epoch. lr 1e-4: 1e-4 (epochs 0-10), then halved at the end of epochs 10, 11, 12,
# 13; after epoch 13 it is 6.25e-6 < 1e-5 and training stops (14 epochs logged).
STALE = [50.0] + [40.0] * 30
LR = 1e-4
LRS = [LR] * 11 + [LR / 2, LR / 4, LR / 8]


def _main(tmp_path, name, nepochs=40, resume=False, **kw):
    """``main``; returns (s, a copy of the final parameters: the model object is shared)."""
    s = slu_train.make_config(**dict(SMALL, out=str(tmp_path / name), nepochs=nepochs, lr=LR,
                                     **kw))
    s, rnn = slu_train.main(s, resume=resume)
    return s, {k: v.copy() for k, v in rnn.get_params().items()}


@pytest.mark.parametrize("reset", ["aliased", "always"])
def test_dlt_decay_in_main(tmp_path, small_data, monkeypatch, reset):
    ScriptedF1(monkeypatch, STALE)
    snaps = Snapshots(monkeypatch)
    s, _ = _main(tmp_path, reset, reset=reset)
    recs = _log(s["out"])
    assert [r["lr"] for r in recs] == LRS
    assert all(r["best_epoch"] == 0 for r in recs) and s["epochs_run"] == 14
    best = {k[6:]: v for k, v in snaps.saved[0][0].items() if k.startswith("param/")}
    params = [{k[6:]: v for k, v in a.items() if k.startswith("param/")} for a, _ in snaps.saved]
    same = lambda p: all(np.array_equal(p[k], best[k]) for k in best)
    assert not same(params[9])             # epochs 1-9 trained on
    assert same(params[10])                # first decay: reset to the best model (epoch 0)
    # rnn = best_rnn: the later decays restore nothing; 'always' restores at every decay
    assert [same(p) for p in params[11:]] == [reset == "always"] * 3
    state = snaps.saved[-1][1]["train_state"]
    assert state["done"] and state["clr"] == LR / 16 and state["aliased"]


@pytest.mark.parametrize("cut", [10, 12])
def test_dlt_resume_mid_decay_equals_uninterrupted(tmp_path, small_data, monkeypatch, cut):
    """cut 10: the first decay happens after the resume; cut 12: resumed while aliased."""
    ScriptedF1(monkeypatch, STALE)
    full, m1 = _main(tmp_path, "full")
    ScriptedF1(monkeypatch, STALE)
    _main(tmp_path, "cut", nepochs=cut)
    ScriptedF1(monkeypatch, STALE, start=cut)
    resumed, m2 = _main(tmp_path, "cut", resume=True)
    assert _strip(_log(full["out"])) == _strip(_log(resumed["out"]))
    for k, v in m1.items():
        np.testing.assert_array_equal(v, m2[k], err_msg=k)


def test_same_seed_reshuffle_every_epoch(tmp_path, small_data, monkeypatch):
    orders = []
    real = slu_train.train_epoch

    def spy(rnn, s, windows, y, order, clr, desc, **kw):
        orders.append(list(order))
        return real(rnn, s, windows, y, order, clr, desc, **kw)
    monkeypatch.setattr(slu_train, "train_epoch", spy)
    _main(tmp_path, "shuffle", nepochs=3)
    expect, order = [], list(range(len(small_data[0][0])))
    for _ in range(3):  # rnnslu.py: shuffle([...], s['seed']) at the top of every epoch
        random.seed(345)
        random.shuffle(order)
        expect.append(list(order))
    assert orders == expect and expect[0] != expect[1]


@pytest.mark.parametrize("model,trainer", [("elman", "word"), ("jordan", "word"),
                                           ("bi-elman", "fast")])
def test_is13_resume_equals_uninterrupted(tmp_path, small_data, model, trainer):
    kw = dict(preset="is13", model=model, bs=3, is13_trainer=trainer)
    straight, m1 = _main(tmp_path, "a", nepochs=3, **kw)
    _main(tmp_path, "b", nepochs=1, **kw)
    with open(tmp_path / "b" / "log.jsonl", "a") as f:   # killed after the log, before the
        f.write(json.dumps({"epoch": 1}) + "\n")          # checkpoint: the record is dropped
    resumed, m2 = _main(tmp_path, "b", nepochs=3, resume=True, **kw)
    for k, v in m1.items():
        np.testing.assert_array_equal(v, m2[k], err_msg=k)
    assert _strip(_log(straight["out"])) == _strip(_log(resumed["out"]))
    _, state = checkpoint.load(os.path.join(resumed["out"], "checkpoint.npz"))
    assert state["train_state"]["epoch"] == 3 and state["config"]["regime"] == "word"
