"""Linear interpolation of language models from their per-word probabilities.

    P(w_t) = sum_k lambda_k P_k(w_t),   lambda_k >= 0,  sum_k lambda_k = 1

The weights maximise the validation log-likelihood by EM (SRILM's ``compute-best-mix``):

    post_k(t) = lambda_k P_k(w_t) / P(w_t),    lambda_k <- mean_t post_k(t)

from equal weights until no weight moves by more than ``tol`` (compute-best-mix stops at
0.001; we go further: the optimum is unique, the log-likelihood being concave in lambda).
The test perplexity is then that of the mixture with those weights. The toolkit's
``-lm-prob FILE -lambda L`` is the two-model case with L fixed by hand (0.5 in its example).

Inputs are per-word probability files, one probability per scored token in the same order
for every model (``rnnlm ngram`` writes ``valid.probs.txt`` / ``test.probs.txt`` in its run
folder; ``rnnlm ptb-rnnlm`` does too): the files of one split must have equal lengths.

``write_mix_run`` keeps a mixture as a run folder of its own: ``run.json`` (the weights, the
valid and test perplexities, and each input's run folder, id, command and commit read from
its ``run.json``, beside the thesis's "+KN5" figure where the inputs are the pair it names) and
the mixture's own ``valid.probs.txt`` / ``test.probs.txt`` (a model for ``mix`` or ``cache``).
"""
import os
import time

import numpy as np

from rnnrepro.files import InputError

SPLITS = ("valid", "test")

# Mikolov 2012 PhD thesis, Table 4.1, column "+KN5": each model linearly interpolated with the
# KN5 baseline. The RNN row is the 124.7 model (its setting: rnnlm.toolkit's docstring); the
# dynamically evaluated RNN row the same model evaluated with -dynamic (123.2 alone).
PUBLISHED_PLUS_KN5 = {"rnn": 105.7, "dynamic rnn": 102.7, "me": 138.7, "fnn": 116.7}
PUBLISHED_PLUS_KN5_SOURCE = ("Mikolov 2012 PhD thesis, Table 4.1 (+KN5 column: RNN + KN5 105.7, "
                             "for the RNN of 124.7 alone; dynamically evaluated RNN + KN5 102.7; "
                             "maximum entropy 5-gram + KN5 138.7; feedforward NNLM [50] + KN5 116.7)")


def read_probs(path):
    """One probability per line; anything not in (0, 1] names the file and line."""
    from rnnrepro.files import read_text
    lines = read_text(path, "per-word probability file").split()
    try:
        p = np.array(lines, dtype=np.float64)
    except ValueError:
        bad = next(i for i, x in enumerate(lines) if not _is_float(x))
        raise InputError(f"{path}: line {bad + 1}: {lines[bad]!r} is not a number") from None
    bad = np.flatnonzero(~((p > 0) & (p <= 1)))
    if len(bad):
        raise InputError(f"{path}: line {bad[0] + 1}: {lines[bad[0]]} is not a probability "
                         f"in (0, 1]")
    if not len(p):
        raise InputError(f"{path}: no probabilities")
    return p


def write_probs(path, probs):
    """One probability per line (``%.12g``): the layout ``read_probs`` and the toolkit's
    ``-lm-prob`` read."""
    from rnnrepro.files import write_text
    write_text(path, "".join(f"{p:.12g}\n" for p in np.asarray(probs, dtype=float).tolist()))


def _is_float(x):
    try:
        float(x)
        return True
    except ValueError:
        return False


def em_weights(probs, tol=1e-9, max_iter=100000):
    """EM for the mixture weights of ``probs`` (models x tokens): (weights, iterations)."""
    probs = np.asarray(probs, dtype=np.float64)
    k = probs.shape[0]
    lam = np.full(k, 1.0 / k)
    for it in range(1, max_iter + 1):
        mix = lam @ probs
        new = lam * (probs / mix).mean(axis=1)
        new /= new.sum()
        done = np.abs(new - lam).max() < tol
        lam = new
        if done:
            break
    return lam, it


def perplexity(probs, weights=None):
    """exp(-mean ln P) of one model's ``probs`` or of the mixture ``weights @ probs``."""
    p = probs if weights is None else np.asarray(weights) @ probs
    return float(np.exp(-np.mean(np.log(p))))


def read_runs(runs):
    """{split: the runs' per-word probabilities, runs x tokens}; one line naming the file for
    a missing file or a different token count."""
    if len(runs) < 2:
        raise InputError("give two or more run folders to mix")
    from rnnrepro.runsafe import recover
    for r in runs:
        recover(r)   # a killed --overwrite in the folder: its old run first
    data = {}
    for split in SPLITS:
        arrs = []
        for r in runs:
            path = os.path.join(r, f"{split}.probs.txt")
            if not os.path.isfile(path):
                raise InputError(f"{path}: per-word probability file not found (does {r} "
                                 f"hold a run that wrote them?)")
            arrs.append(read_probs(path))
        lens = {len(a) for a in arrs}
        if len(lens) > 1:
            raise InputError(f"{split}.probs.txt: the runs scored different token counts ("
                             + ", ".join(f"{r}: {len(a)}" for r, a in zip(runs, arrs))
                             + "); per-word probabilities must cover the same tokens")
        data[split] = np.vstack(arrs)
    return data


