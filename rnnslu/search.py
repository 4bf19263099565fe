"""The tutorial's KISS random search over hyper-parameters, trials run in parallel through
joblib (``rnnrepro.parallel``: local processes or a dask cluster).

Intervals from the deeplearning.net rnnslu tutorial: learning rate uniform in [0.01, 0.05],
window size odd in {3, ..., 19}, hidden units {100, 200}, embedding dimension {50, 100}. The
trial list comes from one seeded RNG in the submitting process, and each trial is seeded, so
the ranked table is the same whatever the backend.

A sampled option the user gives (``--lr``, ``--win``, ``--nhidden``, ``--emb``) is honoured:
every trial takes it, and only the others vary (the draws are made as without it, so the other
options of trial N are the same). The trainer options (``--is13-trainer``, ``--bs``, ...) go to
every trial as given.

A search folder is one search: ``search.json`` keeps what makes it one (the search seed, the
fixed options, the base configuration). Running the same search again continues it (finished
trials are not retrained, and rows of trials it does not run again are kept in
``search.jsonl``); another search into the same folder is refused, naming what differs.
"""
import json
import os
import random
import re

from rnnrepro.files import read_json, read_jsonl, write_json, write_text
from rnnrepro.parallel import run_tasks
from rnnrepro.runsafe import identity_differences

from .sweep import SweepError

# the options the search draws (make_config's names)
SAMPLED = ("lr", "win", "nhidden", "emb_dimension")
# a trial's configuration that may change between runs of one search: how long and where
MAY_CHANGE = ("out", "verbose", "nepochs", "data_dir")
IDENTITY_FILE = "search.json"
# the fields of a search.jsonl row that ``rank``/``format_ranking`` read
ROW = ("trial", *SAMPLED, "best_epoch", "valid_f1", "test_f1")


def sample_trial(rng, fixed=None):
    """One trial's options from ``rng``; ``fixed`` (user-given options) replace the drawn
    ones, after drawing, so the other options are those of the same trial without them."""
    trial = dict(lr=rng.uniform(0.01, 0.05), win=rng.choice(range(3, 20, 2)),
                 nhidden=rng.choice([100, 200]), emb_dimension=rng.choice([50, 100]))
    return dict(trial, **(fixed or {}))


def draw_trials(trials, seed, fixed=None):
    """The first ``trials`` trials of the search with ``seed`` (and ``fixed`` options)."""
    rng = random.Random(seed)
    return [sample_trial(rng, fixed) for _ in range(trials)]


def search_identity(base, seed, fixed=None):
    """What makes a search folder's trials one search's."""
    return json.loads(json.dumps(dict(
        {k: v for k, v in base.items() if k not in MAY_CHANGE},
        search_seed=seed, fixed=dict(sorted((fixed or {}).items()))), sort_keys=True))


def earlier_rows(out, identity, seed, fixed=None):
    """The rows of the search already in ``out`` (``search.jsonl``), once it is known to be
    this search; another search there is a ``SweepError`` naming what differs."""
    folder, ident_path = out, os.path.join(out, IDENTITY_FILE)
    path = os.path.join(out, "search.jsonl")
    rows = read_jsonl(path, "search record", require=ROW) if os.path.exists(path) else []
    if os.path.exists(ident_path):
        old = read_json(ident_path, "search identity")
        diffs, one_sided = identity_differences(old, identity)
        if diffs or one_sided:
            what = "; ".join(diffs + [f"{k} only in one" for k in one_sided])
            raise SweepError(f"{folder}: holds another search ({what}); use another --out, or "
                             f"the same options to continue it")
    elif rows:   # a folder from before search.json: its rows must be this search's draws
        drawn = draw_trials(max(r["trial"] for r in rows) + 1, seed, fixed)
        for r in rows:
            t = r["trial"]
            if not isinstance(t, int) or t < 0 or any(r[k] != drawn[t][k] for k in SAMPLED):
                raise SweepError(f"{path}: trial {t!r} is not this search's (another "
                                 f"--search-seed or sampled options?); use another --out")
    else:   # killed before its first trial ended: only trial folders say whose search it was
        _check_trial_folders(out, identity, seed, fixed)
    return rows


