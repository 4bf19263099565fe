"""A second framework: the PTB LSTM's costs, gradients and SGD steps equal those of an
independent PyTorch implementation of TF's tutorial (``rnnlm/ptb_lstm/torch_peer.py``: torch.nn.LSTM,
its own cross entropy, autograd) from the same parameters and dropout masks.

torch is not a dependency of the project (it is gigabytes): these tests skip where it cannot
be imported (CI) and run in a venv that has it (the GPU machines have it).
"""
import numpy as np
import pytest

from helpers import float64

torch = pytest.importorskip("torch", reason="torch is not installed (a benchmark peer, never a "
                                            "dependency); install it in a venv of your own")

# Dropout, a clip the gradient goes past, repeated words in a window (TF's IndexedSlices norm
# of the embedding gradient differs from the dense one then), state carried over 4 windows.
PEER = dict(init_scale=0.3, learning_rate=1.0, max_grad_norm=0.5, num_layers=2, num_steps=5,
            hidden_size=4, max_epoch=1, max_max_epoch=1, keep_prob=0.6, lr_decay=0.5,
            batch_size=3)
VOCAB = 7


@pytest.fixture(scope="module", autouse=True)
def in_float64():
    with float64():
        yield


@pytest.fixture(scope="module")
def model():
    from rnnlm.ptb_lstm import model as lstm
    return lstm.get_model(PEER, VOCAB, seed=11)


def _windows(n=4):
    rng = np.random.RandomState(3)
    data = rng.randint(0, 4, (n * PEER["num_steps"] + 1) * PEER["batch_size"]).astype(np.int32)
    from rnnlm.ptb_lstm import reader as ptb
    return list(ptb.ptb_producer(data, PEER["batch_size"], PEER["num_steps"]))[:n]


def test_gradients_equal_pytorch(model):
    from rnnlm.ptb_lstm.torch_peer import TorchPTB
    peer = TorchPTB(PEER, model.get_params(), dtype="float64")
    x, y = _windows(1)[0]
    rng = np.random.RandomState(0)
    c0, h0 = (rng.uniform(-0.5, 0.5, (2, 3, 4)) for _ in range(2))
    masks = model.dropout_masks(np.random.RandomState(1), 3, 5)
    ours = model.loss_and_gradients(x, y, c0, h0, *masks)
    theirs = peer.loss_and_gradients(x, y, c0, h0, *masks)
    assert ours[0] == pytest.approx(theirs[0], rel=1e-12)
    for name, a, b in zip(model.param_names(), ours[1:], theirs[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13, err_msg=name)


def test_training_windows_equal_pytorch(model):
    """Four SGD windows, state carried: cost, pre-clip global norm (clip active) and the
    parameters after each step agree with PyTorch's."""
    from rnnlm.ptb_lstm.torch_peer import TorchPTB
    before = model.get_params()
    peer = TorchPTB(PEER, before, dtype="float64")
    c, h = model.zero_state(3)
    pc, ph = peer.zero_state(3)
    mask_rng = np.random.RandomState(5)
    norms = []
    try:
        for x, y in _windows(4):
            masks = model.dropout_masks(mask_rng, 3, 5)
            cost, c, h, norm = model.train_step(x, y, c, h, 1.0, *masks)
            pcost, pc, ph, pnorm = peer.train_step(x, y, pc, ph, 1.0, *masks)
            assert float(cost) == pytest.approx(float(pcost), rel=1e-11)
            assert float(norm) == pytest.approx(float(pnorm), rel=1e-11)
            np.testing.assert_allclose(np.asarray(h), ph.numpy(), rtol=1e-10, atol=1e-13)
            norms.append(float(norm))
        after, peer_after = model.get_params(), peer.get_params()
    finally:
        model.set_params(before)
    assert max(norms) > PEER["max_grad_norm"]  # the clip was active
    for k in after:
        np.testing.assert_allclose(after[k], peer_after[k], rtol=1e-10, atol=1e-12, err_msg=k)
