"""Run records: one JSON line per epoch, peak memory, progress bars, provenance."""
import contextlib
import json
import os
import resource
import subprocess
import sys
import time

from tqdm import tqdm


def peak_rss_mb():
    """Peak resident set size of this process in MiB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def git_commit(path=None):
    """The commit of the checkout holding this package ('unknown' outside git). A copy of a
    checkout without its ``.git`` (a lent GPU machine gets one) says its commit in
    ``$RNN_COMMIT``."""
    if os.environ.get("RNN_COMMIT"):
        return os.environ["RNN_COMMIT"]
    here = path or os.path.dirname(os.path.abspath(__file__))
    try:
        out = subprocess.run(["git", "-C", here, "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        commit = out.stdout.strip() or "unknown"
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def hardware():
    """CPU model and core count, for the results table."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model} x{os.cpu_count()}"


def accelerator(linker=None):
    """The device the JAX linker computes on (``"gpu: NVIDIA H100 80GB HBM3"``), else None."""
    if linker != "jax":
        return None
    try:
        import jax
        d = jax.devices()[0]
        return f"{d.platform}: {d.device_kind}"
    except Exception as exc:  # noqa: BLE001 - a record field, never a reason to fail
        return f"unknown ({exc.__class__.__name__})"


class JsonlLog:
    """Append-only JSON-lines log, one record per epoch.

    ``truncate_after(epoch)`` drops records past the last checkpointed epoch, so a resumed
    run's log reads exactly like an uninterrupted one.
    """

    def __init__(self, path):
        self.path = path
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    def records(self):
        if not os.path.exists(self.path):
            return []
        out = []
        with open(self.path) as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    # a run killed mid-write leaves at most one partial last line
                    print(f"{self.path}:{n}: ignoring a partial record", file=sys.stderr)
        return out

    def truncate_after(self, epoch, key="epoch"):
        from .files import write_text
        kept = [r for r in self.records() if r.get(key, -1) <= epoch]
        write_text(self.path, "".join(json.dumps(r) + "\n" for r in kept))

    def reset(self):
        if os.path.exists(self.path):
            os.remove(self.path)

    def write(self, record):
        try:
            with open(self.path, "a") as f:
                f.write(json.dumps(record) + "\n")
                f.flush()
        except OSError as exc:  # a full disk: name the file (a bare write error does not)
            raise OSError(exc.errno, exc.strerror, self.path) from exc


def progress(iterable, total=None, desc=None, quiet=False, unit="it"):
    """A tqdm bar on a terminal; silent when ``quiet`` or when stderr is not a terminal."""
    disable = quiet or not sys.stderr.isatty()
    return tqdm(iterable, total=total, desc=desc, disable=disable, unit=unit,
                leave=False, dynamic_ncols=True, mininterval=0.5)


@contextlib.contextmanager
def compiling(quiet=False):
    """Say that graphs are being compiled and how long it took, so that one-time compilation
    (up to a minute or two on a cold cache) is neither mistaken for training time nor
    counted in it: callers compile eagerly inside this block, before their epoch loop."""
    if not quiet:
        print("compiling graphs (first run only; cached afterwards)...", flush=True)
    t0 = time.perf_counter()
    yield
    if not quiet:
        print(f"compiled in {time.perf_counter() - t0:.1f} s", flush=True)


class Timer:
    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
