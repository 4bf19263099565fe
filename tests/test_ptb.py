"""PTB baselines: reader, toolkit classes, gradients, training and resume (tiny shapes)."""
import dataclasses
import json
import os

import numpy as np
import pytest

from rnnrepro import checkpoint
from rnnrepro.files import InputError
from rnnrepro.runsafe import RunError

from rnnlm.ptb_lstm import reader as ptb
from rnnlm.toolkit import model as class_rnn
from rnnlm.toolkit.classes import assign_classes
from rnnlm.toolkit.graph import ClassRNNGraph
from rnnlm.toolkit.initnet import glibc_rand, toolkit_init
from rnnlm.toolkit.vocab import toolkit_vocab

from helpers import float64, toy_class_rnn as _toy_model, write_ptb_corpus

# keep_prob < 1 and a clip norm (TestConfig's 1) that the tests can push the gradient past:
# dropout masks and the global-norm clip run in every LSTM test (one compiled model for all).
TINY_LSTM = dict(init_scale=0.1, learning_rate=1.0, max_grad_norm=1, num_layers=2, num_steps=3,
                 hidden_size=3, max_epoch=1, max_max_epoch=3, keep_prob=0.5, lr_decay=0.5,
                 batch_size=2)


def _lstm(config_overrides=None, **flags):
    """``train_lstm`` of the test config with ``flags`` (fields of ``ptb_word_lm.Flags``)."""
    from rnnlm.ptb_lstm.ptb_word_lm import Flags, train_lstm
    return train_lstm(Flags("test", **flags), config_overrides)

