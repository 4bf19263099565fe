"""``rnnrepro.runfolder.RunFolder``: the run-folder object every trainer uses."""
import numpy as np
import pytest

from rnnrepro import checkpoint, runsafe
from rnnrepro.runfolder import RunFolder


def _save_run(folder, identity, epoch=1):
    with RunFolder(str(folder)) as run:
        assert run.restore(identity) is None
        run.log.write({"epoch": epoch})
        run.save({"W": np.ones((2, 3))}, {"epoch": epoch})


def test_fresh_run_has_nothing_to_restore_and_saves_identity(tmp_path):
    _save_run(tmp_path / "r", {"lr": 0.1})
    arrays, state = checkpoint.load(str(tmp_path / "r" / "checkpoint.npz"))
    assert state == {"epoch": 1, "identity": {"lr": 0.1}}
    assert arrays["W"].shape == (2, 3)


def test_a_run_there_is_refused_without_resume_or_overwrite(tmp_path):
    _save_run(tmp_path / "r", {"lr": 0.1})
    with pytest.raises(runsafe.RunError, match="holds a run already"):
        with RunFolder(str(tmp_path / "r")):
            pass


def test_resume_returns_the_checkpoint_after_every_check(tmp_path):
    _save_run(tmp_path / "r", {"lr": 0.1})
    seen = []
    with RunFolder(str(tmp_path / "r"), resume=True) as run:
        arrays, state = run.restore({"lr": 0.1}, expect={"W": (2, 3)}, state_keys=("epoch",),
                                    check=lambda a, s: seen.append(s["epoch"]))
        assert seen == [1] and state["epoch"] == 1
        assert run.log.records() == [{"epoch": 1}]   # restore keeps the log for the trainer


@pytest.mark.parametrize("identity, expect, keys, match", [
    ({"lr": 0.2}, None, (), "other settings"),
    ({"lr": 0.1}, {"W": (2, 4)}, (), "has shape"),
    ({"lr": 0.1}, {"V": None}, (), "'V' is missing"),
    ({"lr": 0.1}, None, ("schedule",), "lacks schedule"),
])
def test_resume_refuses_another_run(tmp_path, identity, expect, keys, match):
    _save_run(tmp_path / "r", {"lr": 0.1})
    with pytest.raises((runsafe.RunError, checkpoint.CheckpointError), match=match):
        with RunFolder(str(tmp_path / "r"), resume=True) as run:
            run.restore(identity, expect=expect, state_keys=keys)


def test_the_trainers_check_runs_before_the_identity(tmp_path):
    _save_run(tmp_path / "r", {"lr": 0.1})

    def not_mine(arrays, state):
        raise checkpoint.CheckpointError("not this kind")
    with pytest.raises(checkpoint.CheckpointError, match="not this kind"):
        with RunFolder(str(tmp_path / "r"), resume=True) as run:
            run.restore({"lr": 0.2}, check=not_mine)


def test_resume_without_a_checkpoint_starts_a_clean_log(tmp_path):
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "log.jsonl").write_text('{"epoch": 0}\n')
    with RunFolder(str(folder), resume=True) as run:
        assert run.restore({}) is None
        assert run.log.records() == []


def test_a_failed_overwrite_puts_the_old_run_back(tmp_path):
    _save_run(tmp_path / "r", {"lr": 0.1})
    old = (tmp_path / "r" / "checkpoint.npz").read_bytes()
    with pytest.raises(ValueError):
        with RunFolder(str(tmp_path / "r"), overwrite=True) as run:
            run.restore({"lr": 0.3})
            raise ValueError("the new run failed before its first checkpoint")
    assert (tmp_path / "r" / "checkpoint.npz").read_bytes() == old


def test_a_run_failing_before_it_writes_anything_leaves_no_folder(tmp_path):
    with pytest.raises(ValueError):
        with RunFolder(str(tmp_path / "new")):
            raise ValueError("the data could not be read")
    assert not (tmp_path / "new").exists()
