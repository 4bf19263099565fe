"""Words per second of the PTB models, per engine (used by ``scripts/bench_ptb.py``).

The engine is chosen when ``rnnrepro.engine`` is first imported, so ``compare`` runs one
subprocess per engine (``python -m rnnlm.ptb_bench --worker``, via ``rnnrepro.bench``).
"""
import argparse
import json
import os
import sys
import time

import numpy as np

from rnnrepro.bench import markdown_table, report, run_config


def _data(data_dir, n_words):
    """Real PTB ids when the files are there, else a random stream of the same vocabulary."""
    from rnnlm import ptb
    try:
        train, _, _, vocab = ptb.ptb_raw_data(data_dir)
        return train[:n_words], len(vocab), "ptb"
    except (FileNotFoundError, ValueError):
        return np.random.RandomState(0).randint(0, 10000, n_words).astype(np.int32), 10000, \
            "random ids"


def _time_windows(step, windows, warmup=2):
    """Seconds per call of ``step(x, y)`` over ``windows`` after ``warmup`` calls."""
    for x, y in windows[:warmup]:
        step(x, y)
    t0 = time.perf_counter()
    for x, y in windows[warmup:]:
        step(x, y)
    return (time.perf_counter() - t0) / max(len(windows) - warmup, 1)


def worker(windows=30, data_dir=None, numpy_words=20000):
    """Measure in this process (engine from RNN_ENGINE); returns a list of result dicts."""
    from rnnrepro.engine import NAME, VERSION, asfloat, set_floatx
    set_floatx("float32")
    from rnnlm import class_rnn, lstm, ptb
    out = []
    train, vocab_size, source = _data(data_dir, 200_000)

    # LSTM small config: train_step on 20x20 windows, state carried
    cfg = lstm.CONFIGS["small"]
    t0 = time.perf_counter()
    model = lstm.PTBLSTM(cfg, vocab_size, seed=0)
    compile_s = time.perf_counter() - t0
    wins = list(ptb.ptb_producer(train, cfg["batch_size"], cfg["num_steps"]))[:windows]
    state = list(model.zero_state(cfg["batch_size"]))
    lr = asfloat(1.0)

    def lstm_step(x, y):
        _, state[0], state[1], _ = model.train_step(x, y, state[0], state[1], lr)
    sec = _time_windows(lstm_step, wins)
    out.append({"model": "LSTM small (train)", "engine": NAME, "engine_version": VERSION,
                "floatX": "float32", "words_per_second": cfg["batch_size"] * cfg["num_steps"] / sec,
                "compile_seconds": compile_s, "data": source})
    state = list(model.zero_state(cfg["batch_size"]))

    def lstm_eval(x, y):
        _, state[0], state[1] = model.evaluate(x, y, state[0], state[1])
    sec = _time_windows(lstm_eval, wins)
    out.append({"model": "LSTM small (eval)", "engine": NAME, "engine_version": VERSION,
                "floatX": "float32", "words_per_second": cfg["batch_size"] * cfg["num_steps"] / sec,
                "compile_seconds": None, "data": source})

    # class-softmax RNN (hidden 100, 100 classes): batched graph, 20x20 windows
    counts = np.bincount(train, minlength=vocab_size)
    order = np.argsort(-counts, kind="stable")
    remap = np.empty(vocab_size, dtype=np.int64)
    remap[order] = np.arange(vocab_size)
    ids = remap[train]
    crnn = class_rnn.ClassRNNLM([str(i) for i in range(vocab_size)], np.maximum(counts[order], 1),
                                hidden=100, class_size=100, bptt=4, bptt_block=10, seed=1)
    t0 = time.perf_counter()
    graph = class_rnn.ClassRNNGraph(crnn)
    compile_s = time.perf_counter() - t0
    cwins = [(x.astype(np.int64), y.astype(np.int64)) for x, y in ptb.ptb_producer(ids, 20, 20)]
    cwins = cwins[:windows]
    h = [np.full((20, 100), 0.1, dtype="float32")]

    def crnn_step(x, y):
        _, h[0], _ = graph.train_step(x, y, h[0], asfloat(0.1))
    sec = _time_windows(crnn_step, cwins)
    out.append({"model": "class RNN h100 c100 (batched graph, train)", "engine": NAME,
                "engine_version": VERSION, "floatX": "float32",
                "words_per_second": 400 / sec, "compile_seconds": compile_s, "data": source})

    # the faithful per-word toolkit trainer (numpy, float64): engine-independent reference
    t0 = time.perf_counter()
    crnn.train_epoch(ids[:numpy_words], 0.1)
    out.append({"model": "class RNN h100 c100 (toolkit online SGD, numpy)", "engine": "numpy",
                "engine_version": np.__version__, "floatX": "float64",
                "words_per_second": numpy_words / (time.perf_counter() - t0),
                "compile_seconds": None, "data": source})
    return out


def compare(engines=("aesara", "pytensor"), windows=30, data_dir=None, out_path=None):
    """Run ``worker`` once per engine in a subprocess; print a table; write JSON."""
    from rnnrepro import runlog
    rows = []
    for eng in engines:
        args = ["--worker", "--windows", str(windows)] + (["--data-dir", data_dir] if data_dir else [])
        try:
            res = run_config("rnnlm.ptb_bench", args, eng, "float32")
        except RuntimeError as exc:
            print(f"{eng}: worker failed\n{exc}", file=sys.stderr)
            continue
        for r in res["rows"]:
            if r["engine"] == "numpy" and any(x["engine"] == "numpy" for x in rows):
                continue
            rows.append(r)
    print(f"{'model':50s} {'engine':10s} {'words/s':>10s} {'compile s':>10s}")
    for r in rows:
        comp = f"{r['compile_seconds']:.1f}" if r.get("compile_seconds") else ""
        print(f"{r['model']:50s} {r['engine']:10s} {r['words_per_second']:10.0f} {comp:>10s}")
    record = {"rows": rows, "windows": windows, "hardware": runlog.hardware(),
              "commit": runlog.git_commit(), "threads": os.environ.get("OMP_NUM_THREADS"),
              "load_average": os.getloadavg()}
    if out_path:
        os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
        with open(out_path, "w") as f:
            json.dump(record, f, indent=2)
            f.write("\n")
        table = markdown_table(rows, [
            ("model", lambda r: r["model"]), ("engine", lambda r: r["engine"]),
            ("floatX", lambda r: r["floatX"]),
            ("words / s", lambda r: f"{r['words_per_second']:.0f}")])
        with open(os.path.join(os.path.dirname(os.path.abspath(out_path)), "bench.md"), "w") as f:
            f.write(f"Command: `python {' '.join(sys.argv)}`  \nCommit: {record['commit']}  \n"
                    f"Hardware: {record['hardware']}  \nThreads: 1; load average at the end: "
                    f"{record['load_average'][0]:.1f}; {windows} windows of 20x20 words per model."
                    f"\n\n{table}\n")
    return record


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--worker", action="store_true")
    p.add_argument("--windows", type=int, default=30)
    p.add_argument("--data-dir", default=None)
    args = p.parse_args(argv)
    if args.worker:
        report({"rows": worker(args.windows, args.data_dir)})


if __name__ == "__main__":
    main()
