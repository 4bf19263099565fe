"""Run safety shared by every trainer: run identity, run-folder claim, finite checks.

- ``run_identity(options, data=..., engine=...)``: what makes a run the run it is: every option
  that shapes the result (all options except ``RESUME_MAY_CHANGE``), a fingerprint of the data
  and vocabulary, and the engine, floatX and linker. Trainers store it in their checkpoint;
  ``check_resume`` refuses a ``--resume`` whose identity differs, naming each differing key.
- ``claim(folder, resume, overwrite)``: a context manager that locks the run folder (a second
  concurrent run into it is refused), removes temporary files left by a killed run, and
  refuses to start a new run over an existing one unless ``--resume`` or ``--overwrite``.
  ``--overwrite`` is atomic: the old run's files are moved aside (``ASIDE``) and deleted only
  when the new run writes its first checkpoint (or finishes); a new run that fails (or is
  killed) before that gets the old run back, whole. ``--resume`` in a folder that holds a
  run whose checkpoint is gone is refused (starting over would wipe its log and best model).
  A SIGTERM unwinds the run (``Terminated``), so this happens when the killed command ends;
  a run killed past all cleanup (SIGKILL) is put back by the next command that claims or
  reads the folder (``recover``).
- ``check_finite``: a diverging run stops with ``NonFiniteError`` before anything is written,
  so the last good checkpoint and the best model stay as they were; ``check_perplexity``: a
  finite perplexity above the vocabulary size is a diverged run too, never recorded as a
  result.

All expected failures are ``RunError`` (or ``checkpoint.CheckpointError``); ``rnnrepro.cli``
prints them as one line with exit status 2.
"""
import contextlib
import errno
import fcntl
import fnmatch
import glob
import hashlib
import json
import math
import os
import shutil
import signal
import sys
import threading

import numpy as np

from . import checkpoint
from .files import naming

# Options that may differ between a run and its ``--resume``: they change how long the run goes
# on, where and how much it writes, or where the (fingerprinted) data is read from, never what
# the run computes. Every other option is part of the run's identity. One list for all
# trainers (tests/test_run_safety.py checks each of these and a few that must be refused).
RESUME_MAY_CHANGE = frozenset({
    # how long: extend a run (--epochs)
    "nepochs", "nepoch", "max_epochs",
    # output and chatter
    "out", "out_dir", "results_dir", "verbose", "quiet", "plot", "no_test", "evaluate_at_end",
    # where the data lives (its content is fingerprinted) and the corpus cache
    "data_dir", "path", "cache_dir", "no_cache",
    # provenance and bookkeeping, and the run-control flags themselves
    "commit", "command", "argv", "func", "fn", "resume", "overwrite",
    "what", "label", "published", "published_source",
})

LOCK_NAME = ".lock"
# temporary files a killed run can leave behind: checkpoint.save, JsonlLog, results.write_record,
# rnnrepro.files
ORPHAN_PATTERNS = (".ckpt-*.npz", "*.tmp", ".*.tmp")
# where --overwrite keeps the old run until the new one has its first checkpoint; the old files
# are moved into MOVING first and the folder renamed ASIDE once all are there, and ASIDE is
# renamed DISCARD before it is deleted, so a run killed at any point of either (SIGKILL
# included) leaves a state that is undone without guessing which files are whose
ASIDE = ".overwritten"
MOVING = ".overwritten.moving"
DISCARD = ".overwritten.discard"
# the files and folders a run writes into its folder (every trainer): what --overwrite moves
# aside and what shows that a folder holds a run; anything else in the folder is left alone
RUN_FILES = ("checkpoint.npz", "log.jsonl", "config.json", "result.json", "run.json", "best",
             "best.*.txt", "current.*.txt", "curves.png", "loss.png", "ptb_curves.png",
             "*.probs.txt")


class RunError(RuntimeError):
    """An expected failure of a run (printed as one line, exit status 2)."""


