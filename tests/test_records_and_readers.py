"""Issue 30, part A: results records are written all or nothing and replaced only when asked;
records, sweep rows, models and vocabularies are checked where they are read.

Same table style and checks as ``test_cli_errors`` (``refused``, ``script_refused``): exit
status 2, exactly one stderr line naming the file or option (and field), no traceback, and the
folder byte-identical afterwards. Tiny inputs, made by ``conftest``: the toy rnnslu run
(``finished_run``) and the rnn-numpy / ptb-rnnlm runs and hand-made PTB LSTM checkpoint (``w``).
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from rnnrepro import checkpoint
from helpers import (RNNLM, ROOT, TRAIN, refused, rewrite, rnnlm_cmd, script_refused, slu_cmd,
                     snapshot, sweep_row)

# The rnnlm commands set the engine's floatX in this process: restored after each test.
pytestmark = pytest.mark.usefixtures("keep_floatx")

RECORD = dict(id="a", package="rnnlm", what="w", metric="m", value=1.5, published=None,
              published_source=None, label="full", command="c", commit="k", data="d",
              hardware="h", engine="numpy", floatX="float64")


def _record(**kw):
    return json.dumps(dict(RECORD, **kw))


def _script(folder, *argv):
    """Run ``scripts/argv[0]`` in ``folder``; returns the completed process."""
    return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", argv[0]),
                           *map(str, argv[1:])], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=ROOT), cwd=folder)


# ----------------------------------------------------------------- records read by the scripts
SWEEP = ["s"]
READ_CASES = {  # name -> (files, argv, needles); each refused in one line naming file and field
    "make_results NaN value": ({"results/a/run.json": _record(value=float("nan"))},
                               ["make_results.py"], ["results/a/run.json", "'value'", "NaN"]),
    "make_results Infinity nested": ({"results/a/run.json": _record(references=[
        {"value": float("inf"), "what": "x", "source": "y"}])}, ["make_results.py"],
        ["results/a/run.json", "references[0].value", "Infinity"]),
    "make_results null value of a full run": ({"results/a/run.json": _record(value=None)},
                                              ["make_results.py"],
                                              ["results/a/run.json", "'value'", "null"]),
    "make_results string seconds": ({"results/a/run.json": _record(seconds="12", epochs=2)},
                                    ["make_results.py"],
                                    ["results/a/run.json", "'seconds'", "string '12'"]),
    "make_results string value": ({"results/a/run.json": _record(value="115.9")},
                                  ["make_results.py"], ["results/a/run.json", "'value'"]),
    "make_results hand-written RESULTS.md": ({"results/a/run.json": _record(),
                                              "results/RESULTS.md": "# my notes\n"},
                                             ["make_results.py"],
                                             ["results/RESULTS.md", "not written by"]),
    "compare_sweeps NaN test_f1": ({"s/sweep.jsonl": sweep_row(test_f1=float("nan")),
                                    "t/sweep.jsonl": sweep_row()},
                                   ["compare_sweeps.py", "s", "t"],
                                   ["s/sweep.jsonl:1", "'test_f1'", "NaN"]),
    "compare_sweeps null test_f1": ({"s/sweep.jsonl": sweep_row(),
                                     "t/sweep.jsonl": sweep_row() + sweep_row(test_f1=None)},
                                    ["compare_sweeps.py", "s", "t"],
                                    ["t/sweep.jsonl:2", "'test_f1'", "null"]),
    "compare_sweeps string seed": ({"s/sweep.jsonl": sweep_row(seed="345"),
                                    "t/sweep.jsonl": sweep_row()},
                                   ["compare_sweeps.py", "s", "t"],
                                   ["s/sweep.jsonl:1", "'seed'", "string '345'"]),
    "compare_sweeps missing field": ({"s/sweep.jsonl": sweep_row(),
                                      "t/sweep.jsonl": json.dumps({"preset": "dlt"}) + "\n"},
                                     ["compare_sweeps.py", "s", "t"],
                                     ["t/sweep.jsonl:1", "'model'"]),
    "plot_sweeps NaN valid_f1": ({"s/sweep.jsonl": sweep_row(valid_f1=float("nan"))},
                                 ["plot_sweeps.py", "s", "--out", "f.png"],
                                 ["s/sweep.jsonl:1", "'valid_f1'"]),
    "plot_sweeps string best_epoch": ({"s/sweep.jsonl": sweep_row(best_epoch="3")},
                                      ["plot_sweeps.py", "s", "--out", "f.png"],
                                      ["s/sweep.jsonl:1", "'best_epoch'"]),
    "record_sweep NaN row": ({"s/sweep.jsonl": sweep_row(test_f1=float("-inf"))},
                             ["record_sweep.py", "s", "--id", "x", "--what", "w", "--command",
                              "c"], ["s/sweep.jsonl:1", "'test_f1'", "-Infinity"]),
    "record_rnnslu NaN test_f1": ({"r/result.json": '{"config": {}, "summary": {"test_f1": NaN}}'},
                                  ["record_rnnslu.py", "r", "--id", "x", "--what", "w",
                                   "--command", "c"], ["r/result.json", "'summary.test_f1'"]),
    "plot_ptb NaN published": ({"run/log.jsonl": '{"epoch": 1, "valid_perplexity": 9.0}\n',
                                "run/run.json": '{"published": NaN}'},
                               ["plot_ptb.py", "a=run", "-o", "p.png"],
                               ["run/run.json", "'published'"]),
    "plot_ptb string perplexity": ({"run/log.jsonl": '{"epoch": 1, "valid_perplexity": "9"}\n'},
                                   ["plot_ptb.py", "a=run", "-o", "p.png"],
                                   ["run/log.jsonl:1", "'valid_perplexity'"]),
    "plot_rnnlm NaN loss": ({"run/log.jsonl": '{"num_examples_seen": 1, "loss": NaN}\n'},
                            ["plot_rnnlm.py", "a=run/log.jsonl", "-o", "p.png"],
                            ["run/log.jsonl:1", "'loss'"]),
}


@pytest.mark.parametrize("case", sorted(READ_CASES))
def test_scripts_refuse_records_that_are_not_numbers(case, tmp_path):
    """NaN, Infinity, null or a string where a number belongs, or a missing field: the table
    printed 'nan', the figure drew nothing, or a traceback; now one line naming file and field."""
    script_refused(tmp_path, *READ_CASES[case])


def test_existing_records_and_sweep_rows_pass_the_checks():
    """Every committed record and sweep row is what the loaders accept (a null value only in a
    record labelled as not a full run: results/ptb-lstm-large)."""
    from rnnrepro.results import load_records
    from rnnslu.sweep import read_sweep
    recs = load_records(os.path.join(ROOT, "results"))
    assert len(recs) > 20 and all(r["value"] is not None or r["label"] != "full" for r in recs)
    for path in sorted(os.listdir(os.path.join(ROOT, "results"))):
        if os.path.exists(os.path.join(ROOT, "results", path, "sweep.jsonl")):
            assert read_sweep(os.path.join(ROOT, "results", path))


# ----------------------------------------------------------------- figure outputs
FIGURE_CASES = {  # name -> (files, argv, needles)
    "plot_sweeps text extension": ({"s/sweep.jsonl": sweep_row()},
                                   ["plot_sweeps.py", "s", "--out", "s/sweep.jsonl"],
                                   ["s/sweep.jsonl", "--out", ".png"]),
    "plot_sweeps no extension": ({"s/sweep.jsonl": sweep_row()},
                                 ["plot_sweeps.py", "s", "--out", "figure"],
                                 ["figure", "--out", "no extension"]),
    "plot_sweeps over a text file named .png": ({"s/sweep.jsonl": sweep_row(),
                                                 "notes.png": "my notes\n"},
                                                ["plot_sweeps.py", "s", "--out", "notes.png"],
                                                ["notes.png", "not a .png picture"]),
    "plot_ptb over a record": ({"run/log.jsonl": '{"epoch": 1, "valid_perplexity": 9.0}\n'},
                               ["plot_ptb.py", "a=run", "-o", "run/log.jsonl"],
                               ["run/log.jsonl", "-o", ".png"]),
    "plot_rnnlm over a text file named .svg": (
        {"run/log.jsonl": '{"num_examples_seen": 1, "loss": 2.0}\n', "f.svg": "not svg\n"},
        ["plot_rnnlm.py", "a=run/log.jsonl", "-o", "f.svg"], ["f.svg", "not a .svg picture"]),
    "plot_rnnlm to a folder": ({"run/log.jsonl": '{"num_examples_seen": 1, "loss": 2.0}\n',
                                "d.png/x": "x"},
                               ["plot_rnnlm.py", "a=run/log.jsonl", "-o", "d.png"],
                               ["d.png", "a folder"]),
}


@pytest.mark.parametrize("case", sorted(FIGURE_CASES))
def test_plot_scripts_refuse_outputs_that_are_not_pictures(case, tmp_path):
    """A plot told to write over a record (or to a name matplotlib cannot write) replaced it or
    was a traceback; now refused before any work."""
    script_refused(tmp_path, *FIGURE_CASES[case])


def test_plot_replaces_its_own_picture(tmp_path):
    """The check does not stop the ordinary case: a second plot over the first one's PNG."""
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "log.jsonl").write_text('{"num_examples_seen": 1, "loss": 2.0}\n'
                                                '{"num_examples_seen": 2, "loss": 1.0}\n')
    for _ in range(2):
        r = _script(tmp_path, "plot_rnnlm.py", "a=run/log.jsonl", "-o", "p.png")
        assert r.returncode == 0, r.stderr
    assert (tmp_path / "p.png").read_bytes().startswith(b"\x89PNG")


