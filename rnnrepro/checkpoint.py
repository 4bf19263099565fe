"""Atomic checkpoints: named arrays plus a JSON state in one ``.npz``.

Written to a temporary file in the same folder, flushed to disk, then renamed over the old
one (``os.replace`` is atomic on POSIX): a run killed at any moment leaves either the previous
checkpoint or the new one, never a torn file.
"""
import json
import os
import tempfile
import zipfile

import numpy as np

STATE_KEY = "__state__"


class CheckpointError(RuntimeError):
    pass


def save(path, arrays, state):
    """Write ``arrays`` (name -> ndarray) and ``state`` (JSON-able dict) atomically to ``path``."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    payload = {k: np.asarray(v) for k, v in arrays.items()}
    if STATE_KEY in payload:
        raise ValueError(f"array name {STATE_KEY!r} is reserved")
    payload[STATE_KEY] = np.frombuffer(json.dumps(state).encode("utf-8"), dtype=np.uint8)
    fd, tmp = tempfile.mkstemp(prefix=".ckpt-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load(path):
    """Read a checkpoint written by ``save``: returns ``(arrays, state)``."""
    if not os.path.exists(path):
        raise CheckpointError(f"{path}: no checkpoint here")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files if k != STATE_KEY}
            if STATE_KEY not in z.files:
                raise CheckpointError(f"{path}: not an rnn-repro checkpoint (no state record)")
            state = json.loads(z[STATE_KEY].tobytes().decode("utf-8"))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise CheckpointError(f"{path}: unreadable checkpoint ({exc})") from exc
    return arrays, state
