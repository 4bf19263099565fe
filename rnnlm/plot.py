"""Loss-curve plots (PNG) and the ``results/<run-id>/run.json`` record."""
import os

from rnnrepro.figures import log_axis, pyplot, save_figure
from rnnrepro.files import InputError, check_fields, read_json, read_jsonl
from rnnrepro.results import check_kinds, read_rows
from rnnrepro.results import write_run_json  # noqa: F401  (its home; imported from here before)

# part 2: numpy RNN, hidden 100, first 100 sentences, 10 epochs, loss before every epoch
PUBLISHED_PART2_CURVE = [8.987425, 8.976270, 8.960212, 8.930430, 8.862264,
                         6.913570, 6.302493, 6.014995, 5.833877, 5.710718]
PUBLISHED_SOURCE = ("WildML RNN tutorial part 2 (dennybritz/rnn-tutorial-rnnlm RNNLM.ipynb, "
                    "train_with_sgd(model, X_train[:100], y_train[:100], nepoch=10, "
                    "evaluate_loss_after=1))")


def plot_curves(curves, out_png, title="", xlabel="examples seen", published=None,
                ylabel="loss (cross-entropy per word, nats)"):
    """``curves``: list of (label, xs, ys). ``published``: optional (label, xs, ys) drawn
    dashed in black."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, xs, ys in curves:
        ax.plot(xs, ys, marker="o", ms=3, label=label)
    if published is not None:
        label, xs, ys = published
        ax.plot(xs, ys, "k--", marker="s", ms=3, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    try:
        save_figure(fig, out_png)   # atomic; never over a file that is not a picture
    finally:
        plt.close(fig)
    return out_png


def ptb_config(record):
    """The TF tutorial configuration (``small``/``medium``/``large``) a PTB LSTM record ran
    (its ``config`` equals one of ``CONFIGS``), else None (a toolkit run, or a changed one)."""
    from rnnlm.ptb_lstm.configs import CONFIGS
    return next((name for name, cfg in CONFIGS.items()
                 if name != "test" and record.get("config") == cfg), None)


def read_ptb_run(label, run):
    """What the PTB figure draws of one run folder: its validation curve (``log.jsonl``) and,
    from ``run.json`` when there is one, our test perplexity and the published test and
    validation levels (validation: the TF tutorial's table, for an unchanged LSTM config)."""
    from rnnlm.ptb_lstm.configs import PUBLISHED_VALID
    log = os.path.join(run, "log.jsonl")
    if not os.path.exists(log):
        raise InputError(f"{log}: no log.jsonl in this run folder")
    recs = read_rows(log, "log", ("epoch",), {"epoch": "number", "valid_perplexity": "number?"})
    recs = [r for r in recs if r.get("valid_perplexity") is not None]
    rj = os.path.join(run, "run.json")
    rec = check_kinds(rj, read_json(rj, "run record", finite=True),
                      {"published": "number?", "value": "number?", "metric": "text?"}) \
        if os.path.exists(rj) else {}
    config = ptb_config(rec)
    test = rec.get("value") if "test" in (rec.get("metric") or "") else None
    return {"label": label, "epochs": [r["epoch"] for r in recs],
            "valid": [r["valid_perplexity"] for r in recs], "test": test,
            "published_test": rec.get("published"), "config": config,
            "published_valid": PUBLISHED_VALID.get(config)}


def plot_ptb_runs(runs, out_png, title="Penn Treebank"):
    """Two panels for PTB run folders (``runs``: (label, folder)). Left: validation perplexity
    by epoch, with the published *validation* perplexity of each TF tutorial config dotted
    (drawn once per config, in the colour of its first run). Right: test perplexity, ours
    (filled, the run's colour) against the published *test* value (open black diamond), one
    row per run. Perplexity axes are logarithmic when the runs' ranges differ by more than 3x
    (a stalled run far above would flatten the others)."""
    plt = pyplot()
    data = [read_ptb_run(label, run) for label, run in runs]
    fig, (ax, axt) = plt.subplots(1, 2, figsize=(11, 4.8),
                                  gridspec_kw={"width_ratios": (2.2, 1)})
    drawn = set()
    for i, d in enumerate(data):
        ax.plot(d["epochs"], d["valid"], marker="o", ms=3, color=f"C{i}", label=d["label"])
        if d["published_valid"] is not None and d["config"] not in drawn:
            drawn.add(d["config"])
            ax.axhline(d["published_valid"], color=f"C{i}", ls=":", lw=1.2,
                       label=f"published valid, {d['config']}: {d['published_valid']}")
    log_axis(ax, "y", values=[v for d in data for v in d["valid"]])
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation perplexity")
    ax.set_title(f"{title}: validation perplexity by epoch", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=2)
    ys = list(range(len(data)))[::-1]
    for i, (y, d) in enumerate(zip(ys, data)):
        if d["test"] is not None:
            axt.plot([d["test"]], [y], "o", color=f"C{i}", ms=7,
                     label="ours" if i == 0 else None)
        else:
            axt.annotate("no test pass", (0.97, y), xycoords=("axes fraction", "data"),
                         fontsize=7, va="center", ha="right", color=f"C{i}")
        if d["published_test"] is not None:
            axt.plot([d["published_test"]], [y], "D", mfc="none", mec="k", ms=7,
                     label="published test")
    log_axis(axt, "x", values=[v for d in data for v in (d["test"], d["published_test"])])
    axt.set_yticks(ys)
    axt.set_yticklabels([d["label"] for d in data], fontsize=8)
    axt.set_ylim(-0.6, len(data) - 0.4)
    axt.set_xlabel("test perplexity")
    axt.set_title("test perplexity, ours and published", fontsize=10)
    axt.grid(alpha=0.3, which="both")
    handles = dict(zip(*axt.get_legend_handles_labels()[::-1]))
    axt.legend(handles.values(), handles.keys(), fontsize=7)
    fig.tight_layout()
    try:
        save_figure(fig, out_png)   # atomic; never over a file that is not a picture
    finally:
        plt.close(fig)
    return out_png


def curve_from_log(path, kinds=("epoch", "monitor", "final"), x="num_examples_seen"):
    recs = [check_kinds(path, check_fields(path, None, r, (x, "loss")),
                        {x: "number", "loss": "number"})
            for r in read_jsonl(path, "log", finite=True) if r.get("kind", "epoch") in kinds]
    return [r[x] for r in recs], [r["loss"] for r in recs]
