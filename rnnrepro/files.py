"""Reading and writing the files a user gives or a run keeps, with errors that name the file.

- ``read_text``: UTF-8 text; a byte-order mark is dropped (never glued to the first word); a
  file that is not UTF-8 is an ``InputError`` naming the file and the byte.
- ``read_json``/``read_jsonl``: a record that is truncated, not JSON, not an object, or lacks
  a field the caller needs (``require``) is an ``InputError`` naming the file (and line); with
  ``finite=True`` a ``NaN`` or ``Infinity`` (which Python's json reads, though JSON has none)
  is one too, naming the field.
- ``read_vocabulary``: one word per line; a blank line or a word listed twice is an
  ``InputError`` naming the file and line (a dropped line would shift every later word).
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


class _NonFinite(float):
    """A ``NaN``/``Infinity`` constant read by ``_loads(finite=True)`` (``literal``: how the
    file spells it), found afterwards by ``_non_finite_field`` to name its field."""

    def __new__(cls, literal):
        obj = super().__new__(cls, literal)
        obj.literal = literal
        return obj


def _non_finite_field(obj, where=""):
    """``(path, literal)`` of the first ``_NonFinite`` in ``obj`` (path like ``a.b[2]``),
    or None."""
    if isinstance(obj, _NonFinite):
        return where or "the value", obj.literal
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) \
        if isinstance(obj, list) else ()
    for k, v in items:
        sub = f"{where}[{k}]" if isinstance(k, int) else (f"{where}.{k}" if where else str(k))
        found = _non_finite_field(v, sub)
        if found:
            return found
    return None


def _loads(path, text, finite, line=None):
    try:
        obj = json.loads(text, parse_constant=_NonFinite if finite else None)
    except json.JSONDecodeError as exc:
        raise _json_error(path, exc, line) from None
    found = _non_finite_field(obj) if finite else None
    if found:
        where = f"{path}:{line}" if line is not None else str(path)
        raise InputError(f"{where}: field {found[0]!r} is {found[1]}, not a finite number")
    return obj


def read_json(path, what="record", require=(), finite=False):
    """The JSON object in ``path``, with at least the keys ``require`` (``finite``: no NaN
    or Infinity anywhere)."""
    obj = _loads(path, read_text(path, what), finite)
    return _check_object(path, obj, require)


def read_jsonl(path, what="record file", require=(), finite=False):
    """The JSON objects of ``path``, one per non-empty line, each with the keys ``require``
    (``finite``: no NaN or Infinity anywhere)."""
    out = []
    for n, line in enumerate(read_text(path, what).splitlines(), 1):
        if not line.strip():
            continue
        out.append(_check_object(path, _loads(path, line, finite, n), require, n))
    return out


def read_vocabulary(path, what="vocabulary file"):
    """The words of a vocabulary file, one per line in index order (index_to_word). A blank
    line or a word listed twice is an ``InputError`` naming the file and line: dropping the
    blank line would shift every later word by one row, and a second row for a word would
    never be read. Trailing blank lines (a final newline, an editor's extra one) end the file."""
    # lines end at \n, \r\n or \r only (``str.splitlines`` would also split a word at
    # U+2028 or U+0085, which a vocabulary built from web text can hold)
    lines = [w.rstrip("\r\n") for w in io.StringIO(read_text(path, what), newline=None)]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise InputError(f"{path}: the {what} is empty")
    seen = {}
    for n, word in enumerate(lines, 1):
        if not word.strip():
            raise InputError(f"{path}:{n}: blank line in the {what} (one word per line; a "
                             f"missing word would shift every later word by one)")
        if word in seen:
            raise InputError(f"{path}:{n}: {word!r} is listed twice (first on line "
                             f"{seen[word]})")
        seen[word] = n
    return lines


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
