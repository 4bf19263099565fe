"""Atomic checkpoints: named arrays plus a JSON state in one ``.npz``.

Written to a temporary file in the same folder, flushed to disk, then renamed over the old
one (``os.replace`` is atomic on POSIX), then the folder is flushed too: a run killed at any
moment leaves either the previous checkpoint or the new one, never a torn file (and at most an
orphan ``.ckpt-*.npz``, which ``rnnrepro.runsafe.claim`` removes when the next run starts).
Checkpoints are mode 0644 (``mkstemp`` creates 0600). A failed write (full or read-only disk)
is a ``CheckpointError`` naming the file and the OS error, and nothing else is printed (the
half-written zip archive numpy leaves behind would complain again when collected).

``load`` checks what it read against what the caller needs (``expect``: array names and
shapes; ``state_keys``): a file that is not a checkpoint, lacks an array or its state, or holds
arrays of the wrong shape is a ``CheckpointError`` naming the file and what is wrong.
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


class CheckpointWriteError(CheckpointError, OSError):
    """A checkpoint that could not be written (full or read-only disk): an OSError too, so
    code that treats a file as optional (a cache) and catches OSError goes on without it."""


# called with the path of every checkpoint written (``rnnrepro.runsafe.claim`` uses it to
# finish an --overwrite at the new run's first checkpoint)
AFTER_SAVE = []


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
        raise CheckpointWriteError(f"{path}: cannot write the checkpoint ({_reason(exc)})") from exc
    try:
        os.fchmod(fd, MODE)
        with os.fdopen(fd, "wb") as f:
            g = _Guarded(f)
            np.savez(g, **payload)
            g.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(folder)
        for hook in AFTER_SAVE:
            hook(path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.remove(tmp)
        os_error = _os_error(exc)
        if os_error is not None:
            raise CheckpointWriteError(f"{path}: cannot write the checkpoint "
                                       f"({_reason(os_error)})") from exc
        raise


class _Guarded:
    """A file for ``np.savez`` that stays quiet after its first failed write: the zip archive
    that write leaves unfinished is closed when collected and would write (and fail) again,
    printing a second traceback ("Exception ignored in ZipFile.__del__")."""

    def __init__(self, f):
        self.f, self.failed = f, None

    def _call(self, name, *args, quiet=None):
        if self.failed is not None:
            return quiet
        try:
            return getattr(self.f, name)(*args)
        except (OSError, ValueError) as exc:
            self.failed = exc
            raise

    def write(self, b):
        return self._call("write", b, quiet=len(b))

    def flush(self):
        return self._call("flush")

    def seek(self, *args):
        return self._call("seek", *args, quiet=0)

    def tell(self):
        return self._call("tell", quiet=0)

    def seekable(self):
        return True

    def read(self, *args):  # numpy takes an object with ``read`` for a file, not a path
        raise OSError("write-only")

    def close(self):
        pass  # the caller closes the real file


def in_chain(exc, kind):
    """The first exception of type ``kind`` in ``exc``'s chain (itself, then what it was
    raised during or from), or None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, kind):
            return exc
        seen.add(id(exc))
        exc = exc.__context__ or exc.__cause__
    return None


def _os_error(exc):
    """The OSError behind ``exc`` (zipfile turns ENOSPC into 'seek of closed file')."""
    return in_chain(exc, OSError)


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


def load(path, expect=None, state_keys=()):
    """Read a checkpoint written by ``save``: returns ``(arrays, state)``.

    ``expect`` maps array names to the shapes the caller needs (a shape of None: any shape;
    a None in a shape: any length on that axis); ``state_keys`` are the keys its state must
    hold. Anything else is a ``CheckpointError`` naming the file and what is wrong."""
    if not os.path.exists(path):
        raise CheckpointError(f"{path}: no checkpoint here")
    try:
        with open(path, "rb") as f:
            magic = f.read(6)
        if magic.startswith(b"\x93NUMPY"):
            raise CheckpointError(f"{path}: a single .npy array, not a checkpoint (.npz with "
                                  f"named arrays and a state record)")
        with np.load(path, allow_pickle=False) as z:
            if not isinstance(z, np.lib.npyio.NpzFile):
                raise CheckpointError(f"{path}: not an .npz checkpoint")
            arrays = {k: z[k] for k in z.files if k != STATE_KEY}
            if STATE_KEY not in z.files:
                raise CheckpointError(f"{path}: not an rnn-repro checkpoint (no state record)")
            state = json.loads(z[STATE_KEY].tobytes().decode("utf-8"))
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise CheckpointError(f"{path}: unreadable checkpoint ({exc})") from exc
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: unreadable checkpoint (its state is a "
                              f"{type(state).__name__}, not a record)")
    check_contents(path, arrays, state, expect, state_keys)
    return arrays, state


def check_contents(path, arrays, state, expect=None, state_keys=()):
    """The checks of ``load`` (see there), for arrays and a state read otherwise."""
    missing = [k for k in state_keys if k not in state]
    if missing:
        raise CheckpointError(f"{path}: its state lacks {', '.join(missing)}; not a checkpoint "
                              f"of this command (or written by another version)")
    for name, shape in (expect or {}).items():
        if name not in arrays:
            raise CheckpointError(f"{path}: array {name!r} is missing")
        have = np.shape(arrays[name])
        if shape is not None and (len(have) != len(shape) or any(
                want is not None and want != got for want, got in zip(shape, have))):
            want = "(" + ", ".join("any" if w is None else str(w) for w in shape) + \
                (",)" if len(shape) == 1 else ")")
            raise CheckpointError(f"{path}: array {name!r} has shape {have}, this "
                                  f"configuration needs {want}")


def check_finite(path, arrays, what="model"):
    """Raise ``CheckpointError`` unless every float array of ``arrays`` (name -> array; or one
    array) is finite: a diverged model gives NaN scores, arbitrary samples or neighbours."""
    items = arrays.items() if isinstance(arrays, dict) else [(None, arrays)]
    for name, a in sorted(items, key=lambda kv: str(kv[0])):
        a = np.asarray(a)
        if a.dtype.kind in "fc" and not np.all(np.isfinite(a)):
            bad = "NaN" if np.isnan(a).any() else "infinity"
            label = f"array {name!r}" if name is not None else "it"
            raise CheckpointError(f"{path}: {label} holds {bad}: a diverged {what}, not used "
                                  f"(train again with a smaller learning rate)")
