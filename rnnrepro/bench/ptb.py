"""Words per second of the PTB models, per engine and linker (used by ``scripts/bench_ptb.py``).

The engine is chosen when ``rnnrepro.engine`` is first imported, so ``compare`` runs one
subprocess per (engine, linker) (``python -m rnnrepro.bench.ptb --worker``, via
``rnnrepro.bench``). On a GPU machine the same run measures JAX on the GPU (JAX picks it).
"""
import argparse
import json
import os
import sys
import time

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


def _lstm_row(size, windows, train, vocab_size, source, linker_name):
    """Words/s of one LSTM config's train_step (dropout masks as in training)."""
    from rnnrepro.engine import asfloat, describe
    from rnnlm.ptb_lstm import model as lstm, reader as ptb
    cfg = lstm.CONFIGS[size]
    t0 = time.perf_counter()
    model = lstm.PTBLSTM(cfg, vocab_size, seed=0)
    model.compile_for(cfg["batch_size"], cfg["num_steps"])  # Numba/JAX: first call included
    compile_s = time.perf_counter() - t0
    wins = list(ptb.ptb_producer(train, cfg["batch_size"], cfg["num_steps"]))[:windows + 1]
    state = list(model.zero_state(cfg["batch_size"]))
    lr = asfloat(1.0)
    rng = np.random.RandomState(0)

    def lstm_step(x, y):
        masks = model.dropout_masks(rng, cfg["batch_size"], cfg["num_steps"]) \
            if model.use_dropout else []
        cost, state[0], state[1], _ = model.train_step(x, y, state[0], state[1], lr, *masks)
        return cost
    sec = _time_windows(lstm_step, wins, warmup=1)
    d = describe("ptb-lstm")
    return {"model": f"LSTM {size} (train)", "engine": d["engine"],
            "engine_version": d["engine_version"], "linker": model.linker, "floatX": d["floatX"],
            "words_per_second": cfg["batch_size"] * cfg["num_steps"] / sec,
            "ms_per_window": 1e3 * sec, "timed_windows": len(wins) - 1,
            "window": f"{cfg['batch_size']}x{cfg['num_steps']}",
            "compile_seconds": compile_s, "data": source,
            "accelerator": runlog.accelerator(model.linker)}


def worker(windows=30, data_dir=None, numpy_words=20000, sizes=("small",), big_windows=None,
           class_rnn_rows=True):
    """Measure in this process (engine from RNN_ENGINE, linker from RNN_LINKER); returns a
    list of result dicts. A linker that cannot run here gives one row saying why."""
    from rnnrepro.engine import NAME, VERSION, asfloat, describe, linker, set_floatx
    set_floatx("float32")
    from rnnlm.ptb_lstm import reader as ptb
    from rnnlm.toolkit.graph import ClassRNNGraph
    from rnnlm.toolkit.model import ClassRNNLM
    out = []
    train, vocab_size, source = _data(data_dir, 200_000)
    try:
        lk = linker("ptb-lstm")
    except ValueError as exc:
        return [{"model": "LSTM", "engine": NAME, "engine_version": VERSION,
                 "linker": os.environ.get("RNN_LINKER"), "floatX": "float32",
                 "error": str(exc)}]
    for size in sizes:
        n = windows if size == "small" else (big_windows or LSTM_WINDOWS[size])
        out.append(_lstm_row(size, n, train, vocab_size, source, lk))
    if not class_rnn_rows:
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
    cwins = cwins[:windows]
    h = [np.full((20, 100), 0.1, dtype="float32")]

    def crnn_step(x, y):
        _, h[0], _ = graph.train_step(x, y, h[0], asfloat(0.1))
    sec = _time_windows(crnn_step, cwins)
    out.append({"model": "class RNN h100 c100 (batched graph, train)", "engine": NAME,
                "engine_version": VERSION, "linker": describe()["linker"], "floatX": "float32",
                "words_per_second": 400 / sec, "compile_seconds": compile_s, "data": source})

    # the faithful per-word toolkit trainer (numpy, float64): engine-independent reference
    t0 = time.perf_counter()
    crnn.train_epoch(ids[:numpy_words], 0.1)
    out.append({"model": "class RNN h100 c100 (toolkit online SGD, numpy)", "engine": "numpy",
                "engine_version": np.__version__, "linker": None, "floatX": "float64",
                "words_per_second": numpy_words / (time.perf_counter() - t0),
                "compile_seconds": None, "data": source})
    return out


