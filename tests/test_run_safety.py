"""Run safety of every trainer: no silent corruption, no tracebacks, nothing lost (divergence,
resume identity, locks, kills at random points, full disks, bad files; one test per defect).

Tiny shapes everywhere: the toy ATIS corpus with 8 hidden units, five-sentence PTB slices,
the numpy WildML model and the numpy toolkit class RNN where no engine is needed.
"""
import errno
import gc
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from rnnrepro import checkpoint, runsafe
from rnnrepro.cli import run_command

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SENTENCES = ["the cat sat on the mat", "the dog sat on the log", "a cat saw a dog",
             "the dog saw the cat", "a dog sat on a mat"]
TINY_LSTM = dict(init_scale=0.1, learning_rate=1.0, max_grad_norm=5, num_layers=1, num_steps=3,
                 hidden_size=3, max_epoch=1, max_max_epoch=4, keep_prob=1.0, lr_decay=0.5,
                 batch_size=2)
SLU = ["--data", "toy", "--nhidden", "8", "--emb", "8", "--win", "3", "--quiet"]


def _lstm(config_overrides=None, **flags):
    """``train_lstm`` of the test config with ``flags`` (fields of ``ptb_word_lm.Flags``)."""
    from rnnlm.ptb_lstm.ptb_word_lm import Flags, train_lstm
    return train_lstm(Flags("test", **flags), config_overrides)


def _ptb(folder, n=(40, 8, 8), seed=0, extra=""):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.RandomState(seed)
    for split, k in zip(("train", "valid", "test"), n):
        lines = [SENTENCES[i] + extra for i in rng.randint(0, len(SENTENCES), k)]
        with open(os.path.join(folder, f"ptb.{split}.txt"), "w") as f:
            f.write("".join(f" {s} \n" for s in lines))
    return str(folder)


def _env():
    return dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _rnnlm(*argv):
    from rnnlm.cli import main
    return main([str(a) for a in argv])


def _slu(*argv):
    from rnnslu.cli import main
    return main([str(a) for a in argv])


def _class_rnn(data, out, **kw):
    from rnnlm.toolkit.trainnet import ToolkitConfig, train_class_rnn
    run = dict(resume=kw.pop("resume", False), overwrite=kw.pop("overwrite", False))
    config = ToolkitConfig(**dict(dict(hidden=4, class_size=3, max_epochs=2), **kw))
    return train_class_rnn(config, data_dir=data, out=str(out), quiet=True, evaluate_test=False,
                           **run)


def _strip(recs):
    return [{k: v for k, v in r.items() if "seconds" not in k and k not in
             ("peak_rss_mb", "words_per_second")} for r in recs]


def _log(folder):
    with open(os.path.join(folder, "log.jsonl")) as f:
        return [json.loads(l) for l in f]


# ------------------------------------------------------------------------- divergence
def test_diverging_rnnslu_run_stops_and_keeps_the_last_good_state(tmp_path, monkeypatch, capsys):
    """--lr 1e6 printed NEW BEST and saved NaN arrays; now: exit 2, nothing overwritten."""
    from rnnslu import train as T
    out = tmp_path / "run"
    assert _slu("train", *SLU, "--epochs", "1", "--out", out) == 0
    ckpt = (out / "checkpoint.npz").read_bytes()
    best = {p.name: p.read_bytes() for p in (out / "best").iterdir()}
    assert best
    real = T.train_epoch

    def poisoned(rnn, *a, **k):  # the second epoch diverges
        cost = real(rnn, *a, **k)
        params = rnn.get_params()
        rnn.set_params({n: v * np.inf for n, v in params.items()})
        return cost
    monkeypatch.setattr(T, "train_epoch", poisoned)
    capsys.readouterr()
    assert _slu("train", *SLU, "--epochs", "2", "--out", out, "--resume") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "diverged at epoch 1" in err[0], err
    assert (out / "checkpoint.npz").read_bytes() == ckpt
    assert {p.name: p.read_bytes() for p in (out / "best").iterdir()} == best
    assert len(_log(out)) == 1


