"""The reproduction table: one row per published number in results/reproduce.json, the README's
table generated from it (so the two cannot drift), each row's model and loop present in the
code, each command the one that made its record, and scripts/reproduce.py printing a row's
plan without running it. RESULTS.md opens with the rows in tutorial order; benchmarks have
their own page."""
import json
import os
import re
import shlex
import subprocess
import sys

import pytest

from rnnrepro.files import InputError
from rnnrepro import results

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "results")
ROWS = results.load_reproduction(RESULTS)


def test_the_readme_table_is_the_generated_one():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    table = text[text.index(results.README_BEGIN) + len(results.README_BEGIN):
                 text.index(results.README_END)]
    assert table.strip() == results.reproduction_markdown(RESULTS).strip(), \
        "README's reproduction table is stale: run python scripts/make_results.py"


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["name"])
def test_model_and_loop_exist_where_the_row_says(row):
    for ref, kind in ((row["model"], "class"), (row["loop"], "def")):
        path, name = ref.split(":")
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            assert re.search(rf"^{kind} {name}\b", f.read(), re.M), f"{ref}: no {kind} {name}"


def _options(command):
    """{option: value or None} and the program words of a command (VAR=value prefix dropped)."""
    words = [w for w in shlex.split(command) if not re.match(r"^[A-Z_]+=", w)]
    head, opts, i = words[:2], {}, 2
    while i < len(words):
        if words[i].startswith("--"):
            value = words[i + 1] if i + 1 < len(words) and not words[i + 1].startswith("--") else None
            opts[words[i]] = value
            i += 2 if value is not None else 1
        else:
            i += 1
    return head, opts


# where a row may differ from its record's command: the output folder (records ran from other
# folders), and folds/seeds/jobs (recorded runs were split into one sweep per fold or queue)
MAY_DIFFER = {"--out", "--folds", "--seeds", "--jobs"}
# options renamed since records were made (CHANGELOG): a record's old name means the new one
RENAMED = {"--nepoch": "--epochs", "--out-dir": "--out", "--max-epochs": "--epochs",
           "--floatx": "--floatX"}
# options a record's command lacks because they did not exist yet, with the value its run used:
# toolkit runs before --kernel ran the numpy loop (numba is the default now and rounds
# differently over a full run, so the row must ask for the loop that made the record)
IMPLIED = {("--kernel", "python")}


@pytest.mark.parametrize("row", [r for r in ROWS if r["record"]], ids=lambda r: r["name"])
def test_each_command_is_the_one_that_made_its_record(row):
    with open(os.path.join(RESULTS, row["record"], "run.json")) as f:
        recorded = json.load(f)["command"]
    head, opts = _options(row["command"])
    rec_head, rec_opts = _options(recorded.split(" ; ")[-1])
    rec_opts = {RENAMED.get(k, k): v for k, v in rec_opts.items()}
    assert head == rec_head, (head, rec_head)
    for opt, value in opts.items():
        if opt not in rec_opts and (opt, value) in IMPLIED:
            continue
        assert opt in rec_opts, f"{row['name']}: {opt} is not in the record's command"
        if opt not in MAY_DIFFER:
            assert rec_opts[opt] == value, f"{row['name']}: {opt} {value} != {rec_opts[opt]}"


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["name"])
def test_each_row_runs_into_its_own_folder_under_runs(row):
    _, opts = _options(row["command"])
    out = opts.get("--out")
    if row["command"].startswith(("OMP_NUM_THREADS=1 OPENBLAS", "python")):
        assert out is None   # a benchmark prints its table
    else:
        assert out == row["out"] and out.startswith("runs/")


def test_rows_name_unique_folders_and_cover_every_headline_record():
    outs = [r["out"] for r in ROWS if r["out"].startswith("runs/")]
    assert len(outs) == len(set(outs))
    recorded = {r["record"] for r in ROWS}
    for rec in results.load_records(RESULTS):   # every record that states a published number
        if rec["published"] is not None and results.section_of(rec["_dir"]) not in (None, results.OTHER):
            assert rec["_dir"] in recorded or "cpu" in rec["_dir"], rec["_dir"]


def _script(*argv):
    return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "reproduce.py"), *argv],
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=ROOT))


