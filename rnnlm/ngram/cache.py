"""``rnnlm cache``: a model interpolated with a unigram cache of the recent words, SRILM's
``ngram -lm KN5 -cache N -cache-lambda L -ppl`` (the thesis's "KN5 + cache" row, 125.7).

The cache (SRILM ``CacheLM``) is the maximum-likelihood unigram of the last ``N`` scored tokens,
across sentence ends, ``</s>`` among them, and is emptied only at the start of each file:

    P_cache(w_t) = #{s in [t - N, t) : w_s = w_t} / min(t, N)      (0 for the first token)
    P(w_t)       = (1 - lambda) P_base(w_t) + lambda P_cache(w_t)

SRILM scores ``<unk>`` in the cache only when it is a word (``-unk``); the n-gram runs here
score it as a word (``rnnlm.ngram.run``), so the cache counts it too.

What SRILM leaves to the user, ``N`` and ``lambda``, is tuned here on the validation text:
``lambda`` by EM (``mix.em_weights``: the base's probabilities are fixed, so it is a two-model
mixture), ``N`` as the best of the lengths given. The base is any run folder with per-word
probabilities (``rnnlm ngram``, ``rnnlm ptb-rnnlm``, ``rnnlm mix --out``), scored on the same
tokens: each line's words, then ``</s>``.
"""
import os
import time
from collections import Counter, deque

import numpy as np

from rnnrepro.files import InputError

from rnnlm.ngram.mix import SPLITS, em_weights, perplexity, read_probs, write_probs
from rnnlm.ngram.run import PROBS
from rnnlm.ptb_text import resolve_data_dir, scored_words, split_path

PUBLISHED = 125.7
PUBLISHED_SOURCE = "Mikolov 2012 PhD thesis, Table 4.1 (KN5 + cache 125.7)"


def cache_probs(toks, length):
    """``P_cache`` of each token given the ``length`` tokens before it (``CacheLM::wordProb``:
    the estimate is read before the token enters the history)."""
    history, counts = deque(), Counter()
    out = np.empty(len(toks))
    for t, w in enumerate(toks):
        out[t] = counts[w] / len(history) if history else 0.0
        history.append(w)
        counts[w] += 1
        if len(history) > length:
            counts[history.popleft()] -= 1
    return out


def read_base(base, data_dir):
    """{split: (tokens, base probabilities)}; the counts must agree."""
    from rnnrepro.runsafe import recover
    recover(base)   # a killed --overwrite in the folder: its old run first
    data = {}
    for split in SPLITS:
        toks = scored_words(split_path(data_dir, split), "</s>")
        path = os.path.join(base, PROBS.format(split=split))
        if not os.path.isfile(path):
            raise InputError(f"{path}: per-word probability file not found (does {base} hold a "
                             f"run that wrote them?)")
        p = read_probs(path)
        if len(p) != len(toks):
            raise InputError(f"{path}: {len(p)} probabilities for the {len(toks)} tokens of "
                             f"{split_path(data_dir, split)}; the base must score that text")
        data[split] = (toks, p)
    return data


def tune(data, lengths):
    """For each cache length, EM's lambda on valid and the valid perplexity; the best first."""
    toks, base = data["valid"]
    rows = []
    for n in lengths:
        probs = np.vstack([base, cache_probs(toks, n)])
        lam, _ = em_weights(probs)
        rows.append({"length": int(n), "lambda": float(lam[1]),
                     "valid_perplexity": perplexity(probs, lam)})
    return sorted(rows, key=lambda r: r["valid_perplexity"])


def cache_run(base, out, lengths, data_dir=None, overwrite=False, command=None):
    """Tune on valid, score test, keep the interpolated model as the run folder ``out``
    (``run.json`` and its own ``valid.probs.txt`` / ``test.probs.txt``, for ``rnnlm mix``)."""
    from rnnrepro import runlog, runsafe
    from rnnrepro.results import write_record
    if os.path.abspath(base) == os.path.abspath(out):
        raise InputError(f"--out {out}: is the base run; give another folder")
    t0 = time.perf_counter()
    data_dir = resolve_data_dir(data_dir)
    data = read_base(base, data_dir)
    rows = tune(data, lengths)
    best = rows[0]
    lam = np.array([1 - best["lambda"], best["lambda"]])
    mixed = {s: lam @ np.vstack([data[s][1], cache_probs(data[s][0], best["length"])])
             for s in SPLITS}
    rec = _record(out, base, rows, mixed, data, command, data_dir)
    rec["seconds"] = round(time.perf_counter() - t0, 1)
    rec["commit"] = runlog.git_commit()
    with runsafe.claim(out, overwrite=overwrite, markers=("run.json",)):
        for s in SPLITS:
            write_probs(os.path.join(out, PROBS.format(split=s)), mixed[s])
        write_record(out, rec)
    return rec


def _base_record(base):
    from rnnrepro.files import read_json
    path = os.path.join(base, "run.json")
    return read_json(path, "run record") if os.path.isfile(path) else {}


def _record(out, base, rows, mixed, data, command, data_dir):
    """The run's record: ``rows`` as ``tune`` (the best first), ``mixed`` the written
    probabilities by split, ``data`` as ``read_base``."""
    from rnnrepro import runlog
    best, base_rec = rows[0], _base_record(base)
    kn5 = base_rec.get("smoothing") == "kn" and base_rec.get("order") == 5
    what = base_rec.get("what") or os.path.basename(os.path.normpath(base))
    label = base_rec.get("label", "full")
    return {
        "id": os.path.basename(os.path.normpath(out)), "package": "rnnlm",
        "what": f"{what} + unigram cache of the last {best['length']} tokens (SRILM -cache; "
                f"length and lambda tuned on valid)",
        "metric": "test perplexity", "value": perplexity(mixed["test"]),
        "published": PUBLISHED if kn5 else None,
        "published_source": PUBLISHED_SOURCE if kn5 else None,
        "label": label if label == "full" else f"smaller: base not full ({label})",
        "command": command or "", "commit": None,
        "data": f"PTB simple-examples ({data_dir})", "hardware": runlog.hardware(),
        "engine": "numpy", "engine_version": np.__version__, "linker": None,
        "floatX": "float64", "epochs": None, "seconds": None,
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "valid_perplexity": perplexity(mixed["valid"]),
        "cache_length": best["length"], "cache_lambda": best["lambda"],
        "tuning": rows, "tokens": {s: len(data[s][0]) for s in SPLITS},
        "base": {"run": os.path.abspath(base), "id": base_rec.get("id"),
                 "value": base_rec.get("value"), "command": base_rec.get("command"),
                 "commit": base_rec.get("commit")},
        "per_word_probs": [PROBS.format(split=s) for s in SPLITS],
    }
