"""Reading and writing the files a user gives or a run keeps, with errors that name the file.

- ``read_text``: UTF-8 text; a byte-order mark is dropped (never glued to the first word); a
  file that is not UTF-8 is an ``InputError`` naming the file and the byte.
- ``read_json``/``read_jsonl``: a record that is truncated, not JSON, not an object, or lacks
  a field the caller needs (``require``) is an ``InputError`` naming the file (and line).
- ``write_text``/``write_bytes``/``save_npy``: atomic (temporary file in the same folder,
  flush, fsync, rename), so a failed write leaves the previous file whole; a failed write is
  an ``OSError`` that names the file with its reason ("No space left on device"), which
  ``rnnrepro.cli`` prints as one line. (``ndarray.tofile``, which ``np.save`` uses, reports a
  full disk as "70000 requested and 26608 written", naming neither the file nor the reason.)
- ``optional_write``: for files a run can do without (a cache): a failure is a warning.
"""
import contextlib
import errno
import io
import json
import os
import sys
import tempfile

import numpy as np

BOM = "\ufeff"


class InputError(ValueError):
    """A file the user gave (or a run left) cannot be used; the message names the file."""


@contextlib.contextmanager
def naming(path):
    """Re-raise an ``OSError`` raised inside with ``path`` as its file name (a failed
    ``write``/``flush``/``close`` carries no file name of its own)."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None or exc.errno is None:
            raise
        raise OSError(exc.errno, exc.strerror or os.strerror(exc.errno), str(path)) from exc


def read_text(path, what="file"):
    """The text of ``path`` (UTF-8, a leading byte-order mark removed)."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise InputError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a {what}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start}); "
                         f"convert the {what} to UTF-8") from None
    return text[1:] if text.startswith(BOM) else text


def read_lines(path, what="text file"):
    """The non-empty lines of ``path`` (``read_text``), stripped; none at all is an
    ``InputError`` (an empty file scores or trains on nothing)."""
    lines = [line.strip() for line in read_text(path, what).splitlines() if line.strip()]
    if not lines:
        raise InputError(f"{path}: the {what} is empty (no non-blank line)")
    return lines


def check_output(path, inputs=(), overwrite=False, option="-o"):
    """Refuse to write ``path`` over one of ``inputs`` (the command reads it), or over an
    existing file unless ``overwrite`` (a trained checkpoint must not vanish silently)."""
    for src in inputs:
        if os.path.exists(path) and os.path.exists(src) and os.path.samefile(path, src):
            raise InputError(f"{path}: {option} is the command's own input {src}; write "
                             f"elsewhere")
    if os.path.exists(path) and not overwrite:
        raise InputError(f"{path}: exists already; {option} never replaces a file (remove it "
                         f"first, or choose another name)")


def _json_error(path, exc, line=None):
    where = f"{path}:{line}" if line is not None else str(path)
    truncated = exc.pos >= len(exc.doc.rstrip()) or exc.msg.startswith("Unterminated")
    why = "truncated" if truncated else "not valid JSON"
    return InputError(f"{where}: {why} ({exc.msg} at character {exc.pos})")


def check_fields(path, where, obj, require):
    """``obj`` (part ``where`` of the record in ``path``; None: the whole record) is a JSON
    object with the keys ``require``, else an ``InputError`` naming the file."""
    what = f"{path}: {where}" if where else f"{path}: the record"
    if not isinstance(obj, dict):
        raise InputError(f"{what} is a {type(obj).__name__}, not a JSON object")
    missing = [k for k in require if k not in obj]
    if missing:
        raise InputError(f"{what} lacks {', '.join(map(repr, missing))}")
    return obj


def _check_object(path, obj, require, line=None):
    return check_fields(f"{path}:{line}" if line is not None else path, None, obj, require)


def read_json(path, what="record", require=()):
    """The JSON object in ``path``, with at least the keys ``require``."""
    text = read_text(path, what)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _json_error(path, exc) from None
    return _check_object(path, obj, require)


def read_jsonl(path, what="record file", require=()):
    """The JSON objects of ``path``, one per non-empty line, each with the keys ``require``."""
    out = []
    for n, line in enumerate(read_text(path, what).splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _json_error(path, exc, n) from None
        out.append(_check_object(path, obj, require, n))
    return out


def write_bytes(path, data, mode=0o644):
    """Write ``data`` to ``path`` atomically; an OSError names ``path``."""
    folder = os.path.dirname(os.path.abspath(path))
    with naming(path):
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                                   dir=folder)
        try:
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                if n == 0:  # a short write with no error: the disk is full
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                view = view[n:]
            os.fsync(fd)
            os.close(fd)
            fd = None
            os.replace(tmp, path)
        except BaseException:
            if fd is not None:
                os.close(fd)
            with contextlib.suppress(OSError):
                os.remove(tmp)
            raise


def write_text(path, text):
    """Write ``text`` (UTF-8) to ``path`` atomically; an OSError names ``path``."""
    write_bytes(path, text.encode("utf-8"))


def write_json(path, obj, **kw):
    """``json.dumps(obj, **kw)`` written atomically to ``path``."""
    write_text(path, json.dumps(obj, **kw) + ("\n" if kw.get("indent") is None else ""))


def save_npy(path, array):
    """``np.save(path, array)``, atomically, with an OSError that names ``path``."""
    buf = io.BytesIO()
    np.save(buf, np.asarray(array), allow_pickle=False)
    # bytes, not buf.getbuffer(): a view kept alive by a failed write's traceback would make
    # the BytesIO's finalizer fail ("Existing exports of data") when collected
    write_bytes(path, buf.getvalue())


def optional_write(what, path, write, warn=None):
    """Call ``write()`` to produce an optional file (``what`` at ``path``, e.g. a cache); an
    OSError becomes a one-line warning and False, so the run goes on without it."""
    warn = warn or (lambda msg: print(msg, file=sys.stderr, flush=True))
    try:
        write()
        return True
    except OSError as exc:  # checkpoint.CheckpointWriteError is one too
        why = f"{path}: {exc.strerror}" if isinstance(exc, OSError) and exc.strerror else exc
        warn(f"warning: {what} not written ({why}); continuing without it")
        return False