@pytest.fixture(scope="module", autouse=True)
def in_float64():
    with float64():
        yield


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A tiny repetitive corpus in the simple-examples layout (leading space, ' \\n' ends)."""
    return write_ptb_corpus(tmp_path_factory.mktemp("ptb"), dict(train=60, valid=10, test=10))


# ---------------------------------------------------------------------------------- reader

def test_reader_eos_vocab_and_windows(corpus):
    words = ptb.read_words(ptb.split_path(corpus, "train"))
    assert words.count("<eos>") == 60 and words[-1] == "<eos>"
    w2i = ptb.build_vocab(ptb.split_path(corpus, "train"))
    counts = {w: words.count(w) for w in w2i}
    order = sorted(w2i, key=w2i.get)
    assert order == sorted(counts, key=lambda w: (-counts[w], w))  # count desc, then word
    train, valid, test, vocab = ptb.ptb_raw_data(corpus)
    assert len(train) == len(words) and vocab == order
    batches = list(ptb.ptb_producer(train, 4, 5))
    data = ptb.batchify(train, 4)
    assert len(batches) == (len(train) // 4 - 1) // 5 == ptb.epoch_size(len(train), 4, 5)
    for i, (x, y) in enumerate(batches):
        assert x.shape == y.shape == (4, 5)
        np.testing.assert_array_equal(x, data[:, i * 5:(i + 1) * 5])
        np.testing.assert_array_equal(y, data[:, i * 5 + 1:(i + 1) * 5 + 1])
    # batch-1 stream windows cover every target once
    ys = np.concatenate([y[0] for _, y in ptb.stream_windows(test, 7)])
    np.testing.assert_array_equal(ys, test[1:])


def test_reader_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="ptb.train.txt"):
        ptb.ptb_raw_data(str(tmp_path))
    (tmp_path / "ptb.train.txt").write_text("  \n\n")
    with pytest.raises(ValueError, match="ptb.train.txt.*empty"):
        ptb.build_vocab(str(tmp_path / "ptb.train.txt"))


def test_data_dir_accepts_the_ptb_folder_or_its_parent(corpus, monkeypatch):
    parent = os.path.dirname(corpus)
    os.symlink(corpus, os.path.join(parent, "ptb"))
    assert ptb.resolve_data_dir(corpus) == corpus
    assert ptb.resolve_data_dir(parent) == os.path.join(parent, "ptb")
    monkeypatch.delenv("PTBDATA", raising=False)
    monkeypatch.setenv("RNNLM_DATA", parent)
    assert ptb.resolve_data_dir() == os.path.join(parent, "ptb")
    monkeypatch.setenv("PTBDATA", corpus)
    assert ptb.resolve_data_dir() == corpus
    from rnnlm.wildml.data import corpus_file, load_corpus  # the WildML pipeline: either too
    a = load_corpus("ptb", corpus_file("ptb", parent), vocabulary_size=8, cache=None,
                    verbose=False)
    b = load_corpus("ptb", corpus_file("ptb", corpus), vocabulary_size=8, cache=None,
                    verbose=False)
    assert a.X_train and [list(x) for x in a.X_train] == [list(x) for x in b.X_train]


def test_toolkit_vocab_order(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text(" b a c \n c a d \n a \n")
    words, counts = toolkit_vocab(str(p))
    # </s> stays first; then the selection sort: first-maximum swapped into place
    assert words[0] == "<eos>" and counts[0] == 3
    assert words[1:] == ["a", "c", "b", "d"] and list(counts[1:]) == [3, 2, 1, 1]
    # sortVocab by hand on " x y z z ": first-occurrence order x y z with counts 1 1 2; the
    # first maximum (z) is swapped into place 1, sending x to the end: z y x. A stable sort
    # by count would give z x y.
    p.write_text(" x y z z \n")
    words, counts = toolkit_vocab(str(p))
    assert words == ["<eos>", "z", "y", "x"] and list(counts) == [1, 2, 1, 1]


# --------------------------------------------------------------------------------- classes

def test_class_assignment_toy():
    counts = [40, 30, 10, 10, 5, 5]
    # plain frequency: cumulative mass .4 .7 .8 .9 .95 1.0 against 1/3, 2/3, 1
    np.testing.assert_array_equal(assign_classes(counts, 3, old_classes=True),
                                  [0, 1, 2, 2, 2, 2])
    # sqrt frequency (the toolkit default): cumulative sqrt mass
    s = np.sqrt(np.array(counts) / 100.0)
    cum = np.cumsum(s / s.sum())
    assert cum[0] < 1 / 3 < cum[1] and cum[2] < 2 / 3 < cum[3]
    np.testing.assert_array_equal(assign_classes(counts, 3), [0, 0, 1, 1, 2, 2])
    # never more classes than asked, classes contiguous
    cl = assign_classes(np.arange(50, 0, -1), 7)
    assert cl.max() == 6 and np.all(np.diff(cl) >= 0)


def test_glibc_rand_matches_the_c_library():
    ctypes = pytest.importorskip("ctypes")
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.gnu_get_libc_version  # glibc only
    except (OSError, AttributeError):
        pytest.skip("not glibc")
    for seed in (1, 0, 12345, 2 ** 31 + 7):
        libc.srand(ctypes.c_uint(seed))
        expect = [libc.rand() for _ in range(700)]
        assert glibc_rand(seed, 700).tolist() == expect


def test_toolkit_init_is_initnet_draw_order():
    """initNet's loops, literally, with random() = rand()/(real)RAND_MAX*(max-min)+min."""
    V, H, C, seed = 5, 3, 2, 1
    draws = iter(glibc_rand(seed, 3 * (H * (V + H) + (V + C) * H)).tolist())

    def random(lo, hi):
        return next(draws) / float(2147483647) * (hi - lo) + lo

    syn0 = np.zeros((V + H) * H)
    for b in range(H):
        for a in range(V + H):
            syn0[a + b * (V + H)] = random(-0.1, 0.1) + random(-0.1, 0.1) + random(-0.1, 0.1)
    syn1 = np.zeros(H * (V + C))
    for b in range(V + C):
        for a in range(H):
            syn1[a + b * H] = random(-0.1, 0.1) + random(-0.1, 0.1) + random(-0.1, 0.1)
    U, W, V1, C1 = toolkit_init(V, H, C, seed)
    for w in range(V):  # U[w] feeds hidden unit b from input word w: syn0[w + b*layer0_size]
        np.testing.assert_array_equal(U[w], [syn0[w + b * (V + H)] for b in range(H)])
    for b in range(H):  # W[b, j]: hidden j at t-1 -> hidden b
        np.testing.assert_array_equal(W[b], [syn0[V + j + b * (V + H)] for j in range(H)])
    np.testing.assert_array_equal(V1, syn1[:V * H].reshape(V, H))
    np.testing.assert_array_equal(C1, syn1[V * H:].reshape(C, H))
    m = class_rnn.ClassRNNLM([f"w{i}" for i in range(V)], [5, 4, 3, 2, 1], hidden=H,
                             class_size=C, seed=seed)
    np.testing.assert_array_equal(m.U, U)
    assert np.abs(m.W).max() <= 0.3


