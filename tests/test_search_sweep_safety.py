"""Search and sweep folders keep their bookkeeping: a search run again keeps every earlier
trial's row, another search into the same folder is one line (not a checkpoint error), the
options a user gives reach every trial, and a sweep's ``sweep.jsonl`` finds its runs from any
working directory.

Table-driven where the command is refused: exit status 2, one stderr line naming the folder or
file, no traceback, the folder byte-identical. Tiny shapes: the toy corpus, 1 epoch, 8 units.
"""
import json
import os
import shutil

import pytest

from helpers import SLU, refused, slu_cmd

# SLU fixes --nhidden 8 --emb 8 --win 3: options the search would otherwise draw
FIXED = dict(nhidden=8, emb_dimension=8, win=3)
SEARCH = ["search", *SLU, "--epochs", "1", "--jobs", "1"]


def _rows(folder):
    with open(folder / "search.jsonl") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    """A finished 2-trial search (its folder; copy it before changing anything)."""
    out = tmp_path_factory.mktemp("search") / "s"
    assert slu_cmd(*SEARCH, "--trials", "2", "--out", out) == 0
    return out


@pytest.fixture
def search(searched, tmp_path):
    out = tmp_path / "s"
    shutil.copytree(searched, out)
    return out


def test_rerun_with_fewer_trials_keeps_every_row(search, capsys):
    """A re-run with --trials 1 rewrote search.jsonl with trial 0 only."""
    before = (search / "search.jsonl").read_text().splitlines()
    assert len(before) == 2
    assert slu_cmd(*SEARCH, "--trials", "1", "--out", search) == 0
    assert (search / "search.jsonl").read_text().splitlines() == before
    ranked = [line.split() for line in capsys.readouterr().out.splitlines()
              if line.split()[:1] in (["1"], ["2"])]
    assert sorted(int(r[1]) for r in ranked) == [0, 1]   # the table ranks both trials


def test_user_given_sampled_options_are_in_every_trial(searched):
    """--nhidden/--emb/--win were silently replaced by the draws; now every trial takes them,
    and the options left to draw are those of the same seed without them."""
    from rnnslu.search import draw_trials
    rows = _rows(searched)
    free = draw_trials(2, 1234)
    for r in rows:
        assert {k: r[k] for k in FIXED} == FIXED
        assert r["lr"] == free[r["trial"]]["lr"]
        with open(searched / f"trial{r['trial']:03d}" / "config.json") as f:
            config = json.load(f)
        assert {k: config[k] for k in FIXED} == FIXED and config["lr"] == r["lr"]


def test_trainer_options_reach_the_trials(tmp_path):
    """--is13-trainer fast was dropped from the trials' configuration."""
    out = tmp_path / "s"
    assert slu_cmd(*SEARCH, "--preset", "is13", "--is13-trainer", "fast", "--bs", "3",
                   "--no-decay", "--trials", "1", "--out", out) == 0
    with open(out / "trial000" / "config.json") as f:
        config = json.load(f)
    assert (config["is13_trainer"], config["bs"], config["preset"]) == ("fast", 3, "is13")


def _old_format(folder):
    """A search folder written before search.json existed."""
    os.remove(folder / "search.json")


def _killed_early(folder):
    """A search killed before its first trial ended: trial folders, no search.json(l)."""
    _old_format(folder)
    os.remove(folder / "search.jsonl")


def test_the_same_search_killed_early_continues(search):
    _killed_early(search)
    assert slu_cmd(*SEARCH, "--trials", "2", "--out", search) == 0
    assert [r["trial"] for r in _rows(search)] == [0, 1]


REFUSED_SEARCH = {
    "another --search-seed": (None, ["--search-seed", "99"], ["holds another search",
                                                              "search_seed 1234 -> 99"]),
    "another fixed option": (None, ["--lr", "0.02"], ["holds another search", "fixed"]),
    "another base option": (None, ["--seed", "7"], ["holds another search", "seed 345 -> 7"]),
    "another seed, old folder": (_old_format, ["--search-seed", "99"],
                                 ["search.jsonl", "trial 0 is not this search's"]),
    "another seed, killed before a trial ended": (
        _killed_early, ["--search-seed", "99"], ["trial000", "a trial of another search", "lr"]),
    "another base option, killed early": (
        _killed_early, ["--seed", "7"], ["trial000", "a trial of another search", "seed 345 -> 7"]),
}


@pytest.mark.parametrize("case", sorted(REFUSED_SEARCH))
def test_another_search_into_the_folder_is_one_line(case, search, capsys):
    """Another search failed deep in a trial on a checkpoint's shape."""
    prepare, extra, needles = REFUSED_SEARCH[case]
    if prepare:
        prepare(search)
    refused(capsys, lambda: slu_cmd(*SEARCH, "--trials", "2", *extra, "--out", search),
            str(search), *needles, folder=search)


# ----------------------------------------------------------------- sweep.jsonl paths
@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """A 1-run toy sweep started from ``<tmp>/here`` with a relative --out."""
    here = tmp_path_factory.mktemp("sweep") / "here"
    here.mkdir()
    cwd = os.getcwd()
    os.chdir(here)
    try:
        assert slu_cmd("sweep", *SLU, "--epochs", "1", "--seeds", "345", "--jobs", "1",
                       "--out", "sw") == 0
    finally:
        os.chdir(cwd)
    return here / "sw"


def _provenance_from_result(folder):
    from rnnslu.sweep import pooled_records
    rows = pooled_records([str(folder)])
    assert len(rows) == 1
    with open(folder / "dlt-elman-toy-seed345" / "result.json") as f:
        summary = json.load(f)["summary"]
    assert rows[0]["commit"] == str(summary["commit"]) and rows[0]["engine"] == summary["engine"]
    return rows[0]


def test_sweep_rows_find_their_runs_from_anywhere(swept, tmp_path, monkeypatch):
    """sweep.jsonl stored run folders relative to where the sweep was started, so a record
    made from elsewhere (or of a moved sweep folder) did not find the runs' result.json."""
    with open(swept / "sweep.jsonl") as f:
        assert json.loads(f.readline())["out"] == "dlt-elman-toy-seed345"
    monkeypatch.chdir(tmp_path)
    _provenance_from_result(swept)
    moved = tmp_path / "moved"
    shutil.copytree(swept, moved)
    _provenance_from_result(moved)


def test_old_sweep_rows_relative_to_the_start_directory_still_read(swept, tmp_path,
                                                                     monkeypatch):
    old = tmp_path / "here" / "sw"
    shutil.copytree(swept, old)
    with open(old / "sweep.jsonl") as f:
        row = json.loads(f.readline())
    (old / "sweep.jsonl").write_text(json.dumps(dict(row, out="sw/dlt-elman-toy-seed345"))
                                     + "\n")
    for cwd in (tmp_path / "here", tmp_path):   # where it was started, and elsewhere
        monkeypatch.chdir(cwd)
        _provenance_from_result(old)
