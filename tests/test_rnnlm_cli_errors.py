"""Command-line errors of ``rnnlm``: every expected failure of an ``rnnlm`` command is one
line and exit status 2, refused before any work where it can be, and nothing in the folders
changes.

Same table style and checks as ``test_cli_errors`` (``helpers.refused``): in-process
``main(argv)``, tiny data made by ``conftest.w`` (the toy sentences of ``helpers``), hidden
sizes of 4. The checkpoints are one 1-epoch ``rnnlm train`` (rnn-numpy), one 1-epoch
``ptb-rnnlm`` (numpy) and a PTB LSTM checkpoint written by hand (no graph is compiled: every
refusal comes before it).
"""
import errno
import os
import shutil

import numpy as np
import pytest

from helpers import LSTM, RNNLM, TRAIN, refused, rewrite, rnnlm_cmd, script_refused
from rnnrepro import checkpoint, cli, runsafe

# ptb-eval and ptb-lstm set the engine's floatX in this process: restored after each test.
pytestmark = pytest.mark.usefixtures("keep_floatx")


def _set(**kw):
    return lambda a, s: (dict(a, **kw), s)


def _drop(name):
    return lambda a, s: ({k: v for k, v in a.items() if k != name}, s)


def _drop_state(name):
    return lambda a, s: (a, {k: v for k, v in s.items() if k != name})


# ----------------------------------------------------------------- option values (parse time)
PARSE_CASES = [  # (argv, needles): refused by argparse, one line naming the option
    (["train", "--seed", "-1"], ["--seed", "-1 is less than 0"]),
    (["train", "--seed", str(2 ** 32)], ["--seed", "4294967296"]),
    (["train", "--epochs", "0"], ["--epochs", "0 is less than 1"]),
    (["train", "--decay", "nan"], ["--decay", "nan"]),
    (["train", "--published", "nan"], ["--published", "nan"]),  # run.json refused it at the end
    (["generate", "c.npz", "--seed", "-1"], ["--seed"]),
    (["ptb-lstm", "--seed", "-1"], ["--seed"]),
    (["ptb-rnnlm", "--seed", "99999999999"], ["--seed"]),
    (["ptb-rnnlm", "--direct", "nan"], ["--direct", "nan is not a finite number"]),
    (["ptb-rnnlm", "--direct", "-1"], ["--direct", "-1"]),
    (["ptb-rnnlm", "--beta", "-1e-7"], ["--beta"]),
    (["ptb-rnnlm", "--gradient-cutoff", "0"], ["--gradient-cutoff"]),
    (["train", "--model", "lstm"], ["--model", "invalid choice"]),  # was usage block + line
    (["ptb-eval"], ["checkpoint"]),
    (["score"], ["required: checkpoint ("]),  # not "checkpoint, text": TEXT or --file
]


@pytest.mark.parametrize("argv,needles", PARSE_CASES, ids=[" ".join(c[0]) for c in PARSE_CASES])
def test_option_values_refused_at_parse_time(argv, needles, capsys, tmp_path):
    refused(capsys, lambda: rnnlm_cmd(*argv), "error: argument" if len(argv) > 1 else "error:",
            *needles, folder=tmp_path)


# ----------------------------------------------------------------- options that cannot be met
def _run_ckpt(w):
    return w / "run" / "checkpoint.npz"