class NonFiniteError(RunError):
    """Training produced NaN or infinity."""


# ----------------------------------------------------------------------------- identity
def _feed(h, obj):
    """Hash ``obj`` (arrays, lists, dicts, scalars, strings) by content, type-tagged."""
    if isinstance(obj, np.ndarray) or np.isscalar(obj) and isinstance(obj, np.generic):
        a = np.ascontiguousarray(obj)
        h.update(f"a{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    elif isinstance(obj, dict):
        h.update(b"d%d" % len(obj))
        for k in sorted(obj, key=str):
            _feed(h, str(k))
            _feed(h, obj[k])
    elif isinstance(obj, (list, tuple)):
        if obj and all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in obj):
            _feed(h, np.asarray(obj, dtype=np.int64))  # long id lists: hash as one array
            return
        h.update(b"l%d" % len(obj))
        for x in obj:
            _feed(h, x)
    else:
        h.update(f"s{type(obj).__name__}:{obj!r}".encode())


def fingerprint(*objs):
    """A short content hash of data and vocabularies (arrays, lists, dicts, strings)."""
    h = hashlib.sha256()
    for obj in objs:
        _feed(h, obj)
    return h.hexdigest()[:16]


def engine_identity(symbolic=True, model=None):
    """engine, floatX and linker of this process (``numpy`` for the numpy-only trainers);
    ``model`` names the model whose linker is meant (``rnnrepro.engine.DEFAULT_LINKERS``)."""
    if not symbolic:
        return {"engine": "numpy", "floatX": "float64", "linker": None}
    from rnnrepro import engine
    d = engine.describe(model)
    linker = d.get("linker")
    return {"engine": d["engine"], "floatX": d["floatX"], "linker": linker}


def _jsonable(obj):
    return json.loads(json.dumps(obj, sort_keys=True, default=str))


def run_identity(options, data=None, symbolic=True, ignore=(), model=None):
    """The identity of a run: ``options`` (a dict) less ``RESUME_MAY_CHANGE`` and ``ignore``,
    plus ``data`` (a fingerprint) and the engine, floatX and linker (that of ``model``)."""
    ident = {k: v for k, v in options.items()
             if k not in RESUME_MAY_CHANGE and k not in ignore and not callable(v)}
    ident.pop("floatx", None)  # the option; the resolved floatX comes from the engine
    if data is not None:
        ident["data"] = data
    ident.update(engine_identity(symbolic, model))
    return _jsonable(ident)


def identity_differences(old, new):
    """``(differences, one_sided)``: 'key old -> new' for keys in both that differ, and the
    keys present on one side only (written by another version of the code)."""
    diffs = [f"{k} {old[k]!r} -> {new[k]!r}" for k in sorted(set(old) & set(new))
             if old[k] != new[k]]
    one_sided = sorted(set(old) ^ set(new))
    return diffs, one_sided


def check_resume(path, state, identity, warn=None):
    """Refuse to resume from the checkpoint at ``path`` (its ``state``) with another identity.

    A checkpoint written before identities were stored resumes with a warning."""
    warn = warn or (lambda msg: print(msg, file=sys.stderr, flush=True))
    old = state.get("identity")
    if old is None:
        warn(f"warning: {path} predates run identities; cannot check that --resume uses the "
             f"same settings and data")
        return
    diffs, one_sided = identity_differences(old, _jsonable(identity))
    if diffs:
        raise RunError(f"{path}: --resume with other settings than the run ("
                       + "; ".join(diffs) + "); resume with the run's settings, or start a new "
                       "run (another --out, or --overwrite)")
    if one_sided:
        warn(f"warning: {path}: settings known to only one version of the code, not checked: "
             + ", ".join(one_sided))


