"""How many threads BLAS may use while a per-word trainer runs: one, unless asked otherwise.

Per-word (and per-sentence) SGD multiplies tiny matrices tens of thousands of times an epoch.
A threaded BLAS wakes its threads for each of them; on a loaded machine that costs far more
than it gains (issue 32 measured an is13 epoch at 146 s by default against 8.3 s with one
thread, same numbers; ``results/bench-blas-threads``). So the per-word trainers (rnnslu is13,
both trainers; WildML ``rnnlm train``; the toolkit's ``rnnlm ptb-rnnlm``) run with one BLAS
thread by default, through ``threadpoolctl`` (it reaches the BLAS numpy, scipy and the
engines' C ops call, whichever library that is). Who decides, first match wins:

1. ``--blas-threads N`` (``threads``): N threads; 0 leaves the BLAS library's own default;
2. the user's own ``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` / ``MKL_NUM_THREADS`` /
   ``BLIS_NUM_THREADS``: left to take effect, nothing changed here;
3. per-word trainers: 1 thread; anything else: the library default.

The thread count never changes results: the same products are summed in the same order.
"""
import argparse
import contextlib
import os

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "BLIS_NUM_THREADS")
HELP = ("BLAS threads while training: default 1 for this per-word trainer (tiny matrices; more "
        "threads only wait on each other), unless OMP_NUM_THREADS or another *_NUM_THREADS "
        "variable is set; 0 leaves the BLAS library's own default")


def threads_type(text):
    """An argparse type: an integer >= 0."""
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a thread count (an integer >= 0)")
    return n


def add_option(parser):
    """``--blas-threads`` on a training command's parser."""
    parser.add_argument("--blas-threads", type=threads_type, default=None, metavar="N",
                        help=HELP)


def resolve(threads=None, per_word=True, environ=None):
    """The thread limit to apply (an int), or None to change nothing (see the module doc)."""
    environ = os.environ if environ is None else environ
    if threads is not None:
        return threads or None
    if any(environ.get(v, "").strip() for v in THREAD_VARIABLES):
        return None
    return 1 if per_word else None


@contextlib.contextmanager
def limit_threads(threads=None, per_word=True):
    """Run the block with BLAS held to ``resolve(threads, per_word)`` threads; yields that
    limit (None: unchanged)."""
    n = resolve(threads, per_word)
    if n is None:
        yield None
        return
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=n, user_api="blas"):
        yield n


def current_threads():
    """{library: threads} of the BLAS libraries loaded in this process (for benchmarks)."""
    from threadpoolctl import threadpool_info
    return {f"{i['internal_api']}:{os.path.basename(i['filepath'])}": i["num_threads"]
            for i in threadpool_info() if i.get("user_api") == "blas"}
