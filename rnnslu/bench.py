"""rnnslu benchmarks: seconds for one training epoch (``dlt`` by default, or ``is13`` with
either trainer) and the peak memory.

``main`` is the worker, run in one subprocess per configuration (``python -m
rnnslu.bench``); the epoch is the same code path as ``rnnslu train`` (``set_up``,
``train_epoch``), on ATIS fold 3 when available, else the toy corpus (labelled as such).
``compare_dlt`` (``scripts/bench_rnnslu.py``) and ``compare_is13`` (``scripts/bench_is13.py``)
run the matrix and write ``bench.json``/``bench.md``; ``render_dlt`` writes the table again
from an earlier ``bench.json``. The scripts parse their options and call these with an
``Epoch`` (what each worker times) and a ``Record`` (where the result goes).
"""
import argparse
import json
import os
import time
from dataclasses import dataclass
from typing import Optional

from rnnrepro.bench import (best_of, installed_engines, markdown_table, report, run_config,
                            run_matrix, write_bench)


@dataclass
class Epoch:
    """What each worker times (its command line, ``worker_args``): one training epoch over the
    first ``sentences`` (0: all) of ATIS fold 3 in ``data_dir`` (default ``$ATISDATA`` or
    ``data/atis``; the toy corpus where the fold is not there); a bidirectional model combines
    its two states as ``bi_combine`` (None: the run's default, ``shifted``)."""
    data_dir: Optional[str] = None
    sentences: int = 0
    bi_combine: Optional[str] = None

    def worker_args(self, *more, model=None):
        """The worker's options; ``model`` (a bidirectional one) gets ``--bi-combine``."""
        bi = ["--bi-combine", self.bi_combine] \
            if self.bi_combine and model and model.startswith("bi-") else []
        return (["--data-dir", self.data_dir] if self.data_dir else []) \
            + ["--sentences", str(self.sentences), *more, *bi]


@dataclass
class Record:
    """Where a comparison writes ``bench.json``/``bench.md`` (``out``), the command line that
    ran it (``argv``, recorded as ``python ...``) and a ``note`` on the conditions (stored,
    shown)."""
    out: str
    argv: list
    note: Optional[str] = None

    @property
    def command(self):
        return " ".join(["python"] + list(self.argv))


def epoch_setup(data_dir, preset, model, is13_trainer, bi_combine=None):
    """(rnn, settings, lex, y, data name) for timing one training epoch: ATIS fold 3 where it
    is found, else the toy corpus; the model set up as a run sets it up (``rnnslu.train.set_up``:
    a bidirectional model with its ``bi_combine``, default ``shifted``) and compiled."""
    from rnnslu.data import atis_path
    from rnnslu.train import make_config, set_up
    atis = os.path.exists(atis_path(3, data_dir))
    s = make_config(preset, model=model, is13_trainer=is13_trainer, bi_combine=bi_combine,
                    data="atis" if atis else "toy", fold=3, data_dir=data_dir, verbose=0)
    corpus, rnn, _ = set_up(s)
    rnn.compile_training(s["regime"], s["is13_trainer"], s["bs"])  # Numba: its first call too
    return rnn, s, corpus.lex["train"], corpus.y["train"], \
        "ATIS fold 3" if atis else "toy corpus"