@pytest.mark.parametrize("direct", [0, 1000])
def test_class_softmax_sums_to_one(direct):
    m = _toy_model(direct, seed=2)
    if direct:
        m.syn_d[:] = np.random.RandomState(1).uniform(-0.5, 0.5, direct)
    scorer = class_rnn.ClassRNNScorer(m)
    state = scorer.start()
    for w in [0, 3, 7, 0, 11]:
        probs, state = scorer.advance(state, w)
        assert probs.shape == (12,) and np.all(probs > 0)
        assert abs(probs.sum() - 1) < 1e-12


@pytest.mark.parametrize("direct", [0, 1000])
def test_class_rnn_updates_are_gradients(direct):
    """The toolkit's online updates (alpha -> 0, one BPTT block covering the sequence, no
    cutoff/L2, exact exp) divided by alpha equal finite differences of ln P(sequence)."""
    kw = dict(bptt=6, bptt_block=5, gradient_cutoff=1e9, beta=0.0, fast_exp=False, seed=3)
    m = _toy_model(direct, **kw)
    m.flush_value = 0.0  # BPTT's buffer sees zeros before the first word (see flush_value)
    if direct:
        m.syn_d[:] = np.random.RandomState(4).uniform(-0.3, 0.3, direct)
    words = np.array([3, 7, 0, 5, 11])
    base = {k: v.copy() for k, v in m.arrays().items()}
    alpha = 1e-7
    m.train_epoch(words, alpha)

    def logprob(arrays):
        mm = _toy_model(direct, arrays=arrays, **kw)
        mm.flush_value = 0.0
        return mm.sequence_logprob(words)

    eps = 1e-6
    for k, v in base.items():
        upd = (getattr(m, k) - v) / alpha
        pts = list(zip(*np.nonzero(upd))) if k == "syn_d" else list(np.ndindex(v.shape))
        for p in pts:
            a = {kk: vv.copy() for kk, vv in base.items()}
            a[k][p] += eps
            fp = logprob(a)
            a[k][p] -= 2 * eps
            fd = (fp - logprob(a)) / (2 * eps)
            assert abs(fd - upd[p]) < 1e-6, (k, p, fd, upd[p])


def test_word_hash_wrap_drops_orders_like_the_toolkit():
    """computeNet's word loop, literally: ``if (hash[b]) {ac += syn_d[hash[b]]; hash[b]++;
    hash[b] %= direct_size;} else break;`` -- an order that wraps to 0 is dropped, with every
    higher order, for the rest of the class."""
    D = 40
    m = _toy_model(D, seed=5, fast_exp=False)
    m.syn_d[:] = np.random.RandomState(6).uniform(-1, 1, D)
    m.V1[:] = 0.0
    c = int(np.argmax(m.cend - m.cstart))
    n = int(m.cend[c] - m.cstart[c])
    assert n >= 3
    for hw in ([D - 1, 25, 30], [25, D - 2, 21], [20, 21, 22], [D - n + 1, D - 1]):
        hash_ = list(hw)
        z = np.zeros(n)
        for a in range(n):
            for b in range(len(hash_)):
                if not hash_[b]:
                    break
                z[a] += m.syn_d[hash_[b]]
                hash_[b] = (hash_[b] + 1) % D
        expect = np.exp(z - z.max())
        np.testing.assert_allclose(m.word_probs(np.zeros(m.hidden), c, hw),
                                   expect / expect.sum(), rtol=1e-12)


