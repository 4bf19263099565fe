"""The toolkit's class-factorised RNN as a compiled engine graph (an option for speed, used by the
benchmark and the cross-checks; not the toolkit's online SGD, which is ``rnnlm.toolkit.model``).
"""
import numpy as np


class ClassRNNGraph:
    """The same class-factorised RNN as a compiled engine graph, for mini-batches (not the
    toolkit's online SGD: an *option* for speed, used by the benchmark and the cross-checks).

    ``x``, ``y``: (batch, steps) word ids; the hidden recurrence ``s(t) = sigmoid(U[x_t] +
    s(t-1) W^T)`` is the only thing inside ``scan``; class and in-class word softmaxes are computed
    for all steps at once (words of a class gathered from a padded (classes, max size) table).
    No direct connections and exact exp. ``cost`` = summed -ln P(y) divided by the batch size;
    ``train_step`` = SGD with optional global-norm clipping.
    """

    def __init__(self, model, clip_norm=None, compile_train=True):
        from rnnrepro.engine import T, asfloat, config, function, grad, scan, shared, sigmoid, \
            softmax
        self.model = model
        fx = config.floatX
        self.params = {k: shared(asfloat(getattr(model, k)), name=k)
                       for k in ("U", "W", "V1", "C1")}
        sizes = model.cend - model.cstart
        K = int(sizes.max())
        members = model.cstart[:, None] + np.arange(K)[None, :]
        mask = np.arange(K)[None, :] < sizes[:, None]
        members = np.where(mask, members, 0).astype(np.int64)
        wc = T.constant(model.word_class.astype(np.int64))
        cs = T.constant(model.cstart.astype(np.int64))
        mem = T.constant(members)
        msk = T.constant(mask.astype(fx))
        U, W, V1, C1 = (self.params[k] for k in ("U", "W", "V1", "C1"))
        x, y = T.lmatrix("x"), T.lmatrix("y")
        h0 = T.matrix("h0")

        def forward():
            pre = U[x.T]  # (T, B, H)

            def step(p, h_prev, W_):
                return sigmoid(p + T.dot(h_prev, W_.T))
            hs, _ = scan(step, sequences=[pre], outputs_info=[h0], non_sequences=[W],
                         strict=True)
            n_steps, batch = hs.shape[0], hs.shape[1]
            flat = hs.reshape((n_steps * batch, model.hidden))
            tgt = y.T.flatten()
            cls = wc[tgt]
            n = T.arange(tgt.shape[0])
            pc = softmax(T.dot(flat, C1.T), axis=-1)
            rows = mem[cls]  # (N, K) word ids of each target's class
            zw = T.sum(V1[rows] * flat[:, None, :], axis=-1)
            zw = T.switch(msk[cls] > 0, zw, -1e30)
            pw = softmax(zw, axis=-1)
            nll = -T.log(pc[n, cls]) - T.log(pw[n, tgt - cs[cls]])
            cost = nll.sum() / T.cast(batch, fx)
            return cost, hs[-1], pre
        cost, h_last, pre = forward()
        self.evaluate = function([x, y, h0], [cost, h_last])
        if compile_train:
            lr = T.scalar("lr")
            dense = ["W", "V1", "C1"]
            grads = grad(cost, [self.params[k] for k in dense] + [pre])
            norm = T.sqrt(sum(T.sum(g ** 2) for g in grads))
            scale = T.constant(1.0, dtype=fx) if clip_norm is None else \
                T.cast(clip_norm, fx) / T.maximum(norm, T.cast(clip_norm, fx))
            updates = [(self.params[k], self.params[k] - lr * scale * g)
                       for k, g in zip(dense, grads[:-1])]
            updates.append((U, T.inc_subtensor(U[x.T.flatten()],
                                               -lr * scale * grads[-1].reshape((-1, model.hidden)))))
            self.train_step = function([x, y, h0, lr], [cost, h_last, norm], updates=updates)
        self.get = lambda: {k: v.get_value() for k, v in self.params.items()}
