"""The tutorial's KISS random search over hyper-parameters, trials run in parallel through
joblib (``rnnrepro.parallel``: local processes or a dask cluster).

Intervals from the deeplearning.net rnnslu tutorial: learning rate uniform in [0.01, 0.05],
window size odd in {3, ..., 19}, hidden units {100, 200}, embedding dimension {50, 100}. The
trial list comes from one seeded RNG in the submitting process, and each trial is seeded, so
the ranked table is the same whatever the backend.
"""
import json
import os
import random

from rnnrepro.files import naming
from rnnrepro.parallel import run_tasks


def sample_trial(rng):
    return dict(lr=rng.uniform(0.01, 0.05), win=rng.choice(range(3, 20, 2)),
                nhidden=rng.choice([100, 200]), emb_dimension=rng.choice([50, 100]))


def _run_trial(args):
    base, trial, i = args
    from rnnrepro import engine
    from .train import main, make_config   # imported in the worker: the engine loads there
    s = make_config(**dict(base, **trial, out=os.path.join(base["out"], f"trial{i:03d}"),
                           verbose=0))
    s, _ = main(s, resume=True)  # a re-run of the same search continues its trials
    return dict(trial=i, **trial, best_epoch=s["be"], valid_f1=s["vf1"], test_f1=s["tf1"],
                out=s["out"], engine=engine.NAME, floatX=engine.floatx())


def rank(results):
    """Best validation F1 first; ties by trial number, so the order never depends on which
    trial finished first."""
    return sorted(results, key=lambda r: (-(r["valid_f1"] if r["valid_f1"] is not None else -1),
                                          r["trial"]))


def random_search(base, trials=8, jobs=2, seed=1234, backend="loky", scheduler=None):
    """Run ``trials`` random configurations of ``base`` (a make_config overrides dict) on
    ``backend``; returns the results ranked by validation F1 and writes ``search.jsonl``."""
    rng = random.Random(seed)
    work = [(base, sample_trial(rng), i) for i in range(trials)]
    results = []
    path = os.path.join(base["out"], "search.jsonl")
    f = None
    try:
        for r in run_tasks(_run_trial, work, backend, jobs, scheduler):
            if f is None:   # only now: a backend that fails first leaves the folder as it was
                os.makedirs(base["out"], exist_ok=True)   # (and a re-run's old search.jsonl)
                with naming(path):
                    f = open(path, "w")
            results.append(r)
            with naming(path):   # a full disk names the file
                f.write(json.dumps(r) + "\n")
                f.flush()
            print(f"trial {r['trial']:3d} done: valid F1 {r['valid_f1']}  test F1 {r['test_f1']}",
                  flush=True)
    finally:
        if f is not None:
            with naming(path):
                f.close()
    return rank(results)


def format_ranking(results):
    head = f"{'rank':>4} {'trial':>5} {'lr':>8} {'win':>3} {'nh':>4} {'emb':>4} " \
           f"{'best ep':>7} {'valid F1':>8} {'test F1':>8}"
    rows = [head, "-" * len(head)]
    for k, r in enumerate(results, 1):
        rows.append(f"{k:>4} {r['trial']:>5} {r['lr']:>8.5f} {r['win']:>3} {r['nhidden']:>4} "
                    f"{r['emb_dimension']:>4} {r['best_epoch']:>7} {r['valid_f1']:>8.2f} "
                    f"{r['test_f1']:>8.2f}")
    return "\n".join(rows)
