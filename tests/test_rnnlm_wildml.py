"""Tests for the WildML reddit RNN language model (rnnlm: RNNNumpy, RNNTheano, GRUTheano).

Tiny shapes; every symbolic graph is built once per module (float64) and compiled lazily.
Run under both engines: ``RNN_ENGINE=aesara`` and ``RNN_ENGINE=pytensor``.
"""
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from rnnlm.wildml import data as D
from rnnlm.generate import generate_sentence, sample_sentence, score_sentences
from rnnlm.registry import load_language_model
from rnnlm.wildml.rnn_numpy import RNNNumpy
from rnnlm.wildml.train import TrainOptions, TrainRun, train_with_sgd
from rnnrepro.runfolder import RunFolder

from helpers import float64, tiny_corpus

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("RNN_SHARED_DATA") or REPO.parent / "shared" / "data")
PUNKT = SHARED / "nltk_data"

X7 = [0, 3, 5, 7, 2, 9, 11]
Y7 = [3, 5, 7, 2, 9, 11, 1]


def _theano(C, H, k, seed=10, **kw):
    from rnnlm.wildml.rnn_theano import RNNTheano
    np.random.seed(seed)
    with float64():
        return RNNTheano(C, H, bptt_truncate=k, **kw)


@pytest.fixture(scope="module")
def full_pair():
    """RNNNumpy and RNNTheano with the same parameters (seed 10), full BPTT."""
    np.random.seed(10)
    m = RNNNumpy(20, 6, bptt_truncate=1000)
    t = _theano(20, 6, -1)
    return m, t


@pytest.fixture(scope="module")
def truncated():
    """k=2 on a 7-word sentence: faithful (tutorial graph) and per-output-dV variants."""
    return _theano(20, 6, 2), _theano(20, 6, 2, faithful_truncation=False)


@pytest.fixture(scope="module")
def gru():
    from rnnlm.wildml.gru_theano import GRUTheano
    np.random.seed(10)
    with float64():
        return GRUTheano(12, hidden_dim=5, bptt_truncate=-1)


@pytest.fixture
def punkt(monkeypatch):
    if not (PUNKT / "tokenizers" / "punkt_tab" / "english").is_dir():
        import nltk
        try:
            nltk.data.find("tokenizers/punkt_tab/english/")
        except LookupError:
            pytest.skip(f"punkt_tab not found (looked in {PUNKT} and nltk's paths)")
    else:
        import nltk
        monkeypatch.setattr(nltk.data, "path", [str(PUNKT)] + list(nltk.data.path))


# ----------------------------------------------------------------------------- api
def test_public_api():
    from rnnlm.wildml import GRUTheano, RNNNumpy as R, RNNTheano, train_with_sgd as t  # noqa: F401
    np.random.seed(10)
    m = R(50, hidden_dim=4, bptt_truncate=4)
    assert m.U.shape == (4, 50) and m.V.shape == (50, 4) and m.W.shape == (4, 4)
    # tutorial init: U, V, W drawn in that order from the seeded global RNG, +-1/sqrt(n)
    np.random.seed(10)
    U = np.random.uniform(-np.sqrt(1 / 50), np.sqrt(1 / 50), (4, 50))
    assert np.array_equal(m.U, U) and np.abs(m.V).max() <= 0.5


def test_init_loss_is_ln_C():
    np.random.seed(10)
    C = 8000
    m = RNNNumpy(C, 100)
    rng = np.random.RandomState(1)
    X = [rng.randint(0, C, size=rng.randint(5, 30)) for _ in range(20)]
    Y = [np.roll(x, -1) for x in X]
    assert abs(m.calculate_loss(X, Y) - math.log(C)) < 0.01


# ----------------------------------------------------------------------------- gradients
def test_gradient_check_numpy():
    np.random.seed(10)
    model = RNNNumpy(100, 10, bptt_truncate=1000)  # the tutorial's own check (1% relative)
    assert model.gradient_check([0, 1, 2, 3], [1, 2, 3, 4], verbose=False)


