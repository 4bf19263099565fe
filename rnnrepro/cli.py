"""Command-line plumbing shared by ``rnnslu`` and ``rnnlm``."""
import sys

from .checkpoint import CheckpointError
from .download import DownloadError


def run_command(prog, fn, args, input_errors=()):
    """Run a subcommand. Errors about bad input (a data file, a checkpoint, a download) become
    one line naming the problem and exit status 2, not a traceback."""
    try:
        return fn(args)
    except (CheckpointError, DownloadError, *input_errors) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2


def use_linker(prog, name, model=None):
    """``--linker NAME`` (None: keep $RNN_LINKER or the per-model defaults). A linker that
    cannot run here (or cannot run ``model``) is one line and exit status 2."""
    if name is None:
        return
    from .engine import LinkerError, set_linker
    try:
        set_linker(name, model)
    except LinkerError as exc:
        print(f"{prog}: error: --linker {exc}", file=sys.stderr)
        raise SystemExit(2)


LINKER_HELP = ("how graphs are compiled: c, numba or jax (PyTensor only); default $RNN_LINKER, "
               "else each model's measured default")
