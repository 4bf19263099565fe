"""Words per second of the PTB models, per engine and linker (used by ``scripts/bench_ptb.py``).

The engine is chosen when ``rnnrepro.engine`` is first imported, so ``compare`` runs one
subprocess per (engine, linker) (``python -m rnnlm.ptb_lstm.bench --worker``, via
``rnnrepro.bench``). On a GPU machine the same run measures JAX on the GPU (JAX picks it).

Beside them, optionally: the LSTM's device-path variants (``VARIANTS``: unrolled windows,
counter-drawn masks), a profile of each window split into host and device time, and a PyTorch
peer of the same config (``rnnlm.ptb_lstm.torch_peer``, cuDNN on a GPU, the same threads on a
CPU) in its own subprocess, wherever ``torch`` imports: a benchmark peer, never a dependency.
"""
import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from typing import Optional

import numpy as np

from rnnrepro import runlog
from rnnrepro.files import write_text
from rnnrepro.bench import markdown_table, report, run_config


def _data(data_dir, n_words):
    """Real PTB ids when the files are there, else a random stream of the same vocabulary."""
    from rnnlm.ptb_lstm import reader as ptb
    try:
        train, _, _, vocab = ptb.ptb_raw_data(data_dir)
        return train[:n_words], len(vocab), "ptb"
    except (FileNotFoundError, ValueError):
        return np.random.RandomState(0).randint(0, 10000, n_words).astype(np.int32), 10000, \
            "random ids"


def _time_windows(step, windows, warmup=2):
    """Seconds per call of ``step(x, y)`` over ``windows`` after ``warmup`` calls. A step may
    return its cost: it is read before each clock reading (under JAX the calls only queue work
    on the device, and reading the cost waits for it)."""
    last = None
    for x, y in windows[:warmup]:
        last = step(x, y)
    if last is not None:
        float(last)
    t0 = time.perf_counter()
    for x, y in windows[warmup:]:
        last = step(x, y)
    if last is not None:
        float(last)
    return (time.perf_counter() - t0) / max(len(windows) - warmup, 1)


# Timed windows per LSTM size: medium and large are slow on a CPU, so fewer (labelled).
LSTM_WINDOWS = {"small": 30, "medium": 4, "large": 2}
# The LSTM's ways to run a window (``PTBLSTM`` options); "scan" is the default path.
VARIANTS = {"scan": dict(masks="numpy", unroll=False),
            "unroll": dict(masks="numpy", unroll=True),
            "counter": dict(masks="counter", unroll=False),
            "unroll+counter": dict(masks="counter", unroll=True)}


@dataclass
class Timing:
    """What each worker times (its command-line options, ``worker_args``): ``windows`` per LSTM
    row of ``sizes`` (``big_windows`` for medium/large, default ``LSTM_WINDOWS``), each of
    ``variants`` (``VARIANTS``), with ``profile`` the host/device split of a window, the
    class-softmax RNN rows unless ``class_rnn_rows`` is False; PTB ids of ``data_dir``."""
    windows: int = 30
    data_dir: Optional[str] = None
    sizes: tuple = ("small", "medium", "large")
    big_windows: Optional[int] = None
    class_rnn_rows: bool = True
    variants: tuple = ("scan",)
    profile: bool = False

    def windows_for(self, size):
        return self.windows if size == "small" else (self.big_windows or LSTM_WINDOWS[size])

    def worker_args(self):
        return ["--windows", str(self.windows), "--sizes", ",".join(self.sizes),
                "--variants", ",".join(self.variants)] \
            + (["--data-dir", self.data_dir] if self.data_dir else []) \
            + (["--big-windows", str(self.big_windows)] if self.big_windows else []) \
            + (["--profile"] if self.profile else [])


