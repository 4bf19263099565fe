"""Sweeps and searches on joblib backends, the sweep summary and figure, the fast is13 trainer."""
import json
import os

import numpy as np
import pytest

from rnnrepro import engine
from rnnslu.model import MODELS
from rnnslu.plot import plot_sweep
from rnnslu.search import random_search
from rnnslu.sweep import format_summary, plan, run_sweep, summarize
from rnnslu.toy import toy_corpus
from rnnslu.train import main, train_epoch

SMALL = dict(nhidden=8, emb_dimension=6, win=3)


# -- fast is13 trainer -------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["elman", "jordan", "hybrid", "bi-jordan", "bi-elman"])
def test_fast_is13_equals_the_per_word_loop(kind):
    old = engine.floatx()
    engine.set_floatx("float64")
    try:
        (lex, _, y), _, _, dic = toy_corpus()
        ne, nc = len(dic["words2idx"]), len(dic["labels2idx"])
        models = {t: MODELS[kind](nh=7, nc=nc, ne=ne, de=5, cs=3, seed=4) for t in ("word", "fast")}
        start = models["word"].get_params()
        order = [3, 0, 1]   # sentences of 7, 9, 10 words (bs 4: short windows first)
        # bidirectional: bs 3 (9 window shapes, not 16), every shape met (windows reach past
        # the word, clipped at the sentence end)
        bs = 3 if models["word"].bidirectional else 4
        costs = {}
        for t, m in models.items():
            s = dict(regime="word", bs=bs, verbose=0, is13_trainer=t)
            windows = [m.windows(x) for x in lex]
            costs[t] = train_epoch(m, s, windows, y, order, 0.3, "test")
        assert abs(costs["fast"] - costs["word"]) <= 1e-10 * abs(costs["word"])
        word, fast = models["word"].get_params(), models["fast"].get_params()
        for name, ref in word.items():
            assert np.abs(ref - start[name]).max() > 1e-6, name      # it did train
            err = np.abs(fast[name] - ref).max() / np.abs(ref).max()
            assert err <= 1e-10, (name, err)
    finally:
        engine.set_floatx(old)


# -- search on two backends --------------------------------------------------------------------
def test_search_same_ranking_on_loky_and_a_local_dask_cluster(tmp_path):
    pytest.importorskip("dask.distributed")
    base = dict(preset="dlt", model="elman", data="toy", nepochs=1, seed=345)
    tables = {}
    for backend in ("loky", "dask"):
        out = str(tmp_path / backend)
        ranked = random_search(dict(base, out=out), trials=2, jobs=2, seed=7, backend=backend)
        assert [r["blas_threads"] for r in ranked] == [1, 1], ranked    # set before numpy
        assert all(r["engine"] == engine.NAME for r in ranked)
        tables[backend] = [{k: v for k, v in r.items() if k != "out"} for r in ranked]
        with open(os.path.join(out, "search.jsonl")) as f:
            assert len(f.readlines()) == 2
    assert tables["loky"] == tables["dask"]
    assert tables["loky"][0]["valid_f1"] >= tables["loky"][1]["valid_f1"]


# -- sweep summary arithmetic --------------------------------------------------------------------
def _rec(model, fold, seed, vf1, tf1, be):
    return dict(preset="is13", model=model, data="atis", fold=fold, seed=seed, valid_f1=vf1,
                test_f1=tf1, best_epoch=be)


def test_sweep_summary_arithmetic():
    recs = [_rec("elman", 0, 345, 96.0, 90.0, 3), _rec("elman", 1, 345, 97.0, 92.0, 5),
            _rec("elman", 1, 346, 98.0, 94.0, 10), _rec("jordan", 3, 345, 95.5, 93.25, 7)]
    rows = summarize(recs)
    assert [(r["model"], r["runs"], r["folds"], r["seeds"]) for r in rows] == \
        [("elman", 3, [0, 1], [345, 346]), ("jordan", 1, [3], [345])]
    t = rows[0]["test_f1"]
    assert (t["n"], t["mean"], t["min"], t["max"]) == (3, 92.0, 90.0, 94.0)
    assert t["std"] == pytest.approx(2.0)                          # sample std (n - 1)
    assert rows[0]["best_epoch"]["std"] == pytest.approx(np.std([3, 5, 10], ddof=1))
    assert rows[1]["test_f1"]["std"] is None                       # one run: no spread
    table = format_summary(rows)
    assert "| 92.00 ± 2.00 | 90.00–94.00 |" in table and "| 93.25 ± — | 93.25–93.25 |" in table
    assert "| 6.0 ± 3.6 |" in table


