"""F1 and training-loss curves of a run, as a PNG beside its log."""
import os

from rnnrepro.runlog import JsonlLog


def plot_run(folder, path=None):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    recs = JsonlLog(os.path.join(folder, "log.jsonl")).records()
    ep = [r["epoch"] for r in recs]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
    a1.plot(ep, [r["valid"]["f1"] for r in recs], label="valid F1")
    a1.plot(ep, [r["test"]["f1"] for r in recs], label="test F1")
    a1.set_xlabel("epoch"); a1.set_ylabel("F1 (conlleval)"); a1.legend(); a1.grid(alpha=.3)
    a2.plot(ep, [r["train_nll"] for r in recs], color="C2")
    a2.set_xlabel("epoch"); a2.set_ylabel("training NLL"); a2.set_yscale("log"); a2.grid(alpha=.3)
    fig.suptitle(os.path.basename(os.path.normpath(folder)))
    fig.tight_layout()
    path = path or os.path.join(folder, "curves.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
