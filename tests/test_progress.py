"""Progress of the trainers (``rnnrepro.runlog.progress``): on a terminal a bar with the time left
in the epoch and in the run; elsewhere (nohup, batch jobs) a plain line on stderr once a minute
while work goes on, never more often; nothing when quiet. A fake clock drives the time."""
import io

import pytest

from rnnrepro import runlog


@pytest.fixture
def fake_clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(runlog, "clock", lambda: now[0])
    return now


def _drive(bar, now, items, seconds_each):
    out = []
    for _ in bar if items is None else range(items):
        now[0] += seconds_each
        if items is not None:
            bar.update(1)
        out.append(None)
    return out


def test_plain_line_once_a_minute_and_no_more_often(fake_clock, capsys):
    bar = runlog.progress(range(250), desc="epoch 0", unit="sent", run=(0, 3))
    assert isinstance(bar, runlog.PlainProgress)   # captured stderr is no terminal
    _drive(bar, fake_clock, None, 1.0)             # 250 items, one second each
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 4                          # at 60, 120, 180 and 240 s
    first = lines[0]
    assert first.startswith("epoch 0: 6") and "/250 sent (" in first
    assert "1.0 sent/s" in first
    # 250 items at 1/s: epoch left = 250 - n seconds; the run's 2 later epochs add 500 s
    n = int(first.split(":")[1].split("/")[0])
    assert f"epoch left {runlog.format_seconds(250 - n)}" in first
    assert f"run 1/3 left {runlog.format_seconds(250 - n + 500)}" in first


def test_no_plain_line_within_the_first_minute(fake_clock, capsys):
    bar = runlog.progress(None, total=100, desc="iter 1", unit="w")
    _drive(bar, fake_clock, 100, 0.59)              # 59 s in all
    bar.close()
    assert capsys.readouterr().err == ""


def test_quiet_prints_nothing(fake_clock, capsys):
    bar = runlog.progress(range(200), desc="epoch 0", quiet=True, run=(0, 2))
    _drive(bar, fake_clock, None, 1.0)
    assert capsys.readouterr().err == ""


def test_plain_rate_leaves_out_a_resumed_epochs_start(fake_clock, capsys):
    """``ptb-lstm --resume`` mid-epoch: ``update(done)`` first; the rate counts what is done
    after it (3 windows a second here, not 1000 windows in no time)."""
    bar = runlog.progress(None, total=5000, desc="epoch 2", unit="win", run=(1, 13))
    bar.update(1000)
    _drive(bar, fake_clock, 200, 1 / 3)
    assert "3.0 win/s" in capsys.readouterr().err


def test_time_left_in_the_epoch_and_the_run():
    assert runlog.time_left(50, 100, 10.0) == (5.0, None)
    assert runlog.time_left(50, 100, 10.0, run=(1, 4)) == (5.0, 25.0)   # 5 + 2 epochs x 10 s
    assert runlog.time_left(100, 100, 10.0, run=(3, 4)) == (0.0, 0.0)   # the last epoch, done
    assert runlog.time_left(0, 100, None, run=(0, 4)) == (None, None)   # no rate yet


def test_terminal_bar_shows_the_runs_time_left():
    bar = runlog._Bar(None, total=100, desc="epoch 1", unit="sent", run=(1, 5),
                      file=io.StringIO(), smoothing=0)
    bar.start_t -= 100          # 20 sentences in 100 s: 80 s x 5 left in this epoch, then
    bar.update(20)              # 3 later epochs of 500 s: 1900 s in all
    text = str(bar)
    assert "run 2/5 left 31:40" in text and "<06:40" in text, text
    bar.close()


# -- the trainers and commands use it --------------------------------------------------------------
def test_wildml_trainer_gives_each_epoch_its_place_in_the_run(monkeypatch):
    """The per-sentence trainer hands ``progress`` (epoch, epochs in the run), so the bar and
    the plain line can say the run's time left."""
    import numpy as np
    from rnnlm.wildml.rnn_numpy import RNNNumpy
    from rnnlm.wildml.train import train_with_sgd
    from helpers import tiny_corpus
    seen = []
    real = runlog.progress

    def spy(iterable, **kw):
        seen.append(kw.get("run"))
        return real(iterable, **kw)
    monkeypatch.setattr(runlog, "progress", spy)
    c = tiny_corpus()
    np.random.seed(10)
    train_with_sgd(RNNNumpy(c.vocabulary_size, 8), c.X_train, c.y_train, learning_rate=0.05,
                   nepoch=3, evaluate_loss_after=1)
    assert seen == [(0, 3), (1, 3), (2, 3)]


def test_notice_speaks_only_when_the_work_is_slow(monkeypatch, capsys):
    """A quick command (or a refusal found at once) prints nothing more; a slow one says what
    it is doing once ``NOTICE_AFTER`` seconds have passed."""
    import time
    monkeypatch.setattr(runlog, "NOTICE_AFTER", 0.05)
    with runlog.notice("quick"):
        pass
    with runlog.notice("slow work..."):
        time.sleep(0.5)
    assert capsys.readouterr().err == "slow work...\n"


def test_generate_and_score_say_what_they_do(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(runlog, "NOTICE_AFTER", 0)   # at once: the tiny model is quick
    import numpy as np
    from rnnlm.cli import main
    from rnnlm.wildml.rnn_numpy import RNNNumpy
    from rnnlm.wildml.train import TrainOptions, TrainRun, train_with_sgd
    from rnnrepro.runfolder import RunFolder
    from helpers import tiny_corpus
    c = tiny_corpus()
    np.random.seed(10)
    path = str(tmp_path / "checkpoint.npz")
    with RunFolder(str(tmp_path)) as folder:
        train_with_sgd(RNNNumpy(c.vocabulary_size, 8), c.X_train, c.y_train, learning_rate=0.05,
                       nepoch=1, evaluate_loss_after=1, options=TrainOptions(quiet=True),
                       run=TrainRun(folder, state=c.vocab_state()))
    capsys.readouterr()
    assert main(["generate", path, "-n", "2", "--min-length", "2", "--seed", "1"]) == 0
    err = capsys.readouterr().err
    assert f"sampling 2 sentence(s) from {path}" in err
    assert main(["score", path, "the cat sat", "--whitespace"]) == 0
    err = capsys.readouterr().err
    assert f"scoring 1 sentence(s) with {path}" in err
