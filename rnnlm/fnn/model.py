"""``FNN``: Bengio et al.'s feedforward NNLM as one compiled training step and one scorer.

Equations (Bengio et al. 2003, section 2; their names; our matrices multiply from the right,
a minibatch of B context windows at once)::

    x = [C[w_{t-1}], ..., C[w_{t-n+1}]]            (B, (n-1) m)
    y = b + x W + tanh(d + x H) U                  (B, V)   (x W only with direct connections)
    loss = -mean_t log softmax(y_t)[w_t]

``train(ctx, target, lr)`` takes one SGD step on the minibatch mean (C updated only in the
rows the batch looked up, as Bengio's sparse update) and returns the summed negative
log-likelihood; ``logprobs(ctx, target)`` gives each window's log P(w_t | context) (natural
log), with no update.
"""
import numpy as np

from rnnrepro.engine import T, asfloat, function, log_softmax, shared

WEIGHTS = ("C", "H", "U", "W")   # what --weight-decay acts on (Bengio: not the biases)


def param_shapes(cfg, vocab_size):
    """Every parameter's shape; W only with direct connections."""
    k = (cfg.order - 1) * cfg.projection
    shapes = {"C": (vocab_size, cfg.projection), "H": (k, cfg.hidden), "d": (cfg.hidden,),
              "U": (cfg.hidden, vocab_size), "b": (vocab_size,)}
    if cfg.direct:
        shapes["W"] = (k, vocab_size)
    return shapes


def init_params(cfg, vocab_size, rng):
    """Our initialisation (not Bengio's, which the paper does not give): C in +-0.1, H and U
    uniform in +-1/sqrt(fan-in), W and the biases zero."""
    shapes = param_shapes(cfg, vocab_size)
    out = {k: np.zeros(s) for k, s in shapes.items()}
    out["C"] = rng.uniform(-0.1, 0.1, shapes["C"])
    for k in ("H", "U"):
        fan_in = shapes[k][0]
        out[k] = rng.uniform(-1.0, 1.0, shapes[k]) / np.sqrt(fan_in)
    return out


class FNN:
    """The model's parameters (shared variables) and its two compiled functions."""

    def __init__(self, cfg, vocab_size, params=None):
        self.cfg, self.vocab_size = cfg, vocab_size
        if params is None:
            params = init_params(cfg, vocab_size, np.random.RandomState(cfg.seed))
        self.params = {k: shared(asfloat(params[k]), name=k)
                       for k in param_shapes(cfg, vocab_size)}
        self._train_fn, self._score_fn = self._compile()

    def get_params(self):
        return {k: np.array(v.get_value()) for k, v in self.params.items()}

    def set_params(self, arrays):
        for k, v in self.params.items():
            v.set_value(asfloat(arrays[k]))

    def _compile(self):
        p, cfg = self.params, self.cfg
        ctx, target, lr = T.imatrix("ctx"), T.ivector("target"), T.scalar("lr")
        ids = ctx.flatten()
        emb = p["C"][ids]                                    # (B (n-1), m): the lookups
        x = emb.reshape((ctx.shape[0], (cfg.order - 1) * cfg.projection))
        y = p["b"] + T.dot(T.tanh(p["d"] + T.dot(x, p["H"])), p["U"])
        if cfg.direct:
            y = y + T.dot(x, p["W"])
        logp = log_softmax(y, axis=-1)[T.arange(target.shape[0]), target]
        nll = -logp.sum()
        loss = nll / T.cast(target.shape[0], nll.dtype)      # per-example mean
        dense = [k for k in p if k != "C"]
        grads = T.grad(loss, [emb] + [p[k] for k in dense])
        wd = cfg.weight_decay
        updates = []
        for k, g in zip(dense, grads[1:]):
            decay = lr * wd * p[k] if (wd and k in WEIGHTS) else 0
            updates.append((p[k], p[k] - lr * g - decay))
        C = p["C"] * (1.0 - lr * wd) if wd else p["C"]       # decay on every row of C
        updates.append((p["C"], T.inc_subtensor(C[ids], -lr * grads[0])))  # sums repeats
        train = function([ctx, target, lr], nll, updates=updates, model="fnn")
        score = function([ctx, target], logp, model="fnn")
        return train, score

    def train(self, ctx, target, lr):
        """One SGD step on the windows ``ctx`` (B, n-1) -> ``target`` (B,): the summed NLL."""
        return float(self._train_fn(ctx, target, asfloat(lr)))

    def logprobs(self, ctx, target, batch=1024):
        """ln P(target | ctx) of every window (float64), in batches of ``batch``."""
        out = [self._score_fn(ctx[i:i + batch], target[i:i + batch])
               for i in range(0, len(target), batch)]
        return np.concatenate(out).astype(np.float64) if out else np.zeros(0)