def test_diverging_wildml_run_exits_nonzero_without_a_nan_record(tmp_path, capsys):
    """rnnlm train --learning-rate 1e6 exited 0 and wrote NaN into run.json."""
    text = tmp_path / "t.txt"
    text.write_text("\n".join(SENTENCES * 4) + "\n")
    out = tmp_path / "run"
    with np.errstate(all="ignore"):
        rc = _rnnlm("train", "--corpus", "ptb", "--path", text, "--no-cache", "--quiet",
                    "--model", "rnn-numpy", "--hidden-dim", 4, "--vocabulary-size", 12,
                    "--epochs", 3, "--evaluate-loss-after", 1, "--learning-rate", 1e6,
                    "--out", out)
    err = capsys.readouterr().err
    assert rc == 2 and "diverged at epoch 1: the training-data loss is inf" in err, err
    assert not (out / "run.json").exists()
    arrays, state = checkpoint.load(str(out / "checkpoint.npz"))  # epoch 0's, finite
    assert state["training"]["epochs_done"] == 1
    runsafe.check_finite("parameter", arrays)
    assert len(_log(out)) == 1 and np.isfinite(_log(out)[0]["loss"])


def test_run_json_refuses_nan(tmp_path):
    from rnnrepro.results import REQUIRED, write_record
    rec = {k: "x" for k in REQUIRED}
    rec["value"] = float("nan")
    with pytest.raises(runsafe.RunError, match="value"):
        write_record(str(tmp_path), rec)
    assert not (tmp_path / "run.json").exists()


# ------------------------------------------------------------------------- identity
def test_rnnslu_resume_refuses_other_lr_and_seed_but_extends_epochs(tmp_path, capsys):
    out = tmp_path / "run"
    assert _slu("train", *SLU, "--epochs", "1", "--out", out) == 0
    config = (out / "config.json").read_text()
    capsys.readouterr()
    assert _slu("train", *SLU, "--epochs", "1", "--out", out, "--resume",
                "--lr", "0.05", "--seed", "3") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "lr 0.0970806646812754 -> 0.05" in err[0] \
        and "seed 345 -> 3" in err[0], err
    assert (out / "config.json").read_text() == config  # not rewritten with the new values
    # RESUME_MAY_CHANGE: more epochs, quiet/verbose, another data folder (same content)
    assert _slu("train", "--data", "toy", "--nhidden", "8", "--emb", "8", "--win", "3",
                "--epochs", "2", "--out", out, "--resume", "--data-dir", tmp_path) == 0
    assert len(_log(out)) == 2


def test_identity_skips_exactly_the_options_that_may_change():
    """Every RESUME_MAY_CHANGE option is left out of the identity; everything else is in."""
    opts = {k: 1 for k in runsafe.RESUME_MAY_CHANGE}
    opts.update(lr=0.1, seed=3, hidden=5)
    ident = runsafe.run_identity(opts, data="abc", symbolic=False)
    assert set(ident) == {"lr", "seed", "hidden", "data", "engine", "floatX", "linker"}
    for k in ("nepochs", "nepoch", "max_epochs", "quiet", "verbose", "out", "out_dir",
              "data_dir", "overwrite", "resume"):
        assert k in runsafe.RESUME_MAY_CHANGE
    for k in ("lr", "learning_rate", "seed", "hidden", "hidden_dim", "vocabulary_size", "win",
              "bs", "class_size", "corpus", "config_name", "model"):
        assert k not in runsafe.RESUME_MAY_CHANGE
    diffs, _ = runsafe.identity_differences(dict(ident, seed=4), ident)
    assert diffs == ["seed 4 -> 3"]


def test_wildml_resume_refuses_another_vocabulary_or_corpus(tmp_path, capsys):
    text = tmp_path / "t.txt"
    text.write_text("\n".join(SENTENCES * 4) + "\n")
    other = tmp_path / "u.txt"
    other.write_text("\n".join(reversed(SENTENCES * 4)) + "\n")
    out = tmp_path / "run"
    base = ["train", "--corpus", "ptb", "--no-cache", "--quiet", "--model", "rnn-numpy",
            "--hidden-dim", 4, "--evaluate-loss-after", 1, "--out", out]
    assert _rnnlm(*base, "--path", text, "--vocabulary-size", 12, "--epochs", 1) == 0
    ckpt = (out / "checkpoint.npz").read_bytes()
    capsys.readouterr()
    assert _rnnlm(*base, "--path", text, "--vocabulary-size", 10, "--epochs", 2, "--resume") == 2
    err = capsys.readouterr().err
    assert "vocabulary_size" in err and len(err.splitlines()) == 1, err
    assert _rnnlm(*base, "--path", other, "--vocabulary-size", 12, "--epochs", 2, "--resume") == 2
    assert "data " in capsys.readouterr().err
    assert (out / "checkpoint.npz").read_bytes() == ckpt
    assert _rnnlm(*base, "--path", text, "--vocabulary-size", 12, "--epochs", 2, "--resume") == 0
    assert len(_log(out)) == 2