def main(argv=None):
    ap = argparse.ArgumentParser(description="time one training epoch (a benchmark's worker)")
    ap.add_argument("--data-dir", help="ATIS folder (default $ATISDATA or data/atis; the toy "
                                       "corpus where fold 3 is not there)")
    ap.add_argument("--sentences", type=int, default=0, help="0 = the whole training set")
    ap.add_argument("--preset", choices=["dlt", "is13"], default="dlt",
                    help="the settings a run of that preset trains with")
    from rnnslu.cli import MODEL_NAMES
    ap.add_argument("--model", choices=MODEL_NAMES, default="elman", help="rnnslu.model.MODELS")
    ap.add_argument("--is13-trainer", choices=["fast", "word"], default="fast",
                    help="is13: the fast trainer or is13's per-word loop")
    ap.add_argument("--bi-combine", choices=["shifted", "aligned"],
                    help="bi-*: how the two states combine (as rnnslu train; default shifted)")
    a = ap.parse_args(argv)
    from rnnrepro import engine
    from rnnrepro.runlog import peak_rss_mb
    from rnnslu.train import train_epoch

    t0 = time.perf_counter()
    rnn, s, lex, y, data = epoch_setup(a.data_dir, a.preset, a.model, a.is13_trainer,
                                       a.bi_combine)
    setup = time.perf_counter() - t0
    order = list(range(a.sentences or len(lex)))
    t = time.perf_counter()
    train_epoch(rnn, s, [rnn.windows(x) for x in lex], y, order, s["lr"], "bench")
    secs = time.perf_counter() - t
    report(dict(data=data, preset=a.preset, model=a.model, bi_combine=s.get("bi_combine"),
                trainer=a.is13_trainer if a.preset == "is13" else "sentence",
                words=int(sum(len(y[i]) for i in order)),
                load_average=os.getloadavg()[0], sentences=len(order),
                seconds_per_epoch=round(secs, 3),
                ms_per_sentence=round(1e3 * secs / len(order), 4),
                setup_seconds=round(setup, 1), peak_rss_mb=round(peak_rss_mb(), 1),
                blas_flags=engine.config.blas__ldflags or "numpy C-API fallback",
                engine=engine.NAME, linker=engine.linker("rnnslu")))


def _started():
    """(commit, hardware) of a comparison about to run, printed."""
    from rnnrepro.runlog import git_commit, hardware
    commit, hw = git_commit(), hardware()
    print(f"hardware: {hw}  commit: {commit}", flush=True)
    return commit, hw


def compare_is13(record, epoch, engine="aesara", floatX="float64", models=("elman",),
                 linkers=(None,), repeats=1):
    """``scripts/bench_is13.py``: is13's per-word loop against the fast trainer, per model of
    ``models`` and linker of ``linkers`` (None: the model's default), interleaved over
    ``repeats``; each worker times ``epoch`` (an ``Epoch``) under ``engine``/``floatX``;
    writes ``record.out``/bench.{json,md} (``record``: a ``Record``)."""
    commit, hw = _started()
    rows = []
    for r in range(repeats):
        for model in models:
            for linker in linkers:
                for trainer in ("word", "fast"):
                    args = epoch.worker_args("--preset", "is13", "--model", model,
                                             "--is13-trainer", trainer, model=model)
                    res = dict(run_config("rnnslu.bench", args, engine, floatX, linker=linker),
                               repeat=r, load_after=os.getloadavg()[0])
                    print(f"  {model} {res['linker']} {trainer} repeat {r}: "
                          f"{res['seconds_per_epoch']} s, load {res['load_average']:.2f}",
                          flush=True)
                    rows.append(res)
    best = {}
    for res in rows:  # the least disturbed repeat of each (model, linker, trainer)
        k = (res["model"], res["linker"], res["trainer"])
        if k not in best or res["seconds_per_epoch"] < best[k]["seconds_per_epoch"]:
            best[k] = res
    table = _is13_table(list(best.values()))
    print(table)
    write_bench(record.out, dict(command=record.command, commit=commit, hardware=hw,
                                 repeats=repeats, note=record.note, rows=rows),
                [f"Command: `{record.command}`", f"Commit: {commit}",
                 f"Hardware: {hw} ({os.cpu_count()} cores, shared)",
                 f"Data: {rows[0]['data']}, {rows[0]['sentences']} sentences ({rows[0]['words']} "
                 f"words) per epoch; {engine}, {floatX}, 1 BLAS thread; best of {repeats} "
                 f"interleaved repeat(s)."], table, record.note)