def test_bptt_is_the_gradient_tightly():
    """Full BPTT against central differences of the total loss at every entry, to 1e-7
    (the tutorial's 1% check lets a scaled or partial gradient through)."""
    np.random.seed(11)
    m = RNNNumpy(8, 3, bptt_truncate=1000)
    x, y = [0, 3, 5, 3, 7, 2], [3, 5, 3, 7, 2, 1]
    grads = dict(zip("UVW", m.bptt(x, y)))
    eps = 1e-6
    for name in "UVW":
        P = getattr(m, name)
        for idx in np.ndindex(P.shape):
            orig = P[idx]
            P[idx] = orig + eps
            up = m.calculate_total_loss([x], [y])
            P[idx] = orig - eps
            down = m.calculate_total_loss([x], [y])
            P[idx] = orig
            assert abs((up - down) / (2 * eps) - grads[name][idx]) < 1e-7, (name, idx)


def test_numpy_and_theano_agree_full_bptt(full_pair):
    m, t = full_pair
    assert np.allclose(m.U, t.U.get_value(), atol=0, rtol=0)
    assert abs(m.calculate_total_loss([X7], [Y7]) - t.calculate_total_loss([X7], [Y7])) < 1e-10
    for a, b in zip(m.bptt(X7, Y7), t.bptt(X7, Y7)):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(m.forward_propagation(X7)[0], t.forward_propagation(X7), atol=1e-12)


def test_sentence_shorter_than_truncation_agrees(full_pair, truncated):
    """k=2 but a 2-word sentence: nothing is truncated, so all implementations agree."""
    m, _ = full_pair
    faithful, _ = truncated
    np.random.seed(10)
    mk = RNNNumpy(20, 6, bptt_truncate=2)
    x, y = [4, 8], [8, 1]
    for a, b, c in zip(mk.bptt(x, y), m.bptt(x, y), faithful.bptt(x, y)):
        np.testing.assert_allclose(a, b, atol=1e-12)
        np.testing.assert_allclose(a, c, rtol=1e-9, atol=1e-12)


def test_truncation_semantics(truncated):
    """Documented difference: numpy truncates per output (k+1 steps back from every output);
    scan(truncate_gradient=k) keeps the last k steps of the sequence. The fast graph with
    faithful_truncation reproduces the tutorial's Theano graph exactly."""
    from rnnlm.wildml.rnn_theano import tutorial_graph
    faithful, per_output_dv = truncated
    with float64():
        ref = tutorial_graph(faithful, with_sgd=False)
    g_fast = faithful.bptt(X7, Y7)
    for a, b in zip(ref["bptt"](X7, Y7), g_fast):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-13)
    assert abs(ref["ce_error"](X7, Y7) - faithful.ce_error(X7, Y7)) < 1e-10
    np.random.seed(10)
    mk = RNNNumpy(20, 6, bptt_truncate=2)
    g_np = mk.bptt(X7, Y7)
    assert not np.allclose(g_np[2], g_fast[2])  # dW: the two truncations differ
    assert not np.allclose(g_np[1], g_fast[1])  # dV: tutorial graph drops early outputs
    g_dv = per_output_dv.bptt(X7, Y7)
    np.testing.assert_allclose(g_dv[1], g_np[1], rtol=1e-9, atol=1e-13)  # dV from all outputs
    np.testing.assert_allclose(g_dv[0], g_fast[0], atol=1e-13)  # U, W: last k steps either way
    np.testing.assert_allclose(g_dv[2], g_fast[2], atol=1e-13)


def test_theano_sgd_step_is_u_minus_lr_grad(full_pair):
    _, t = full_pair
    before = {k: v.copy() for k, v in t.get_parameters().items()}
    dU, dV, dW = t.bptt(X7, Y7)
    try:
        t.sgd_step(X7, Y7, 0.1)
        after = t.get_parameters()
        np.testing.assert_allclose(after["U"], before["U"] - 0.1 * dU, atol=1e-13)
        np.testing.assert_allclose(after["V"], before["V"] - 0.1 * dV, atol=1e-13)
        np.testing.assert_allclose(after["W"], before["W"] - 0.1 * dW, atol=1e-13)
    finally:
        t.set_parameters(before)