def test_ptb_lstm_resume_refuses_other_data(tmp_path):
    a, b = _ptb(tmp_path / "a"), _ptb(tmp_path / "b", seed=1)
    kw = dict(out=str(tmp_path / "run"), max_epochs=1, quiet=True, evaluate_test=False,
              config_overrides=TINY_LSTM)
    _lstm(data_dir=a, **kw)
    with pytest.raises(runsafe.RunError, match=r"data '[0-9a-f]+' -> '[0-9a-f]+'"):
        _lstm(data_dir=b, resume=True, **dict(kw, max_epochs=2))


def test_ptb_rnnlm_resume_refuses_another_hidden_and_keeps_the_checkpoint(tmp_path):
    data = _ptb(tmp_path / "d")
    _class_rnn(data, tmp_path / "run", max_epochs=1)
    before = (tmp_path / "run" / "checkpoint.npz").read_bytes()
    with pytest.raises(runsafe.RunError, match="hidden.*4.*-> .*6"):
        _class_rnn(data, tmp_path / "run", hidden=6, resume=True)
    assert (tmp_path / "run" / "checkpoint.npz").read_bytes() == before


def test_old_checkpoint_without_identity_resumes_with_a_warning(tmp_path, capsys):
    data = _ptb(tmp_path / "d")
    out = tmp_path / "run"
    _class_rnn(data, out, max_epochs=1)
    arrays, state = checkpoint.load(str(out / "checkpoint.npz"))
    del state["identity"]
    checkpoint.save(str(out / "checkpoint.npz"), arrays, state)
    capsys.readouterr()
    s = _class_rnn(data, out, max_epochs=2, resume=True)
    assert "predates run identities" in capsys.readouterr().err and s["epochs"] == 2


# ------------------------------------------------------------------------- run folder
def test_existing_run_refused_without_resume_or_overwrite(tmp_path):
    data = _ptb(tmp_path / "d")
    out = tmp_path / "run"
    _class_rnn(data, out, max_epochs=1)
    log = (out / "log.jsonl").read_text()
    with pytest.raises(runsafe.RunError, match="holds a run already"):
        _class_rnn(data, out, max_epochs=1)
    assert (out / "log.jsonl").read_text() == log
    s = _class_rnn(data, out, max_epochs=1, alpha=0.2, overwrite=True)
    assert s["records"][0]["alpha"] == 0.2


def test_a_second_concurrent_run_is_refused(tmp_path, capsys):
    data = _ptb(tmp_path / "d")
    out = tmp_path / "run"
    with runsafe.claim(str(out)):
        assert _rnnlm("ptb-rnnlm", "--data-dir", data, "--out", out, "--hidden", 4,
                      "--class", 3, "--epochs", 1, "--quiet", "--no-test") == 2
        assert f"process {os.getpid()}" in capsys.readouterr().err
    assert not (out / "log.jsonl").exists() and not (out / runsafe.LOCK_NAME).exists()
    # the lock is gone with its holder: now the run goes ahead
    assert _rnnlm("ptb-rnnlm", "--data-dir", data, "--out", out, "--hidden", 4,
                  "--class", 3, "--epochs", 1, "--quiet", "--no-test") == 0


