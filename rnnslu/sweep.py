"""Cross-validated runs: one preset and model over ATIS folds and seeds, with the spread.

Every (fold, seed) trains in its own run folder ``<out>/<preset>-<model>-fold<F>-seed<S>``
(``-toy-seed<S>`` on the toy corpus, which has one split), through the same backends as
``rnnslu search`` (``rnnrepro.parallel``). A finished run leaves ``result.json`` (as
``rnnslu train`` does) and is skipped by a re-run; an unfinished one continues from its
checkpoint (``main(s, resume=True)``), so a killed sweep recomputes nothing.

The summary gives, per preset/model/trainer, the mean ± sample standard deviation (n - 1) and
the min-max of the best validation F1, the test F1 at that epoch and the best epoch. Runs made
with different is13 trainers are never pooled: the trainers make the same updates but round
differently, and per-word SGD amplifies that into run-level differences (about 0.25 F1 on
fold 3, results/rnnslu-cv-is13-elman). Engines and linkers do pool: they also round
differently, but a table of one trainer may have to be filled on the engine that finishes it in
time (is13's word loop is much slower on aesara's C linker than on PyTensor 3's Numba,
results/bench_is13_linkers); every
row keeps its engine and linker, the record lists all of them, and the figure draws the runs of
the minority engine hollow. Measured: is13 Elman's seed 345 re-run on Numba moved each fold's
test F1 by 0.36 at most, no more than seeds do (results/rnnslu-is13-elman-engine-check).

A results record (``write_sweep_record``) may pool several sweep folders and earlier records:
run folders live in git-ignored ``runs/``, so a table filled over several sessions is built
from the record of the runs done before (its ``sweep.jsonl`` keeps each run's provenance)
plus the new sweep folders.
"""
import json
import math
import os

from rnnrepro.files import read_json, write_json, write_text
from rnnrepro.parallel import run_tasks
from rnnrepro.runsafe import recover

METRICS = (("valid_f1", "valid F1"), ("test_f1", "test F1"), ("best_epoch", "best epoch"))
# result.json from another configuration is not a finished run of this sweep
IDENTITY = ("preset", "model", "data", "fold", "seed", "nepochs", "lr", "win", "nhidden",
            "emb_dimension", "bs", "decay", "reset", "is13_trainer", "floatX", "bi_combine")
# where a run was made: from its result.json, kept in a record's sweep.jsonl
PROVENANCE = ("commit", "hardware", "engine", "engine_version", "linker", "floatX")


# the fields every sweep.jsonl row has (``record``); a row without them is not one
SWEEP_ROW = ("preset", "model", "data", "fold", "seed", "valid_f1", "test_f1", "best_epoch",
             "epochs_run", "seconds_per_epoch", "out")


# what each of them holds (rnnrepro.results.check_kinds): a NaN, null or string score is refused
# where the row is read, naming the file, line and field
SWEEP_KINDS = {"preset": "text", "model": "text", "data": "text", "fold": "int?", "seed": "int",
               "valid_f1": "number", "test_f1": "number", "best_epoch": "int",
               "epochs_run": "int", "seconds_per_epoch": "number?", "out": "text"}


class SweepError(ValueError):
    """A sweep folder holds a run that is not this sweep's; the message names it."""


def run_name(preset, model, data, fold, seed):
    where = "toy" if data == "toy" else f"fold{fold}"
    return f"{preset}-{model}-{where}-seed{seed}"


def plan(preset, model, folds, seeds, out, data="atis", **overrides):
    """The configurations of a sweep, one per (fold, seed); the toy corpus has one split, so
    only the seeds vary there."""
    from .train import make_config
    folds = [None] if data == "toy" else list(folds)
    for what, values in (("fold", folds), ("seed", seeds)):
        twice = sorted({v for v in values if list(values).count(v) > 1}, key=str)
        if twice:  # one run would be counted twice (or, in parallel, collide with itself)
            raise SweepError(f"{what} {', '.join(map(str, twice))} given twice; each "
                             f"{what} once")
    return [make_config(preset, **dict(overrides, model=model, data=data, fold=fold, seed=seed,
                                       verbose=0,
                                       out=os.path.join(out, run_name(preset, model, data,
                                                                      fold, seed))))
            for fold in folds for seed in seeds]