def test_minibatch_step_is_summed_gradient(full_pair):
    _, t = full_pair
    before = {k: v.copy() for k, v in t.get_parameters().items()}
    x2, y2 = [1, 4, 6], [4, 6, 1]
    g1, g2 = t.bptt(X7, Y7), t.bptt(x2, y2)
    try:
        with float64():
            t.sgd_step_batch([X7, x2], [Y7, y2], 0.1)
        after = t.get_parameters()
        for name, a, b in zip("UVW", g1, g2):
            np.testing.assert_allclose(after[name], before[name] - 0.1 * (a + b), atol=1e-12)
    finally:
        t.set_parameters(before)


def _gru_numpy_loss(params, x, y):
    from rnnlm.wildml.gru_theano import gru_numpy_step
    H = params["E"].shape[0]
    state, loss = (np.zeros(H), np.zeros(H)), 0.0
    for idx, target in zip(x, y):
        probs, state = gru_numpy_step(params, state, idx)
        loss -= math.log(probs[target])
    return loss


def test_gru_gradients_and_rmsprop_step(gru):
    """One RMSProp step from zero caches (decay 0.9): m = 0.1 g^2 and p -= lr g / sqrt(m + 1e-6),
    so g can be read back from (m, dp) and compared with central differences of the numpy step
    (which also serves scoring and sampling). Only one graph is compiled (~20 s)."""
    from rnnlm.wildml.gru_theano import PARAMS
    x, y = [0, 3, 5, 7, 2], [3, 5, 7, 2, 1]
    before = gru.get_parameters(with_cache=True)
    params = {k: v.copy() for k, v in gru.get_parameters().items()}
    rng = np.random.RandomState(0)
    params["b"] = rng.uniform(-0.1, 0.1, params["b"].shape)  # exercise the bias gradients
    params["c"] = rng.uniform(-0.1, 0.1, params["c"].shape)
    lr = 0.01
    try:
        gru.set_parameters(params)
        l0 = _gru_numpy_loss(params, x, y)
        gru.sgd_step(x, y, lr)
        after = gru.get_parameters(with_cache=True)
        h = 1e-5
        for pname in PARAMS:
            m = after["m" + pname]
            g = -(after[pname] - params[pname]) * np.sqrt(m + 1e-6) / lr
            np.testing.assert_allclose(m, 0.1 * g ** 2, rtol=1e-6, atol=1e-14)
            for _ in range(4):
                ix = tuple(rng.randint(0, n) for n in params[pname].shape)
                orig = params[pname][ix]
                params[pname][ix] = orig + h
                plus = _gru_numpy_loss(params, x, y)
                params[pname][ix] = orig - h
                minus = _gru_numpy_loss(params, x, y)
                params[pname][ix] = orig
                est = (plus - minus) / (2 * h)
                assert abs(est - g[ix]) <= 1e-6 + 1e-5 * abs(est), (pname, ix, est, g[ix])
        for _ in range(15):
            gru.sgd_step(x, y, lr)
        assert _gru_numpy_loss(gru.get_parameters(), x, y) < l0 - 0.1
    finally:
        gru.set_parameters(before)


# ----------------------------------------------------------------------------- training
def test_training_lowers_loss():
    c = tiny_corpus()
    np.random.seed(10)
    m = RNNNumpy(c.vocabulary_size, 8)
    losses = train_with_sgd(m, c.X_train, c.y_train, learning_rate=0.2, nepoch=6,
                            evaluate_loss_after=1, options=TrainOptions(quiet=True))
    assert len(losses) == 6 and losses[0][0] == 0 and losses[-1][0] == 5 * len(c)
    assert abs(losses[0][1] - math.log(c.vocabulary_size)) < 0.05
    assert losses[-1][1] < losses[0][1] - 0.3


