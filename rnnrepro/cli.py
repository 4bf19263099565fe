"""Command-line plumbing shared by ``rnnslu`` and ``rnnlm``: one error path, argument types.

Every expected failure (bad input, a refused run, an OS error such as a full or read-only
disk) is one line ``prog: error: ...`` naming the file or option and the problem, exit status
2. Anything else is a bug: its traceback is printed with a request to report it, exit status 1.
"""
import argparse
import sys
import traceback

from .checkpoint import CheckpointError
from .download import DownloadError


def _os_message(exc):
    name = exc.filename if exc.filename is not None else None
    reason = exc.strerror or str(exc)
    if exc.strerror is None:  # OSError("message") raised by our own code: already complete
        return str(exc)
    return f"{name}: {reason}" if name else reason


def run_command(prog, fn, args, input_errors=()):
    """Run a subcommand through the one error path (see the module doc); returns the status."""
    from .runsafe import RunError
    try:
        return fn(args)
    except (CheckpointError, DownloadError, RunError, *input_errors) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{prog}: error: {_os_message(exc)}", file=sys.stderr)
        return 2
    except UnicodeDecodeError as exc:
        print(f"{prog}: error: input is not valid UTF-8 ({exc.reason} at byte {exc.start})",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Exception:  # a real bug: keep the traceback, ask for a report
        traceback.print_exc()
        print(f"{prog}: internal error (a bug, not your input): please report it with the "
              f"command line and the traceback above", file=sys.stderr)
        return 1


# ----------------------------------------------------------------------------- argument types
# (used as argparse ``type=``: a bad value is refused at parse time, one line, exit status 2)
def positive_int(text):
    """An integer >= 1."""
    return _int_at_least(text, 1)


def nonnegative_int(text):
    """An integer >= 0."""
    return _int_at_least(text, 0)


def _int_at_least(text, low):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if v < low:
        raise argparse.ArgumentTypeError(f"{v} is less than {low}")
    return v


def odd_positive_int(text):
    """An odd integer >= 1 (a context window centred on its word)."""
    v = positive_int(text)
    if v % 2 == 0:
        raise argparse.ArgumentTypeError(f"{v} is even; the window must be odd (word in the middle)")
    return v


def positive_float(text):
    """A finite float > 0."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (v > 0 and v != float("inf")):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number > 0")
    return v


def use_linker(prog, name, model=None):
    """``--linker NAME`` (None: keep $RNN_LINKER or the per-model defaults). A linker that
    cannot run here (or cannot run ``model``) is one line and exit status 2."""
    if name is None:
        return
    from .engine import LinkerError, set_linker
    try:
        set_linker(name, model)
    except LinkerError as exc:
        print(f"{prog}: error: --{exc}", file=sys.stderr)   # "--linker 'numba' needs ..."
        raise SystemExit(2)


LINKER_HELP = ("how graphs are compiled: c, numba or jax (PyTensor only); default $RNN_LINKER, "
               "else each model's measured default")
