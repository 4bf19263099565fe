"""An independent PyTorch implementation of the TF PTB tutorial's LSTM (``ptb_word_lm.py``).

A benchmark peer (``scripts/bench_ptb.py --peer``) and a second-framework check
(``tests/test_torch_peer.py``), never a dependency of the package: ``torch`` is imported only
here and only when asked for. It is written from TF's semantics, not from our graph:

- ``torch.nn.LSTM`` (one per layer, cuDNN on a GPU) with BasicLSTMCell's weights: TF's one
  kernel over ``[inputs; h]`` with gate columns ``i, j, f, o`` becomes torch's ``weight_ih`` /
  ``weight_hh`` with gate rows ``i, f, g, o`` (``g`` is TF's ``j``); TF's single bias is
  ``bias_ih`` and ``bias_hh`` is held at zero (two trained biases would take two steps);
  ``forget_bias=0.0`` as the tutorial passes it.
- DropoutWrapper on the embedding and on every layer's output, new masks at every step: the
  masks are given (the same arrays our ``PTBLSTM.dropout_masks`` draws), so runs compare.
- cost: the sum over steps of the batch-mean cross entropy; plain SGD on
  ``clip_by_global_norm``, whose embedding gradient is TF's IndexedSlices: its norm is taken
  over the gathered rows before duplicate rows are summed, and the update adds those rows.
"""
import numpy as np

# torch's gate order i, f, g, o, as blocks of TF's i, j, f, o
_TORCH_FROM_TF = (0, 2, 1, 3)


def import_torch():
    """``torch``, or ImportError with the reason (it is never installed by this project)."""
    try:
        import torch
    except ImportError as e:  # pragma: no cover - depends on the machine
        raise ImportError(f"the PyTorch peer needs torch ({e}); it is not a dependency of "
                          f"rnn-repro: install it in a venv of your own") from e
    return torch


def _gate_perm(H):
    return np.concatenate([np.arange(b * H, (b + 1) * H) for b in _TORCH_FROM_TF])