def compare(engines=("aesara", "pytensor"), windows=30, data_dir=None, out_path=None,
            linkers=("c", "numba", "jax"), sizes=("small", "medium", "large"), big_windows=None,
            class_rnn_rows=True):
    """Run ``worker`` once per (engine, linker) in a subprocess; print a table; write JSON and
    bench.md. Engines that are not installed are left out; linkers an engine cannot run give
    a row saying why."""
    from rnnrepro.bench import installed_engines, single_thread_env
    rows = []
    t_start = time.time()
    for eng in installed_engines(engines):
        for lk in linkers:
            args = ["--worker", "--windows", str(windows), "--sizes", ",".join(sizes)] \
                + (["--data-dir", data_dir] if data_dir else []) \
                + (["--big-windows", str(big_windows)] if big_windows else []) \
                + ([] if class_rnn_rows and lk == linkers[0] else ["--no-class-rnn"])
            print(f"  {eng} / {lk} ...", flush=True)
            try:
                res = run_config("rnnrepro.bench.ptb", args, eng, "float32", linker=lk)
            except RuntimeError as exc:
                msg = str(exc).strip().splitlines()[-1]
                print(f"{eng}/{lk}: worker failed: {msg}", file=sys.stderr)
                rows.append({"model": "LSTM", "engine": eng, "linker": lk, "floatX": "float32",
                             "error": msg})
                continue
            for r in res["rows"]:
                if r["engine"] == "numpy" and any(x["engine"] == "numpy" for x in rows):
                    continue
                rows.append(r)
    fmt = lambda r: "error: " + r["error"] if "error" in r else f"{r['words_per_second']:.0f}"
    print(f"{'model':50s} {'engine':10s} {'linker':7s} {'words/s':>10s} {'compile s':>10s}")
    for r in rows:
        comp = f"{r['compile_seconds']:.1f}" if r.get("compile_seconds") else ""
        print(f"{r['model']:50s} {r['engine']:10s} {str(r.get('linker')):7s} {fmt(r):>10s} "
              f"{comp:>10s}")
    env = single_thread_env(dict(os.environ))
    record = {"rows": rows, "windows": windows, "hardware": runlog.hardware(),
              "accelerator": next((r["accelerator"] for r in rows if r.get("accelerator")),
                                  None),
              "commit": runlog.git_commit(), "threads": env["OMP_NUM_THREADS"],
              "xla_flags": env.get("XLA_FLAGS"), "load_average": os.getloadavg(),
              "wall_seconds": round(time.time() - t_start, 1),
              "python": sys.version.split()[0]}
    if out_path:
        os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
        write_text(out_path, json.dumps(record, indent=2) + "\n")
        table = markdown_table(rows, [
            ("model", lambda r: r["model"]), ("engine", lambda r: f"{r['engine']} "
                                                             f"{r.get('engine_version', '')}"),
            ("linker", lambda r: r.get("linker") or "-"), ("floatX", lambda r: r["floatX"]),
            ("words / s", fmt),
            ("ms / window", lambda r: f"{r['ms_per_window']:.0f} ({r['window']})"
             if "ms_per_window" in r else ""),
            ("timed windows", lambda r: str(r.get("timed_windows", windows if "error" not in r
                                                   else ""))),
            ("compile s", lambda r: f"{r['compile_seconds']:.1f}" if r.get("compile_seconds")
             else "")])
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
    return record


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--worker", action="store_true")
    p.add_argument("--windows", type=int, default=30)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--sizes", default="small")
    p.add_argument("--big-windows", type=int, default=None)
    p.add_argument("--no-class-rnn", action="store_true")
    args = p.parse_args(argv)
    if args.worker:
        report({"rows": worker(args.windows, args.data_dir, sizes=args.sizes.split(","),
                               big_windows=args.big_windows,
                               class_rnn_rows=not args.no_class_rnn)})


if __name__ == "__main__":
    main()