def test_learning_rate_halves_when_loss_goes_up(tmp_path):
    c = tiny_corpus()
    np.random.seed(10)
    m = RNNNumpy(c.vocabulary_size, 8)
    log = tmp_path / "log.jsonl"
    with RunFolder(str(tmp_path)) as folder:
        losses = train_with_sgd(m, c.X_train, c.y_train, learning_rate=3.0, nepoch=6,
                                evaluate_loss_after=1, options=TrainOptions(quiet=True),
                                run=TrainRun(folder))
    recs = [json.loads(l) for l in log.read_text().splitlines()]
    for prev, cur, nxt in zip(recs, recs[1:], recs[2:]):
        went_up = cur["loss"] > prev["loss"]
        expected = cur["learning_rate"] * (0.5 if went_up else 1.0)
        assert nxt["learning_rate"] == pytest.approx(expected)
    assert any(b[1] > a[1] for a, b in zip(losses, losses[1:]))  # lr=3 does overshoot


@pytest.mark.parametrize("shuffle", [False, True])
def test_resume_equals_uninterrupted(tmp_path, shuffle):
    c = tiny_corpus()

    def run(out, nepoch, resume=False):
        if not resume:
            np.random.seed(10)
            m = RNNNumpy(c.vocabulary_size, 8)
        else:
            m = RNNNumpy(c.vocabulary_size, 8)  # parameters come from the checkpoint
        with RunFolder(str(out), resume=resume) as folder:
            losses = train_with_sgd(m, c.X_train, c.y_train, learning_rate=0.05, nepoch=nepoch,
                                    evaluate_loss_after=1,
                                    options=TrainOptions(shuffle=shuffle, quiet=True),
                                    run=TrainRun(folder, state=c.vocab_state()))
        return m, losses

    a, la = run(tmp_path / "a", 4)
    run(tmp_path / "b", 2)
    # a kill in the middle of epoch 3 leaves a partial log line; resume must drop it
    with open(tmp_path / "b" / "log.jsonl", "a") as f:
        f.write('{"epoch": 2, "num_exa')
    np.random.seed(999)  # the RNG state must come from the checkpoint, not from here
    b, lb = run(tmp_path / "b", 4, resume=True)
    assert la == lb
    for k in "UVW":
        assert np.array_equal(getattr(a, k), getattr(b, k))

    def strip(path):
        recs = [json.loads(l) for l in path.read_text().splitlines()]
        return [{k: v for k, v in r.items() if "seconds" not in k} for r in recs]
    assert strip(tmp_path / "a" / "log.jsonl") == strip(tmp_path / "b" / "log.jsonl")
    # the checkpoint is the tutorial's npz layout
    with np.load(tmp_path / "a" / "checkpoint.npz") as z:
        assert np.array_equal(z["U"], a.U) and z["V"].shape == a.V.shape


@pytest.mark.parametrize("which", ["rnn-theano", "gru-theano"])
def test_compiled_models_resume_equals_uninterrupted(tmp_path, which, full_pair, gru):
    """RNNTheano and GRUTheano (RMSProp caches in the checkpoint), with shuffling: the model
    is set to garbage before the resume, so parameters, caches, learning rate and RNG state
    must all come from the checkpoint."""
    from rnnlm.wildml.train import model_arrays
    model = full_pair[1] if which == "rnn-theano" else gru
    c = tiny_corpus(vocabulary_size=model.word_dim)
    assert c.vocabulary_size <= model.word_dim  # every id fits the model
    start = {k: v.copy() for k, v in model_arrays(model).items()}

    def run(out, nepoch, resume=False):
        with RunFolder(str(out), resume=resume) as folder:
            losses = train_with_sgd(model, c.X_train, c.y_train, learning_rate=0.05,
                                    nepoch=nepoch, evaluate_loss_after=1,
                                    options=TrainOptions(shuffle=True, quiet=True),
                                    run=TrainRun(folder, state=c.vocab_state()))
        return losses, {k: v.copy() for k, v in model_arrays(model).items()}
    with float64():
        try:
            model.set_parameters(start)
            np.random.seed(10)
            la, a = run(tmp_path / "a", 3)
            model.set_parameters(start)
            np.random.seed(10)
            run(tmp_path / "b", 1)
            model.set_parameters({k: np.full_like(v, 0.5) for k, v in start.items()})
            np.random.seed(999)
            lb, b = run(tmp_path / "b", 3, resume=True)
        finally:
            model.set_parameters(start)
    assert la == lb and len(la) == 3
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    if which == "gru-theano":
        assert {"mU", "mW", "mV"} <= a.keys() and np.abs(a["mV"] - start["mV"]).max() > 0


