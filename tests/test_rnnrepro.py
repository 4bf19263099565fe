"""The shared pieces: atomic checkpoints, the JSONL log, engine selection."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from rnnrepro import checkpoint, engine
from rnnrepro.runlog import JsonlLog


def test_checkpoint_roundtrip(tmp_path):
    p = str(tmp_path / "c.npz")
    checkpoint.save(p, {"a": np.arange(3.0), "b": np.eye(2, dtype="float32")},
                    {"epoch": 2, "best": -np.inf, "order": [2, 0, 1]})
    arrays, state = checkpoint.load(p)
    assert arrays["b"].dtype == np.float32 and (arrays["a"] == [0, 1, 2]).all()
    assert state == {"epoch": 2, "best": -np.inf, "order": [2, 0, 1]}


def test_failed_save_keeps_the_previous_checkpoint(tmp_path):
    p = str(tmp_path / "c.npz")
    checkpoint.save(p, {"a": np.zeros(2)}, {"epoch": 1})
    with pytest.raises(TypeError):
        checkpoint.save(p, {"a": np.ones(2)}, {"epoch": object()})  # not JSON-able
    arrays, state = checkpoint.load(p)
    assert state == {"epoch": 1} and (arrays["a"] == 0).all()
    assert os.listdir(tmp_path) == ["c.npz"]  # no temporary file left behind


def test_torn_checkpoint_is_a_clear_error(tmp_path):
    p = tmp_path / "c.npz"
    p.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(checkpoint.CheckpointError, match=r"c\.npz: unreadable checkpoint"):
        checkpoint.load(str(p))


def test_jsonl_log_partial_line_and_truncate(tmp_path, capsys):
    log = JsonlLog(str(tmp_path / "log.jsonl"))
    for e in range(4):
        log.write({"epoch": e})
    with open(log.path, "a") as f:
        f.write('{"epoch": 4, "lo')          # a run killed mid-write
    assert [r["epoch"] for r in log.records()] == [0, 1, 2, 3]
    assert "partial record" in capsys.readouterr().err
    log.truncate_after(1)
    assert [json.loads(l)["epoch"] for l in open(log.path)] == [0, 1]


def test_engine_selection_and_floatx():
    requested = os.environ.get("RNN_ENGINE", "aesara")
    # aesara missing (Python >= 3.12): PyTensor, and the reason is recorded
    assert engine.NAME == requested or (requested == "aesara" and engine.NAME == "pytensor"
                                        and "aesara" in engine.FALLBACK)
    old = engine.floatx()
    engine.set_floatx("float32")
    assert engine.shared(np.zeros(2, "float32")).dtype == "float32" and engine.asfloat([1]).dtype == np.float32
    engine.set_floatx(old)
    with pytest.raises(ValueError):
        engine.set_floatx("float16")


def test_unknown_engine_is_a_clear_error():
    out = subprocess.run([sys.executable, "-c", "import rnnrepro.engine"], capture_output=True,
                         text=True, env=dict(os.environ, RNN_ENGINE="theano"))
    assert out.returncode != 0 and "RNN_ENGINE='theano'" in out.stderr


def test_results_records_table_and_figures(tmp_path):
    from rnnrepro import results
    rec = dict(id="x", package="pkg", what="thing", metric="ppl", value=114.866, published=115.91,
               published_source="paper", label="full", command="cmd --a", commit="abc",
               data="d", hardware="h", engine="aesara", floatX="float32")
    with pytest.raises(ValueError, match="lacks"):
        results.write_record(str(tmp_path / "bad"), {"id": "bad"})
    results.write_record(str(tmp_path / "x"), rec)
    assert not os.path.exists(tmp_path / "x" / "run.json.tmp")
    (tmp_path / "curve.png").write_bytes(b"\x89PNG")
    md = results.results_markdown(str(tmp_path))
    assert "| thing | ppl | 114.87 | 115.91 | paper | full |" in md
    assert "`cmd --a` — commit abc" in md and "![curve.png](curve.png)" in md
