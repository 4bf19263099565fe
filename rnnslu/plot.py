"""F1 and training-loss curves of a run, as a PNG beside its log."""
import os

from rnnrepro.figures import pyplot, save_figure
from rnnrepro.runlog import JsonlLog


def plot_run(folder, path=None, published=None):
    """Valid/test F1 and training NLL by epoch from ``folder/log.jsonl``; ``published``: a
    published *test* F1 drawn dotted beside our test curve (the tutorials publish one run's
    test F1, no validation curve)."""
    plt = pyplot()
    recs = JsonlLog(os.path.join(folder, "log.jsonl")).records()
    ep = [r["epoch"] for r in recs]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
    a1.plot(ep, [r["valid"]["f1"] for r in recs], label="valid F1")
    a1.plot(ep, [r["test"]["f1"] for r in recs], label="test F1")
    if published is not None:
        a1.axhline(published, color="C1", ls=":", lw=1.2, label=f"published test F1 {published}")
    a1.set_xlabel("epoch"); a1.set_ylabel("F1 (conlleval)"); a1.legend(); a1.grid(alpha=.3)
    a2.plot(ep, [r["train_nll"] for r in recs], color="C2")
    a2.set_xlabel("epoch"); a2.set_ylabel("training NLL"); a2.set_yscale("log"); a2.grid(alpha=.3)
    fig.suptitle(os.path.basename(os.path.normpath(folder)))
    fig.tight_layout()
    path = path or os.path.join(folder, "curves.png")
    try:
        save_figure(fig, path)   # atomic; never over a file that is not a picture
    finally:
        plt.close(fig)
    return path


PUBLISHED_SETTING = dict(fold=3, seed=345)  # the tutorials' single published run


def engine_label(r):
    """``"aesara 2.9.4, c linker"`` for a sweep row that names its engine (a results record's
    rows do), else None."""
    from .sweep import engine_name
    return f"{engine_name(r)}, {r.get('linker')} linker" if r.get("engine") else None


def engine_groups(rows):
    """The engines of a panel's runs, the one with most runs first (ties by name): its runs are
    drawn filled, the others' hollow."""
    from collections import Counter
    counts = Counter(engine_label(r) for r in rows)
    return sorted(counts, key=lambda e: (-counts[e], str(e)))


def plot_sweep(records, path, mark=PUBLISHED_SETTING, columns=3, published=None):
    """Test F1 per fold (x) and seed (marker), one panel per preset/model (in the records'
    order, ``columns`` to a row), the mean as a dashed line; the run at ``mark`` (fold 3,
    seed 345: the published setting) is ringed. ``published``: {(preset, model, trainer):
    test F1} published for a panel (one run, in the tutorials), drawn as a dotted black line:
    test F1 against test F1. Returns (path, marked) with
    marked = [(panel title, test F1 of the ringed run)]."""
    plt = pyplot()
    from .sweep import trainer
    # runs of different is13 trainers are never pooled (rnnslu.sweep): one panel each, in the
    # order the records first name them, at most ``columns`` to a row
    panels = list(dict.fromkeys((r["preset"], r["model"], trainer(r)) for r in records))
    seeds = sorted({r["seed"] for r in records})
    ncols = min(columns, len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.6 * nrows), squeeze=False,
                             sharey=True)
    axes = list(axes.flat)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    marked = []
    for ax, (preset, model, how) in zip(axes, panels):
        rs = [r for r in records if (r["preset"], r["model"], trainer(r)) == (preset, model, how)]
        title = f"{preset} {model}" + (f" ({how} trainer)" if how == "fast" else "")
        ax.set_title(title)
        marked += [(title, f1) for f1 in _panel(ax, rs, seeds, mark,
                                                (published or {}).get((preset, model, how)))]
    for ax in axes[::ncols]:
        ax.set_ylabel("test F1 (conlleval)\nat the best valid epoch")
    rows = _legend(fig, axes[:len(panels)], ncols)
    fig.tight_layout(rect=(0, 0.3 * rows / (3.6 * nrows), 1, 1))
    try:
        save_figure(fig, path, option="--out")   # atomic; never over a file not a picture
    finally:
        plt.close(fig)
    return path, marked


def _panel(ax, rs, seeds, mark, pub):
    """One panel of ``plot_sweep``: the runs ``rs`` by fold and seed, their mean, the published
    F1 ``pub`` (None: none); returns the test F1 of the runs ringed at ``mark``."""
    # a panel may pool engines (rounding differs, the SGD is the same): the engine with
    # most runs filled, any other hollow, and named in the panel
    groups = engine_groups(rs)
    x = lambda r: (r["fold"] if r["fold"] is not None else 0) \
        + 0.08 * (seeds.index(r["seed"]) - (len(seeds) - 1) / 2)
    for k, seed in enumerate(seeds):
        label = f"seed {seed}"
        for g, group in enumerate(groups):
            run = [r for r in rs if r["seed"] == seed and engine_label(r) == group]
            if not run:
                continue
            ax.plot([x(r) for r in run], [r["test_f1"] for r in run], "os^vD"[k % 5],
                    color=f"C{k}", ls="none", mfc=None if g == 0 else "none", label=label)
            label = None
    f1 = [r["test_f1"] for r in rs if r["test_f1"] is not None]
    if f1:
        ax.axhline(sum(f1) / len(f1), color="gray", ls="--", lw=1, label="mean")
    if pub is not None:
        ax.axhline(pub, color="k", ls=":", lw=1.3, label="published test F1 (one run)")
        ax.annotate(f"published {pub}", (0.02, pub), xycoords=("axes fraction", "data"),
                    fontsize=7, va="bottom")
    marked = []
    for r in rs:
        if r["fold"] == mark["fold"] and r["seed"] == mark["seed"]:
            ax.plot([x(r)], [r["test_f1"]], "o", ms=14, mfc="none", mec="k",
                    label=f"fold {mark['fold']}, seed {mark['seed']} (published setting)")
            marked.append(r["test_f1"])
    folds = sorted({r["fold"] for r in rs if r["fold"] is not None})
    ax.set_xlim(min(folds or [0]) - 0.5, max(folds or [0]) + 0.5)
    ax.set_xticks(folds or [0])
    ax.set_xticklabels([str(f) for f in folds] or ["toy"])
    xlabel = "ATIS fold" if folds else "toy corpus"
    if len(groups) > 1:
        xlabel += f"\nfilled: {groups[0]}\nhollow: {'; '.join(map(str, groups[1:]))}"
    ax.set_xlabel(xlabel, fontsize=None if len(groups) == 1 else 8)
    ax.grid(alpha=.3)
    return marked


def _legend(fig, axes, ncols):
    """One legend for all panels, below them, where it hides no run; returns its rows."""
    legend = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    # as many entries to a row as the panels' width holds (one panel: two to a row)
    per_row = min(len(legend), 2 if ncols == 1 else 3 * ncols)
    fig.legend(legend.values(), legend.keys(), loc="lower center", ncol=per_row, fontsize=8,
               frameon=False)
    return -(-len(legend) // per_row)