# -- a killed sweep resumes ------------------------------------------------------------------------
def test_killed_sweep_skips_finished_runs_and_resumes_the_rest(tmp_path):
    out = str(tmp_path / "sweep")
    configs = plan("dlt", "elman", [0], [11, 12], out, data="toy", nepochs=2, **SMALL)
    run_sweep(configs[:1], out, jobs=1, say=lambda *a: None)      # seed 11 finished
    main(dict(configs[1], nepochs=1))                              # seed 12 killed after epoch 0
    done, killed = configs[0]["out"], configs[1]["out"]
    files = ("result.json", "log.jsonl", "checkpoint.npz", "config.json")
    before = {n: (os.stat(os.path.join(done, n)).st_mtime_ns,
                  open(os.path.join(done, n), "rb").read()) for n in files}
    with open(os.path.join(killed, "log.jsonl")) as f:
        first_epoch = f.readline()
    records, rows = run_sweep(configs, out, jobs=1, say=lambda *a: None)
    assert [(r["seed"], r["skipped"], r["epochs_run"]) for r in records] == \
        [(11, True, 2), (12, False, 2)]
    for n, (mtime, data) in before.items():                        # untouched, not retrained
        assert os.stat(os.path.join(done, n)).st_mtime_ns == mtime, n
        assert open(os.path.join(done, n), "rb").read() == data, n
    with open(os.path.join(killed, "log.jsonl")) as f:
        lines = f.readlines()
    assert len(lines) == 2 and lines[0] == first_epoch             # epoch 0 not recomputed
    assert rows[0]["runs"] == 2 and rows[0]["seeds"] == [11, 12]
    with open(os.path.join(out, "summary.json")) as f:
        assert json.load(f) == rows


# -- the cross-validation figure ---------------------------------------------------------------------
def test_sweep_figure_marks_the_published_setting(tmp_path):
    recs = [_rec(m, f, s, 95.0, 90.0 + f + 0.1 * (s - 345) + (m == "jordan"), 5)
            for m in ("elman", "jordan") for f in range(5) for s in (345, 346, 347)]
    path, marked = plot_sweep(recs, str(tmp_path / "f1.png"))
    assert os.path.getsize(path) > 10000
    assert marked == [("is13 elman", 93.0), ("is13 jordan", 94.0)]
    four = recs + [dict(r, model=m) for m in ("hybrid", "bi-jordan") for r in recs[:15]]
    marked = plot_sweep(four[::-1], str(tmp_path / "four.png"))[1]   # panels in records' order
    assert [t for t, _ in marked] == ["is13 bi-jordan", "is13 hybrid", "is13 jordan", "is13 elman"]
    toy = [dict(r, data="toy", fold=None) for r in recs if r["fold"] == 0]
    assert plot_sweep(toy, str(tmp_path / "toy.png"))[1] == []


def test_sweep_figure_tells_pooled_engines_apart(tmp_path):
    """A record pooled over engines: the engine with most runs is drawn filled, the others
    hollow (named in the panel); rows without provenance (a plain sweep folder) are one group."""
    from rnnslu.plot import engine_groups
    old = dict(engine="aesara", engine_version="2.9.4", linker="c")
    new = dict(engine="pytensor", engine_version="3.3.8", linker="numba")
    recs = [dict(_rec("elman", f, s, 97.0, 94.0 + 0.1 * f, 30), **(old if s == 345 else new))
            for f in range(5) for s in (345, 346, 347)]
    assert engine_groups(recs) == ["pytensor 3.3.8, numba linker", "aesara 2.9.4, c linker"]
    assert engine_groups(recs[:1]) == ["aesara 2.9.4, c linker"]
    assert engine_groups([_rec("elman", 0, 1, 9, 9, 1)]) == [None]
    path, marked = plot_sweep(recs, str(tmp_path / "mixed.png"))
    assert os.path.getsize(path) > 10000 and marked == [("is13 elman", 94.3)]