OPTION_CASES = {  # name -> (argv (w: the inputs), needles)
    "generate min above max": (lambda w: ["generate", _run_ckpt(w), "--min-length", 7,
                                          "--max-length", 3],
                               ["--max-length 3 is less than --min-length 7"]),
    "generate avoid the end": (lambda w: ["generate", _run_ckpt(w), "--min-length", 1,
                                          "--avoid", "SENTENCE_END"],
                               ["--avoid SENTENCE_END", "no sentence could end"]),
    "generate prefix too long": (lambda w: ["generate", _run_ckpt(w), "--min-length", 1,
                                            "--max-length", 2, "--prefix", "a b c"],
                                 ["--max-length 2", "--prefix"]),
    "score no text": (lambda w: ["score", _run_ckpt(w)], ["give TEXT arguments or --file"]),
    "score empty file": (lambda w: ["score", _run_ckpt(w), "--file", w / "empty.txt"],
                         ["empty.txt", "empty"]),
    "train batch numpy": (lambda w: ["train", *TRAIN, "--path", w / "t.txt", "--batch-size", 2,
                                     "--out", w / "new"], ["--batch-size 2", "rnn-numpy"]),
    "train decay above 1": (lambda w: ["train", *TRAIN, "--model", "gru-theano", "--path",
                                       w / "t.txt", "--decay", 2, "--out", w / "new"],
                            ["--decay 2.0"]),
    "gru vocabulary 1": (lambda w: ["train", *TRAIN, "--path", w / "t.txt", "--style", "gru",
                                    "--vocabulary-size", 1, "--out", w / "new"],
                         ["--vocabulary-size 1"]),
    "score unknown word, no <unk>": (lambda w: ["score", w / "rr" / "checkpoint.npz", "the zebra"],
                                     ["'zebra' is not in the model's vocabulary", "<unk>"]),
    "generate unknown prefix": (lambda w: ["generate", w / "lstm.npz", "--prefix", "zebra"],
                                ["--prefix", "'zebra'"]),
    "train bptt-truncate below -1": (lambda w: ["train", *TRAIN, "--path", w / "t.txt",
                                                "--bptt-truncate", -2, "--out", w / "new"],
                                     ["--bptt-truncate", "-2 is less than -1"]),
}


@pytest.mark.parametrize("case", sorted(OPTION_CASES))
def test_options_that_cannot_be_met(case, tmp, capsys):
    (tmp / "empty.txt").write_text("\n \n")
    argv, needles = OPTION_CASES[case]
    refused(capsys, lambda: rnnlm_cmd(*argv(tmp)), *needles, folder=tmp)


def test_generate_gives_up_with_the_options_named(w):
    """The 1000-tries give-up was a RuntimeError traceback; reachable with valid options."""
    from rnnlm.generate import generate_sentence
    from rnnlm.registry import load_language_model
    scorer = load_language_model(str(_run_ckpt(w)))
    with pytest.raises(cli.OptionError, match="--min-length 60 .. --max-length 60"):
        generate_sentence(scorer, 60, 60, np.random.RandomState(0), max_tries=3)


# ----------------------------------------------------------------- outputs never over inputs
def test_import_npz_never_replaces_a_checkpoint_or_its_input(tmp, capsys):
    """`import-npz -o` over a trained checkpoint (or over its own npz) replaced it, exit 0."""
    for out, needle in ((_run_ckpt(tmp), "exists already"), (tmp / "tut.npz", "own input"),
                        (tmp / "vocab.txt", "own input")):
        refused(capsys, lambda: rnnlm_cmd("import-npz", tmp / "tut.npz", "--vocab",
                                          tmp / "vocab.txt", "-o", out), str(out), needle,
                folder=tmp)
    assert rnnlm_cmd("import-npz", tmp / "tut.npz", "--vocab", tmp / "vocab.txt", "-o",
                     tmp / "new.npz") == 0
    assert rnnlm_cmd("score", tmp / "new.npz", "--whitespace", "the cat sat") == 0


def test_preprocess_vocab_out_never_over_its_corpus(tmp, capsys):
    refused(capsys, lambda: rnnlm_cmd("preprocess", "--corpus", "ptb", "--no-cache", "--quiet",
                                      "--path", tmp / "t.txt", "--vocab-out", tmp / "t.txt"),
            "t.txt", "--vocab-out", "own input", folder=tmp)


TUTORIAL_NPZ = {  # name -> (arrays changed, needles)
    "W of another hidden size": ({"W": np.zeros((3, 3))}, ["'W' has shape (3, 3)", "(4, 4)"]),
    "V of another vocabulary": ({"V": np.zeros((5, 4))}, ["'V' has shape (5, 4)"]),
    "U for another vocabulary": ({"U": np.zeros((4, 3))}, ["vocab.txt: 12 words", "word_dim 3"]),
}


@pytest.mark.parametrize("case", sorted(TUTORIAL_NPZ))
def test_import_npz_of_inconsistent_shapes(case, tmp, capsys):
    """A tutorial npz whose W did not fit U was wrapped into a checkpoint that cannot run."""
    change, needles = TUTORIAL_NPZ[case]
    with np.load(tmp / "tut.npz") as z:
        np.savez(tmp / "bad.npz", **dict({k: z[k] for k in z.files}, **change))
    refused(capsys, lambda: rnnlm_cmd("import-npz", tmp / "bad.npz", "--vocab", tmp / "vocab.txt",
                                      "-o", tmp / "out.npz"), *needles, folder=tmp)