@pytest.fixture(scope="module")
def class_graph():
    m = _toy_model(fast_exp=False, seed=3)
    return m, ClassRNNGraph(m)


def test_class_graph_matches_numpy_and_fd(class_graph):
    m, g = class_graph
    words = np.array([3, 7, 0, 5, 11, 2, 2, 9])
    x = np.concatenate([[0], words[:-1]])[None]
    y = words[None]
    h0 = np.full((1, 5), 0.1)
    cost, _ = g.evaluate(x, y, h0)
    assert abs(-cost - m.sequence_logprob(words)) < 1e-10
    # batched SGD step == finite-difference gradient of the batch cost
    xb = np.array([[0, 3, 7], [5, 11, 2]])
    yb = np.array([[3, 7, 0], [11, 2, 9]])
    hb = np.full((2, 5), 0.1)
    before = g.get()
    g.train_step(xb, yb, hb, 1.0)
    after = g.get()
    for k, p in g.params.items():
        p.set_value(before[k])
    eps = 1e-6
    for k in before:
        for idx in list(np.ndindex(before[k].shape))[::3]:
            v = before[k].copy()
            v[idx] += eps
            g.params[k].set_value(v)
            fp = g.evaluate(xb, yb, hb)[0]
            v[idx] -= 2 * eps
            g.params[k].set_value(v)
            fm = g.evaluate(xb, yb, hb)[0]
            g.params[k].set_value(before[k])
            assert abs((fp - fm) / (2 * eps) - (before[k] - after[k])[idx]) < 1e-6, (k, idx)


# ------------------------------------------------------------------------------------ LSTM

@pytest.fixture(scope="module")
def lstm_model():
    from rnnlm.ptb_lstm import model as lstm
    return lstm.get_model(TINY_LSTM, 10, seed=5)  # 10 words, like the corpus: shared compile


def test_lstm_scorer_matches_graph(lstm_model):
    from rnnlm.ptb_lstm.model import LSTMScorer
    m = lstm_model
    scorer = LSTMScorer(m.get_params(), {"vocab": [f"w{i}" for i in range(10)],
                                         "config": TINY_LSTM})
    seq = [1, 4, 2, 6]
    c, h = m.zero_state(1)
    cost, _, _ = m.evaluate(np.array([seq[:-1]], dtype=np.int32),
                            np.array([seq[1:]], dtype=np.int32), c, h)
    state, lp = scorer.start(), 0.0
    for a, b in zip(seq[:-1], seq[1:]):
        probs, state = scorer.advance(state, a)
        assert abs(probs.sum() - 1) < 1e-12
        lp += np.log(probs[b])
    assert abs(-cost - lp) < 1e-9