def _profile(step_parts, windows):
    """Mean milliseconds per window of each part of a step, each part waited for before the
    next (so the parts add up; a pipelined run overlaps them): ``step_parts(x, y)`` yields
    (name, thunk) pairs run in order, the last one's value read (which waits for a device)."""
    totals = {}
    for i, (x, y) in enumerate(windows):
        for name, thunk in step_parts(x, y):
            t0 = time.perf_counter()
            value = thunk()
            if value is not None:
                float(value)
            if i:  # the first window warms up
                totals[name] = totals.get(name, 0.0) + time.perf_counter() - t0
    n = max(len(windows) - 1, 1)
    return {f"profile_ms_{k}": round(1e3 * v / n, 3) for k, v in totals.items()}


def _lstm_row(size, windows, train, vocab_size, source, linker_name, variant="scan",
              profile=False):
    """Words/s of one LSTM config's train_step (dropout masks as in training), and with
    ``profile`` the window split into its parts: the host's mask draw (``masks``), the call
    (``call``: inputs handed over, work queued; all of it on a CPU linker) and the wait for
    the device (``wait``), each waited for before the next."""
    from rnnrepro.engine import asfloat, describe
    from rnnlm.ptb_lstm import model as lstm, reader as ptb
    cfg = lstm.CONFIGS[size]
    B, N = cfg["batch_size"], cfg["num_steps"]
    t0 = time.perf_counter()
    model = lstm.PTBLSTM(cfg, vocab_size, seed=0, **VARIANTS[variant])
    model.compile_for(B, N)  # Numba/JAX: first call included
    compile_s = time.perf_counter() - t0
    wins = list(ptb.ptb_producer(train, B, N))[:windows + 1]
    state = list(model.zero_state(B))
    lr = asfloat(1.0)
    rng = np.random.RandomState(0)
    count = [0]

    def lstm_step(x, y):
        count[0] += 1
        args = model.dropout_args(rng, B, N, count[0])
        cost, state[0], state[1], _ = model.train_step(x, y, state[0], state[1], lr, *args)
        return cost
    sec = _time_windows(lstm_step, wins, warmup=1)
    d = describe("ptb-lstm")
    row = {"model": f"LSTM {size} (train)", "variant": variant, "engine": d["engine"],
           "engine_version": d["engine_version"], "linker": model.linker, "floatX": d["floatX"],
           "words_per_second": B * N / sec, "ms_per_window": 1e3 * sec,
           "timed_windows": len(wins) - 1, "window": f"{B}x{N}",
           "compile_seconds": compile_s, "data": source,
           "accelerator": runlog.accelerator(model.linker), **_matmul_precision(model.linker)}
    if profile:
        def parts(x, y):
            box = {}
            yield "masks", lambda: box.update(args=model.dropout_args(rng, B, N, 0))
            yield "call", lambda: box.update(out=model.train_step(x, y, state[0], state[1], lr,
                                                                  *box["args"]))
            yield "wait", lambda: box["out"][0]
            state[0], state[1] = box["out"][1], box["out"][2]
        row.update(_profile(parts, wins[:min(len(wins), 21)]))
    return row


def _matmul_precision(linker_name):
    """What float32 matrix products may use under JAX (TF32 on NVIDIA GPUs by default)."""
    if linker_name != "jax":
        return {}
    import jax
    return {"jax_version": jax.__version__,
            "jax_default_matmul_precision": str(jax.config.jax_default_matmul_precision)}