# ----------------------------------------------------------------- checkpoints
CKPT_CASES = {  # name -> (checkpoint (relative to w), damage, command, needles)
    "score wrong shape": ("run/checkpoint.npz", _set(U=np.zeros((2, 2))), "score",
                          ["'U' has shape (2, 2)", "(4, 12)"]),
    "generate wrong shape": ("run/checkpoint.npz", _set(W=np.zeros((2, 2))), "generate",
                             ["'W' has shape (2, 2)"]),
    "score missing array": ("run/checkpoint.npz", _drop("U"), "score", ["'U' is missing"]),
    "score no vocabulary": ("run/checkpoint.npz", _drop_state("index_to_word"), "score",
                            ["lacks index_to_word"]),
    "score no end token": ("run/checkpoint.npz",
                           lambda a, s: (a, dict(s, index_to_word=[w if w != "SENTENCE_END"
                                                                   else "x" for w in
                                                                   s["index_to_word"]])),
                           "score", ["lacks SENTENCE_END"]),
    "score lstm wrong shape": ("lstm.npz", _set(kernel_0=np.zeros((4, 4))), "score",
                               ["'kernel_0' has shape (4, 4)", "(4, 8)"]),
    "ptb-eval wrong shape": ("lstm.npz", _set(softmax_b=np.zeros(3)), "ptb-eval",
                             ["'softmax_b' has shape (3,)"]),
    "ptb-eval no config": ("lstm.npz", _drop_state("config"), "ptb-eval", ["lacks config"]),
    "score class-rnn wrong shape": ("rr/checkpoint.npz", _set(C1=np.zeros((2, 4))), "score",
                                    ["'C1' has shape (2, 4)", "(3, 4)"]),
    "resume train wrong shape": ("run/checkpoint.npz", _set(V=np.zeros((12, 3))), "train",
                                 ["'V' has shape (12, 3)"]),
    "resume train other model": ("run/checkpoint.npz",
                                 lambda a, s: (a, dict(s, model_type="gru-theano")), "train",
                                 ["a gru-theano checkpoint, not rnn-numpy"]),
    "resume train other options": ("run/checkpoint.npz",   # TrainOptions are in the identity
                                   lambda a, s: (a, dict(s, identity=dict(s["identity"],
                                                                          shuffle=True))),
                                   "train", ["other settings", "shuffle True -> False"]),
    "resume ptb-rnnlm wrong shape": ("rr/checkpoint.npz", _set(backup_W=np.zeros((4, 3))),
                                     "ptb-rnnlm", ["'backup_W' has shape (4, 3)"]),
    "resume ptb-rnnlm no schedule": ("rr/checkpoint.npz", _drop_state("schedule"), "ptb-rnnlm",
                                     ["lacks schedule"]),
    "resume ptb-rnnlm npy": ("rr/checkpoint.npz", None, "ptb-rnnlm", ["single .npy array"]),
}


def _ckpt_command(command, w, path):
    return {"score": ["score", path, "--whitespace", "the cat sat"],
            "generate": ["generate", path, "-n", 1, "--min-length", 1],
            "ptb-eval": ["ptb-eval", path, "--data-dir", w / "ptb"],
            "train": ["train", *TRAIN, "--path", w / "t.txt", "--epochs", 2, "--out",
                      w / "run", "--resume"],
            "ptb-rnnlm": ["ptb-rnnlm", *RNNLM, "--epochs", 2, "--data-dir", w / "ptb",
                          "--out", w / "rr", "--resume"]}[command]


@pytest.mark.parametrize("case", sorted(CKPT_CASES))
def test_malformed_checkpoints(case, tmp, capsys):
    """Wrong-shape arrays gave tracebacks deep in the model (`shapes (4,4) and (2,) not
    aligned`); now one line naming the file and the array, before any work."""
    name, damage, command, needles = CKPT_CASES[case]
    path = tmp / name
    if damage is None:
        with open(path, "wb") as f:
            np.save(f, np.zeros(3))
    else:
        rewrite(path, damage)
    refused(capsys, lambda: rnnlm_cmd(*_ckpt_command(command, tmp, path)), str(path), *needles,
            folder=tmp)


