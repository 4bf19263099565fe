"""The figures: each draws the published numbers it compares against, matched to what it plots
(validation curves against published validation levels, test against test), perplexity axes
go logarithmic when the runs' ranges differ, ``make figures`` redraws every committed PNG, and
without matplotlib a plot script stops with one line and exit status 2."""
import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytest.importorskip("matplotlib")


def _capture(monkeypatch, module):
    """The figure ``module``'s plot function hands to ``save_figure`` (then saved as usual)."""
    figs = []
    real = module.save_figure

    def save(fig, path, *a, **k):
        figs.append(fig)
        return real(fig, path, *a, **k)
    monkeypatch.setattr(module, "save_figure", save)
    return figs


def _hlines(ax):
    """The y of every horizontal reference line (``axhline``) of ``ax``."""
    return sorted(line.get_ydata()[0] for line in ax.lines
                  if len(set(line.get_ydata())) == 1 and list(line.get_xdata()) == [0, 1])


def _ptb_run(folder, valid, config=None, test=None, published=None):
    os.makedirs(folder)
    with open(os.path.join(folder, "log.jsonl"), "w") as f:
        for e, v in enumerate(valid, 1):
            f.write(json.dumps({"epoch": e, "valid_perplexity": v}) + "\n")
    from rnnlm.ptb_lstm.configs import CONFIGS
    rec = {"metric": "test perplexity", "value": test, "published": published}
    if config:
        rec["config"] = dict(CONFIGS[config])
    with open(os.path.join(folder, "run.json"), "w") as f:
        json.dump(rec, f)
    return folder


def test_ptb_figure_compares_valid_to_valid_and_test_to_test(tmp_path, monkeypatch):
    import rnnlm.plot as plot
    figs = _capture(monkeypatch, plot)
    runs = [("small", _ptb_run(str(tmp_path / "s"), [180, 130, 120], "small", 114.9, 115.91)),
            ("medium GPU", _ptb_run(str(tmp_path / "m"), [200, 110, 95], "medium", 83.75, 82.07)),
            ("medium CPU", _ptb_run(str(tmp_path / "c"), [205, 120], "medium", 101.3, 82.07)),
            ("toolkit", _ptb_run(str(tmp_path / "t"), [220, 160], None, 152.4, 124.7))]
    plot.plot_ptb_runs(runs, str(tmp_path / "ptb.png"))
    valid_ax, test_ax = figs[0].axes
    # published validation levels of the TF table, each config once; no test level among them
    assert _hlines(valid_ax) == [86.16, 121.39]
    # test panel: ours and published, one row per run
    points = sorted(round(float(line.get_xdata()[0]), 2) for line in test_ax.lines)
    assert points == sorted([114.9, 115.91, 83.75, 82.07, 101.3, 82.07, 152.4, 124.7])
    assert valid_ax.get_yscale() == "linear"   # ranges alike: a plain axis


def test_ptb_figure_goes_logarithmic_when_one_run_is_far_above(tmp_path, monkeypatch):
    import rnnlm.plot as plot
    figs = _capture(monkeypatch, plot)
    runs = [("small", _ptb_run(str(tmp_path / "s"), [180, 130, 120], "small", 114.9, 115.91)),
            ("large", _ptb_run(str(tmp_path / "l"), [2030, 1840], "large"))]
    plot.plot_ptb_runs(runs, str(tmp_path / "ptb.png"))
    valid_ax = figs[0].axes[0]
    assert valid_ax.get_yscale() == "log"
    assert _hlines(valid_ax) == [82.62, 121.39]


def test_sweep_figure_draws_the_published_f1_in_its_panel(tmp_path, monkeypatch):
    import rnnslu.plot as plot
    figs = _capture(monkeypatch, plot)
    recs = [dict(preset="is13", model=m, data="atis", fold=f, seed=s, valid_f1=96.0,
                 test_f1=93.0 + 0.1 * f, best_epoch=5)
            for m in ("elman", "jordan") for f in range(5) for s in (345, 346)]
    plot.plot_sweep(recs, str(tmp_path / "f1.png"), published={("is13", "elman", "word"): 94.48})
    elman, jordan = figs[0].axes[:2]
    assert 94.48 in _hlines(elman) and 94.48 not in _hlines(jordan)