def _torch_row(size, windows, train, vocab_size, source, profile=False):
    """Words/s of the PyTorch peer's training window (the same config, initial weights and
    window; its dropout masks drawn on its own device, as a PyTorch user would)."""
    from rnnlm.ptb_lstm.torch_peer import TorchPTB, import_torch, matmul_precision
    from rnnlm.ptb_lstm import model as lstm, reader as ptb
    torch = import_torch()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    cfg = lstm.CONFIGS[size]
    B, N = cfg["batch_size"], cfg["num_steps"]
    params = lstm.init_params(vocab_size, cfg["hidden_size"], cfg["num_layers"],
                              cfg["init_scale"], np.random.RandomState(0))
    t0 = time.perf_counter()
    peer = TorchPTB(cfg, params, device=device)
    wins = list(ptb.ptb_producer(train, B, N))[:windows + 1]
    state = list(peer.zero_state(B))

    def step(x, y):
        cost, state[0], state[1], _ = peer.train_step(x, y, state[0], state[1], 1.0,
                                                      *peer.device_masks(B, N))
        return cost
    step(*wins[0])
    compile_s = time.perf_counter() - t0
    sec = _time_windows(step, wins, warmup=1)
    row = {"model": f"LSTM {size} (train)", "variant": "PyTorch peer", "engine": "torch",
           "engine_version": torch.__version__, "linker": device, "floatX": "float32",
           "words_per_second": B * N / sec, "ms_per_window": 1e3 * sec,
           "timed_windows": len(wins) - 1, "window": f"{B}x{N}", "compile_seconds": compile_s,
           "data": source, "accelerator": matmul_precision(torch)["cuda"],
           "threads": torch.get_num_threads(), **matmul_precision(torch)}
    if profile:
        def parts(x, y):
            box = {}
            yield "masks", lambda: box.update(m=peer.device_masks(B, N))
            yield "call", lambda: box.update(out=peer.train_step(x, y, state[0], state[1], 1.0,
                                                                 *box["m"]))
            yield "wait", lambda: box["out"][0]
            state[0], state[1] = box["out"][1], box["out"][2]
        row.update(_profile(parts, wins[:min(len(wins), 21)]))
    return row


def peer_worker(timing):
    """The PyTorch peer's rows for ``timing`` (a ``Timing``), or one row saying why there are
    none."""
    train, vocab_size, source = _data(timing.data_dir, 200_000)
    try:
        from rnnlm.ptb_lstm.torch_peer import import_torch
        import_torch()
    except ImportError as exc:
        return [{"model": "LSTM", "variant": "PyTorch peer", "engine": "torch",
                 "linker": None, "floatX": "float32", "error": str(exc).split(";")[0]}]
    return [_torch_row(size, timing.windows_for(size), train, vocab_size, source,
                       timing.profile) for size in timing.sizes]


def window_gemms(cfg, vocab_size):
    """The matrix products of one training window of the PTB LSTM ``cfg`` as (m, k, n, count),
    batched as far as the arithmetic allows: the softmax layer and each layer's input
    projection over all B*T rows at once, the recurrent products one step at a time (forward
    h W_h, backward dG W_h^T), every weight gradient over all rows. FLOPs: 2 m k n each."""
    B, T, H, L = cfg["batch_size"], cfg["num_steps"], cfg["hidden_size"], cfg["num_layers"]
    N, V = B * T, vocab_size
    gemms = [(N, H, V, 1), (N, V, H, 1), (H, N, V, 1)]           # softmax: fwd, dH, dW
    for _ in range(L):
        gemms += [(N, H, 4 * H, 1), (N, 4 * H, H, 1), (H, N, 4 * H, 1)]  # input: fwd, dX, dW
        gemms += [(B, H, 4 * H, T), (B, 4 * H, H, T), (H, N, 4 * H, 1)]  # recurrent
    return gemms