def test_orphan_temp_files_removed_and_checkpoints_0644(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    for name in (".ckpt-abc.npz", "log.jsonl.tmp", "run.json.tmp"):
        (out / name).write_bytes(b"junk")
    (out / "keep.npz").write_bytes(b"x")
    with runsafe.claim(str(out)):
        assert sorted(os.listdir(out)) == [runsafe.LOCK_NAME, "keep.npz"]
    old = os.umask(0o077)
    try:
        checkpoint.save(str(out / "c.npz"), {"a": np.zeros(2)}, {})
    finally:
        os.umask(old)
    assert os.stat(out / "c.npz").st_mode & 0o777 == 0o644


# ------------------------------------------------------------------------- OS errors
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_full_or_readonly_disk_is_one_clear_line(tmp_path, monkeypatch):
    from helpers import FullDisk  # here: FAULT_DRIVER imports this module without tests/ on the path
    path = str(tmp_path / "c.npz")
    checkpoint.save(path, {"a": np.zeros(3)}, {"n": 1})
    before = open(path, "rb").read()
    real = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, mode: FullDisk(real(fd, mode), 100))
    with pytest.raises(checkpoint.CheckpointError, match="c.npz: cannot write the checkpoint "
                                                         r"\(No space left on device\)"):
        checkpoint.save(path, {"a": np.zeros(1000)}, {"n": 2})
    monkeypatch.undo()
    gc.collect()  # numpy's half-written ZipFile complains when collected
    assert open(path, "rb").read() == before and os.listdir(tmp_path) == ["c.npz"]

    def readonly(*a, **k):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(tmp_path))
    monkeypatch.setattr(checkpoint.tempfile, "mkstemp", readonly)
    with pytest.raises(checkpoint.CheckpointError, match="Read-only file system"):
        checkpoint.save(path, {"a": np.zeros(3)}, {})


def test_error_path_one_line_for_os_errors_traceback_only_for_bugs(capsys):
    def oserror(a):
        raise OSError(errno.ENOSPC, "No space left on device", "runs/x/log.jsonl")

    def bug(a):
        raise ZeroDivisionError("oops")
    assert run_command("rnnlm", oserror, None) == 2
    err = capsys.readouterr().err
    assert err == "rnnlm: error: runs/x/log.jsonl: No space left on device\n"
    assert run_command("rnnlm", bug, None) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "ZeroDivisionError" in err and "please report" in err


# ------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("argv", [
    ["rnnslu", "train", "--fold", "abc"], ["rnnslu", "train", "--win", "4"],
    ["rnnslu", "train", "--bs", "0"], ["rnnslu", "neighbors", "r", "w", "-k", "-1"],
    ["rnnlm", "train", "--evaluate-loss-after", "0"], ["rnnlm", "ptb-rnnlm", "--class", "0"],
    ["rnnlm", "train", "--learning-rate", "nan"], ["rnnlm", "ptb-lstm", "--epochs", "0"],
])
def test_bad_arguments_refused_at_parse_time(argv, capsys):
    with pytest.raises(SystemExit) as e:
        (_slu if argv[0] == "rnnslu" else _rnnlm)(*argv[1:])
    assert e.value.code == 2
    assert "error: argument" in capsys.readouterr().err


def _one_error_line(capsys, *needles):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0], err
    for n in needles:
        assert n in err[0], err
    return err[0]


def test_bad_files_are_one_line_exit_2(tmp_path, capsys):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip at all")
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("a\nb\nc\n")
    assert _rnnlm("import-npz", junk, "--vocab", vocab, "-o", tmp_path / "o.npz") == 2
    _one_error_line(capsys, "junk.npz")
    np.savez(tmp_path / "m.npz", U=np.zeros((2, 3)), V=np.zeros((3, 2)), W=np.zeros((2, 2)))
    assert _rnnlm("import-npz", tmp_path / "m.npz", "--vocab", vocab, "-o", tmp_path / "o") == 2
    _one_error_line(capsys, "vocab.txt", "SENTENCE_START")
    np.savez(tmp_path / "v.npz", V=np.zeros(3))
    assert _rnnlm("import-npz", tmp_path / "v.npz", "--vocab", vocab, "-o", tmp_path / "o") == 2
    _one_error_line(capsys, "v.npz", "U")
    # score --file: missing, not UTF-8 (checked before the model is loaded)
    assert _rnnlm("score", tmp_path / "none.npz", "--file", tmp_path / "missing.txt") == 2
    _one_error_line(capsys, "missing.txt")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9\n".encode("latin-1"))
    assert _rnnlm("score", tmp_path / "none.npz", "--file", tmp_path / "latin1.txt") == 2
    _one_error_line(capsys, "latin1.txt", "UTF-8")
    # neighbors on a missing run; missing PTB files
    assert _slu("neighbors", tmp_path / "norun", "flight") == 2
    _one_error_line(capsys, "norun")
    assert _rnnlm("ptb-rnnlm", "--data-dir", tmp_path / "noptb", "--out", tmp_path / "r",
                  "--quiet") == 2
    _one_error_line(capsys, "ptb.train.txt")