# ----------------------------------------------------------------------------- data
CSV_TEXT = ('body\n'
            '"Hello world. Hello there!"\n'
            '\n'
            '"The cat sat. The cat ran, quickly."\n')


def test_preprocessing_statistics(tmp_path, punkt, capsys):
    path = tmp_path / "comments.csv"
    path.write_text(CSV_TEXT)
    c = D.load_corpus("reddit", path=str(path), vocabulary_size=8, cache=D.CorpusCache(str(tmp_path / "cache")))
    out = capsys.readouterr().out
    assert "Parsed 4 sentences." in out
    assert "Found 13 unique words tokens." in out
    assert "The least frequent word in our vocabulary is 'world' and appeared 1 times." in out
    assert c.stats["sentences"] == 4 and c.stats["unique_tokens"] == 13
    assert c.index_to_word == [D.SENTENCE_START_TOKEN, D.SENTENCE_END_TOKEN, ".", "hello", "the",
                               "cat", "world", D.UNKNOWN_TOKEN]
    w = c.word_to_index
    # "the cat ran , quickly ." : ran, ',' and quickly are out of the vocabulary
    assert [c.index_to_word[i] for i in c.X_train[3]] == [
        D.SENTENCE_START_TOKEN, "the", "cat", D.UNKNOWN_TOKEN, D.UNKNOWN_TOKEN, D.UNKNOWN_TOKEN, "."]
    for x, y in zip(c.X_train, c.y_train):
        assert x[0] == w[D.SENTENCE_START_TOKEN] and y[-1] == w[D.SENTENCE_END_TOKEN]
        assert np.array_equal(x[1:], y[:-1])
    # second load comes from the cache, keyed by content + options
    c2 = D.load_corpus("reddit", path=str(path), vocabulary_size=8, cache=D.CorpusCache(str(tmp_path / "cache")))
    assert "Loaded cached corpus" in capsys.readouterr().out
    assert c2.index_to_word == c.index_to_word and all(
        np.array_equal(a, b) for a, b in zip(c.X_train, c2.X_train))
    c3 = D.load_corpus("reddit", path=str(path), vocabulary_size=6, cache=D.CorpusCache(str(tmp_path / "cache")),
                       verbose=False)
    assert c3.vocabulary_size == 6 and len(os.listdir(tmp_path / "cache")) == 2


def test_gru_preprocessing_variant(tmp_path, punkt):
    path = tmp_path / "c.csv"
    path.write_text('body\n"see http://x.org now. The cat sat. The cat ran."\n')
    c = D.load_corpus("reddit", path=str(path), vocabulary_size=5, style="gru", cache=None,
                      verbose=False)
    assert c.stats["sentences"] == 2  # the http sentence is dropped
    assert c.index_to_word[:2] == [D.MASK_TOKEN, D.UNKNOWN_TOKEN]
    # 3 most frequent by (count, word) descending, laid out by increasing count
    assert c.index_to_word[2:] == ["the", "cat", "SENTENCE_START"]


def test_ptb_proxy_reads_lines_as_sentences(tmp_path):
    p = tmp_path / "ptb.train.txt"
    p.write_text(" the <unk> rose \n\n a b the \n")
    c = D.load_corpus("ptb", path=str(p), vocabulary_size=100, cache=None, verbose=False)
    assert c.stats["sentences"] == 2 and "<unk>" in c.word_to_index
    assert [c.index_to_word[i] for i in c.y_train[0]] == ["the", "<unk>", "rose", D.SENTENCE_END_TOKEN]