# -- independent references beside our rows in RESULTS.md ------------------------------------------
def test_results_render_references(tmp_path):
    from rnnrepro.results import results_markdown, write_record
    rec = dict(id="x", package="rnnlm", what="toolkit recipe", metric="ppl", value=152.4,
               published=None, published_source=None, label="full", command="c", commit="k",
               data="d", hardware="h", engine="numpy", floatX="float64",
               references=[dict(value=153, what="rnnlm-0.4b, hidden 100", source="faster-rnnlm"),
                           dict(value=124.7, what="hidden 300", source="thesis")])
    write_record(str(tmp_path / "x"), rec)
    text = results_markdown(str(tmp_path))
    assert "  - reference: **153**, rnnlm-0.4b, hidden 100 (faster-rnnlm)" in text
    assert "  - reference: **124.70**, hidden 300 (thesis)" in text


def test_sweep_results_record_and_its_row(tmp_path):
    """The run.json of a sweep: mean test F1 with sample std and range, the runs' provenance,
    'smaller' below the expected number of runs; RESULTS.md shows the spread."""
    from rnnrepro.results import results_markdown, write_record
    from rnnslu.sweep import results_record
    sweep = tmp_path / "sweep"
    recs = [_rec("elman", f, 345, 96.0 + f, tf1, be)
            for f, tf1, be in ((0, 90.0, 3), (1, 92.0, 5), (2, 94.0, 10))]
    for r in recs:
        r.update(epochs_run=60, seconds_per_epoch=4.0, out=str(sweep / f"fold{r['fold']}"))
        os.makedirs(r["out"])
        with open(os.path.join(r["out"], "result.json"), "w") as f:
            json.dump({"summary": dict(commit="abc", hardware="cpu x2", engine="aesara",
                                       engine_version="2.9.4", linker="c", floatX="float64")}, f)
    with open(sweep / "sweep.jsonl", "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in recs)
    rec = results_record(str(sweep), "cv", "dlt Elman", "rnnslu sweep ...", expected_runs=15)
    assert (rec["value"], rec["value_std"], rec["value_min"], rec["value_max"]) == \
        (92.0, 2.0, 90.0, 94.0)
    assert rec["valid_f1"] == 97.0 and rec["runs"] == 3 and rec["folds"] == [0, 1, 2]
    assert rec["label"] == "smaller: 3 folds x 1 seed (3 runs) of 15"
    assert (rec["engine"], rec["floatX"], rec["commit"]) == ("aesara 2.9.4", "float64", "abc")
    write_record(str(tmp_path / "results" / "cv"), rec)
    assert "| 92.00 ± 2.00 (90.00–94.00) (valid 97.00, best epoch 6.0 ± 3.6) |" in \
        results_markdown(str(tmp_path / "results"))


def _sweep_folder(folder, recs, commit, engine=("aesara", "2.9.4", "c")):
    """A finished sweep folder: sweep.jsonl and each run's result.json (provenance only)."""
    for r in recs:
        r.update(epochs_run=50, seconds_per_epoch=20.0,
                 out=str(folder / f"{r['model']}-fold{r['fold']}-seed{r['seed']}"))
        os.makedirs(r["out"])
        with open(os.path.join(r["out"], "result.json"), "w") as f:
            json.dump({"summary": dict(commit=commit, hardware="cpu x2", engine=engine[0],
                                       engine_version=engine[1], linker=engine[2],
                                       floatX="float64")}, f)
    with open(folder / "sweep.jsonl", "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in recs)
    return str(folder)


def test_a_record_pools_an_earlier_record_with_new_sweeps(tmp_path):
    """A table filled over sessions: the earlier record keeps each run's provenance in its
    sweep.jsonl, so it pools with a new sweep once its run folders are gone; a run found twice
    is refused naming both sources; a record from before per-row provenance lends its own."""
    import shutil
    from rnnslu.sweep import SweepError, results_record, write_sweep_record
    first = _sweep_folder(tmp_path / "a", [_rec("elman", f, 345, 97.0, 90.0 + f, 40)
                                           for f in (0, 1)], "c1")
    old = str(tmp_path / "results" / "old")
    write_sweep_record(first, old, "old", "is13 Elman", "cmd a")
    shutil.rmtree(first)                                          # the next session: runs/ gone
    second = _sweep_folder(tmp_path / "b", [_rec("elman", f, 346, 96.0, 93.0 + f, 45)
                                            for f in (0, 1)], "c2", ("pytensor", "3.3.8", "numba"))
    rec = write_sweep_record([old, second], str(tmp_path / "results" / "new"), "new",
                             "is13 Elman", "cmd a; cmd b", expected_runs=15)
    assert (rec["runs"], rec["folds"], rec["seeds"]) == (4, [0, 1], [345, 346])
    assert (rec["value"], rec["commit"], rec["trainer"]) == (92.0, "c1, c2", "word")
    assert rec["label"] == "smaller: 2 folds x 2 seeds (4 runs) of 15"
    # engines pool (a different rounding of the same SGD), each run naming its own
    assert (rec["engine"], rec["linker"]) == ("aesara 2.9.4, pytensor 3.3.8", "c, numba")
    assert [(r["seed"], r["engine"], r["linker"]) for r in rec["runs_table"]] == \
        [(345, "aesara 2.9.4", "c"), (346, "pytensor 3.3.8", "numba")] * 2
    with open(tmp_path / "results" / "new" / "sweep.jsonl") as f:
        rows = [json.loads(line) for line in f]
    assert [(r["fold"], r["seed"], r["commit"]) for r in rows] == \
        [(0, 345, "c1"), (0, 346, "c2"), (1, 345, "c1"), (1, 346, "c2")]
    with pytest.raises(SweepError, match="fold 0 seed 346 .* is also in .*b"):
        results_record([second, str(tmp_path / "results" / "new")], "x", "w", "c")
    # a record written before rows kept provenance: its run.json names one engine
    legacy = tmp_path / "results" / "legacy"
    os.makedirs(legacy)
    with open(legacy / "sweep.jsonl", "w") as f:
        f.write(json.dumps(dict(_rec("elman", 2, 347, 97.0, 95.0, 30), epochs_run=50,
                                seconds_per_epoch=20.0, out="runs/gone")) + "\n")
    with open(legacy / "run.json", "w") as f:
        json.dump(dict(commit="c0, c00", hardware="cpu x2", engine="aesara 2.9.4",
                       linker="c", floatX="float64"), f)
    rec = results_record([str(legacy), second], "x", "w", "c")
    assert (rec["runs"], rec["commit"], rec["engine"]) == (3, "c0, c00, c2",
                                                           "aesara 2.9.4, pytensor 3.3.8")
    os.remove(legacy / "run.json")                                # then nothing names it
    with pytest.raises(SweepError, match="runs/gone/result.json: not found"):
        results_record([str(legacy)], "x", "w", "c")


def test_runs_of_different_is13_trainers_are_never_pooled(tmp_path):
    """The trainers round differently and per-word SGD amplifies it: one row per trainer, a
    record refuses a mix, and a finished run of the other trainer is not this sweep's."""
    from rnnslu.sweep import SweepError, results_record, run_one
    recs = [_rec("jordan", 0, 345, 96.0, 93.0, 40), dict(_rec("jordan", 1, 345, 96.0, 94.0, 40),
                                                         trainer="fast")]
    rows = summarize(recs)
    assert [(r["trainer"], r["runs"]) for r in rows] == [("fast", 1), ("word", 1)]
    assert "| is13 | jordan | fast | atis |" in format_summary(rows)
    folder = _sweep_folder(tmp_path / "s", recs, "c")
    with pytest.raises(SweepError, match="2 preset/model/trainer groups"):
        results_record(folder, "x", "w", "c")
    # a row written before the field: the trainer comes from its run's own config
    del recs[1]["trainer"]
    with open(os.path.join(recs[1]["out"], "result.json")) as f:
        done = json.load(f)
    with open(os.path.join(recs[1]["out"], "result.json"), "w") as f:
        json.dump(dict(done, config=dict(regime="word", is13_trainer="fast")), f)
    with open(os.path.join(folder, "sweep.jsonl"), "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in recs)
    with pytest.raises(SweepError, match="2 preset/model/trainer groups"):
        results_record(folder, "x", "w", "c")
    config = plan("is13", "jordan", [0], [345], str(tmp_path / "p"))[0]
    os.makedirs(config["out"])
    with open(os.path.join(config["out"], "result.json"), "w") as f:
        json.dump(dict(config=dict(config, is13_trainer="fast"), summary={}), f)
    with pytest.raises(SweepError, match="is13_trainer"):
        run_one(config)


def test_search_command_ranks_and_a_rerun_continues_without_retraining(tmp_path, capsys):
    """`rnnslu search` as a command: the printed table ranks the trials of search.jsonl by
    valid F1 (ties by trial); running it again into the same folder resumes the finished
    trials (identity-checked) instead of being refused or retraining them."""
    from rnnslu.cli import main as cli
    out = tmp_path / "search"
    argv = ["search", "--data", "toy", "--trials", "2", "--epochs", "1", "--jobs", "1",
            "--quiet", "--out", str(out)]
    assert cli(argv) == 0
    table = capsys.readouterr().out.splitlines()
    with open(out / "search.jsonl") as f:
        rows = [json.loads(line) for line in f]
    expect = sorted(rows, key=lambda r: (-r["valid_f1"], r["trial"]))
    ranked = [line.split() for line in table if line.split()[:1] in (["1"], ["2"])]
    assert [(int(c[0]), int(c[1]), float(c[-2])) for c in ranked] == \
        [(k, r["trial"], round(r["valid_f1"], 2)) for k, r in enumerate(expect, 1)]
    logs = {r["trial"]: (out / f"trial{r['trial']:03d}" / "log.jsonl").read_bytes() for r in rows}
    assert cli(argv) == 0
    assert [line for line in capsys.readouterr().out.splitlines() if "rank" in line or
            line.split()[:1] in (["1"], ["2"])] == [t for t in table if "rank" in t or
                                                    t.split()[:1] in (["1"], ["2"])]
    for trial, log in logs.items():   # not retrained: the logs are byte-identical
        assert (out / f"trial{trial:03d}" / "log.jsonl").read_bytes() == log


def test_paired_comparison_matches_runs_by_fold_and_seed():
    """``paired`` (scripts/compare_sweeps.py) compares the same fold and seed, whatever the
    order of the records, and leaves out runs the other sweep lacks or that have no F1."""
    from rnnslu.sweep import PAIRED_HEADER, format_paired, format_paired_row, paired
    rec = lambda fold, seed, f1: dict(fold=fold, seed=seed, test_f1=f1)  # noqa: E731
    mine = [rec(0, 345, 94.0), rec(1, 345, 93.0), rec(2, 345, 95.0), rec(3, 346, 94.5),
            rec(4, 345, None)]
    others = [rec(3, 346, 94.0), rec(2, 345, 94.0), rec(0, 345, 94.5), rec(4, 345, 93.0)]
    p = paired(mine, others)
    assert p["pairs"] == [(0, 345), (2, 345), (3, 346)]
    assert p["diffs"] == pytest.approx([-0.5, 1.0, 0.5])
    assert p["n"] == 3 and p["higher"] == 2
    assert p["mean"] == pytest.approx(1 / 3)
    assert p["std"] == pytest.approx(np.std([-0.5, 1.0, 0.5], ddof=1))
    assert p["se"] == pytest.approx(p["std"] / np.sqrt(3))
    assert p["t"] == pytest.approx(p["mean"] / p["se"])
    assert p["sign_p"] == pytest.approx(1.0)   # 2 of 3: as even as 3 can split
    assert format_paired("a", "b", p) == "a - b: 3 runs, mean +0.33, sd 0.76, se 0.44, " \
        "higher in 2 of 3; paired t +0.76 on 2 df, p 0.53; sign test p 1"
    assert format_paired_row("a", "b", p) == \
        "| a | b | 3 | +0.33 | 0.76 | 0.44 | 2 of 3 | +0.76 (0.53) | 1 |"
    assert format_paired_row("a", "b", p).count("|") == PAIRED_HEADER.splitlines()[0].count("|")
    assert "no fold and seed in common" in format_paired("a", "b", paired(mine, []))


def test_paired_p_values_match_closed_forms_and_tables():
    """The paired t's two-sided p against Student's t where it has a closed form (1 and 2
    degrees of freedom) and a printed table's critical value (t 2.145 on 14 df: p 0.05);
    the sign test against its binomial sums. A one-sided p (of either test) or the wrong
    degrees of freedom handed to ``scipy.stats`` fails here."""
    from rnnslu.sweep import sign_test_p, t_test_p
    for t in (0.0, 0.3, 1.0, 2.5, -4.0, 12.0):
        assert t_test_p(t, 1) == pytest.approx(1 - 2 / np.pi * np.arctan(abs(t)), rel=1e-10)
        assert t_test_p(t, 2) == pytest.approx(1 - abs(t) / np.sqrt(2 + t * t), rel=1e-10)
    assert t_test_p(2.1448, 14) == pytest.approx(0.05, abs=1e-4)
    assert t_test_p(2.9768, 14) == pytest.approx(0.01, abs=1e-4)
    assert sign_test_p(5, 5) == sign_test_p(0, 5) == pytest.approx(2 / 32)
    assert sign_test_p(12, 15) == pytest.approx(2 * (1 + 15 + 105 + 455) / 2 ** 15)
    assert sign_test_p(3, 6) == 1.0 and sign_test_p(0, 0) == 1.0