def test_dry_run_prints_the_plan_and_runs_nothing():
    p = _script("ptb-lstm-small", "--dry-run")
    assert p.returncode == 0, p.stderr
    assert "command:   rnnlm ptb-lstm --config small --out runs/ptb-lstm-small" in p.stdout
    # 6679.1 s in the record (13 epochs on the 2-core machine)
    assert "time:      1.9 h, AMD EPYC x2" in p.stdout
    assert "output:    runs/ptb-lstm-small" in p.stdout
    assert "ours: 114.87" in p.stdout and "115.91" in p.stdout


def test_list_names_every_row_and_an_unknown_name_is_one_line():
    p = _script("--list")
    assert p.returncode == 0 and [l.split()[0] for l in p.stdout.splitlines()] == \
        [r["name"] for r in ROWS]
    p = _script("no-such-row")
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "no-such-row" in p.stderr


def test_command_words_run_under_this_python():
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    try:
        from reproduce import argv_of
    finally:
        sys.path.pop(0)
    env, argv = argv_of("OMP_NUM_THREADS=1 RNN_ENGINE=aesara rnnslu sweep --folds 0,1")
    assert env == {"OMP_NUM_THREADS": "1", "RNN_ENGINE": "aesara"}
    assert argv == [sys.executable, "-m", "rnnslu.cli", "sweep", "--folds", "0,1"]
    with pytest.raises(InputError, match="does not start with"):
        argv_of("rm -rf runs")


def test_expected_time_of_a_sweep_and_of_a_run_cut_short():
    sweep = dict(hardware="cpu x2", seconds_per_epoch=6.0, epochs=50, runs=15)
    assert results.expected_time({}, sweep) == "75 min (15 runs of 5 min), cpu x2"
    cut = dict(hardware="h", accelerator="gpu: H100", seconds=143.0, epochs=2)
    assert results.expected_time({"epochs_full": 55}, cut) == \
        "66 min (extrapolated from 2 epochs), h + gpu: H100"
    assert results.expected_time({}, dict(hardware="h")) is None


def _record(folder, rid, **kw):
    rec = dict(id=rid, package="p", what=rid, metric="m", value=1.0, published=2.0,
               published_source="paper", label="full", command="c", commit="k", data="d",
               hardware="h", engine="numpy", floatX="float64")
    rec.update(kw)
    results.write_record(str(folder / rid), rec)


def test_results_in_tutorial_order_and_benchmarks_on_their_own_page(tmp_path):
    for rid in ("ptb-lstm-small", "bench-x", "rnnslu-a", "zzz", "ngram-kn5-ptb", "rnnlm-b"):
        _record(tmp_path, rid)
    (tmp_path / "reproduce.json").write_text(json.dumps({"rows": [
        dict(name="atis", tutorial="ATIS", original="o", model="m:M", loop="l:f",
             command="rnnslu train", out="runs/a", record="rnnslu-a"),
        dict(name="lstm", tutorial="PTB", original="o", model="m:M", loop="l:f",
             command="rnnlm ptb-lstm", out="runs/b", record="ptb-lstm-small",
             published=3.5, published_source="like for like")]}))
    text = results.write_results_markdown(str(tmp_path))
    heads = [l for l in text.splitlines() if l.startswith("## ")]
    assert heads == ["## Headline: each published number beside ours", "## ATIS slot filling",
                     "## WildML RNN LM (proxy: PTB text)", "## PTB LSTM (TF tutorial)",
                     "## RNNLM toolkit and Mikolov's PTB table", "## Other records"]
    assert "| `lstm` | o | m | 3.50 (like for like) | 1.00 |" in text   # the row's own figure
    assert "bench-x" not in text
    bench = (tmp_path / "BENCHMARKS.md").read_text()
    assert "[bench-x](bench-x/run.json)" in bench and "rnnslu-a" not in bench


def test_a_row_whose_record_is_missing_is_refused(tmp_path):
    (tmp_path / "reproduce.json").write_text(json.dumps({"rows": [
        dict(name="x", tutorial="t", original="o", model="m:M", loop="l:f", command="rnnlm",
             out="runs/x", record="gone")]}))
    with pytest.raises(InputError, match=r"row 1 \(x\): record 'gone' not found"):
        results.load_reproduction(str(tmp_path))