class TorchPTB:
    """The tutorial's ``PTBModel`` in PyTorch, from a dict of our parameter arrays.

    ``train_step(x, y, c0, h0, lr, *masks) -> (cost, c, h, global_norm)`` and
    ``loss_and_gradients(x, y, c0, h0, *masks) -> [cost, grads in our names' order]`` mirror
    ``PTBLSTM``'s, on numpy inputs (states may stay torch tensors between windows).
    """

    def __init__(self, config, params, device="cpu", dtype="float32"):
        torch = self.torch = import_torch()
        self.config = dict(config)
        self.device = torch.device(device)
        self.dtype = getattr(torch, dtype)
        self.L, self.H = config["num_layers"], config["hidden_size"]
        H = self.H
        self.perm = _gate_perm(H)
        t = lambda a: torch.tensor(np.asarray(a, dtype=np.float64), dtype=self.dtype,
                                   device=self.device)
        self.embedding = t(params["embedding"])
        self.softmax_w = t(params["softmax_w"]).requires_grad_()
        self.softmax_b = t(params["softmax_b"]).requires_grad_()
        self.lstms = []
        for layer in range(self.L):
            lstm = torch.nn.LSTM(H, H, num_layers=1).to(device=self.device, dtype=self.dtype)
            k = np.asarray(params[f"kernel_{layer}"])[:, self.perm]
            with torch.no_grad():
                lstm.weight_ih_l0.copy_(t(k[:H].T))
                lstm.weight_hh_l0.copy_(t(k[H:].T))
                lstm.bias_ih_l0.copy_(t(np.asarray(params[f"bias_{layer}"])[self.perm]))
                lstm.bias_hh_l0.zero_()
            lstm.bias_hh_l0.requires_grad_(False)
            self.lstms.append(lstm)

    # -- our names <-> torch tensors ------------------------------------------------------------
    def _dense(self):
        """(name, tensor) of the dense parameters in our order (embedding apart)."""
        out = []
        for layer, lstm in enumerate(self.lstms):
            out += [(f"kernel_{layer}", (lstm.weight_ih_l0, lstm.weight_hh_l0)),
                    (f"bias_{layer}", lstm.bias_ih_l0)]
        return out + [("softmax_w", self.softmax_w), ("softmax_b", self.softmax_b)]

    def _ours(self, name, value):
        """A torch parameter (or its gradient) in our layout, as numpy float64."""
        inv = np.argsort(self.perm)
        np64 = lambda a: a.detach().double().cpu().numpy()
        if name.startswith("kernel_"):
            w_ih, w_hh = value
            return np.concatenate([np64(w_ih).T, np64(w_hh).T])[:, inv]
        if name.startswith("bias_"):
            return np64(value)[inv]
        return np64(value)

    def get_params(self):
        out = {"embedding": self._ours("embedding", self.embedding)}
        for name, p in self._dense():
            out[name] = self._ours(name, p)
        return out

    # -- the window ------------------------------------------------------------------------------
    def _tensor(self, a, integer=False):
        torch = self.torch
        if isinstance(a, torch.Tensor):
            return a
        if integer:
            return torch.as_tensor(np.asarray(a, dtype=np.int64), device=self.device)
        return torch.as_tensor(np.asarray(a), device=self.device).to(self.dtype)

    def _forward(self, x, y, c0, h0, masks):
        """cost, final (c, h) stacked (L, B, H), and the gathered embedding rows (a leaf)."""
        torch = self.torch
        x, y = self._tensor(x, True), self._tensor(y, True)
        c0, h0 = self._tensor(c0), self._tensor(h0)
        masks = [self._tensor(m) for m in masks] if masks else None
        B = x.shape[0]
        rows = self.embedding[x.t()].detach().requires_grad_()  # (T, B, H): TF's IndexedSlices
        inp = rows * masks[0] if masks else rows
        cs, hs = [], []
        for layer, lstm in enumerate(self.lstms):
            out, (h_n, c_n) = lstm(inp, (h0[layer:layer + 1].contiguous(),
                                         c0[layer:layer + 1].contiguous()))
            inp = out * masks[layer + 1] if masks else out
            cs.append(c_n[0])
            hs.append(h_n[0])
        logits = inp.reshape(-1, self.H) @ self.softmax_w + self.softmax_b
        cost = torch.nn.functional.cross_entropy(logits, y.t().reshape(-1), reduction="sum") / B
        return cost, torch.stack(cs), torch.stack(hs), rows

    def _backward(self, cost, rows):
        params = [self.softmax_w, self.softmax_b]
        for lstm in self.lstms:
            params += [lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0]
        for p in params:
            p.grad = None
        cost.backward()
        return params, rows.grad

    def loss_and_gradients(self, x, y, c0, h0, *masks):
        """[cost] + the dense gradient of every parameter, in ``PTBLSTM.param_names()`` order
        (embedding first: the gathered rows' gradient summed into a dense matrix)."""
        cost, _, _, rows = self._forward(x, y, c0, h0, masks)
        self._backward(cost, rows)
        torch = self.torch
        g_emb = torch.zeros_like(self.embedding)
        g_emb.index_add_(0, self._tensor(x, True).t().reshape(-1), rows.grad.reshape(-1, self.H))
        out = [float(cost.detach()), self._ours("embedding", g_emb)]
        for name, p in self._dense():
            grad = (p[0].grad, p[1].grad) if isinstance(p, tuple) else p.grad
            out.append(self._ours(name, grad))
        return out

    def train_step(self, x, y, c0, h0, lr, *masks):
        """One SGD step on ``clip_by_global_norm``; returns the cost and the pre-clip global
        norm as 0-d tensors (read them with ``float``: on a GPU that waits for the step)."""
        torch = self.torch
        cost, c_n, h_n, rows = self._forward(x, y, c0, h0, masks)
        params, g_rows = self._backward(cost, rows)
        grads = [p.grad for p in params] + [g_rows]
        with torch.no_grad():
            norm = torch.sqrt(sum((g * g).sum() for g in grads))
            clip = self.config["max_grad_norm"]
            scale = clip / torch.clamp(norm, min=clip)
            step = float(lr) * scale
            for p in params:
                p.sub_(step * p.grad)
            ids = self._tensor(x, True).t().reshape(-1)
            self.embedding.index_add_(0, ids, -step * g_rows.reshape(-1, self.H))
        return cost.detach(), c_n.detach(), h_n.detach(), norm

    def device_masks(self, batch_size, num_steps):
        """Dropout masks drawn on the peer's own device by torch's generator (the benchmark's
        peer, as a PyTorch user would draw them); none without dropout."""
        keep = self.config["keep_prob"]
        if keep >= 1.0:
            return []
        shape = (num_steps, batch_size, self.H)
        return [(self.torch.rand(shape, device=self.device, dtype=self.dtype) < keep)
                .to(self.dtype) / keep for _ in range(self.L + 1)]

    def zero_state(self, batch_size):
        z = self.torch.zeros((self.L, batch_size, self.H), dtype=self.dtype, device=self.device)
        return z, z.clone()