def test_resume_ptb_lstm_with_a_wrong_shape(tmp, capsys):
    """--resume of a PTB LSTM whose checkpoint (its identity intact) holds a wrong shape."""
    from rnnlm.ptb_lstm import reader
    from rnnlm.ptb_lstm.model import CONFIGS
    from rnnrepro import engine
    engine.set_floatx("float32")  # what ptb-lstm runs in (its identity holds it)
    data = reader.ptb_raw_data(str(tmp / "ptb"))
    identity = runsafe.run_identity(dict(model_type="lstm", config_name="test",
                                         config=dict(CONFIGS["test"]), seed=0),
                                    data=runsafe.fingerprint(*data), model="ptb-lstm")
    (tmp / "rl").mkdir()
    shutil.copy(tmp / "lstm.npz", tmp / "rl" / "checkpoint.npz")
    rewrite(tmp / "rl" / "checkpoint.npz",
            lambda a, s: (dict(a, bias_0=np.zeros(5)), dict(s, identity=identity)))
    refused(capsys, lambda: rnnlm_cmd("ptb-lstm", *LSTM, "--data-dir", tmp / "ptb", "--out",
                                      tmp / "rl", "--resume"), "checkpoint.npz",
            "'bias_0' has shape (5,)", folder=tmp)


# ----------------------------------------------------------------- PTB splits, before training
SPLIT_CASES = {  # name -> (split, text, command, needles)
    "lstm valid below one window": ("valid", " the cat \n", "ptb-lstm",
                                    ["ptb.valid.txt", "3 tokens", "needs 60"]),
    "lstm train below one window": ("train", " the cat sat on the mat \n" * 5, "ptb-lstm",
                                    ["ptb.train.txt", "needs 60"]),
    "lstm test no known word": ("test", " zebra quokka \n", "ptb-lstm",
                                ["ptb.test.txt", "no word of the training vocabulary"]),
    "lstm dry-run valid": ("valid", " the cat \n", "ptb-lstm --dry-run", ["ptb.valid.txt"]),
    "rnnlm test no known word": ("test", " zebra quokka \n", "ptb-rnnlm",
                                 ["ptb.test.txt", "no word of the training vocabulary"]),
    "rnnlm valid no known word": ("valid", " zebra \n zebra \n", "ptb-rnnlm",
                                  ["ptb.valid.txt", "no word of the training vocabulary"]),
    "eval split no known word": ("test", " zebra quokka \n", "ptb-eval",
                                 ["ptb.test.txt", "no word of the training vocabulary"]),
    "not UTF-8": ("train", " the cat sat \n caf\xe9 sat \n", "ptb-rnnlm",
                  ["ptb.train.txt", "not valid UTF-8", "at byte 18"]),
}


@pytest.mark.parametrize("case", sorted(SPLIT_CASES))
def test_ptb_splits_checked_before_training(case, tmp, capsys):
    """A valid split too small for one batch was found after the training epoch (lost), a test
    split with no known word divided by zero after the whole training; now both are refused
    before anything is written (no run folder)."""
    split, text, command, needles = SPLIT_CASES[case]
    path = tmp / "ptb" / f"ptb.{split}.txt"
    path.write_bytes(text.encode("latin-1"))
    argv = {"ptb-lstm": ["ptb-lstm", *LSTM], "ptb-rnnlm": ["ptb-rnnlm", *RNNLM],
            "ptb-lstm --dry-run": ["ptb-lstm", *LSTM, "--dry-run"],
            "ptb-eval": ["ptb-eval", tmp / "lstm.npz"]}[command]
    if command != "ptb-eval":
        argv += ["--out", tmp / "new"]
    refused(capsys, lambda: rnnlm_cmd(*argv, "--data-dir", tmp / "ptb"), *needles, folder=tmp)


def test_a_byte_order_mark_is_not_a_word(tmp, capsys):
    """A UTF-8 BOM was glued to the first word ('\\ufeffthe'), in PTB files and --file."""
    from rnnlm.ptb_lstm import reader
    path = tmp / "ptb" / "ptb.train.txt"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert not [w for w in reader.ptb_raw_data(str(tmp / "ptb"))[3] if "\ufeff" in w]
    (tmp / "bom.txt").write_bytes(b"\xef\xbb\xbfthe cat sat\n")
    capsys.readouterr()
    assert rnnlm_cmd("score", _run_ckpt(tmp), "--file", tmp / "bom.txt", "--json") == 0
    assert '"oov": 0' in capsys.readouterr().out


