"""Command-line plumbing shared by ``rnnslu``, ``rnnlm`` and the scripts: one error path,
argument types, the environment check.

Every expected failure (bad input, a refused run, an OS error such as a full or read-only
disk) is one line ``prog: error: ...`` naming the file or option and the problem, exit status
2. Which exceptions are expected is one list, ``EXPECTED_ERRORS`` (plus the ``input_errors`` a
command adds; tests/test_cli_errors.py checks that every exception class the packages define
is in it, or is listed there as deliberately not expected). Anything else is a bug: its
traceback is printed with a request to report it, exit status 1. A reader that closes the
pipe early (``... | head``) is neither: the command stops quietly with status 141, as a shell
reports a command ended by SIGPIPE.
"""
import argparse
import os
import sys
import traceback

from .checkpoint import CheckpointError
from .download import DownloadError
from .files import InputError, naming
from .parallel import BackendError
from .runsafe import RunError, interrupt_in
from .settings import EngineError, LinkerError, check_environment

# expected failures, printed as their one-line message (OSError, MemoryError and
# UnicodeDecodeError have their own lines below). Never a broad built-in class: that would
# turn bugs into one quiet line.
class OptionError(ValueError):
    """Options that are each valid but cannot be met together (``--max-length`` below
    ``--min-length``); the message names the options."""


EXPECTED_ERRORS = (CheckpointError, DownloadError, RunError, InputError, EngineError,
                   LinkerError, BackendError, OptionError)


def _os_message(exc):
    name = exc.filename if exc.filename is not None else None
    reason = exc.strerror or str(exc)
    if exc.strerror is None:  # OSError("message") raised by our own code: already complete
        return str(exc)
    return f"{name}: {reason}" if name else reason


def error_line(exc, input_errors=()):
    """The one line (without ``prog: error:``) of an expected failure, or None for a bug."""
    if isinstance(exc, (*EXPECTED_ERRORS, *input_errors)):
        return str(exc)
    if isinstance(exc, OSError):
        return _os_message(exc)
    if isinstance(exc, MemoryError):  # a size the machine cannot hold (--nhidden 10**9)
        return f"out of memory{f' ({exc})' if str(exc) else ''}; use smaller sizes"
    if isinstance(exc, UnicodeDecodeError):
        return f"input is not valid UTF-8 ({exc.reason} at byte {exc.start})"
    return None


STDOUT_NAME = "standard output"