def _is13_table(best):
    """The markdown table of ``compare_is13``'s best rows, each timed against the word loop
    of its model and linker."""
    ref = {(r["model"], r["linker"]): r["seconds_per_epoch"] for r in best
           if r["trainer"] == "word"}

    def vs_word(r):
        return f"{r['seconds_per_epoch'] / ref[r['model'], r['linker']]:.2f}x"

    def load(r):
        return f"{r['load_average']:.2f} / {r['load_after']:.2f}"
    return markdown_table(best, [
        ("model", lambda r: r["model"] + (f" ({r['bi_combine']})" if r.get("bi_combine")
                                          else "")),
        ("linker", lambda r: r["linker"]),
        ("trainer", lambda r: r["trainer"]),
        ("s / epoch", lambda r: f"{r['seconds_per_epoch']:.2f}"),
        ("ms / word", lambda r: f"{1e3 * r['seconds_per_epoch'] / r['words']:.3f}"),
        ("time vs word loop", vs_word), ("load avg (1 min) at start / end", load),
        ("peak RSS MB", lambda r: f"{r['peak_rss_mb']:.0f}")])


def compare_dlt(record, epoch, engines=("aesara", "pytensor"), floatXs=("float64", "float32"),
                blas=("auto", "none"), linkers=("c",), repeats=2):
    """``scripts/bench_rnnslu.py``: one ``dlt`` epoch (``epoch``, an ``Epoch``) per engine x
    floatX x BLAS x linker (the installed ``engines``; a linker other than C on PyTensor
    only), best of ``repeats`` interleaved; writes ``record.out``/bench.{json,md}."""
    commit, hw = _started()
    configs = [(e, f, b, lk) for b in blas for e in installed_engines(tuple(engines))
               for f in floatXs for lk in linkers if lk == "c" or e == "pytensor"]
    rows = best_of(run_matrix("rnnslu.bench", epoch.worker_args(), configs, repeats),
                   "seconds_per_epoch")
    _write_dlt(record.out, dict(command=record.command, commit=commit, hardware=hw,
                                repeats=repeats, note=record.note, rows=rows))


def render_dlt(out, note=None):
    """``scripts/bench_rnnslu.py --render``: ``out``/bench.md again from ``out``/bench.json
    (that file untouched), with ``note`` if given, else the one stored."""
    with open(os.path.join(out, "bench.json")) as f:
        old = json.load(f)
    _write_dlt(out, dict(old, note=note or old.get("note")), rendering=True)


def _write_dlt(out, rec, rendering=False):
    """``compare_dlt``'s table of ``rec["rows"]``, timed against aesara float64 C with
    OpenBLAS where there (else the first row) and against the published epoch; written with
    ``rec`` to ``out``/bench.{json,md} (bench.json left as it is when ``rendering``)."""
    rows = rec["rows"]
    ref = next((r for r in rows if r["floatX"] == "float64" and r["blas"] == "auto"
                and r.get("linker") in ("c", None)), rows[0])  # aesara f64 C when there
    base, base_name = ref["seconds_per_epoch"], f"{ref['engine']} {ref['floatX']}"
    table = markdown_table(rows, [
        ("engine", lambda r: r["engine"]), ("linker", lambda r: r.get("linker") or "c"),
        ("floatX", lambda r: r["floatX"]),
        ("BLAS", lambda r: r["blas_flags"]),
        ("s / epoch", lambda r: f"{r['seconds_per_epoch']:.2f}"),
        ("ms / sentence", lambda r: f"{r['ms_per_sentence']:.3f}"),
        (f"time vs {base_name}", lambda r: f"{r['seconds_per_epoch'] / base:.2f}x"),
        # published: 34.5 s for the 3983 sentences of a fold-3 epoch
        ("vs published", lambda r: f"{34.5 / 3983 / (r['seconds_per_epoch'] / r['sentences']):.1f}x faster"),
        ("peak RSS MB", lambda r: f"{r['peak_rss_mb']:.0f}")])
    print(table)
    write_bench(out, None if rendering else rec,
                [f"Command: `{rec['command']}`", f"Commit: {rec['commit']}",
                 f"Hardware: {rec['hardware']}",
                 f"Data: {rows[0]['data']}, {rows[0]['sentences']} sentences per epoch, best of "
                 f"{rec['repeats']} interleaved repeats, 1 BLAS thread.\n"], table, rec["note"])


if __name__ == "__main__":
    main()