# ----------------------------------------------------------------- record folders
RECORD_ARGS = ["--what", "w", "--command", "c"]


@pytest.fixture
def slu_run(finished_run, tmp_path):
    """tmp_path holding ``run/`` (a finished toy run) and ``other/`` (the same run with another
    result), as a record script's working folder."""
    shutil.copytree(finished_run, tmp_path / "run")
    shutil.copytree(finished_run, tmp_path / "other")
    res = json.loads((tmp_path / "other" / "result.json").read_text())
    res["summary"]["test_f1"] = 12.5
    (tmp_path / "other" / "result.json").write_text(json.dumps(res))
    return tmp_path


def test_record_rnnslu_replaces_another_record_only_when_asked(slu_run):
    r = _script(slu_run, "record_rnnslu.py", "run", "--id", "x", *RECORD_ARGS)
    assert r.returncode == 0, r.stderr
    (slu_run / "results" / "x" / "neighbors.md").write_text("a table added later\n")
    # the same run again (another --what): an update, files added later kept
    r = _script(slu_run, "record_rnnslu.py", "run", "--id", "x", "--what", "w2", "--command", "c")
    assert r.returncode == 0, r.stderr
    assert json.loads((slu_run / "results" / "x" / "run.json").read_text())["what"] == "w2"
    assert (slu_run / "results" / "x" / "neighbors.md").exists()
    # another run into the same --id: refused, byte for byte
    script_refused(slu_run, {}, ["record_rnnslu.py", "other", "--id", "x", *RECORD_ARGS],
                   ["results/x", "another record", "--overwrite"])
    r = _script(slu_run, "record_rnnslu.py", "other", "--id", "x", *RECORD_ARGS, "--overwrite")
    assert r.returncode == 0 and "neighbors.md" in r.stdout, r.stderr
    assert json.loads((slu_run / "results" / "x" / "run.json").read_text())["value"] == 12.5
    assert set(os.listdir(slu_run / "results" / "x")) == {"log.jsonl", "result.json", "run.json"}
    assert not [n for n in os.listdir(slu_run / "results") if n.startswith(".")]


