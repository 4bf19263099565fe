"""Loss-curve plots (PNG) and the ``results/<run-id>/run.json`` record."""
import os

from rnnrepro.figures import save_figure
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
                published_label="published (reddit)",
                ylabel="loss (cross-entropy per word, nats)", hlines=(), logy=False):
    """``curves``: list of (label, xs, ys). ``published``: optional (xs, ys) drawn dashed;
    ``hlines``: (label, y) reference levels drawn as dotted lines in the curves' colours."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, xs, ys in curves:
        ax.plot(xs, ys, marker="o", ms=3, label=label)
    if published is not None:
        ax.plot(published[0], published[1], "k--", marker="s", ms=3, label=published_label)
    for i, (label, y) in enumerate(hlines):
        ax.axhline(y, color=f"C{i}", ls=":", lw=1.2, label=label)
    if logy:
        ax.set_yscale("log")
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


def plot_ptb_runs(runs, out_png, title="Penn Treebank: validation perplexity by epoch"):
    """Validation perplexity by epoch for PTB run folders (``log.jsonl``; ``run.json`` gives the
    published test perplexity, drawn dotted in the run's colour). ``runs``: (label, folder)."""
    curves, levels = [], []
    for label, run in runs:
        log = os.path.join(run, "log.jsonl")
        if not os.path.exists(log):
            raise InputError(f"{log}: no log.jsonl in this run folder")
        recs = read_rows(log, "log", ("epoch",), {"epoch": "number",
                                                  "valid_perplexity": "number?"})
        recs = [r for r in recs if r.get("valid_perplexity") is not None]
        curves.append((label, [r["epoch"] for r in recs], [r["valid_perplexity"] for r in recs]))
        rj = os.path.join(run, "run.json")
        pub = check_kinds(rj, read_json(rj, "run record", finite=True),
                          {"published": "number?"}).get("published") \
            if os.path.exists(rj) else None
        # a NaN level keeps the colours of the dotted lines aligned with the curves
        levels.append((f"{label}: published test {pub}", pub) if pub else
                      ("_nolegend_", float("nan")))
    return plot_curves(curves, out_png, title=title, xlabel="epoch",
                       ylabel="validation perplexity", hlines=levels)


def curve_from_log(path, kinds=("epoch", "monitor", "final"), x="num_examples_seen"):
    recs = [check_kinds(path, check_fields(path, None, r, (x, "loss")),
                        {x: "number", "loss": "number"})
            for r in read_jsonl(path, "log", finite=True) if r.get("kind", "epoch") in kinds]
    return [r[x] for r in recs], [r["loss"] for r in recs]