def trainer(r):
    """How a run (its config or its sweep row) drove SGD: ``"sentence"`` (dlt, one update per
    sentence) or, for is13's per-word updates, ``"word"`` (is13's loop) or ``"fast"``. Rows
    written before the field existed are dlt ``"sentence"`` or is13 ``"word"`` runs: the only
    trainers their sweeps had."""
    if "trainer" in r:
        return r["trainer"]
    if "regime" in r:
        return "sentence" if r["regime"] == "sentence" else r.get("is13_trainer", "word")
    return "sentence" if r["preset"] == "dlt" else "word"


def record(config, summary):
    """One sweep row from a run's ``result.json`` contents."""
    return dict(preset=config["preset"], model=config["model"], data=config["data"],
                trainer=trainer(config),
                fold=config["fold"] if config["data"] != "toy" else None, seed=config["seed"],
                valid_f1=summary["valid_f1"], test_f1=summary["test_f1"],
                best_epoch=summary["best_epoch"], epochs_run=summary["epochs_run"],
                seconds_per_epoch=summary["seconds_per_epoch"], out=config["out"])


def run_one(s):
    """Train (or resume) one run of the sweep unless its ``result.json`` exists; returns its
    record with ``skipped`` telling which."""
    path = os.path.join(s["out"], "result.json")
    recover(s["out"])   # a killed --overwrite in the folder: its old run first
    if os.path.exists(path):
        done = read_json(path, "finished run's result", require=("config", "summary"))
        other = [k for k in IDENTITY if done["config"].get(k) != s.get(k)]
        if other:
            raise SweepError(f"{path}: a finished run with other settings ({', '.join(other)}); "
                             f"use another --out")
        # where the run is now (its config keeps the path it was started with)
        return dict(record(done["config"], done["summary"]), out=s["out"], skipped=True)
    from .train import main, write_result   # imported in the worker: the engine loads there
    s, _ = main(s, resume=True)
    return dict(record(s, write_result(s)), skipped=False)


def _stats(values):
    values = [v for v in values if v is not None]
    n = len(values)
    if not n:
        return dict(n=0, mean=None, std=None, min=None, max=None)
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else None
    return dict(n=n, mean=mean, std=std, min=min(values), max=max(values))


def summarize(records):
    """Per (preset, model, data, trainer): the folds and seeds covered and the statistics of
    each metric (mean, sample std, min, max)."""
    groups = {}
    for r in records:
        groups.setdefault((r["preset"], r["model"], r["data"], trainer(r)), []).append(r)
    rows = []
    for (preset, model, data, how), rs in sorted(groups.items()):
        rows.append(dict(preset=preset, model=model, data=data, trainer=how, runs=len(rs),
                         folds=sorted({r["fold"] for r in rs if r["fold"] is not None}),
                         seeds=sorted({r["seed"] for r in rs}),
                         **{m: _stats([r[m] for r in rs]) for m, _ in METRICS}))
    return rows


def _pm(st, nd):
    if st["mean"] is None:
        return "—"
    sd = "—" if st["std"] is None else f"{st['std']:.{nd}f}"
    return f"{st['mean']:.{nd}f} ± {sd}"


def _range(st, nd):
    return "—" if st["min"] is None else f"{st['min']:.{nd}f}–{st['max']:.{nd}f}"


def format_summary(rows):
    """Markdown table: mean ± sample std (n - 1) and min–max of each metric."""
    head = ["preset", "model", "trainer", "data", "folds", "seeds", "runs"]
    for _, title in METRICS:
        head += [f"{title} mean ± std", f"{title} min–max"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["preset"], r["model"], r["trainer"], r["data"],
                 ",".join(map(str, r["folds"])) or "—", ",".join(map(str, r["seeds"])),
                 str(r["runs"])]
        for m, _ in METRICS:
            nd = 1 if m == "best_epoch" else 2
            cells += [_pm(r[m], nd), _range(r[m], nd)]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def t_test_p(t, df):
    """Two-sided p-value of Student's t with ``df`` degrees of freedom (``scipy.stats.t``;
    imported here: it takes most of a second, and ``--help`` stays instant)."""
    from scipy.stats import t as student_t
    return float(2.0 * student_t.sf(abs(t), df))