def test_a_refused_record_leaves_the_old_one_byte_identical(slu_run):
    """A record refused for a non-finite or wrong-kind value had already replaced the copied
    files (files of two records side by side); now its input is checked first, and the record
    folder is written all or nothing (test_write_record_folder_is_all_or_nothing)."""
    assert _script(slu_run, "record_rnnslu.py", "run", "--id", "x", *RECORD_ARGS).returncode == 0
    res = json.loads((slu_run / "other" / "result.json").read_text())
    res["summary"]["peak_rss_mb"] = "a lot"
    (slu_run / "other" / "result.json").write_text(json.dumps(res))
    (slu_run / "other" / "log.jsonl").write_text("another log\n")
    script_refused(slu_run, {}, ["record_rnnslu.py", "other", "--id", "x", *RECORD_ARGS,
                                 "--overwrite"], ["other/result.json: summary",
                                                  "'peak_rss_mb'", "string 'a lot'"])


def _sweep(folder, rows):
    os.makedirs(folder, exist_ok=True)
    (folder / "sweep.jsonl").write_text("".join(sweep_row(**r) for r in rows))


def test_record_sweep_replaces_another_record_only_when_asked(tmp_path):
    _sweep(tmp_path / "a", [dict(fold=0), dict(fold=1, test_f1=2.0)])
    _sweep(tmp_path / "b", [dict(fold=2, test_f1=3.0)])
    argv = ["--id", "cv", *RECORD_ARGS]
    assert _script(tmp_path, "record_sweep.py", "a", *argv).returncode == 0
    (tmp_path / "results" / "cv" / "test_f1.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    # other runs into the same --id: refused, byte for byte
    script_refused(tmp_path, {}, ["record_sweep.py", "b", *argv],
                   ["results/cv", "another record", "--overwrite"])
    # the record pooled with new runs: an update (the figure made before is kept)
    r = _script(tmp_path, "record_sweep.py", "results/cv", "b", *argv)
    assert r.returncode == 0, r.stderr
    rec = json.loads((tmp_path / "results" / "cv" / "run.json").read_text())
    assert rec["runs"] == 3 and (tmp_path / "results" / "cv" / "test_f1.png").exists()
    r = _script(tmp_path, "record_sweep.py", "b", *argv, "--overwrite")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "results" / "cv" / "run.json").read_text())["runs"] == 1
    assert sorted(os.listdir(tmp_path / "results" / "cv")) == \
        ["run.json", "summary.md", "sweep.jsonl"]