def test_missing_punkt_is_a_clear_error(tmp_path, monkeypatch):
    import nltk
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    path = tmp_path / "c.csv"
    path.write_text(CSV_TEXT)
    with pytest.raises(D.PunktMissingError) as e:
        D.load_corpus("reddit", path=str(path), cache=None, verbose=False)
    msg = str(e.value)
    assert "punkt_tab" in msg and "NLTK_DATA" in msg and "download_punkt.py" in msg


@pytest.mark.parametrize("bad,line", [('"ok."\nsecond,field\n', 3), ('"ok."\n"never closed\n', 3)])
def test_malformed_csv_row_names_file_and_line(tmp_path, bad, line):
    path = tmp_path / "bad.csv"
    path.write_text("body\n" + bad)
    with pytest.raises(D.DataError) as e:
        list(D.read_csv_comments(str(path)))
    assert f"{path}:{line}:" in str(e.value) and "malformed" in str(e.value)


def test_missing_csv_points_to_download(tmp_path):
    with pytest.raises(D.DataError, match="download_reddit.py"):
        D.load_corpus("reddit", D.corpus_file("reddit", str(tmp_path)), cache=None)


# ----------------------------------------------------------------------------- pretrained
def test_pretrained_npz_hidden_size_from_file(tmp_path):
    from rnnlm.wildml.rnn_theano import load_model_parameters_theano
    rng = np.random.RandomState(0)
    arrays = {"U": rng.randn(7, 30), "W": rng.randn(7, 7), "V": rng.randn(30, 7)}
    np.savez(tmp_path / "m.npz", **arrays)
    with float64():
        model = load_model_parameters_theano(str(tmp_path / "m.npz"))
    assert (model.hidden_dim, model.word_dim) == (7, 30)
    np.testing.assert_allclose(model.V.get_value(), arrays["V"])
    with pytest.raises(ValueError, match="hidden_dim=7"):
        load_model_parameters_theano(str(tmp_path / "m.npz"), model=_theano(30, 5, 4))


def test_real_pretrained_model_file():
    path = SHARED / "reddit" / "trained-model-theano.npz"
    if not path.exists():
        pytest.skip(f"{path} not present")
    with np.load(path) as z:
        U, V, W = z["U"], z["V"], z["W"]
    assert U.shape == (50, 8000) and W.shape == (50, 50) and V.shape == (8000, 50)
    m = RNNNumpy.__new__(RNNNumpy)
    m.bptt_truncate = 4
    m.set_parameters({"U": U, "V": V, "W": W})
    assert m.hidden_dim == 50
    o, _ = m.forward_propagation([0, 10, 20])
    # the tutorial's forward pass written out: s_t = tanh(U[:, x_t] + W s_{t-1}), o_t = softmax(V s_t)
    s_prev = np.zeros(50)
    for t, w in enumerate([0, 10, 20]):
        s_prev = np.tanh(U[:, w] + W @ s_prev)
        z = V @ s_prev
        np.testing.assert_allclose(o[t], np.exp(z - z.max()) / np.exp(z - z.max()).sum(),
                                   rtol=1e-10)
    # a trained model is far better than uniform (ln 8000 = 8.99) on its own greedy text
    seq = [0]
    for _ in range(8):
        seq.append(int(m.forward_propagation(seq)[0][-1].argmax()))
    assert m.calculate_loss([seq[:-1]], [seq[1:]]) < math.log(8000) - 3


# ----------------------------------------------------------------------------- generate/score
@pytest.fixture(scope="module")
def trained_checkpoint(tmp_path_factory):
    c = tiny_corpus()
    np.random.seed(10)
    m = RNNNumpy(c.vocabulary_size, 8)
    out = tmp_path_factory.mktemp("ck")
    path = str(out / "checkpoint.npz")
    with RunFolder(str(out)) as folder:
        train_with_sgd(m, c.X_train, c.y_train, learning_rate=0.05, nepoch=3,
                       evaluate_loss_after=1, options=TrainOptions(quiet=True),
                       run=TrainRun(folder, state=c.vocab_state()))
    return path, m, c