def sign_test_p(higher, n):
    """Two-sided exact sign test: the chance of ``higher`` of ``n`` (ties left out) or a split
    at least as uneven, when each is higher or lower with probability 1/2
    (``scipy.stats.binomtest``)."""
    if n == 0:
        return 1.0
    from scipy.stats import binomtest
    return float(binomtest(higher, n, 0.5).pvalue)


def paired(records, others, metric="test_f1"):
    """``records`` against ``others`` run by run on the (fold, seed) pairs both have: the
    differences of ``metric`` (records minus others), their statistics, the standard error of
    the mean difference, how many are higher, the paired t statistic with its two-sided p and
    the exact sign test's p (ties left out). Runs of one setting beat each other by up to
    about half a point F1 by chance, so two architectures differ only where the mean difference
    is large against its standard error, over the same folds and seeds."""
    mine = {(r["fold"], r["seed"]): r[metric] for r in records}
    theirs = {(r["fold"], r["seed"]): r[metric] for r in others}
    keys = sorted(k for k in mine if k in theirs and None not in (mine[k], theirs[k]))
    diffs = [mine[k] - theirs[k] for k in keys]
    st = _stats(diffs)
    se = st["std"] / math.sqrt(st["n"]) if st["std"] is not None else None
    t = st["mean"] / se if se else None
    higher, lower = sum(d > 0 for d in diffs), sum(d < 0 for d in diffs)
    return dict(st, pairs=keys, diffs=diffs, se=se, higher=higher, t=t,
                t_p=None if t is None else t_test_p(t, st["n"] - 1),
                sign_p=sign_test_p(higher, higher + lower))


def format_paired(name, others_name, p):
    """One line: 'NAME - OTHER: n, mean difference, sd, se, higher, paired t (p), sign test p'."""
    if not p["n"]:
        return f"{name} - {others_name}: no fold and seed in common"
    sd = "—" if p["std"] is None else f"{p['std']:.2f}"
    se = "—" if p["se"] is None else f"{p['se']:.2f}"
    t = "—" if p["t"] is None else f"{p['t']:+.2f} on {p['n'] - 1} df, p {p['t_p']:.2g}"
    return (f"{name} - {others_name}: {p['n']} runs, mean {p['mean']:+.2f}, sd {sd}, se {se}, "
            f"higher in {p['higher']} of {p['n']}; paired t {t}; sign test p {p['sign_p']:.2g}")


PAIRED_HEADER = ("| sweep | against | runs | mean difference | sd | se | higher | paired t (p) "
                 "| sign test p |\n|---|---|---|---|---|---|---|---|---|")


def format_paired_row(name, others_name, p):
    """``format_paired`` as a row of a markdown table under ``PAIRED_HEADER``."""
    if not p["n"]:
        return f"| {name} | {others_name} | 0 | — | — | — | — | — | — |"
    f2 = lambda v: "—" if v is None else f"{v:.2f}"  # noqa: E731
    t = "—" if p["t"] is None else f"{p['t']:+.2f} ({p['t_p']:.2g})"
    return (f"| {name} | {others_name} | {p['n']} | {p['mean']:+.2f} | {f2(p['std'])} | "
            f"{f2(p['se'])} | {p['higher']} of {p['n']} | {t} | {p['sign_p']:.2g} |")


def run_sweep(configs, out, backend="loky", jobs=2, scheduler=None, say=print):
    """Run ``configs`` (from ``plan``) on ``backend``; writes ``sweep.jsonl`` (one record per
    run), ``summary.json`` and ``summary.md`` into ``out``; returns (records, summary rows)."""
    os.makedirs(out, exist_ok=True)
    outs = [s["out"] for s in configs]
    twice = sorted({o for o in outs if outs.count(o) > 1})
    if twice:
        raise SweepError(f"{twice[0]}: two runs of this sweep would share the folder")
    records = []
    for r in run_tasks(run_one, configs, backend, jobs, scheduler):
        # the run folder relative to the sweep folder, so a record made from another working
        # directory (or of a moved sweep folder) finds it (``run_folder``)
        r = dict(r, out=os.path.relpath(r["out"], out))
        records.append(r)
        say(f"{os.path.basename(r['out'])}: {'finished before' if r['skipped'] else 'done'}, "
            f"valid F1 {r['valid_f1']}, test F1 {r['test_f1']}, best epoch {r['best_epoch']}")
    records.sort(key=lambda r: (r["preset"], r["model"], r["fold"] or 0, r["seed"]))
    rows = summarize(records)
    write_text(os.path.join(out, "sweep.jsonl"), "".join(json.dumps(r) + "\n" for r in records))
    write_json(os.path.join(out, "summary.json"), rows, indent=1)
    write_text(os.path.join(out, "summary.md"), format_summary(rows) + "\n")
    return records, rows