def test_readme_table_is_written_between_its_markers_only(tmp_path):
    _record(tmp_path, "rnnslu-a")
    (tmp_path / "reproduce.json").write_text(json.dumps({"rows": [
        dict(name="atis", tutorial="ATIS", original="o", model="m:M", loop="l:f",
             command="rnnslu train", out="runs/a", record="rnnslu-a")]}))
    readme = tmp_path / "README.md"
    readme.write_text(f"top\n{results.README_BEGIN}\nold\n{results.README_END}\nbottom\n")
    assert results.write_readme_table(str(readme), str(tmp_path))
    text = readme.read_text()
    assert text.startswith("top\n") and text.endswith(f"{results.README_END}\nbottom\n")
    assert "old" not in text and "| `atis` | o | `m:M`, `l:f` | `rnnslu train` |" in text
    assert not results.write_readme_table(str(readme), str(tmp_path))   # unchanged
    readme.write_text("no markers\n")
    with pytest.raises(InputError, match="no reproduction-table markers"):
        results.write_readme_table(str(readme), str(tmp_path))
    assert readme.read_text() == "no markers\n"


@pytest.mark.parametrize("hidden,published", [(100, None), (300, 124.7)])
def test_a_toolkit_run_carries_the_thesis_figure_only_at_its_size(tmp_path, hidden, published):
    """The thesis's RNN (124.7) has 300 hidden units: a hidden-100 run is not compared with it."""
    from helpers import write_ptb_corpus
    from rnnlm.toolkit.trainnet import ToolkitConfig, train_class_rnn
    (tmp_path / "ptb").mkdir()
    data = write_ptb_corpus(tmp_path / "ptb", {"train": 300, "valid": 20, "test": 20})
    out = str(tmp_path / "run")
    train_class_rnn(ToolkitConfig(hidden=hidden, class_size=3, max_epochs=1), data_dir=data,
                    out=out, quiet=True)
    with open(os.path.join(out, "run.json")) as f:
        rec = json.load(f)
    assert rec["published"] == published
    assert (rec["published_source"] is None) == (published is None)


def test_the_thesis_table_keeps_its_order_its_open_rows_and_our_records_values(tmp_path):
    _record(tmp_path, "ngram-kn5-ptb", value=141.19)
    _record(tmp_path, "ptb-rnnlm-h4", value=141.31)
    _record(tmp_path, "mix-rnn-h4-kn5", value=114.58)
    table = {"title": "Thesis table", "intro": "PTB.", "rows": [
        {"row": "KN5", "published": 141.2, "record": "ngram-kn5-ptb"},
        {"row": "ME", "published": 142.1, "published_kn5": 138.7, "open": "not built"},
        {"row": "RNN", "published": 124.7, "published_kn5": 105.7, "record": "ptb-rnnlm-h4",
         "record_kn5": "mix-rnn-h4-kn5"}]}
    (tmp_path / "thesis-table.json").write_text(json.dumps(table))
    text = results.write_results_markdown(str(tmp_path))
    lines = [l for l in text.splitlines() if l.startswith(("| KN5", "| ME", "| RNN"))]
    assert lines == [
        "| KN5 | 141.2 | 141.19 | — | — | [ngram-kn5-ptb](ngram-kn5-ptb/run.json) |",
        "| ME | 142.1 | open | 138.7 | open | not built |",
        "| RNN | 124.7 | 141.31 | 105.7 | 114.58 | [ptb-rnnlm-h4](ptb-rnnlm-h4/run.json), "
        "[mix-rnn-h4-kn5](mix-rnn-h4-kn5/run.json) |"]
    assert text.index("## Thesis table") < text.index("## RNNLM toolkit")
    table["rows"].append({"row": "FNN", "published": 140.2, "record": "ffnn-gone"})
    (tmp_path / "thesis-table.json").write_text(json.dumps(table))
    with pytest.raises(InputError, match=r"thesis-table.json: row 4 \('FNN'\) names no record "
                                         r"here: ffnn-gone"):
        results.write_results_markdown(str(tmp_path))
    table["rows"][-1] = {"row": "FNN", "published": 140.2}
    (tmp_path / "thesis-table.json").write_text(json.dumps(table))
    with pytest.raises(InputError, match="neither a record nor why it is open"):
        results.write_results_markdown(str(tmp_path))
