"""``rnnlm ptb-rnnlm-test``: the toolkit's ``rnnlm -rnnlm MODEL -test FILE [-dynamic ALPHA]``
on a saved toolkit model: static (``testNet``) or dynamically evaluated (``-dynamic``: the
model keeps learning from each test word after scoring it; Mikolov 2012 thesis Table 4.1,
"dynamically evaluated RNN"), on the validation and test splits, into a run folder:
``run.json`` (the test perplexity as a results record) and ``valid.probs.txt`` /
``test.probs.txt`` (one probability per scored word, for ``rnnlm mix``).

Each split is scored by a model freshly loaded from the checkpoint, so the valid pass's
adaptation never reaches the test pass.
"""
import os
import time

import numpy as np

from rnnrepro import checkpoint, runlog, runsafe
from rnnrepro.results import write_record

from rnnlm.ptb_text import resolve_data_dir, split_path
from rnnlm.toolkit.vocab import toolkit_ids

PUBLISHED_DYNAMIC = 123.2
PUBLISHED_SOURCE = "Mikolov 2012 PhD thesis, Table 4.1 (dynamically evaluated RNN 123.2, for " \
                   "its 124.7 static RNN)"


def _say(msg, quiet):
    if not quiet:
        print(msg, flush=True)


def load_toolkit_model(path):
    """A saved toolkit model (``rnnlm ptb-rnnlm``'s checkpoint), checked: of that kind, every
    array of its shape, finite."""
    from rnnlm.toolkit import model as class_rnn
    arrays, state = checkpoint.load(path, state_keys=("vocab", "counts", "hyper"))
    if state.get("model_type") != "class-rnn":
        raise checkpoint.CheckpointError(f"{path}: not a toolkit (rnnlm ptb-rnnlm) checkpoint")
    checkpoint.check_contents(path, arrays, state, expect=class_rnn.array_shapes(
        len(state["vocab"]), state["hyper"]))
    checkpoint.check_finite(path, arrays)
    return arrays, state


def score_split(path, words, dynamic):
    """(log10 prob sum, words scored, per-word log10 probs) of ``words`` by the model saved at
    ``path``, static (``dynamic`` 0) or dynamically evaluated at rate ``dynamic``."""
    from rnnlm.toolkit import model as class_rnn
    arrays, state = load_toolkit_model(path)
    model = class_rnn.load_model(arrays, state, kernel="python" if dynamic else None)
    logp = np.empty(len(words))
    if dynamic:
        lp, n = model.evaluate_dynamic(words, dynamic, logp_out=logp)
    else:
        lp, n = model.evaluate(words, test=True, logp_out=logp)
    return lp, n, logp


def evaluate_checkpoint(path, out, data_dir=None, dynamic=0.0, overwrite=False, quiet=False,
                    command=None):
    """Score valid and test with the model at ``path`` into the run folder ``out``; returns
    {split: perplexity}."""
    from rnnlm.ngram.mix import write_probs
    _, state = load_toolkit_model(path)   # before the folder is claimed
    data_dir = resolve_data_dir(data_dir)
    w2i = {w: i for i, w in enumerate(state["vocab"])}
    ppl = {}
    with runsafe.claim(out, overwrite=overwrite, markers=("run.json",),
                       say=lambda m: _say(m, quiet)):
        t0 = time.perf_counter()
        for split in ("valid", "test"):
            words = toolkit_ids(split_path(data_dir, split), w2i)
            _say(f"{split}: {len(words)} words, "
                 + (f"dynamic evaluation (alpha {dynamic})" if dynamic else "static"), quiet)
            lp, n, logp = score_split(path, words, dynamic)
            ppl[split] = 10 ** (-lp / n)
            runsafe.check_perplexity(f"the {split} perplexity of {path}", ppl[split],
                                     len(state["vocab"]), "try a smaller --dynamic")
            write_probs(os.path.join(out, f"{split}.probs.txt"), 10.0 ** logp[~np.isnan(logp)])
            _say(f"{split}: perplexity {ppl[split]:.3f}", quiet)
        write_record(out, _record(path, out, state, ppl, dynamic, command, data_dir,
                                  time.perf_counter() - t0))
    return ppl


def _record(path, out, state, ppl, dynamic, command, data_dir, seconds):
    hyper = state["hyper"]
    what = (f"RNNLM toolkit recipe (hidden {hyper['hidden']}, class {hyper['class_size']}, "
            f"bptt {hyper['bptt']}, bptt-block {hyper['bptt_block']}), "
            + (f"dynamically evaluated (-dynamic {dynamic})" if dynamic else "static test pass"))
    return {
        "id": os.path.basename(os.path.normpath(out)), "package": "rnnlm", "what": what,
        "metric": "test perplexity", "value": ppl["test"],
        "published": PUBLISHED_DYNAMIC if dynamic else None,
        "published_source": PUBLISHED_SOURCE if dynamic else None,
        "label": "full", "command": command or "", "commit": runlog.git_commit(),
        "data": f"PTB simple-examples ({data_dir})", "hardware": runlog.hardware(),
        "engine": "numpy", "engine_version": np.__version__, "linker": None,
        "floatX": "float64", "epochs": None, "seconds": round(seconds, 1),
        "peak_rss_mb": round(runlog.peak_rss_mb(), 1),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "valid_perplexity": ppl["valid"], "checkpoint": path, "dynamic": dynamic,
        "hyper": hyper, "trained_with": state.get("commands"),
        "per_word_probs": ["valid.probs.txt", "test.probs.txt"]}