def test_plot_sweeps_script_reads_the_published_f1_from_the_record(tmp_path):
    rec = tmp_path / "rec"
    rec.mkdir()
    with open(rec / "sweep.jsonl", "w") as f:
        for fold in range(2):
            f.write(json.dumps(dict(preset="dlt", model="elman", data="atis", fold=fold, seed=345,
                                    valid_f1=96.0, test_f1=93.5, best_epoch=3, epochs_run=4,
                                    seconds_per_epoch=1.0, out=f"runs/r{fold}")) + "\n")
    (rec / "run.json").write_text(json.dumps({"published": 94.2}))
    code = ("import sys, rnnslu.plot as p; seen = []; real = p.plot_sweep\n"
            "def spy(r, path, **k): seen.append(k.get('published')); return real(r, path, **k)\n"
            "p.plot_sweep = spy; sys.argv = ['plot_sweeps.py', sys.argv[1], '--out', sys.argv[2]]\n"
            "import runpy\n"
            "try: runpy.run_path('scripts/plot_sweeps.py', run_name='__main__')\n"
            "except SystemExit as e: print('PUBLISHED', seen, e.code)\n")
    out = subprocess.run([sys.executable, "-c", code, str(rec), str(tmp_path / "f.png")],
                         cwd=ROOT, capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=ROOT))
    assert "PUBLISHED [{('dlt', 'elman', 'sentence'): 94.2}] 0" in out.stdout, out.stderr


def test_rnnslu_curves_draw_the_published_test_f1(tmp_path, monkeypatch):
    import rnnslu.plot as plot
    figs = _capture(monkeypatch, plot)
    with open(tmp_path / "log.jsonl", "w") as f:
        for e in range(3):
            f.write(json.dumps({"epoch": e, "train_nll": 1.0 / (e + 1),
                                "valid": {"f1": 90.0 + e}, "test": {"f1": 89.0 + e}}) + "\n")
    plot.plot_run(str(tmp_path), published=94.2)
    assert _hlines(figs[0].axes[0]) == [94.2]


def test_without_matplotlib_a_plot_script_says_so_in_one_line(tmp_path):
    """matplotlib hidden (``sys.modules`` entry None): one line naming it, status 2."""
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "log.jsonl").write_text(json.dumps({"epoch": 1, "valid_perplexity": 9.0}))
    code = ("import sys, runpy; sys.modules['matplotlib'] = None\n"
            "sys.argv = ['plot_ptb.py', '-o', sys.argv[1], 'x=' + sys.argv[2]]\n"
            "runpy.run_path('scripts/plot_ptb.py', run_name='__main__')\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "p.png"),
                          str(tmp_path / "r")], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1 and "matplotlib is not installed" in out.stderr
    assert not (tmp_path / "p.png").exists()


def test_make_figures_redraws_every_committed_figure():
    """Every PNG under results/ is written by a line of ``make figures`` (so none is left
    drawn by hand, or forgotten when the plots change)."""
    with open(os.path.join(ROOT, "Makefile")) as f:
        text = f.read()
    recipe = text.split("\nfigures:", 1)[1].split("\n\n", 1)[0]
    written = set(re.findall(r"(?:-o|--out)\s+(results/\S+\.png)", recipe)) | \
        set(re.findall(r"\bcp\s+\S+\s+(results/\S+\.png)", recipe))
    committed = {os.path.relpath(os.path.join(d, n), ROOT)
                 for d, _, names in os.walk(os.path.join(ROOT, "results")) for n in names
                 if n.endswith(".png")}
    assert committed and committed == written