def read_sweep(out):
    """The records of a finished sweep folder (``sweep.jsonl``)."""
    path = os.path.join(out, "sweep.jsonl")
    if not os.path.exists(path):
        raise SweepError(f"{path}: not found (run 'rnnslu sweep' to the end first)")
    from rnnrepro.results import read_rows
    return read_rows(path, "sweep record", SWEEP_ROW, SWEEP_KINDS)


def run_folder(src, row):
    """The run folder of a ``sweep.jsonl`` row of the sweep folder ``src``: rows store it
    relative to the sweep folder; rows written before that stored it relative to the working
    directory the sweep was started from (found when the record is made from there too, or by
    its name inside ``src``)."""
    out = row["out"]
    if os.path.isabs(out):
        return out
    for path in (os.path.join(src, out), out, os.path.join(src, os.path.basename(out))):
        if os.path.isdir(path):
            recover(path)   # a killed --overwrite in the folder: its old run first
            return path
    return os.path.join(src, out)


def _mean_or_int(values):
    mean = sum(values) / len(values)
    return int(mean) if all(v == values[0] for v in values) else round(mean, 1)


def _record_provenance(folder):
    """Per-run provenance for the rows of an earlier results record whose ``sweep.jsonl``
    predates per-row provenance: the record's own fields, when they name one engine."""
    path = os.path.join(folder, "run.json")
    if not os.path.exists(path):
        return None
    rec = read_json(path, "results record")
    if not isinstance(rec.get("engine"), str) or "," in rec["engine"] or \
            any(k not in rec for k in ("commit", "hardware", "floatX")):
        return None
    engine, _, version = rec["engine"].partition(" ")
    return dict(commit=rec["commit"], hardware=rec["hardware"], engine=engine,
                engine_version=version, linker=rec.get("linker"), floatX=rec["floatX"])


def pooled_records(sources):
    """The runs of ``sources`` (sweep folders, or earlier ``results/<id>`` records of sweeps),
    each row with its provenance (``PROVENANCE``): from the row itself (a record's rows keep
    it), else the run's ``result.json``, else the earlier record's own fields. A run (preset,
    model, trainer, fold, seed) found in two sources is refused, naming both."""
    seen, out = {}, []
    for src in sources:
        fallback = _record_provenance(src)
        for r in read_sweep(src):
            path = os.path.join(run_folder(src, r), "result.json")
            done = None
            if os.path.exists(path):
                done = read_json(path, "finished run's result", require=("summary",))
                if "trainer" not in r and "config" in done:  # a row from before the field
                    r = dict(r, trainer=trainer(done["config"]))
            key = (r["preset"], r["model"], r["data"], trainer(r), r["fold"], r["seed"])
            if key in seen:
                raise SweepError(f"{src}: fold {r['fold']} seed {r['seed']} ({r['preset']} "
                                 f"{r['model']}, {trainer(r)}) is also in {seen[key]}")
            seen[key] = src
            if all(k in r for k in PROVENANCE):
                prov = {k: r[k] for k in PROVENANCE}
            elif done is not None:
                prov = {k: done["summary"].get(k) for k in PROVENANCE}
            elif fallback:
                prov = fallback
            else:
                raise SweepError(f"{path}: not found, and {src} is not a results record that "
                                 f"names the run's engine")
            out.append(dict(r, trainer=trainer(r), **{k: str(v) for k, v in prov.items()}))
    out.sort(key=lambda r: (r["preset"], r["model"], r["fold"] or 0, r["seed"]))
    return out


