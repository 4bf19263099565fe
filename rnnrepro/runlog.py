"""Run records: one JSON line per epoch, peak memory, progress (bars on a terminal, plain
lines elsewhere), provenance."""
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


# A plain progress line at most this often (and at least this often while work goes on) where
# stderr is not a terminal (nohup, a batch scheduler): a bar's carriage returns make no log.
PLAIN_INTERVAL = 60.0
clock = time.monotonic   # the progress lines' clock (tests put a fake one here)


def format_seconds(seconds, _format=tqdm.format_interval):
    """``"1:02:03"`` / ``"02:03"`` (tqdm's format), ``"?"`` when unknown."""
    return "?" if seconds is None or seconds != seconds else _format(max(seconds, 0))


def time_left(n, total, rate, run=None):
    """Seconds left in this epoch and in the whole run, from ``rate`` (items per second in this
    epoch): the epoch's remaining items, plus every later epoch at the same size and rate.
    ``run`` = (epochs finished before this one, epochs in the run), or None (the count is not
    known: the run's time left is then None). Both None while the rate is unknown."""
    if not rate or total is None:
        return None, None
    epoch = (total - n) / rate
    if run is None:
        return epoch, None
    done, epochs = run
    return epoch, epoch + max(epochs - done - 1, 0) * total / rate


class _Bar(tqdm):
    """tqdm's bar with the run's time left after the epoch's (``run``: see ``time_left``)."""

    def __init__(self, *args, run=None, **kwargs):
        self.run = run
        super().__init__(*args, **kwargs)

    @property
    def format_dict(self):
        d = super().format_dict
        if self.run is not None:
            left = time_left(d["n"], d["total"], d["rate"] or (d["n"] / d["elapsed"]
                                                               if d["elapsed"] else None),
                             self.run)[1]
            note = f"run {self.run[0] + 1}/{self.run[1]} left {format_seconds(left)}"
            d["postfix"] = f"{d['postfix']}, {note}" if d.get("postfix") else note
        return d


class PlainProgress:
    """Where stderr is no terminal: one plain line on stderr when ``PLAIN_INTERVAL`` seconds
    have passed since the start or the last line (never more often), e.g.
    ``epoch 3: 1200/4978 sent (24%), 45.2 sent/s, epoch left 01:23, run left 12:05``.
    The same use as a tqdm bar: iterate it, or ``update(k)`` / set ``n`` and
    ``set_postfix(...)``, then ``close()``. The rate counts only what was done since the first
    update (a resumed epoch's first ``update(done)`` and a first step's compilation excluded)."""

    def __init__(self, iterable=None, total=None, desc=None, unit="it", run=None, file=None):
        self.iterable, self.desc, self.unit, self.run = iterable, desc, unit, run
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)
        self.total, self.n, self.postfix = total, 0, ""
        self.file = file
        self.last = self.start = clock()
        self.base = None   # (time, n) at the first update: where the rate is measured from

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.update(1)

    def update(self, k=1):
        self.n += k
        self.tick()

    def set_postfix(self, **kw):
        self.postfix = ", ".join(f"{key}={value}" for key, value in kw.items())
        self.tick()

    def tick(self):
        now = clock()
        if self.base is None:
            self.base = (now, self.n)
            return
        if now - self.last >= PLAIN_INTERVAL:
            self.last = now
            print(self.line(now), file=self.file or sys.stderr, flush=True)

    def rate(self, now):
        t, n = self.base
        return (self.n - n) / (now - t) if now > t and self.n > n else None

    def line(self, now):
        rate = self.rate(now)
        epoch_left, run_left = time_left(self.n, self.total, rate, self.run)
        done = f"{self.n}/{self.total}" if self.total else f"{self.n}"
        pct = f" ({100 * self.n / self.total:.0f}%)" if self.total else ""
        parts = [f"{self.desc or 'progress'}: {done} {self.unit}{pct}",
                 f"{rate:.1f} {self.unit}/s" if rate else f"? {self.unit}/s"]
        if self.total:
            parts.append(f"epoch left {format_seconds(epoch_left)}")
        if self.run is not None:
            parts.append(f"run {self.run[0] + 1}/{self.run[1]} left {format_seconds(run_left)}")
        if self.postfix:
            parts.append(self.postfix)
        return ", ".join(parts)

    def close(self):
        pass


def progress(iterable, total=None, desc=None, quiet=False, unit="it", run=None):
    """Progress of one epoch (or pass): a tqdm bar on a terminal, with rate and time left for
    the epoch and, given ``run`` = (epochs finished before this one, epochs in the run), for
    the whole run; where stderr is not a terminal (nohup, batch jobs) a plain line at least
    once a minute (``PlainProgress``); nothing when ``quiet``."""
    if quiet:
        return tqdm(iterable, total=total, disable=True)
    if not sys.stderr.isatty():
        return PlainProgress(iterable, total=total, desc=desc, unit=unit, run=run)
    return _Bar(iterable, total=total, desc=desc, unit=unit, run=run,
                leave=False, dynamic_ncols=True, mininterval=0.5)


NOTICE_AFTER = 1.0   # seconds of silence before ``notice`` says what is being done


def say(message, quiet=False):
    """One line on stderr: what is being done."""
    if not quiet:
        print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def notice(message, quiet=False):
    """Say ``message`` (``say``) once the work inside has run ``NOTICE_AFTER`` seconds, from a
    timer thread: a long ``generate`` or ``score`` is never silent, while a refusal found at
    once (an unknown word, a bad option) stays the command's only line."""
    if quiet:
        yield
        return
    if NOTICE_AFTER <= 0:
        say(message)
        yield
        return
    import threading
    timer = threading.Timer(NOTICE_AFTER, say, (message,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


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