# ----------------------------------------------------------------------------- finite
def check_finite(what, value, epoch=None, hint="try a smaller learning rate"):
    """Raise ``NonFiniteError`` unless ``value`` (a number, an array or a dict of arrays) is
    finite everywhere; the message names ``what`` and the epoch."""
    items = value.items() if isinstance(value, dict) else [(None, value)]
    for name, v in items:
        a = np.asarray(v)
        if a.dtype.kind in "fc" and not np.all(np.isfinite(a)):
            where = f" at epoch {epoch}" if epoch is not None else ""
            label = f"{what} {name}" if name is not None else what
            bad = "nan" if np.isnan(a).any() else "inf"
            raise NonFiniteError(f"training diverged{where}: {label} is {bad}; stopped, "
                                 f"nothing of this epoch saved: the last good checkpoint and "
                                 f"best model are kept ({hint})")


def check_perplexity(what, perplexity, vocabulary_size, hint="try a smaller learning rate"):
    """Raise ``NonFiniteError`` when ``perplexity`` is not finite or above the vocabulary size:
    a uniform guess over the vocabulary scores exactly its size, so a model above it has
    diverged (a toolkit run whose alpha diverged tested at 7.6e46), and its number is not a
    result to record. The message names ``what``."""
    if math.isfinite(perplexity) and perplexity <= vocabulary_size:
        return
    raise NonFiniteError(f"training diverged: {what} is {perplexity:.4g}, above the vocabulary "
                         f"size {vocabulary_size} (a uniform guess scores {vocabulary_size}); "
                         f"not recorded as a result ({hint})")


def finite_or_none(x):
    """``x`` if it is a finite number, else None (for JSON records)."""
    return x if isinstance(x, (int, float)) and math.isfinite(x) else None


# ----------------------------------------------------------------------------- run folder
def clean_orphans(folder):
    """Remove temporary files a killed run left in ``folder``; returns their names."""
    removed = []
    for pattern in ORPHAN_PATTERNS:
        for path in glob.glob(os.path.join(glob.escape(folder), pattern)):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
                removed.append(os.path.basename(path))
    return sorted(removed)


class _Lock:
    def __init__(self, folder):
        self.path = os.path.join(folder, LOCK_NAME)
        self.fd = None

    def acquire(self):
        for _ in range(10):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                raise RunError(f"{os.path.dirname(self.path)}: another run is using this folder "
                               f"(locked by {self._holder()}); wait for it to finish or use "
                               f"another --out") from None
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:  # not a lock file that its holder removed meanwhile
                try:
                    with naming(self.path):   # a full disk names the lock file
                        os.ftruncate(fd, 0)
                        if os.write(fd, f"{os.getpid()}\n".encode()) == 0:
                            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                except OSError:
                    with contextlib.suppress(OSError):
                        os.remove(self.path)   # ours, still locked: nothing is left behind
                    os.close(fd)
                    raise
                self.fd = fd
                return self
            os.close(fd)
        raise RunError(f"{self.path}: cannot take the run-folder lock")

    def _holder(self):
        try:
            with open(self.path) as f:
                pid = f.read().strip()
            return f"process {pid}" if pid else "another process"
        except OSError:
            return "another process"

    def release(self):
        if self.fd is not None:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.path)  # unlink while still holding the lock, then unlock
            os.close(self.fd)
            self.fd = None


