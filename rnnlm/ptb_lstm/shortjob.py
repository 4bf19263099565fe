"""Short jobs: a training epoch cut into pieces that resume bit for bit (a lent GPU's
10-minute commands: ``rnnlm ptb-lstm --checkpoint-every N --time-limit SECONDS``).

``ShortJob.run_epoch`` is ``ptb_word_lm.run_epoch``'s training loop with two additions: it may
start inside the epoch (the carried state, the running sums and the dropout generator of a
mid-epoch checkpoint: ``restore``), and every ``checkpoint_every`` windows it hands the epoch's
progress to ``save``, then stops there once ``time_limit`` has passed.
"""
import time

import numpy as np

from rnnrepro import checkpoint, runlog
from rnnlm.ptb_lstm import reader

RNG = "rng_keys"  # the dropout generator's state in a mid-epoch checkpoint (MT19937 keys)
EPOCH_ARRAYS = ("progress_c", "progress_h", RNG)   # a mid-epoch checkpoint's arrays


def restore(path, arrays, state, config):
    """A mid-epoch checkpoint's progress (``windows`` done, the carried ``c``/``h``, the running
    ``costs``/``iters``/``words``, ``seconds``, the generator's state), its arrays' shapes
    checked; None for a checkpoint at an epoch's end."""
    progress = state.get("epoch_progress")
    if not progress:
        return None
    carried = (config["num_layers"], config["batch_size"], config["hidden_size"])
    checkpoint.check_contents(path, arrays, state, expect={
        "progress_c": carried, "progress_h": carried, RNG: (624,)})
    return dict(progress, c=arrays["progress_c"], h=arrays["progress_h"], rng=arrays[RNG])


class ShortJob:
    """``checkpoint_every`` N: also checkpoint every N training windows inside an epoch;
    ``time_limit``: seconds from this object's making after which the run stops at its next
    checkpoint (inside an epoch with ``checkpoint_every``, else at an epoch's end). ``start``:
    the progress of a mid-epoch checkpoint (``restore``) that the next ``run_epoch`` continues."""

    def __init__(self, checkpoint_every=None, time_limit=None):
        self.every, self.time_limit, self.start = checkpoint_every, time_limit, None
        self.t_start = time.perf_counter()

    def out_of_time(self):
        return self.time_limit is not None and \
            time.perf_counter() - self.t_start >= self.time_limit

    def run_epoch(self, model, data, eval_op, rng, verbose=False, bar=None, save=None):
        """``run_epoch`` of the training data from ``self.start`` (``rng`` is put back in the
        state it had there), with ``save(arrays, record)`` of the progress every ``every``
        windows. (perplexity, words, seconds), or None when it stopped at the time limit.
        The costs are read one window late, as in ``run_epoch``."""
        batch_size, num_steps = model.config["batch_size"], model.config["num_steps"]
        epoch_size = reader.epoch_size(len(data), batch_size, num_steps)
        bar = bar or runlog.progress(None, quiet=True)
        start, self.start = self.start or {}, None   # continued once, then epochs start afresh
        c, h = (start["c"], start["h"]) if start else model.zero_state(batch_size)
        if start:
            keys = rng.get_state()   # ('MT19937', keys, pos, has_gauss, cached_gaussian)
            rng.set_state((keys[0], start["rng"], start["rng_pos"], start["rng_has_gauss"],
                           start["rng_gauss"]))
        costs, iters, words = start.get("costs", 0.0), start.get("iters", 0), start.get("words", 0)
        done, sec0, pending = start.get("windows", 0), start.get("seconds", 0.0), None
        bar.update(done)
        start_time = time.perf_counter()
        for step, (x, y) in enumerate(reader.ptb_producer(data, batch_size, num_steps)):
            if step < done:
                continue
            cost, c, h = eval_op(x, y, c, h, step)
            if pending is not None:
                costs += float(pending)
            pending, iters, words = cost, iters + num_steps, words + x.size
            bar.update(1)
            wps = words / max(time.perf_counter() - start_time + sec0, 1e-9)
            if getattr(bar, "disable", True) is False:   # a terminal bar: the numbers on it
                bar.set_postfix(ppl=f"{np.exp(costs / max(iters - num_steps, 1)):.1f}",
                                wps=f"{wps:.0f}")
            elif verbose and epoch_size >= 10 and step % (epoch_size // 10) == 10:
                print(f"{step * 1.0 / epoch_size:.3f} perplexity: "
                      f"{np.exp((costs + float(pending)) / iters):.3f} speed: {wps:.0f} wps",
                      flush=True)
            if self.every and (step + 1) % self.every == 0 and step + 1 < epoch_size:
                costs, pending = costs + float(pending), None
                seconds = time.perf_counter() - start_time + sec0
                save(*_progress(step + 1, c, h, (costs, iters, words, seconds), rng))
                if self.out_of_time():
                    bar.close()
                    return None
        if pending is not None:
            costs += float(pending)
        bar.close()
        return float(np.exp(costs / iters)), words, time.perf_counter() - start_time + sec0


def _progress(windows, c, h, sums, rng):
    """A mid-epoch checkpoint's arrays and its state's ``epoch_progress`` record."""
    costs, iters, words, seconds = sums
    st = rng.get_state()
    record = {"windows": windows, "costs": costs, "iters": iters, "words": words,
              "seconds": seconds, "rng_pos": int(st[2]), "rng_has_gauss": int(st[3]),
              "rng_gauss": float(st[4])}
    return {"progress_c": np.asarray(c), "progress_h": np.asarray(h), RNG: st[1]}, record
