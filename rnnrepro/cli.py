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