def run_files(folder, markers=()):
    """The entries of ``folder`` a run wrote (``RUN_FILES`` and ``markers``), sorted."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    patterns = tuple(RUN_FILES) + tuple(markers)
    return sorted(n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns))


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)


def _move_aside(folder, names):
    """Move the old run's files ``names`` aside: into MOVING, then MOVING renamed ASIDE (one
    atomic step), so ASIDE always holds a whole run."""
    moving = os.path.join(folder, MOVING)
    os.makedirs(moving)
    for name in names:
        os.replace(os.path.join(folder, name), os.path.join(moving, name))
    os.replace(moving, os.path.join(folder, ASIDE))


def _restore_aside(folder, markers):
    """Put back the old run of an --overwrite whose new run never reached a checkpoint:
    the new run's files go, the old ones come back. Returns True if there was one.
    A move aside that was cut short (MOVING) is undone: the new run had not begun, so
    the files still in the folder are the old run's. A DISCARD left by a run killed while
    deleting it is deleted: the new run had its checkpoint."""
    _remove(os.path.join(folder, DISCARD))
    moving = os.path.join(folder, MOVING)
    if os.path.isdir(moving):
        for name in os.listdir(moving):
            os.replace(os.path.join(moving, name), os.path.join(folder, name))
        os.rmdir(moving)
        return True
    aside = os.path.join(folder, ASIDE)
    if not os.path.isdir(aside):
        return False
    old = os.listdir(aside)
    for name in sorted(set(run_files(folder, markers)) | set(old)):
        _remove(os.path.join(folder, name))
    for name in old:
        os.replace(os.path.join(aside, name), os.path.join(folder, name))
    os.rmdir(aside)
    return True


def recover(folder, say=None):
    """For every command that reads a run folder: put back the run an ``--overwrite`` was
    replacing when it was killed past all cleanup (SIGKILL, a crash) before the new run's
    first checkpoint, so the reader sees the old run, whole. A folder whose run is still
    going (locked) is refused: its ``--overwrite`` may yet finish. Returns True if a run was
    put back."""
    if not any(os.path.isdir(os.path.join(folder, n)) for n in (ASIDE, MOVING, DISCARD)):
        return False
    lock = _Lock(folder).acquire()
    try:
        restored = _restore_aside(folder, ())
    finally:
        lock.release()
    if restored:
        (say or (lambda m: print(m, file=sys.stderr, flush=True)))(
            f"{folder}: an --overwrite was stopped before the new run's first checkpoint; "
            f"the run it replaced is restored")
    return restored


# ----------------------------------------------------------------------------- signals
class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP (the terminal closed), raised in the main thread as Ctrl-C is, so that
    a killed command unwinds: an ``--overwrite`` puts the old run back, locks are released, a
    sweep's or search's workers are stopped with it (``rnnrepro.parallel``). ``rnnrepro.cli``
    ends the command with status 128 + the signal's number (143 for SIGTERM, 129 for SIGHUP),
    as a shell reports a command ended by it."""

    def __init__(self, signum=signal.SIGTERM):
        self.signum = signum
        super().__init__(f"terminated ({signal.Signals(signum).name})")


UNWOUND = (signal.SIGTERM, signal.SIGHUP)  # the signals that end a command as Ctrl-C does


def interrupt_in(exc):
    """The Ctrl-C or ``Terminated`` behind ``exc``, if any: a signal whose handler raised
    inside compiled code (a Numba-linked graph) reaches Python wrapped in ``SystemError``s
    ("returned a result with an exception set"), the interrupt at the root of the chain."""
    return checkpoint.in_chain(exc, KeyboardInterrupt)


def _raise_terminated(signum, frame):
    for s in UNWOUND:   # the cleanup is not cut short by another
        signal.signal(s, signal.SIG_IGN)
    raise Terminated(signum)