class _NamedStdout:
    """``sys.stdout`` while a command runs: an OSError writing it (a full disk under
    ``> file``) names 'standard output', as a failed write of a file names the file."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        with naming(STDOUT_NAME):
            return self._stream.write(text)

    def flush(self):
        with naming(STDOUT_NAME):
            return self._stream.flush()

    def __getattr__(self, name):
        return getattr(self._stream, name)


def run_command(prog, fn, args, input_errors=()):
    """Run a subcommand through the one error path (see the module doc); returns the status.
    ``RNN_ENGINE``/``RNN_FLOATX``/``RNN_LINKER`` are checked first (``settings``)."""
    stdout = sys.stdout
    if stdout is not None and not isinstance(stdout, _NamedStdout):
        sys.stdout = _NamedStdout(stdout)
    try:
        return _run(prog, fn, args, input_errors)
    finally:
        sys.stdout = stdout


def _run(prog, fn, args, input_errors):
    try:
        check_environment()
        status = fn(args)
        sys.stdout.flush()   # lines still buffered meet a closed pipe here, not at exit
        return status
    except KeyboardInterrupt as exc:   # Ctrl-C, or SIGTERM (runsafe.Terminated)
        return _interrupted(prog, exc)
    except Exception as exc:  # noqa: BLE001 - sorted into expected (one line) and bugs
        if interrupt_in(exc) is not None:   # raised inside compiled code: wrapped
            return _interrupted(prog, interrupt_in(exc))
        if isinstance(exc, BrokenPipeError) and stdout_reader_gone():
            return _quiet_broken_pipe()
        line = error_line(exc, input_errors)
        if line is not None:
            print(f"{prog}: error: {line}", file=sys.stderr)
            if isinstance(exc, OSError) and exc.filename == STDOUT_NAME:
                _drop_stdout()   # what is still buffered cannot be written: not again at exit
            return 2
        traceback.print_exc()   # a real bug: keep the traceback, ask for a report
        print(f"{prog}: internal error (a bug, not your input): please report it with the "
              f"command line and the traceback above", file=sys.stderr)
        return 1


def _interrupted(prog, exc):
    print(f"{prog}: {exc or 'interrupted'}", file=sys.stderr)
    return 128 + getattr(exc, "signum", 2)


SIGPIPE_STATUS = 141   # what a shell reports for a command ended by SIGPIPE (128 + 13)


def stdout_reader_gone():
    """True when standard output is a pipe whose reader has closed it (``... | head``): then a
    BrokenPipeError is the reader's choice, not a fault. Asked of the pipe itself (``poll``
    reports POLLERR on a pipe with no reader), so a broken pipe elsewhere (a worker's socket,
    a subprocess) still takes the ordinary error path."""
    import select
    try:
        fd = sys.stdout.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        return any(ev & select.POLLERR for _, ev in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no fd (captured), closed, or no poll
        return False


def _quiet_broken_pipe():
    """Stop as ``cat file | head`` does: no error line, status 141, and standard output
    pointed at /dev/null so the interpreter's last flush does not report the pipe again
    (the recipe in Python's ``signal`` documentation)."""
    _drop_stdout()
    return SIGPIPE_STATUS


def _drop_stdout():
    """Point standard output at /dev/null (when it is a file descriptor)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):   # captured: nothing flushed at exit
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def run_script(prog, fn, input_errors=()):
    """``sys.exit`` with the status of ``fn()`` run through the same error path (for
    ``scripts/*.py``)."""
    sys.exit(run_command(prog, lambda _: fn() or 0, None, input_errors))


class ArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose refusals are one line too (argparse prints the usage
    block first): ``prog: error: argument --seed: -1 is less than 0 (see prog --help)``.
    Its subcommand parsers are of the same class."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# ----------------------------------------------------------------------------- argument types
# (used as argparse ``type=``: a bad value is refused at parse time, one line, exit status 2)
def positive_int(text):
    """An integer >= 1."""
    return _int_at_least(text, 1)


def nonnegative_int(text):
    """An integer >= 0."""
    return _int_at_least(text, 0)


def bptt_truncate_int(text):
    """WildML's ``bptt_truncate``: -1 (full BPTT) or a step count >= 0 (below -1 the tutorial's
    ``range(max(0, t - k), t + 1)`` is empty: no gradient reaches U and W)."""
    return _int_at_least(text, -1)


def _int_at_least(text, low):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if v < low:
        raise argparse.ArgumentTypeError(f"{v} is less than {low}")
    return v


SEED_MAX = 2 ** 32 - 1   # numpy's RandomState takes seeds 0 .. 2**32 - 1


def seed_int(text):
    """A random seed: an integer 0 .. 2**32 - 1 (what numpy's RandomState accepts)."""
    v = nonnegative_int(text)
    if v > SEED_MAX:
        raise argparse.ArgumentTypeError(f"{v} is more than {SEED_MAX} (seeds are 0 .. 2**32 - 1)")
    return v


def int_list(item=int, what="integers"):
    """An argparse type: comma-separated values of type ``item`` (e.g. ``seed_int``), at
    least one, none twice (one run counted twice would fake agreement)."""
    def parse(text):
        values = []
        for part in text.split(","):
            if not part.strip():
                continue
            try:
                v = item(part.strip())
            except (ValueError, argparse.ArgumentTypeError) as exc:
                raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None
            if v in values:
                raise argparse.ArgumentTypeError(f"{text!r}: {v} is given twice")
            values.append(v)
        if not values:
            raise argparse.ArgumentTypeError(f"{text!r}: expected comma-separated {what}, "
                                             f"e.g. 0,1,2")
        return values
    parse.__name__ = f"list of {what}"
    return parse


def record_id(text):
    """A results record id: one folder name under results/ (no '/', not '.' or '..')."""
    if not text or "/" in text or os.sep in text or text in (".", "..") or text.startswith("."):
        raise argparse.ArgumentTypeError(f"{text!r}: a record id is one folder name under "
                                         f"results/ (no '/', not starting with '.')")
    return text


def odd_positive_int(text):
    """An odd integer >= 1 (a context window centred on its word)."""
    v = positive_int(text)
    if v % 2 == 0:
        raise argparse.ArgumentTypeError(f"{v} is even; the window must be odd (word in the middle)")
    return v


def nonnegative_float(text):
    """A finite float >= 0 (e.g. a hash size in millions; NaN is refused)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (0 <= v < float("inf")):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number >= 0")
    return v


def at_most(low_option, low, high_option, high):
    """Raise ``OptionError`` unless ``low <= high`` (``--min-length`` and ``--max-length``)."""
    if low is not None and high is not None and low > high:
        raise OptionError(f"{high_option} {high} is less than {low_option} {low}")


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
    cannot run here (or cannot run ``model``), given as the option or in ``$RNN_LINKER``, is
    one line and exit status 2, before any work."""
    from .settings import env_value
    if name is None:
        env = env_value("RNN_LINKER")
        if not env:
            return
        from .engine import linker_problem
        problem = linker_problem(env, model)
        if problem:
            print(f"{prog}: error: RNN_LINKER={env}: {problem}", file=sys.stderr)
            raise SystemExit(2)
        return
    from .engine import set_linker
    try:
        set_linker(name, model)
    except LinkerError as exc:
        print(f"{prog}: error: --{exc}", file=sys.stderr)   # "--linker 'numba' needs ..."
        raise SystemExit(2)


LINKER_HELP = ("how graphs are compiled: c, numba or jax (PyTensor only); default $RNN_LINKER, "
               "else each model's measured default")