def test_generated_sentences_never_contain_unknown(trained_checkpoint):
    path, m, c = trained_checkpoint
    scorer = load_language_model(path)
    unk = scorer.word_to_index[D.UNKNOWN_TOKEN]
    # make UNKNOWN_TOKEN by far the most likely next word everywhere
    scorer.model.V[unk] += 20.0 / max(1e-9, np.abs(scorer.model.V).max())
    probs, _ = scorer.advance(scorer.start(), scorer.word_to_index[D.SENTENCE_START_TOKEN])
    assert probs.argmax() == unk
    rng = np.random.RandomState(0)
    for _ in range(30):
        sent = generate_sentence(scorer, min_length=3, rng=rng)
        assert D.UNKNOWN_TOKEN not in sent and D.SENTENCE_START_TOKEN not in sent
        assert len(sent) >= 3
    assert sample_sentence(scorer, rng=rng, max_length=0) in (None, [])


def test_score_matches_model_loss(trained_checkpoint):
    path, m, c = trained_checkpoint
    scorer = load_language_model(path)
    sents = [[c.index_to_word[i] for i in x[1:]] for x in c.X_train[:3]]
    r = score_sentences(scorer, sents)
    total = m.calculate_total_loss(c.X_train[:3], c.y_train[:3])
    assert r["log_prob"] == pytest.approx(-total, rel=1e-9)
    assert r["tokens"] == sum(len(y) for y in c.y_train[:3])
    assert r["perplexity"] == pytest.approx(math.exp(total / r["tokens"]))


def test_cli_generate_and_score(trained_checkpoint, capsys):
    from rnnlm.cli import main
    path, _, _ = trained_checkpoint
    assert main(["generate", path, "-n", "3", "--min-length", "2", "--seed", "1"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and all(D.UNKNOWN_TOKEN not in l for l in lines)
    assert main(["score", path, "the cat sat", "--whitespace", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["tokens"] == 4 and r["perplexity"] > 1


def test_minibatch_mode_is_opt_in():
    """train_with_sgd calls sgd_step per sentence unless batch_size is given."""
    calls = []

    class Stub:
        model_type = "stub"

        def sgd_step(self, x, y, lr):
            calls.append(("one", len(x)))

        def sgd_step_batch(self, X, Y, lr):
            calls.append(("batch", len(X)))

        def calculate_loss(self, X, Y):
            return 1.0

    X = [np.arange(3)] * 5
    train_with_sgd(Stub(), X, X, nepoch=1, evaluate_loss_after=1,
                   options=TrainOptions(quiet=True))
    assert calls == [("one", 3)] * 5
    calls.clear()
    train_with_sgd(Stub(), X, X, nepoch=1, evaluate_loss_after=1,
                   options=TrainOptions(quiet=True, batch_size=2))
    assert calls == [("batch", 2), ("batch", 2), ("batch", 1)]


def test_cli_import_npz_wraps_a_tutorial_file(tmp_path, capsys):
    from rnnlm.cli import main
    rng = np.random.RandomState(0)
    words = [D.SENTENCE_START_TOKEN, D.SENTENCE_END_TOKEN, "a", "b", D.UNKNOWN_TOKEN]
    np.savez(tmp_path / "m.npz", U=rng.randn(3, 5), V=rng.randn(5, 3), W=rng.randn(3, 3))
    (tmp_path / "vocab.txt").write_text("\n".join(words) + "\n")
    out = str(tmp_path / "ck.npz")
    assert main(["import-npz", str(tmp_path / "m.npz"), "--vocab", str(tmp_path / "vocab.txt"),
                 "-o", out]) == 0
    scorer = load_language_model(out)
    assert scorer.vocab == words and scorer.model.hidden_dim == 3
    (tmp_path / "short.txt").write_text("a\nb\n")
    capsys.readouterr()
    assert main(["import-npz", str(tmp_path / "m.npz"), "--vocab", str(tmp_path / "short.txt"),
                 "-o", str(tmp_path / "ck2.npz")]) == 2
    assert "word_dim 5" in capsys.readouterr().err