def matmul_precision(torch=None):
    """What float32 matrix products may use on this device (TF32 on NVIDIA GPUs)."""
    torch = torch or import_torch()
    return {"torch_version": torch.__version__,
            "float32_matmul_precision": torch.get_float32_matmul_precision(),
            "cuda_matmul_allow_tf32": bool(torch.backends.cuda.matmul.allow_tf32),
            "cudnn_allow_tf32": bool(torch.backends.cudnn.allow_tf32),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


def check_windows(config_name="large", windows=4, data_dir=None, seed=0, device=None):
    """Our ``PTBLSTM`` (engine, linker and floatX in effect) and the peer (``device``: cuda
    where torch sees a GPU, else cpu; the same float type) from the same initial parameters and
    dropout masks over the first ``windows`` training windows of PTB, state carried: per window
    each side's cost and pre-clip global norm and their relative differences."""
    from rnnrepro.engine import asfloat, config, describe
    from rnnlm.ptb_lstm import model as lstm, reader
    torch = import_torch()
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    cfg = lstm.CONFIGS[config_name]
    train, _, _, vocab = reader.ptb_raw_data(reader.resolve_data_dir(data_dir))
    B, N = cfg["batch_size"], cfg["num_steps"]
    ours = lstm.PTBLSTM(cfg, len(vocab), seed=seed)
    peer = TorchPTB(cfg, ours.get_params(), device=device, dtype=config.floatX)
    c, h = ours.zero_state(B)
    pc, ph = peer.zero_state(B)
    rng = np.random.RandomState(seed * 100003 + 1)  # the training loop's first-epoch masks
    rows = []
    for w, (x, y) in zip(range(windows), reader.ptb_producer(train, B, N)):
        masks = ours.dropout_args(rng, B, N, w)
        cost, c, h, norm = ours.train_step(x, y, c, h, asfloat(lstm.learning_rate(cfg, 0)),
                                           *masks)
        pcost, pc, ph, pnorm = peer.train_step(x, y, pc, ph, lstm.learning_rate(cfg, 0), *masks)
        a, b, n1, n2 = float(cost), float(pcost), float(norm), float(pnorm)
        rows.append({"window": w, "cost": a, "peer_cost": b, "norm": n1, "peer_norm": n2,
                     "cost_rel_diff": abs(a - b) / abs(b), "norm_rel_diff": abs(n1 - n2) / n2})
    return {"config": config_name, "windows": rows, "ours": describe("ptb-lstm"),
            "peer": dict(matmul_precision(torch), device=device),
            "max_cost_rel_diff": max(r["cost_rel_diff"] for r in rows),
            "max_norm_rel_diff": max(r["norm_rel_diff"] for r in rows)}