def test_train_results_dir_holding_another_record(tmp, capsys):
    """``rnnlm train --results-dir`` replaced the record there at the end of the run; now a
    record of another run there is refused before any work, and replaced with --overwrite."""
    (tmp / "rec").mkdir()
    (tmp / "rec" / "run.json").write_text(_record())
    argv = ["train", *TRAIN, "--path", tmp / "t.txt", "--epochs", 1, "--out", tmp / "new",
            "--results-dir", tmp / "rec"]
    refused(capsys, lambda: rnnlm_cmd(*argv), str(tmp / "rec"), "--results-dir", "--overwrite",
            folder=tmp)
    assert rnnlm_cmd(*argv, "--overwrite") == 0
    assert sorted(os.listdir(tmp / "rec")) == ["log.jsonl", "loss.png", "run.json"]
    assert json.loads((tmp / "rec" / "run.json").read_text())["id"] == "rec"


def test_a_run_record_refused_copies_nothing(tmp_path):
    """``write_record`` (a run writing the record of its own folder) copied the log beside the
    record before refusing a NaN value; now the record is checked before anything is copied."""
    from rnnrepro import results
    (tmp_path / "log.jsonl").write_text("new log\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "log.jsonl").write_text("old log\n")
    before = snapshot(tmp_path)
    with pytest.raises(results.RecordError, match="'value' is nan"):
        results.write_record(str(tmp_path / "out"), dict(RECORD, value=float("nan")),
                             [str(tmp_path / "log.jsonl")])
    assert snapshot(tmp_path) == before


def test_write_record_folder_is_all_or_nothing(tmp_path, monkeypatch):
    """A write that fails half-way (a full disk at the second file) leaves the old record
    whole and no staging folder behind; one killed between its two renames is put back by the
    next write."""
    from rnnrepro import files, results
    folder = str(tmp_path / "results" / "a")
    results.write_record_folder(folder, dict(RECORD), {"log.jsonl": "old\n"})
    before = snapshot(tmp_path)
    real, calls = files.write_bytes, []

    def full_disk(path, data, mode=0o644):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", path)
        return real(path, data, mode)
    monkeypatch.setattr(results, "write_bytes", full_disk)
    with pytest.raises(OSError, match="No space left"):
        results.write_record_folder(folder, dict(RECORD, value=2.0), {"log.jsonl": "new\n"},
                                    overwrite=True)
    assert snapshot(tmp_path) == before
    monkeypatch.undo()
    # killed after moving the old record aside, before the new one was swapped in
    os.replace(folder, str(tmp_path / "results" / ".a.old-x1"))
    results.write_record_folder(folder + "-other", dict(RECORD, id="a-other"))
    assert not os.path.exists(folder)          # another record's write leaves it alone
    with pytest.raises(results.RecordError):   # a refused write of this one restores it
        results.write_record_folder(folder, dict(RECORD, value=float("nan")),
                                    {"log.jsonl": "a log of the refused record\n"},
                                    overwrite=True)
    assert snapshot(tmp_path / "results" / "a") == {
        k[len("results/a/"):]: v for k, v in before.items() if k.startswith("results/a/")}


# ----------------------------------------------------------------- models of read-only commands
def _nan(name):
    def change(a, s):
        a[name] = a[name].copy()
        a[name].flat[1] = np.nan
        return a, s
    return change


NAN_CASES = {  # name -> (checkpoint, array made NaN, argv after the checkpoint)
    "score": ("run/checkpoint.npz", "U", ["score", "--whitespace", "the cat sat"]),
    "score --json": ("run/checkpoint.npz", "V", ["score", "--json", "--whitespace", "the cat"]),
    "generate": ("run/checkpoint.npz", "W", ["generate", "-n", 1, "--seed", 0]),
    "score toolkit": ("rr/checkpoint.npz", "U", ["score", "the cat sat"]),
    "generate toolkit": ("rr/checkpoint.npz", "V1", ["generate", "-n", 1, "--seed", 0]),
    "ptb-eval": ("lstm.npz", None, ["ptb-eval"]),
}


@pytest.mark.parametrize("case", sorted(NAN_CASES))
def test_read_only_commands_refuse_a_diverged_model(case, tmp, capsys):
    """score and ptb-eval printed 'perplexity nan' with status 0 (NaN in --json), generate was
    a traceback; now the model is refused where it is loaded, naming the file and array."""
    path, name, argv = NAN_CASES[case]
    ckpt = tmp / path
    if name is None:
        name = sorted(checkpoint.load(str(ckpt))[0])[0]
    rewrite(ckpt, _nan(name))
    cmd, rest = argv[0], argv[1:]
    extra = ["--data-dir", tmp / "ptb"] if cmd == "ptb-eval" else []
    refused(capsys, lambda: rnnlm_cmd(cmd, ckpt, *rest, *extra), str(ckpt), repr(name), "NaN",
            "diverged", folder=tmp)


def test_score_refuses_probabilities_that_overflow(w, capsys, monkeypatch):
    """Finite weights whose probabilities overflow: refused, never 'nan' in --json."""
    from rnnlm.registry import load_language_model
    scorer_cls = type(load_language_model(str(w / "run" / "checkpoint.npz")))
    monkeypatch.setattr(scorer_cls, "advance",
                        lambda self, state, i: (np.full(len(self.vocab), np.nan), state))
    refused(capsys, lambda: rnnlm_cmd("score", "--json", w / "run" / "checkpoint.npz",
                                      "--whitespace", "the cat"),
            "checkpoint.npz", "log-probability of sentence 1", "not finite")
    refused(capsys, lambda: rnnlm_cmd("generate", w / "run" / "checkpoint.npz", "-n", 1),
            "checkpoint.npz", "next-word distribution", "not finite")


def test_neighbors_refuses_nan_embeddings(finished_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    emb = np.load(run / "best" / "embeddings.npy")
    emb[3, 1] = np.nan
    np.save(run / "best" / "embeddings.npy", emb)
    refused(capsys, lambda: slu_cmd("neighbors", run, "boston"), "embeddings.npy", "NaN",
            "diverged", folder=run)


def test_a_toolkit_run_that_diverges_records_no_result(tmp, capsys, monkeypatch):
    """A learning rate that diverges tested at a perplexity of 7.6e46, recorded as the run's
    result; a perplexity above the vocabulary size (a uniform guess's) is a diverged run: the
    command says so (exit 2), the checkpoint and log stay, no run.json is written."""
    from rnnlm.toolkit import model as class_rnn
    real = class_rnn.ClassRNNLM.evaluate

    def diverged(self, words, *a, test=False, **k):
        logp, n = real(self, words, *a, test=test, **k)
        return (-46.88 * n, n) if test else (logp, n)
    monkeypatch.setattr(class_rnn.ClassRNNLM, "evaluate", diverged)
    out = tmp / "div"
    line = refused(capsys, lambda: rnnlm_cmd("ptb-rnnlm", *RNNLM, "--epochs", 1, "--data-dir",
                                             tmp / "ptb", "--out", out),
                   "training diverged", "7.586e+46", "above the vocabulary size", str(out))
    assert "not recorded" in line
    assert sorted(os.listdir(out)) == ["checkpoint.npz", "log.jsonl"]


# ----------------------------------------------------------------- vocabulary files
VOCAB_CASES = {  # name -> (how the vocabulary file changes, needles)
    "blank line": (lambda words: words[:3] + [""] + words[3:], ["vocab.txt:4", "blank line"]),
    "blank line of spaces": (lambda words: words[:2] + ["  "] + words[2:-1],
                             ["vocab.txt:3", "blank line"]),
    "a word twice": (lambda words: words[:-1] + [words[5]], ["vocab.txt:12",
                                                             "listed twice", "line 6"]),
}


@pytest.mark.parametrize("case", sorted(VOCAB_CASES))
def test_import_npz_refuses_a_malformed_vocabulary(case, tmp, capsys):
    """A blank line was dropped (every later word one row off, so score gave wrong numbers
    silently) and a word listed twice was accepted; both refused naming file and line (each
    file has as many words as the npz, so the count check alone did not catch them)."""
    change, needles = VOCAB_CASES[case]
    words = (tmp / "vocab.txt").read_text().splitlines()
    (tmp / "vocab.txt").write_text("\n".join(change(words)) + "\n")
    refused(capsys, lambda: rnnlm_cmd("import-npz", tmp / "tut.npz", "--vocab", tmp / "vocab.txt",
                                      "-o", tmp / "out.npz"), *needles, folder=tmp)


# ----------------------------------------------------------------- generate --prefix
def test_generate_prints_the_prefix_as_given(w, capsys):
    """An unknown prefix word was printed as UNKNOWN_TOKEN, which the help says is never
    emitted: the prefix is the user's words, printed as given (fed to the model as the unknown
    token); sampled words are never UNKNOWN_TOKEN."""
    capsys.readouterr()
    assert rnnlm_cmd("generate", w / "run" / "checkpoint.npz", "--prefix", "zebra the", "-n", 5,
                     "--min-length", 2, "--seed", 3) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and all(line.startswith("zebra the ") for line in lines), lines
    assert not any("UNKNOWN_TOKEN" in line for line in lines)


def test_a_bench_record_without_its_main_row_is_a_valid_record(tmp_path):
    """bench_rnnlm.py run without RNNTheano float32 on C wrote value and engine null in a
    record labelled 'full', which the record check refuses; its label now says why."""
    from rnnlm.wildml.bench import write_results
    from rnnrepro.results import load_records
    rows = [{"model": "RNNNumpy", "engine": "numpy", "floatX": "float64", "median_ms": 300.0}]
    write_results(str(tmp_path / "b"), rows, "table", {"length": 45, "C": 8, "H": 4}, ["x"])
    (rec,) = load_records(str(tmp_path))
    assert rec["value"] is None and rec["label"].startswith("smaller:") and \
        rec["engine"] == "numpy"