def test_non_utf8_text_names_the_file(tmp, capsys):
    (tmp / "latin.txt").write_bytes(b"caf\xe9 sat\n")
    for argv in (["train", *TRAIN, "--path", tmp / "latin.txt", "--epochs", 1, "--out",
                  tmp / "new"], ["score", _run_ckpt(tmp), "--file", tmp / "latin.txt"],
                 ["import-npz", tmp / "tut.npz", "--vocab", tmp / "latin.txt", "-o",
                  tmp / "x.npz"]):
        refused(capsys, lambda: rnnlm_cmd(*argv), "latin.txt: not valid UTF-8", "at byte 3",
                folder=tmp)


# ----------------------------------------------------------------- run folders (shared claim)
def test_ptb_rnnlm_resume_without_its_checkpoint(tmp, capsys):
    os.remove(tmp / "rr" / "checkpoint.npz")
    refused(capsys, lambda: rnnlm_cmd("ptb-rnnlm", *RNNLM, "--data-dir", tmp / "ptb", "--out",
                                      tmp / "rr", "--resume"), "checkpoint.npz is gone",
            folder=tmp)


def test_failed_overwrite_leaves_the_old_run_whole(tmp, capsys):
    """--overwrite whose new run is refused (a valid split with no known word) keeps the old
    run byte for byte."""
    (tmp / "ptb" / "ptb.valid.txt").write_text(" zebra \n")
    refused(capsys, lambda: rnnlm_cmd("ptb-rnnlm", *RNNLM, "--data-dir", tmp / "ptb", "--out",
                                      tmp / "rr", "--overwrite"), "ptb.valid.txt",
            folder=tmp / "rr")


# ----------------------------------------------------------------- writes
def test_full_disk_at_vocab_out_names_the_file(tmp, capsys, monkeypatch):
    def enospc(*a, **k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(os, "write", enospc)
    refused(capsys, lambda: rnnlm_cmd("preprocess", "--corpus", "ptb", "--no-cache", "--quiet",
                                      "--path", tmp / "t.txt", "--vocab-out", tmp / "v.txt"),
            f"{tmp / 'v.txt'}: No space left on device", folder=tmp)


def test_unwritable_cache_warning_is_one_stderr_line_naming_it(tmp, capsys, monkeypatch):
    """The cache warning went to stdout and named the path twice; now files.optional_write."""
    monkeypatch.setattr(checkpoint, "save", lambda path, *a: (_ for _ in ()).throw(
        checkpoint.CheckpointWriteError(f"{path}: cannot write the checkpoint (No space left "
                                        f"on device)")))
    capsys.readouterr()
    assert rnnlm_cmd("preprocess", "--corpus", "ptb", "--path", tmp / "t.txt", "--quiet",
                     "--cache-dir", tmp / "cache") == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("warning: the corpus cache not written ("), err
    assert err[0].count(str(tmp / "cache")) == 1 and "No space left on device" in err[0]


SCRIPT_CASES = {  # name -> (files, argv, needles)
    "plot_rnnlm missing log": ({}, ["plot_rnnlm.py", "a=run/log.jsonl", "-o", "p.png"],
                               ["run/log.jsonl", "not found"]),
    "plot_rnnlm log without loss": ({"run/log.jsonl": '{"num_examples_seen": 1}\n'},
                                    ["plot_rnnlm.py", "a=run/log.jsonl", "-o", "p.png"],
                                    ["run/log.jsonl", "'loss'"]),
    "plot_ptb truncated log": ({"run/log.jsonl": '{"epoch": 1, "valid_perp'},
                               ["plot_ptb.py", "a=run", "-o", "p.png"],
                               ["run/log.jsonl:1", "truncated"]),
    "plot_ptb no log": ({}, ["plot_ptb.py", "a=run", "-o", "p.png"], ["run/log.jsonl"]),
    "bench_rnnlm negative size": ({}, ["bench_rnnlm.py", "--H", "-1"], ["--H", "less than 1"]),
}


@pytest.mark.parametrize("case", sorted(SCRIPT_CASES))
def test_rnnlm_scripts_one_line(case, tmp_path):
    script_refused(tmp_path, *SCRIPT_CASES[case])
