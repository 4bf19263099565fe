"""Independent tasks (search trials, sweep runs) in parallel through joblib.

Backends: ``loky`` (local processes, no server; the default) and ``dask`` (a
``dask.distributed`` scheduler at ``scheduler``, or without one an in-process ``LocalCluster``).
Dask is an optional extra, imported only when chosen.

One BLAS thread per task, set before the worker imports numpy: loky gets it through
``joblib.parallel_config(inner_max_num_threads=1)`` (joblib writes the thread variables into
the environment of the worker processes it starts), a LocalCluster through its workers'
environment (``env=``). An external dask scheduler's workers are
started by someone else: every result carries ``blas_threads`` (threadpoolctl, measured in
the worker after the task) so a misconfigured cluster shows. Each task also carries the
engine variables of the process that submitted it (``RNN_ENGINE``, ``RNN_LINKER``,
``RNN_FLOATX``, ``*_FLAGS``); they are applied in the worker before the engine is imported,
and a worker that already imported another engine refuses the task rather than run it there.
"""
import os
import sys

BACKENDS = ("loky", "dask")
BLAS_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
ENGINE_VARS = ("RNN_ENGINE", "RNN_LINKER", "RNN_FLOATX", "RNN_BLAS", "AESARA_FLAGS",
               "PYTENSOR_FLAGS", "ATISDATA")


class BackendError(RuntimeError):
    """A backend cannot be used (not installed, bad address); the message says why."""


def task_env(environ=None):
    """The variables a task takes to its worker: the engine choice of the submitting process
    and one BLAS thread."""
    environ = os.environ if environ is None else environ
    env = {k: environ[k] for k in ENGINE_VARS if k in environ}
    env.update({k: "1" for k in BLAS_THREAD_VARS})
    return env


def blas_threads():
    """The largest thread count of the BLAS/OpenMP libraries loaded in this process (None
    without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return max((i["num_threads"] for i in threadpool_info()), default=None)


def in_worker(fn, task, env):
    """Run ``fn(task)`` in a worker under ``env``; returns its dict with ``blas_threads``."""
    if "rnnrepro.engine" in sys.modules:
        loaded = sys.modules["rnnrepro.engine"].NAME
        wanted = env.get("RNN_ENGINE", "aesara")
        if wanted != loaded and not (wanted == "aesara" and "aesara" not in sys.modules):
            raise BackendError(f"worker {os.getpid()} already runs {loaded}; the task asks "
                               f"for RNN_ENGINE={wanted} (use one engine per search/sweep)")
    os.environ.update(env)
    result = fn(task)
    return dict(result, blas_threads=blas_threads())


def run_tasks(fn, tasks, backend="loky", jobs=2, scheduler=None):
    """Yield ``fn(task)`` for every task as each finishes (any order); ``fn`` must be a
    module-level function of an importable module."""
    if backend not in BACKENDS:
        raise BackendError(f"--backend {backend!r}: choose one of {', '.join(BACKENDS)}")
    import joblib
    from .runsafe import unwind_on_sigterm
    env = task_env()
    calls = [joblib.delayed(in_worker)(fn, t, env) for t in tasks]
    # a SIGTERM raises in this process; joblib then aborts, killing the loky workers (and
    # with them their run folders' locks) or closing the LocalCluster, before it ends
    with unwind_on_sigterm():
        if backend == "loky":
            with joblib.parallel_config(backend="loky", inner_max_num_threads=1):
                yield from joblib.Parallel(n_jobs=jobs, return_as="generator_unordered")(calls)
        else:
            yield from _run_dask(calls, jobs, scheduler, env)


def _run_dask(calls, jobs, scheduler, env):
    import joblib
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise BackendError("--backend dask needs dask.distributed "
                           "(pip install 'dask[distributed]', or the 'dask' extra)") from exc
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise BackendError(f"--scheduler {scheduler}: cannot connect ({exc})") from exc
    else:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                               dashboard_address=None, env=env)
        client = Client(cluster)
    try:
        with joblib.parallel_config(backend="dask", wait_for_workers_timeout=60):
            yield from joblib.Parallel(n_jobs=jobs, return_as="generator_unordered")(calls)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