@contextlib.contextmanager
def unwind_on_sigterm():
    """While inside: SIGTERM and SIGHUP raise ``Terminated`` (main thread only; elsewhere a
    no-op). A signal the process was started ignoring stays ignored: under ``nohup`` a closed
    terminal does not end the run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, _raise_terminated) for s in UNWOUND
           if signal.getsignal(s) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


_PENDING = {}  # run folder (absolute) -> its markers, while an --overwrite awaits a checkpoint


def _finish_overwrite(folder):
    """The new run has its first checkpoint (or finished): the old run goes. Renamed DISCARD
    before it is no longer pending, so that no signal between the two leaves it to be put back
    over the new run."""
    key = os.path.abspath(folder)
    if key in _PENDING:
        with contextlib.suppress(FileNotFoundError):
            os.replace(os.path.join(folder, ASIDE), os.path.join(folder, DISCARD))
        del _PENDING[key]
        _remove(os.path.join(folder, DISCARD))


def _checkpoint_written(path):
    _finish_overwrite(os.path.dirname(os.path.abspath(path)))


if _checkpoint_written not in checkpoint.AFTER_SAVE:
    checkpoint.AFTER_SAVE.append(_checkpoint_written)


def _log_records(path):
    try:
        with open(path, "rb") as f:
            return sum(1 for line in f if line.strip())
    except OSError:
        return 0


def _note(exc, note):
    """Append ``note`` to the one-line message of ``exc`` (what the error path prints)."""
    if isinstance(exc, OSError) and exc.strerror:
        exc.strerror += note
    elif len(exc.args) == 1 and isinstance(exc.args[0], str):
        exc.args = (exc.args[0] + note,)


@contextlib.contextmanager
def claim(folder, resume=False, overwrite=False, markers=("checkpoint.npz", "log.jsonl"),
          say=None):
    """Hold ``folder`` for one run (see the module doc).

    ``markers`` are the files that show a run is there, the checkpoint first.
    ``overwrite=True`` moves the old run aside until the new run's first checkpoint, so a new
    run that fails before it leaves the old run whole (and cannot be resumed as the old one).
    ``resume=True`` in a folder whose checkpoint is gone but whose run got further than its
    first epoch (a log of two or more records, or a finished run's record) is refused.
    """
    if resume and overwrite:
        raise RunError("--resume and --overwrite exclude each other")
    with unwind_on_sigterm():
        yield from _claim(folder, resume, overwrite, markers, say)


def _claim(folder, resume, overwrite, markers, say):
    created, failed = not os.path.isdir(folder), False
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise RunError(f"{folder}: cannot create the run folder ({exc.strerror})") from None
    try:
        lock = _Lock(folder).acquire()
    except BaseException:
        if created:   # a run refused before it began leaves no folder
            with contextlib.suppress(OSError):
                os.rmdir(folder)
        raise
    key = os.path.abspath(folder)
    try:
        if _restore_aside(folder, markers) and say:
            say(f"{folder}: an --overwrite was stopped before the new run's first checkpoint; "
                f"the run it replaced is restored")
        removed = clean_orphans(folder)
        if removed and say:
            say(f"{folder}: removed temporary files of a killed run: {', '.join(removed)}")
        present = [m for m in markers if os.path.exists(os.path.join(folder, m))]
        if resume and markers and markers[0] not in present:
            logs = [m for m in markers[1:] if _log_records(os.path.join(folder, m)) >= 2]
            done = [n for n in ("result.json", "run.json") if os.path.exists(
                os.path.join(folder, n))]
            if logs or done:
                raise RunError(f"{folder}: --resume, but {markers[0]} is gone (the folder holds "
                               f"{', '.join(logs + done)} of a run); nothing to resume from: "
                               f"pass --overwrite to start the run again, or another --out")
        if present and not resume and not overwrite:
            raise RunError(f"{folder}: holds a run already ({', '.join(present)}); pass --resume "
                           f"to continue it, --overwrite to replace it, or another --out")
        old = run_files(folder, markers) if overwrite else []
        try:
            if old:   # pending first: a signal during the move puts back what was moved
                _PENDING[key] = markers
                _move_aside(folder, old)
            yield folder
        except BaseException as exc:
            failed = True
            interrupt = interrupt_in(exc)
            if _PENDING.pop(key, None) is not None and _restore_aside(folder, markers):
                _note(interrupt or exc, f" (the run it was to replace in {folder} is restored)")
            if interrupt is not None and interrupt is not exc:
                raise interrupt from None   # unwrapped: the command ends as interrupted
            raise
        _finish_overwrite(folder)   # finished without writing a checkpoint
    finally:
        _PENDING.pop(key, None)
        lock.release()
        if created and failed:  # a run that failed before writing anything leaves no folder
            with contextlib.suppress(OSError):
                os.rmdir(folder)