def test_header_only_csv_and_empty_validation_split_refused(tmp_path, capsys):
    from rnnslu.data import DataError, check_dataset
    csv = tmp_path / "r.csv"
    csv.write_text("body\n")
    assert _rnnlm("train", "--path", csv, "--no-cache", "--quiet", "--model", "rnn-numpy",
                  "--out", tmp_path / "run") == 2
    _one_error_line(capsys, "r.csv", "no sentences")
    split = ([np.array([0, 1], dtype="int32")], [np.zeros(2, dtype="int32")],
             [np.array([0, 0], dtype="int32")])
    dicts = {"words2idx": {"a": 0, "b": 1}, "labels2idx": {"O": 0}}
    with pytest.raises(DataError, match="split 'valid' is empty"):
        check_dataset("f.pkl", {"train": split, "valid": ([], [], []), "test": split}, dicts)


def test_atis_dict_index_out_of_range_refused():
    from rnnslu.data import DataError, check_dataset
    split = ([np.array([0, 1], dtype="int32")], [np.zeros(2, dtype="int32")],
             [np.array([0, 0], dtype="int32")])
    dicts = {"words2idx": {"a": 0, "b": 7}, "labels2idx": {"O": 0}}
    with pytest.raises(DataError, match="words2idx has index 7"):
        check_dataset("f.pkl", {"train": split, "valid": split, "test": split}, dicts)


def test_neighbors_unknown_word_is_an_input_error():
    from rnnslu.neighbors import nearest_neighbors
    with pytest.raises(runsafe.RunError, match="'zzz' is not in the vocabulary"):
        nearest_neighbors(np.eye(3), {"a": 0, "b": 1}, ["zzz"])
    with pytest.raises(runsafe.RunError, match="2 rows"):
        nearest_neighbors(np.eye(2)[:2], {"a": 0, "b": 1, "c": 2}, ["a"])


# ------------------------------------------------------------------------- tokenizer
def test_score_uses_the_tokenizer_the_model_was_trained_with(tmp_path, capsys):
    text = tmp_path / "t.txt"
    text.write_text("\n".join(s.replace("cat", "<unk>") for s in SENTENCES * 3) + "\n")
    out = tmp_path / "run"
    assert _rnnlm("train", "--corpus", "ptb", "--path", text, "--no-cache", "--quiet",
                  "--model", "rnn-numpy", "--hidden-dim", 4, "--epochs", 1,
                  "--evaluate-loss-after", 1, "--out", out) == 0
    _, state = checkpoint.load(str(out / "checkpoint.npz"))
    assert state["tokenizer"] == "whitespace"
    capsys.readouterr()
    assert _rnnlm("score", out / "checkpoint.npz", "the <unk> sat", "--json") == 0
    r = json.loads(capsys.readouterr().out)
    assert r["tokens"] == 4 and r["oov"] == 0, r  # nltk: '<', 'unk', '>' -> 6 tokens, 2 OOV
    from rnnlm.registry import tokenizer_of
    assert tokenizer_of({"model_type": "lstm"}) == "whitespace"
    assert tokenizer_of({"model_type": "class-rnn"}) == "whitespace"
    assert tokenizer_of({"model_type": "rnn-theano"}) == "nltk"
    assert tokenizer_of({"model_type": "rnn-theano", "corpus": {"corpus": "ptb"}}) == "whitespace"


