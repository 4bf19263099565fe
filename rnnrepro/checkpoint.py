"""Atomic checkpoints: named arrays plus a JSON state in one ``.npz``.

Written to a temporary file in the same folder, flushed to disk, then renamed over the old
one (``os.replace`` is atomic on POSIX), then the folder is flushed too: a run killed at any
moment leaves either the previous checkpoint or the new one, never a torn file (and at most an
orphan ``.ckpt-*.npz``, which ``rnnrepro.runsafe.claim`` removes when the next run starts).
Checkpoints are mode 0644 (``mkstemp`` creates 0600). A failed write (full or read-only disk)
is a ``CheckpointError`` naming the file and the OS error.
"""
import json
import os
import tempfile
import zipfile

import numpy as np

STATE_KEY = "__state__"
MODE = 0o644


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
    try:
        fd, tmp = tempfile.mkstemp(prefix=".ckpt-", suffix=".npz", dir=folder)
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot write the checkpoint ({_reason(exc)})") from exc
    try:
        os.fchmod(fd, MODE)
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(folder)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.remove(tmp)
        os_error = _os_error(exc)
        if os_error is not None:
            raise CheckpointError(f"{path}: cannot write the checkpoint "
                                  f"({_reason(os_error)})") from exc
        raise


def _os_error(exc):
    """The OSError behind ``exc`` (zipfile turns ENOSPC into 'seek of closed file')."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, OSError):
            return exc
        seen.add(id(exc))
        exc = exc.__context__ or exc.__cause__
    return None


def _reason(exc):
    return exc.strerror or str(exc)


def _fsync_dir(folder):
    """Make the rename durable (POSIX: fsync the directory); skipped where unsupported."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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