def _check_trial_folders(out, identity, seed, fixed):
    """Each ``trialNNN/config.json`` in ``out`` must be the configuration this search gives
    trial NNN (its draws, its base options); else a ``SweepError`` naming the file."""
    names = sorted(n for n in (os.listdir(out) if os.path.isdir(out) else ())
                   if re.fullmatch(r"trial\d{3}", n)
                   and os.path.exists(os.path.join(out, n, "config.json")))
    if not names:
        return
    drawn = draw_trials(max(int(n[5:]) for n in names) + 1, seed, fixed)
    for n in names:
        path = os.path.join(out, n, "config.json")
        config = read_json(path, "run configuration")
        want = dict({k: v for k, v in identity.items() if k not in ("search_seed", "fixed")},
                    **drawn[int(n[5:])])
        diffs = [f"{k} {config[k]!r} -> {v!r}" for k, v in sorted(want.items())
                 if k in config and config[k] != v]
        if diffs:
            raise SweepError(f"{path}: a trial of another search ({'; '.join(diffs)}); use "
                             f"another --out, or the same options to continue it")


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


def random_search(base, trials=8, jobs=2, seed=1234, backend="loky", scheduler=None,
                  fixed=None):
    """Run ``trials`` random configurations of ``base`` (a make_config overrides dict, without
    the sampled options) on ``backend``, ``fixed`` (sampled options the user gave) in every
    trial; returns every row of the folder's search ranked by validation F1 and keeps
    ``search.jsonl`` (one row per trial, earlier trials' rows kept) up to date."""
    fixed = dict(fixed or {})
    given = sorted(set(base) & set(SAMPLED))
    if given:   # a caller's slip: they belong in ``fixed``, or the search would drop them
        raise ValueError(f"random_search: pass {', '.join(given)} as fixed=, not in base")
    identity = search_identity(base, seed, fixed)
    rows = {r["trial"]: r for r in earlier_rows(base["out"], identity, seed, fixed)}
    work = [(base, trial, i) for i, trial in enumerate(draw_trials(trials, seed, fixed))]
    path = os.path.join(base["out"], "search.jsonl")
    started = False
    for r in run_tasks(_run_trial, work, backend, jobs, scheduler):
        if not started:   # only now: a backend that fails first leaves the folder as it was
            os.makedirs(base["out"], exist_ok=True)
            write_json(os.path.join(base["out"], IDENTITY_FILE), identity, indent=1)
            started = True
        # the trial's folder relative to the search folder: found wherever it is read from
        rows[r["trial"]] = r = dict(r, out=os.path.relpath(r["out"], base["out"]))
        # the whole file, atomically: a full disk names it and leaves the last good one
        write_text(path, "".join(json.dumps(rows[k]) + "\n" for k in sorted(rows)))
        print(f"trial {r['trial']:3d} done: valid F1 {r['valid_f1']}  test F1 {r['test_f1']}",
              flush=True)
    return rank(list(rows.values()))


def format_ranking(results):
    head = f"{'rank':>4} {'trial':>5} {'lr':>8} {'win':>3} {'nh':>4} {'emb':>4} " \
           f"{'best ep':>7} {'valid F1':>8} {'test F1':>8}"
    rows = [head, "-" * len(head)]
    for k, r in enumerate(results, 1):
        rows.append(f"{k:>4} {r['trial']:>5} {r['lr']:>8.5f} {r['win']:>3} {r['nhidden']:>4} "
                    f"{r['emb_dimension']:>4} {r['best_epoch']:>7} {r['valid_f1']:>8.2f} "
                    f"{r['test_f1']:>8.2f}")
    return "\n".join(rows)