def _np_lstm_cost(p, x, y, c0, h0, masks=None):
    """The tutorial's PTBModel written out in numpy: embedding (dropout), BasicLSTMCell layers
    (kernel rows [x; h], gates i, j, f, o, forget_bias 0, dropout on every output), softmax,
    cost = sum over steps of the batch-mean NLL."""
    sig = lambda a: 1 / (1 + np.exp(-a))
    B, n = x.shape
    L, H = c0.shape[0], c0.shape[2]
    inp = [p["embedding"][x[:, t]] * (masks[0][t] if masks else 1) for t in range(n)]
    for layer in range(L):
        c, h, out = c0[layer], h0[layer], []
        for t in range(n):
            z = np.concatenate([inp[t], h], axis=1) @ p[f"kernel_{layer}"] + p[f"bias_{layer}"]
            i, j, f, o = (z[:, k * H:(k + 1) * H] for k in range(4))
            c = c * sig(f) + sig(i) * np.tanh(j)
            h = np.tanh(c) * sig(o)
            out.append(h * (masks[layer + 1][t] if masks else 1))
        inp = out
    cost = 0.0
    for t in range(n):
        logits = inp[t] @ p["softmax_w"] + p["softmax_b"]
        logits = logits - logits.max(axis=1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        cost -= logp[np.arange(B), y[:, t]].sum() / B
    return cost


def test_lstm_dropout_masks_enter_where_tf_puts_them(lstm_model):
    m = lstm_model
    rng = np.random.RandomState(2)
    x = rng.randint(0, 10, (2, 3)).astype(np.int32)
    y = rng.randint(0, 10, (2, 3)).astype(np.int32)
    c0, h0 = m.zero_state(2)
    masks = m.dropout_masks(np.random.RandomState(7), 2, 3)
    assert len(masks) == 3 and all(set(np.unique(k)) <= {0.0, 2.0} for k in masks)
    assert 0 < np.mean([np.mean(k == 0) for k in masks]) < 1
    before = m.get_params()
    big = {k: rng.uniform(-1, 1, v.shape) for k, v in before.items()}  # masks visible in cost
    try:
        m.set_params(big)
        cost = m.train_step(x, y, c0, h0, 0.0, *masks)[0]  # lr 0: cost only
        assert cost == pytest.approx(_np_lstm_cost(big, x, y, c0, h0, masks), rel=1e-12)
        assert abs(cost - _np_lstm_cost(big, x, y, c0, h0)) > 1e-2  # the masks matter
    finally:
        m.set_params(before)


def _fd_grad(p, x, y, c0, h0, eps=1e-6):
    g = {}
    for k, v in p.items():
        g[k] = np.zeros_like(v)
        for idx in np.ndindex(v.shape):
            a = {kk: vv.copy() for kk, vv in p.items()}
            a[k][idx] += eps
            fp = _np_lstm_cost(a, x, y, c0, h0)
            a[k][idx] -= 2 * eps
            g[k][idx] = (fp - _np_lstm_cost(a, x, y, c0, h0)) / (2 * eps)
    return g


@pytest.mark.parametrize("clipped", [False, True], ids=["under-clip", "clipped"])
def test_lstm_sgd_step_is_lr_g_clip_over_norm(lstm_model, clipped):
    """With every mask 1 the training cost is the evaluation cost: its finite-difference
    gradient g over all parameters gives the global norm and the SGD step
    ``-lr * g * clip / max(||g||, clip)`` (tf.clip_by_global_norm). The input words are
    distinct, so the embedding's IndexedSlices norm equals the dense one."""
    m = lstm_model
    # one step, two targets: under the clip; three steps, one target everywhere: the output
    # gradients add up past it
    n = 3 if clipped else 1
    x = np.array([[1, 4, 2], [6, 0, 8]], dtype=np.int32)[:, :n]
    y = np.full((2, n), 9, dtype=np.int32) if clipped else np.array([[4], [0]], dtype=np.int32)
    rng = np.random.RandomState(0)
    c0 = rng.uniform(-0.5, 0.5, (2, 2, 3))
    h0 = rng.uniform(-0.5, 0.5, (2, 2, 3))
    ones = [np.ones((n, 2, 3))] * 3
    before = m.get_params()
    p = {k: v + (rng.uniform(-0.3, 0.3, v.shape) if clipped else 0) for k, v in before.items()}
    g = _fd_grad(p, x, y, c0, h0)
    gnorm = np.sqrt(sum((v ** 2).sum() for v in g.values()))
    clip, lr = TINY_LSTM["max_grad_norm"], 0.7
    assert (gnorm > 2 * clip) if clipped else (gnorm < clip)
    try:
        m.set_params(p)
        *_, norm = m.train_step(x, y, c0, h0, lr, *ones)
        after = m.get_params()
    finally:
        m.set_params(before)
    assert norm == pytest.approx(gnorm, rel=1e-6)
    for k in p:
        np.testing.assert_allclose(after[k] - p[k], -lr * g[k] * clip / max(gnorm, clip),
                                   rtol=0, atol=1e-9, err_msg=k)


def test_learning_rate_schedule():
    from rnnlm.ptb_lstm import model as lstm
    cfg = lstm.CONFIGS["small"]
    lrs = [lstm.learning_rate(cfg, e) for e in range(6)]
    assert lrs == [1.0, 1.0, 1.0, 1.0, 0.5, 0.25]


# ------------------------------------------------------------------------ training, resume

def _read(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_lstm_trains_and_resume_equals_uninterrupted(corpus, tmp_path, lstm_model):
    """keep_prob 0.5: the dropout masks are re-derived per epoch from the seed, so a resumed
    run must draw the same ones for resume to equal the uninterrupted run."""
    kw = dict(data_dir=corpus, seed=1, quiet=True, config_overrides=TINY_LSTM)
    full = _lstm(out=str(tmp_path / "full"), max_epochs=3, **kw)
    recs = full["records"]
    assert len(recs) == 3 and recs[-1]["valid_perplexity"] < recs[0]["valid_perplexity"]
    # the logged validation perplexity of the last epoch, recomputed with the numpy model over
    # each batch row in one piece (run_epoch carries the state window to window)
    final, _ = checkpoint.load(str(tmp_path / "full" / "checkpoint.npz"))
    _, valid, _, _ = ptb.ptb_raw_data(corpus)
    B, n = TINY_LSTM["batch_size"], TINY_LSTM["num_steps"]
    rows = ptb.batchify(valid, B)
    span = ptb.epoch_size(len(valid), B, n) * n
    zero = np.zeros((TINY_LSTM["num_layers"], B, TINY_LSTM["hidden_size"]))
    nll = _np_lstm_cost(final, rows[:, :span], rows[:, 1:span + 1], zero, zero)
    assert recs[-1]["valid_perplexity"] == pytest.approx(np.exp(nll / span), rel=1e-9)
    _lstm(out=str(tmp_path / "cut"), max_epochs=1, evaluate_test=False, **kw)
    resumed = _lstm(out=str(tmp_path / "cut"), max_epochs=3, resume=True, **kw)
    a, _ = checkpoint.load(str(tmp_path / "full" / "checkpoint.npz"))
    b, _ = checkpoint.load(str(tmp_path / "cut" / "checkpoint.npz"))
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert resumed["test_perplexity"] == full["test_perplexity"]
    # rnnlm ptb-eval: the checkpoint alone reproduces the run's test pass
    from rnnlm.ptb_lstm.ptb_word_lm import evaluate_checkpoint
    ev = evaluate_checkpoint(str(tmp_path / "full" / "checkpoint.npz"), corpus)
    assert ev["perplexity"] == full["test_perplexity"] and ev["split"] == "test"
    strip = lambda rs: [{k: v for k, v in r.items() if "second" not in k and k not in
                         ("peak_rss_mb",)} for r in rs]
    assert strip(_read(str(tmp_path / "cut" / "log.jsonl"))) == strip(recs)
    run = json.load(open(tmp_path / "full" / "run.json"))
    assert run["package"] == "rnnlm" and run["metric"] == "test perplexity"
    assert run["label"] == "full" and run["epochs"] == 3
    from rnnlm.registry import load_language_model
    scorer = load_language_model(str(tmp_path / "full" / "checkpoint.npz"))
    probs, _ = scorer.advance(scorer.start(), scorer.word_to_index["<eos>"])
    assert probs.shape == (10,) and abs(probs.sum() - 1) < 1e-9


def test_lstm_mid_epoch_checkpoints_resume_bit_for_bit(corpus, tmp_path, lstm_model):
    """A run cut into many short jobs (``time_limit`` ~0: each call stops at its first
    checkpoint, every 2 windows) ends exactly where an uninterrupted one does: carried state,
    running cost and the dropout generator's position all come back from the checkpoint."""
    kw = dict(data_dir=corpus, seed=1, quiet=True, config_overrides=TINY_LSTM, max_epochs=2,
              evaluate_test=False)
    _lstm(out=str(tmp_path / "full"), **kw)
    cut = str(tmp_path / "cut")
    s = _lstm(out=cut, checkpoint_every=2, time_limit=1e-9, **kw)
    assert s["stopped"] == "in epoch 1" and s["epochs"] == 0
    _, state = checkpoint.load(os.path.join(cut, "checkpoint.npz"))
    assert state["epochs_done"] == 0 and state["epoch_progress"]["windows"] == 2
    calls, refused = 1, False
    while s["stopped"]:
        if s["stopped"].startswith("in epoch 2") and not refused:
            # weights from inside epoch 2 never stand for a 1-epoch run
            with pytest.raises(RunError, match="inside epoch 2"):
                _lstm(out=cut, resume=True, **dict(kw, max_epochs=1))
            refused = True
        s = _lstm(out=cut, checkpoint_every=2, time_limit=1e-9, resume=True, **kw)
        calls += 1
    assert refused
    train, _, _, _ = ptb.ptb_raw_data(corpus)
    windows = ptb.epoch_size(len(train), TINY_LSTM["batch_size"], TINY_LSTM["num_steps"])
    assert windows >= 6 and calls >= windows  # several cuts inside each of the 2 epochs
    a, _ = checkpoint.load(str(tmp_path / "full" / "checkpoint.npz"))
    b, state = checkpoint.load(os.path.join(cut, "checkpoint.npz"))
    assert "epoch_progress" not in state and sorted(a) == sorted(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    strip = lambda rs: [{k: v for k, v in r.items() if "second" not in k and k not in
                         ("peak_rss_mb", "words_per_second")} for r in rs]
    assert strip(_read(os.path.join(cut, "log.jsonl"))) == \
        strip(_read(str(tmp_path / "full" / "log.jsonl")))


def test_lstm_resumed_inside_an_epoch_runs_on_without_checkpoint_every(corpus, tmp_path,
                                                                        lstm_model):
    """A mid-epoch checkpoint resumed by a plain ``--resume``: that epoch continues from the
    checkpoint and the next one starts afresh, ending where the uninterrupted run does."""
    kw = dict(data_dir=corpus, seed=1, quiet=True, config_overrides=TINY_LSTM, max_epochs=2,
              evaluate_test=False)
    _lstm(out=str(tmp_path / "full"), **kw)
    s = _lstm(out=str(tmp_path / "cut"), checkpoint_every=2, time_limit=1e-9, **kw)
    assert s["stopped"] == "in epoch 1"
    s = _lstm(out=str(tmp_path / "cut"), resume=True, **kw)
    assert s["stopped"] is None and s["epochs"] == 2
    a, _ = checkpoint.load(str(tmp_path / "full" / "checkpoint.npz"))
    b, _ = checkpoint.load(str(tmp_path / "cut" / "checkpoint.npz"))
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_lstm_resume_refuses_a_mid_epoch_checkpoint_of_other_shapes(corpus, tmp_path,
                                                                      lstm_model):
    """The carried state and the generator's keys of a mid-epoch checkpoint are checked
    before a resume takes them: one of another shape is refused, naming the array."""
    kw = dict(data_dir=corpus, seed=1, quiet=True, config_overrides=TINY_LSTM, max_epochs=1,
              evaluate_test=False, out=str(tmp_path / "cut"))
    s = _lstm(checkpoint_every=2, time_limit=1e-9, **kw)
    assert s["stopped"] == "in epoch 1"
    path = os.path.join(str(tmp_path / "cut"), "checkpoint.npz")
    arrays, state = checkpoint.load(path)
    arrays["progress_c"] = arrays["progress_c"][:, :1]
    checkpoint.save(path, arrays, state)
    with pytest.raises(checkpoint.CheckpointError, match="progress_c"):
        _lstm(resume=True, **kw)


def test_class_rnn_trains_and_resume_equals_uninterrupted(corpus, tmp_path):
    from rnnlm.toolkit.trainnet import ToolkitConfig, train_class_rnn
    config = ToolkitConfig(hidden=8, class_size=4, bptt=3, bptt_block=4, direct_size=2000,
                           direct_order=3, seed=1, max_epochs=4)
    kw = dict(data_dir=corpus, quiet=True)
    full = train_class_rnn(config, out=str(tmp_path / "full"), **kw)
    recs = full["records"]
    assert recs[-1]["valid_perplexity"] < recs[0]["valid_perplexity"] < 10
    train_class_rnn(dataclasses.replace(config, max_epochs=2), out=str(tmp_path / "cut"),
                    evaluate_test=False, **kw)
    resumed = train_class_rnn(config, out=str(tmp_path / "cut"), resume=True, **kw)
    assert resumed["test_perplexity"] == full["test_perplexity"]
    a, sa = checkpoint.load(str(tmp_path / "full" / "checkpoint.npz"))
    b, sb = checkpoint.load(str(tmp_path / "cut" / "checkpoint.npz"))
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert {k: v for k, v in sa["schedule"].items() if k != "seconds"} == \
        {k: v for k, v in sb["schedule"].items() if k != "seconds"}
    # the saved model scores through the registry protocol
    from rnnlm.registry import load_language_model
    scorer = load_language_model(str(tmp_path / "full" / "checkpoint.npz"))
    probs, _ = scorer.advance(scorer.start(), scorer.word_to_index["<eos>"])
    assert abs(probs.sum() - 1) < 1e-9


def test_cli_parses(corpus, tmp_path):
    import argparse
    from rnnlm import cli as ptb_cli
    parser = argparse.ArgumentParser()
    ptb_cli.add_subcommands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["ptb-rnnlm", "--hidden", "8", "--class", "4", "--bptt", "3",
                              "--bptt-block", "4", "--direct", "0.002", "--direct-order", "2",
                              "--independent", "--data-dir", corpus])
    assert (args.hidden, args.class_size, args.direct, args.direct_order, args.independent) == \
        (8, 4, 0.002, 2, True)
    args = parser.parse_args(["ptb-lstm", "--config", "medium", "--epochs", "2", "--resume"])
    assert args.config == "medium" and args.max_epochs == 2 and args.resume


def test_plot_ptb_runs(tmp_path):
    from rnnlm.plot import plot_ptb_runs
    run = tmp_path / "run"
    run.mkdir()
    (run / "log.jsonl").write_text("".join(
        json.dumps({"epoch": e, "valid_perplexity": 300.0 / e}) + "\n" for e in (1, 2, 3)))
    (run / "run.json").write_text(json.dumps({"published": 115.91}))
    png = plot_ptb_runs([("small", str(run))], str(tmp_path / "p.png"))
    assert os.path.getsize(png) > 1000
    with pytest.raises(InputError, match="log.jsonl"):
        plot_ptb_runs([("none", str(tmp_path / "missing"))], str(tmp_path / "q.png"))


def test_gemm_floor_counts_the_window_arithmetic():
    """``bench_ptb --floor`` times the window's matrix products: together they are the
    training window's 3 x (32 B T H^2 + 2 B T H V) floating-point operations (issue 19's count:
    forward, then two products of the same size per product in the backward pass)."""
    from rnnlm.ptb_lstm.configs import CONFIGS
    from rnnlm.ptb_lstm.bench import window_gemms
    for name in ("small", "medium", "large"):
        c = CONFIGS[name]
        B, T, H, V = c["batch_size"], c["num_steps"], c["hidden_size"], 10000
        assert c["num_layers"] == 2
        flops = sum(2 * m * k * n * count for m, k, n, count in window_gemms(c, V))
        assert flops == 3 * (32 * B * T * H * H + 2 * B * T * H * V), name


def test_lstm_prints_the_tutorials_lines_where_stderr_is_no_terminal(corpus, tmp_path, capsys):
    """Not quiet, stderr captured (no terminal: the plain progress lines): the run ends and
    prints TF's epoch and test lines (the first window used to raise AttributeError)."""
    s = _lstm(config_overrides=TINY_LSTM, data_dir=corpus, out=str(tmp_path / "r"),
              max_epochs=1)
    out = capsys.readouterr().out
    assert s["epochs"] == 1 and "Epoch: 1 Learning rate: 1.000 Train Perplexity:" in out
    assert "Test Perplexity:" in out