# ------------------------------------------------------------------------- engine imports
def test_help_and_conlleval_do_not_import_the_engine():
    """``--help`` starts at once: the command modules (and the sweep statistics, scoring and
    conlleval they reach) import no symbolic engine, scipy, plotting or NLTK until a command
    needs it."""
    code = ("import sys, runpy\n"
            "for mod, argv in [('rnnslu.cli', ['--help']), ('rnnlm.cli', ['--help']),"
            " ('rnnlm.cli', ['ptb-lstm', '--help']), ('rnnslu.cli', ['train', '--help'])]:\n"
            "    sys.argv = ['x'] + argv\n"
            "    try: runpy.run_module(mod, run_name='__main__')\n"
            "    except SystemExit: pass\n"
            "import rnnslu.conlleval, rnnslu.sweep, rnnlm.registry, rnnlm.generate\n"
            "bad = sorted({m.split('.')[0] for m in sys.modules} & {'aesara', 'pytensor', 'jax',"
            " 'torch', 'scipy', 'matplotlib', 'nltk'})\n"
            "sys.stderr.write('ENGINE:%s\\n' % bad)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env=_env(), cwd=ROOT, timeout=120)
    assert "ENGINE:[]" in r.stderr, r.stderr[-2000:]
    r = subprocess.run([sys.executable, "-m", "rnnslu.conlleval"], input="a O O\n",
                       capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=60)
    assert r.returncode == 0 and "accuracy" in r.stdout, r.stderr


def test_rnnlm_train_engine_flag_selects_the_engine(tmp_path):
    """--engine pytensor failed with 'the engine is already aesara' on every run."""
    pytest.importorskip("pytensor")
    pytest.importorskip("aesara")
    text = tmp_path / "t.txt"
    text.write_text("\n".join(SENTENCES) + "\n")
    env = dict(_env(), RNN_ENGINE="aesara")
    r = subprocess.run([sys.executable, "-m", "rnnlm.cli", "train", "--engine", "pytensor",
                        "--corpus", "ptb", "--path", str(text), "--no-cache", "--quiet",
                        "--model", "rnn-numpy", "--hidden-dim", "2", "--epochs", "1",
                        "--out", str(tmp_path / "run")], capture_output=True, text=True,
                       env=env, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    _, state = checkpoint.load(str(tmp_path / "run" / "checkpoint.npz"))
    assert state["engine"] == "pytensor"  # the checkpoint records the engine in use


# ------------------------------------------------------------------------- fault test
FAULT_DRIVER = r"""
import os, signal, sys, threading
trainer, mode, arg, data, out = sys.argv[1:6]
kill = lambda: os.kill(os.getpid(), signal.SIGKILL)
if mode == "replace":            # die between the flushed temporary file and its rename
    n, calls, real = int(arg), [0], os.replace
    def replace(a, b):
        if ".ckpt-" in os.path.basename(a):
            calls[0] += 1
            if calls[0] == n:
                kill()
        real(a, b)
    os.replace = replace
elif mode == "savez":            # die in the middle of writing the checkpoint
    import numpy as np
    n, calls, real = int(arg), [0], np.savez
    def savez(f, **kw):
        calls[0] += 1
        if calls[0] == n:
            f.write(b"PK\x03\x04 torn")
            f.flush()
            kill()
        real(f, **kw)
    np.savez = savez
import tests.test_run_safety as t
if mode == "timer":              # die at a random moment of the training itself
    threading.Timer(float(arg), kill).start()
t.TRAINERS[trainer](data, out)
print("FINISHED")
"""


def _fault_class_rnn(data, out):
    from rnnlm.toolkit.trainnet import ToolkitConfig, train_class_rnn
    train_class_rnn(ToolkitConfig(hidden=4, class_size=3, max_epochs=5), data_dir=data,
                    out=str(out), resume=True, quiet=True, evaluate_test=False)


def _fault_wildml(data, out):
    from rnnlm.wildml.data import build_corpus
    from rnnlm.wildml.rnn_numpy import RNNNumpy
    from rnnlm.wildml.train import TrainOptions, TrainRun, train_with_sgd
    from rnnrepro.runfolder import RunFolder
    c = build_corpus(SENTENCES * 4, 12, tokenizer=str.split, verbose=False)
    np.random.seed(10)
    model = RNNNumpy(c.vocabulary_size, hidden_dim=4)
    with RunFolder(str(out), resume=True) as folder:
        train_with_sgd(model, c.X_train, c.y_train, nepoch=6, evaluate_loss_after=1,
                       options=TrainOptions(shuffle=True, quiet=True),
                       run=TrainRun(folder, state=c.vocab_state()))


TRAINERS = {"class-rnn": _fault_class_rnn, "wildml": _fault_wildml}


def _no_seconds(state):
    if isinstance(state, dict):
        return {k: _no_seconds(v) for k, v in state.items() if k != "seconds"}
    return state


@pytest.mark.parametrize("trainer", sorted(TRAINERS))
def test_killed_at_random_points_resume_ends_identical(tmp_path, trainer):
    """SIGKILL a tiny run several times (mid checkpoint write, before the rename, at random
    moments of training); resuming each time ends with the same log, parameters and state as
    an uninterrupted run, and no temporary file is left."""
    import time
    data = _ptb(tmp_path / "d")
    ref = tmp_path / "ref"
    t0 = time.perf_counter()
    TRAINERS[trainer](data, str(ref))
    seconds = time.perf_counter() - t0
    out = tmp_path / "run"
    rng = np.random.RandomState(int.from_bytes(os.urandom(2), "little"))
    plan = [("savez", 2), ("replace", 1), ("savez", 1), ("replace", 2)] + \
        [("timer", rng.uniform(0, seconds)) for _ in range(3)]
    killed = 0
    for mode, arg in plan + [("none", 0)] * 2:
        r = subprocess.run([sys.executable, "-c", FAULT_DRIVER, trainer, mode, str(arg), data,
                            str(out)], capture_output=True, text=True, env=_env(), cwd=ROOT,
                           timeout=120)
        if r.returncode == -signal.SIGKILL:
            killed += 1
            continue
        assert r.returncode == 0 and "FINISHED" in r.stdout, (mode, r.stderr[-2000:])
        if mode == "none":
            break
    assert killed >= 4, f"only {killed} kills landed: {plan}"
    assert _strip(_log(out)) == _strip(_log(ref))
    a, sa = checkpoint.load(str(out / "checkpoint.npz"))
    b, sb = checkpoint.load(str(ref / "checkpoint.npz"))
    assert sorted(a) == sorted(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    skip = ("commands", "seconds")
    assert {k: _no_seconds(v) for k, v in sa.items() if k not in skip} == \
        {k: _no_seconds(v) for k, v in sb.items() if k not in skip}
    assert sorted(os.listdir(out)) == ["checkpoint.npz", "log.jsonl"], os.listdir(out)


_PRINTER = ("import sys; from rnnrepro.cli import run_script\n"
            "def main():\n"
            "    if sys.argv[1] == 'raise':\n"
            "        raise BrokenPipeError(32, 'Broken pipe')   # a pipe that is not stdout\n"
            "    if sys.argv[1] == 'late':\n"
            "        print('row 0 still in the buffer')\n"
            "        sys.stdin.readline()   # the reader has gone; the command then returns\n"
            "        return\n"
            "    for i in range(200000):\n"
            "        print('row', i, 'x' * 60)\n"
            "run_script('printer', main)\n")


@pytest.mark.parametrize("what", ["print", "late", "raise"])
def test_reader_closing_stdout_stops_quietly_other_broken_pipes_are_errors(what):
    """``compare_sweeps.py ... | head``: the reader closing the pipe is not an error (status 141
    as a shell reports SIGPIPE, nothing on stderr), whether the command is still printing or
    its last lines wait in the buffer (``late``: flushed after the reader left); a
    BrokenPipeError from anything but standard output stays one error line with status 2."""
    p = subprocess.Popen([sys.executable, "-c", _PRINTER, what], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         cwd=os.path.dirname(os.path.dirname(__file__)),
                         env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"})
    first = b"row 0 " if what == "late" else p.stdout.readline()
    p.stdout.close()           # the reader goes away after one line, as `head -1` does
    p.stdin.close()            # ('late': only now does the command return and flush)
    err = p.stderr.read().decode()
    p.wait(timeout=60)
    if what != "raise":
        assert first.startswith(b"row 0 ")
        assert (p.returncode, err) == (141, "")
    else:
        assert (p.returncode, err) == (2, "printer: error: Broken pipe\n")