def engine_name(r):
    """``"aesara 2.9.4"``: the engine of a row that carries its provenance."""
    return f"{r['engine']} {r.get('engine_version') or ''}".rstrip()


def _joined(values):
    """', '-joined distinct items (an earlier record's fields may already be joined lists)."""
    return ", ".join(sorted({x for v in values for x in str(v).split(", ")}))


def results_record(sources, run_id, what, command, published=None, published_source=None,
                   note=None, expected_runs=None):
    """A ``results/<id>/run.json`` record for one preset/model/trainer pooled from
    ``sources`` (a sweep folder or a list of sweep folders and earlier records): the mean test
    F1 as the value, with its sample std, min-max, the folds and seeds, and each run's scores.
    Provenance (commit, hardware, engine, floatX) is each run's own (``pooled_records``)."""
    if isinstance(sources, str):
        sources = [sources]
    records = pooled_records(sources)
    rows = summarize(records)
    if len(rows) != 1:
        raise SweepError(f"{', '.join(sources)}: hold {len(rows)} preset/model/trainer groups; "
                         f"record one at a time")
    row = rows[0]
    n, t = row["runs"], row["test_f1"]
    nf, ns = len(row["folds"]), len(row["seeds"])
    label = f"{nf} fold{'s' * (nf != 1)} x {ns} seed{'s' * (ns != 1)} ({n} runs)"
    if expected_runs and n < expected_runs:
        label = f"smaller: {label} of {expected_runs}"
    return dict(
        id=run_id, package="rnnslu", what=what, metric="test F1 (conlleval), mean over runs",
        value=round(t["mean"], 2), value_std=None if t["std"] is None else round(t["std"], 2),
        value_min=t["min"], value_max=t["max"], runs=n,
        valid_f1=round(row["valid_f1"]["mean"], 2),
        best_epoch=f"{row['best_epoch']['mean']:.1f} ± {row['best_epoch']['std'] or 0:.1f}",
        folds=row["folds"], seeds=row["seeds"], trainer=row["trainer"], published=published,
        published_source=published_source, label=label, command=command,
        commit=_joined(r["commit"] for r in records),
        data="ATIS folds " + ",".join(map(str, row["folds"])) + " (Mesnil pickles)",
        hardware=_joined(r["hardware"] for r in records),
        engine=", ".join(sorted({engine_name(r) for r in records})),
        linker=_joined(r["linker"] for r in records),
        floatX=_joined(r["floatX"] for r in records),
        epochs=_mean_or_int([r["epochs_run"] for r in records]),
        seconds_per_epoch=round(sum(r["seconds_per_epoch"] for r in records) / n, 1),
        summary=row, runs_table=[dict({k: r[k] for k in ("fold", "seed", "valid_f1", "test_f1",
                                                         "best_epoch", "epochs_run", "linker")},
                                      engine=engine_name(r))
                                 for r in records], note=note)


def write_sweep_record(sources, folder, run_id, what, command, overwrite=False, **kw):
    """Write ``folder`` (``results/<id>``): run.json (``results_record``), the pooled
    ``sweep.jsonl`` with each run's provenance (what a later record pools from once the run
    folders are gone) and ``summary.md``, all or nothing (``write_record_folder``). A folder
    holding another record is replaced only with ``overwrite``; one that is among ``sources``
    (its runs pooled into the new record) or holds the same runs is updated without it."""
    from rnnrepro.results import same_files, write_record_folder
    sources = [sources] if isinstance(sources, str) else list(sources)
    # both read before anything in folder is replaced
    rec = results_record(sources, run_id, what, command, **kw)
    records = pooled_records(sources)
    rows = "".join(json.dumps(r) + "\n" for r in records)
    pooled = any(os.path.isdir(src) and os.path.isdir(folder) and os.path.samefile(src, folder)
                 for src in sources)
    write_record_folder(folder, rec, {"sweep.jsonl": rows,
                                      "summary.md": format_summary(summarize(records)) + "\n"},
                        overwrite=overwrite,
                        same_input=pooled or same_files(folder, {"sweep.jsonl": rows.encode()}))
    return rec