def mix_runs(runs, names=None, data=None):
    """Tune on the runs' valid files, score their test files: a dict of the weights and the
    perplexities of each model and of the mixture (``data``: ``read_runs(runs)``, if read)."""
    data = data or read_runs(runs)
    names = names or [os.path.basename(os.path.normpath(r)) for r in runs]
    lam, iters = em_weights(data["valid"])
    return {"models": names, "weights": lam.tolist(), "em_iterations": iters,
            "valid_perplexity": perplexity(data["valid"], lam),
            "test_perplexity": perplexity(data["test"], lam),
            "model_valid_perplexity": [perplexity(p) for p in data["valid"]],
            "model_test_perplexity": [perplexity(p) for p in data["test"]],
            "tokens": {s: int(data[s].shape[1]) for s in SPLITS}}


def _input_record(run):
    """What the mixture's record says of one input: its folder and, from its ``run.json`` (None
    where the folder has none), id, what, value, label, command and commit."""
    from rnnrepro.files import read_json
    path = os.path.join(run, "run.json")
    entry = {"run": os.path.abspath(run)}
    if not os.path.isfile(path):
        return entry, None
    rec = read_json(path, "run record")
    for key in ("id", "what", "value", "valid_perplexity", "label", "command", "commit", "data"):
        entry[key] = rec.get(key)
    return entry, rec


def _kind(rec):
    """``"kn5"``, ``"rnn"`` (the toolkit RNN without direct connections), ``"dynamic rnn"``
    (that RNN dynamically evaluated: ``rnnlm ptb-rnnlm-test --dynamic``), ``"me"`` (a
    maximum-entropy 5-gram: ``rnnlm ngram --maxent``, or the toolkit's hidden-0 model),
    ``"fnn"`` (``rnnlm fnn``) or None."""
    if not rec:
        return None
    if rec.get("order") == 5 and rec.get("smoothing") in ("kn", "maxent"):
        return {"kn": "kn5", "maxent": "me"}[rec["smoothing"]]
    if rec.get("model_type") == "fnn":
        return "fnn"
    hyper = rec.get("hyper")
    if isinstance(hyper, dict) and "hidden" in hyper and not hyper.get("direct_size"):
        return "dynamic rnn" if rec.get("dynamic") else "rnn"
    if (isinstance(hyper, dict) and hyper.get("hidden") == 0 and hyper.get("direct_order") == 5
            and not rec.get("dynamic")):
        return "me"
    return None


def published_mix(records):
    """The thesis's "+KN5" figure for a mixture of exactly one KN5 run and one model it lists
    (None otherwise): (value, source, what the figure is for)."""
    kinds = sorted(str(_kind(r)) for r in records)
    if len(kinds) == 2 and "kn5" in kinds:
        other = kinds[0] if kinds[1] == "kn5" else kinds[1]
        if other in PUBLISHED_PLUS_KN5:
            return PUBLISHED_PLUS_KN5[other], PUBLISHED_PLUS_KN5_SOURCE
    return None, None


def write_mix_run(runs, out, overwrite=False, command=None):
    """``mix_runs(runs)`` kept as the run folder ``out`` (``run.json``, a results record);
    refuses a folder that holds a run unless ``overwrite``. Returns the record."""
    from rnnrepro import runlog, runsafe
    from rnnrepro.results import write_record
    outs = os.path.abspath(out)
    if any(os.path.abspath(r) == outs for r in runs):
        raise InputError(f"--out {out}: is one of the runs being mixed; give another folder")
    t0 = time.perf_counter()
    data = read_runs(runs)
    res = mix_runs(runs, data=data)
    probs = {s: np.asarray(res["weights"]) @ data[s] for s in SPLITS}
    inputs, recs = zip(*(_input_record(r) for r in runs))
    published, source = published_mix(recs)
    whats = [e.get("what") or e.get("id") or os.path.basename(os.path.normpath(e["run"]))
             for e in inputs]
    not_full = [e.get("id") or e["run"] for e in inputs if e.get("label", "full") != "full"]
    datas = sorted({e["data"] for e in inputs if e.get("data")})
    rec = {
        "id": os.path.basename(os.path.normpath(out)), "package": "rnnlm",
        "what": "linear interpolation of " + " + ".join(whats)
                + " (weights tuned on valid by EM)",
        "metric": "test perplexity", "value": res["test_perplexity"],
        "published": published, "published_source": source,
        "label": "full" if not not_full else "smaller: input(s) not full: " + ", ".join(not_full),
        "command": command or "", "commit": runlog.git_commit(),
        "data": "; ".join(datas) or "per-word probability files of the inputs",
        "hardware": runlog.hardware(), "engine": "numpy", "engine_version": np.__version__,
        "linker": None, "floatX": "float64", "epochs": None,
        "seconds": round(time.perf_counter() - t0, 1),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "valid_perplexity": res["valid_perplexity"],
        "weights": res["weights"], "models": res["models"],
        "model_valid_perplexity": res["model_valid_perplexity"],
        "model_test_perplexity": res["model_test_perplexity"],
        "em_iterations": res["em_iterations"], "tokens": res["tokens"],
        "inputs": list(inputs), "per_word_probs": [f"{s}.probs.txt" for s in SPLITS],
    }
    with runsafe.claim(out, overwrite=overwrite, markers=("run.json",)):
        for split in SPLITS:   # the mixture is a model too: rnnlm mix / rnnlm cache read it
            write_probs(os.path.join(out, f"{split}.probs.txt"), probs[split])
        write_record(out, rec)
    return rec