def floor_worker(sizes=("small",), vocab_size=10000, repeats=5):
    """A ceiling on words/s: only the window's matrix products (``window_gemms``), each timed
    alone with numpy's BLAS at this process's threads (best of ``repeats``); no elementwise
    work (gates, softmax exponentials), no embedding lookups, no update, no dispatch. An
    implementation of the same arithmetic cannot train faster than this on this core."""
    from rnnlm.ptb_lstm.configs import CONFIGS
    try:
        from threadpoolctl import threadpool_info
        blas = next((i["internal_api"] for i in threadpool_info() if i["user_api"] == "blas"),
                    "blas")
    except ImportError:
        blas = "blas"
    rows = []
    rng = np.random.RandomState(0)
    for size in sizes:
        cfg = CONFIGS[size]
        total, flops = 0.0, 0
        for m, k, n, count in window_gemms(cfg, vocab_size):
            a, b = rng.rand(m, k).astype("float32"), rng.rand(k, n).astype("float32")
            reps = max(1, min(200, int(2e8 // (2 * m * k * n))))
            best = float("inf")
            for _ in range(repeats):
                t0 = time.perf_counter()
                for _ in range(reps):
                    a @ b
                best = min(best, (time.perf_counter() - t0) / reps)
            total += best * count
            flops += 2 * m * k * n * count
        words = cfg["batch_size"] * cfg["num_steps"]
        rows.append({"model": f"LSTM {size} (train)", "variant": "GEMM floor", "engine": "numpy",
                     "engine_version": np.__version__, "linker": blas, "floatX": "float32",
                     "words_per_second": words / total, "ms_per_window": 1e3 * total,
                     "window": f"{cfg['batch_size']}x{cfg['num_steps']}",
                     "gflop_per_window": flops / 1e9, "gflop_per_second": flops / total / 1e9})
    return rows


def worker(timing, numpy_words=20000):
    """Measure ``timing`` (a ``Timing``) in this process (engine from RNN_ENGINE, linker from
    RNN_LINKER); returns a list of result dicts. A linker that cannot run here gives one row
    saying why."""
    from rnnrepro.engine import NAME, VERSION, asfloat, describe, linker, set_floatx
    set_floatx("float32")
    from rnnlm.ptb_lstm import reader as ptb
    from rnnlm.toolkit.graph import ClassRNNGraph
    from rnnlm.toolkit.model import ClassRNNLM
    out = []
    train, vocab_size, source = _data(timing.data_dir, 200_000)
    try:
        lk = linker("ptb-lstm")
    except ValueError as exc:
        return [{"model": "LSTM", "engine": NAME, "engine_version": VERSION,
                 "linker": os.environ.get("RNN_LINKER"), "floatX": "float32",
                 "error": str(exc)}]
    for size in timing.sizes:
        for variant in timing.variants:
            out.append(_lstm_row(size, timing.windows_for(size), train, vocab_size, source, lk,
                                 variant, timing.profile))
    if not timing.class_rnn_rows:
        return out

    # class-softmax RNN (hidden 100, 100 classes): batched graph, 20x20 windows
    counts = np.bincount(train, minlength=vocab_size)
    order = np.argsort(-counts, kind="stable")
    remap = np.empty(vocab_size, dtype=np.int64)
    remap[order] = np.arange(vocab_size)
    ids = remap[train]
    crnn = ClassRNNLM([str(i) for i in range(vocab_size)], np.maximum(counts[order], 1),
                                hidden=100, class_size=100, bptt=4, bptt_block=10, seed=1)
    t0 = time.perf_counter()
    graph = ClassRNNGraph(crnn)
    compile_s = time.perf_counter() - t0
    cwins = [(x.astype(np.int64), y.astype(np.int64)) for x, y in ptb.ptb_producer(ids, 20, 20)]
    cwins = cwins[:timing.windows]
    h = [np.full((20, 100), 0.1, dtype="float32")]

    def crnn_step(x, y):
        _, h[0], _ = graph.train_step(x, y, h[0], asfloat(0.1))
    sec = _time_windows(crnn_step, cwins)
    out.append({"model": "class RNN h100 c100 (batched graph, train)", "engine": NAME,
                "engine_version": VERSION, "linker": describe()["linker"], "floatX": "float32",
                "words_per_second": 400 / sec, "compile_seconds": compile_s, "data": source})

    # the faithful per-word toolkit trainer (float64): engine-independent reference; its
    # kernel (numba where installed, else the numpy loop) named in the row
    t0 = time.perf_counter()
    crnn.train_epoch(ids[:numpy_words], 0.1)
    out.append({"model": f"class RNN h100 c100 (toolkit online SGD, {crnn.kernel})",
                "engine": "numpy",
                "engine_version": np.__version__, "linker": None, "floatX": "float64",
                "words_per_second": numpy_words / (time.perf_counter() - t0),
                "compile_seconds": None, "data": source})
    return out


def compare(engines=("aesara", "pytensor"), linkers=("c", "numba", "jax"), timing=None,
            peer=False, floor=False, rounds=1, out_path=None):
    """Run ``worker`` with ``timing`` (a ``Timing``) once per (engine, linker) in a subprocess,
    and with ``peer`` the PyTorch peer in one more (with ``floor`` the GEMM-only ceiling,
    ``floor_worker``, in another), ``rounds`` times interleaved (a noisy neighbour slows all
    alike); print a table; write JSON and bench.md. Engines that are not installed are left
    out; linkers an engine cannot run give a row saying why."""
    from rnnrepro.bench import installed_engines, single_thread_env
    timing = timing or Timing()
    t_start = time.time()
    common = timing.worker_args()
    jobs = [(eng, lk, ["--worker"] + common
             + ([] if timing.class_rnn_rows and lk == linkers[0] else ["--no-class-rnn"]))
            for eng in installed_engines(engines) for lk in linkers]
    if peer:
        jobs.append((installed_engines(engines)[0], None, ["--peer-worker"] + common))
    if floor:
        jobs.append((installed_engines(engines)[0], None, ["--floor-worker"] + common))
    rows = _run_jobs(jobs, rounds)
    _print_rows(rows)
    env = single_thread_env(dict(os.environ))
    record = {"rows": rows, "windows": timing.windows, "hardware": runlog.hardware(),
              "accelerator": next((r["accelerator"] for r in rows if r.get("accelerator")),
                                  None),
              "commit": runlog.git_commit(), "threads": env["OMP_NUM_THREADS"],
              "xla_flags": env.get("XLA_FLAGS"), "load_average": os.getloadavg(),
              "wall_seconds": round(time.time() - t_start, 1),
              "python": sys.version.split()[0]}
    if out_path:
        _write_record(out_path, record)
    return record


def _run_jobs(jobs, rounds):
    """The rows of every (engine, linker, worker arguments) job, ``rounds`` times interleaved;
    a worker that fails gives one row saying why."""
    rows = []
    for rnd in range(rounds):
        for eng, lk, args in jobs:
            what = f"{eng}/{lk}" if lk else ("PyTorch peer" if "--peer-worker" in args
                                             else "GEMM floor")
            print(f"  {what} ..." + (f" (round {rnd + 1})" if rounds > 1 else ""), flush=True)
            try:
                res = run_config("rnnlm.ptb_lstm.bench", args, eng, "float32", linker=lk)
            except RuntimeError as exc:
                msg = str(exc).strip().splitlines()[-1]
                print(f"{what}: worker failed: {msg}", file=sys.stderr)
                rows.append({"model": "LSTM", "engine": eng, "linker": lk, "floatX": "float32",
                             "error": msg, "round": rnd + 1})
                continue
            for r in res["rows"]:
                if "toolkit" in r["model"] and any(x["model"] == r["model"] for x in rows):
                    continue   # the numpy toolkit row is engine-independent: once
                rows.append(dict(r, round=rnd + 1))
    return rows


def _words_per_second(r):
    return "error: " + r["error"] if "error" in r else f"{r['words_per_second']:.0f}"


def _print_rows(rows):
    print(f"{'model':44s} {'variant':14s} {'engine':8s} {'linker':7s} {'words/s':>10s} "
          f"{'compile s':>10s}")
    for r in rows:
        comp = f"{r['compile_seconds']:.1f}" if r.get("compile_seconds") else ""
        print(f"{r['model']:44s} {r.get('variant', ''):14s} {r['engine']:8s} "
              f"{str(r.get('linker')):7s} {_words_per_second(r):>10s} {comp:>10s}")
        prof = {k[len("profile_ms_"):]: v for k, v in r.items() if k.startswith("profile_ms_")}
        if prof:
            print("      profile ms/window: " + ", ".join(f"{k} {v:.2f}" for k, v in
                                                         prof.items()))


def _write_record(out_path, record):
    """``out_path`` (the JSON record) and bench.md beside it."""
    rows, windows = record["rows"], record["windows"]
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    write_text(out_path, json.dumps(record, indent=2) + "\n")
    table = markdown_table(rows, [
        ("model", lambda r: r["model"]), ("variant", lambda r: r.get("variant", "")),
        ("round", lambda r: str(r.get("round", ""))),
        ("engine", lambda r: f"{r['engine']} {r.get('engine_version', '')}"),
        ("linker", lambda r: r.get("linker") or "-"), ("floatX", lambda r: r["floatX"]),
        ("words / s", _words_per_second),
        ("ms / window", lambda r: f"{r['ms_per_window']:.0f} ({r['window']})"
         if "ms_per_window" in r else ""),
        ("timed windows", lambda r: str(r.get("timed_windows", windows if "error" not in r
                                               else ""))),
        ("compile s", lambda r: f"{r['compile_seconds']:.1f}" if r.get("compile_seconds")
         else ""),
        ("profile ms: masks / call / wait", lambda r: " / ".join(
            f"{r[k]:.2f}" for k in ("profile_ms_masks", "profile_ms_call", "profile_ms_wait")
            if k in r))])
    write_text(os.path.join(os.path.dirname(os.path.abspath(out_path)), "bench.md"),
               f"Command: `python {' '.join(sys.argv)}`  \nCommit: {record['commit']}  \n"
               f"Hardware: {record['hardware']}"
               + (f", JAX on {record['accelerator']}" if record["accelerator"] else "")
               + f", Python {record['python']}  \n"
               f"Threads: {record['threads']} (BLAS; XLA flags: {record['xla_flags']}); "
               f"load average (1, 5, 15 min) at the end: "
               + ", ".join(f"{x:.1f}" for x in record["load_average"])
               + f" (a shared machine: other jobs ran meanwhile); wall "
               f"{record['wall_seconds']:.0f} s.  \nLSTM rows: train_step words/s after one "
               f"warm-up window; medium and large time only the windows listed (a "
               f"reduced run). Compile s includes Numba/JAX's first call.\n\n{table}\n")


def main(argv=None):
    """``python -m rnnlm.ptb_lstm.bench --worker|--peer-worker|--floor-worker`` (``compare``'s
    subprocesses, with ``Timing.worker_args``): report the rows."""
    p = argparse.ArgumentParser()
    p.add_argument("--worker", action="store_true")
    p.add_argument("--peer-worker", action="store_true")
    p.add_argument("--floor-worker", action="store_true")
    p.add_argument("--windows", type=int, default=30)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--sizes", default="small")
    p.add_argument("--big-windows", type=int, default=None)
    p.add_argument("--no-class-rnn", action="store_true")
    p.add_argument("--variants", default="scan")
    p.add_argument("--profile", action="store_true")
    args = p.parse_args(argv)
    timing = Timing(windows=args.windows, data_dir=args.data_dir,
                    sizes=tuple(args.sizes.split(",")), big_windows=args.big_windows,
                    class_rnn_rows=not args.no_class_rnn,
                    variants=tuple(args.variants.split(",")), profile=args.profile)
    if args.worker:
        report({"rows": worker(timing)})
    elif args.peer_worker:
        report({"rows": peer_worker(timing)})
    elif args.floor_worker:
        report({"rows": floor_worker(timing.sizes, _data(timing.data_dir, 1)[1])})

if __name__ == "__main__":
    main()
