#!/usr/bin/env python3
"""The per-word trainers with the BLAS library's default thread count against one BLAS thread
(``rnnrepro.blas``, the trainers' default), side by side, interleaved, with the load average
seen by each run.

Workloads (each the trainers' own code path, a fixed slice of work):
- ``rnnslu``: is13 preset, fast trainer, Elman, ``--sentences`` of ATIS fold 3 (toy corpus when
  the pickles are missing, labelled as such), ``train_epoch``;
- ``toolkit``: the RNNLM toolkit's ``ClassRNNLM.train_epoch`` (hidden 100, 100 classes) on
  ``--words`` of PTB train (random Zipf ids over 10,000 words when PTB is missing);
- ``wildml``: ``RNNTheano.sgd_step`` (hidden 100, vocabulary 8000, as part 2) on
  ``--sentences`` random 20-word sentences.

The library default is what a user gets with no ``*_NUM_THREADS`` variable set, so the script
removes them from its own environment first (re-executing itself). One thread never changes
the numbers (tests/test_blas_threads.py); only the time is measured here.

    python scripts/bench_blas_threads.py [--workloads rnnslu,toolkit,wildml] [--repeats 3]
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

from rnnrepro import blas  # noqa: E402
from rnnrepro.bench import add_output_options, check_output  # noqa: E402
from rnnrepro.cli import ArgumentParser, positive_int, run_command  # noqa: E402

WORKLOADS = ("rnnslu", "toolkit", "wildml")


def _rnnslu(a):
    from rnnslu.bench import epoch_setup
    from rnnslu.train import train_epoch
    rnn, s, lex, y, data = epoch_setup(a.atis_dir, "is13", "elman", "fast")
    order = [i % len(lex) for i in range(a.sentences)]
    windows = [rnn.windows(x) for x in lex]
    words = int(sum(len(y[i]) for i in order))
    return (f"rnnslu is13 fast Elman, {a.sentences} sentences of {data} ({words} words)",
            lambda: train_epoch(rnn, s, windows, y, order, s["lr"], "bench"))


def _toolkit(a):
    import numpy as np
    from rnnlm.ptb_text import resolve_data_dir
    from rnnlm.toolkit.model import ClassRNNLM
    from rnnlm.toolkit.vocab import toolkit_data
    d = resolve_data_dir(a.ptb_dir)
    if os.path.isfile(os.path.join(d, "ptb.train.txt")):
        vocab, counts, ids = toolkit_data(d, train_words=a.words)
        words, label = ids["train"], "PTB train"
    else:
        rng = np.random.RandomState(0)
        vocab = ["</s>"] + [f"w{i}" for i in range(1, 10000)]
        words = np.minimum(rng.zipf(1.3, a.words) - 1, 9999)
        counts = np.bincount(words, minlength=10000) + 1
        label = "random Zipf ids"
    m = ClassRNNLM(vocab, counts, hidden=100, class_size=100)
    return (f"toolkit ClassRNNLM.train_epoch, hidden 100, 100 classes, {a.words} words of "
            f"{label}", lambda: m.train_epoch(words, 0.1))


def _wildml(a):
    import numpy as np
    from rnnlm.wildml.rnn_theano import RNNTheano
    rng = np.random.RandomState(0)
    sents = [rng.randint(0, 8000, 21).astype(np.int32) for _ in range(a.sentences)]
    np.random.seed(10)
    m = RNNTheano(8000, 100)
    m.sgd_step(sents[0][:-1], sents[0][1:], 0.005)   # compile outside the timing

    def run():
        for s in sents:
            m.sgd_step(s[:-1], s[1:], 0.005)
    return f"WildML RNNTheano.sgd_step, hidden 100, vocabulary 8000, {a.sentences} sentences", run


def bench(a, argv):
    from rnnrepro import engine
    from rnnrepro.bench import markdown_table, write_bench
    from rnnrepro.runlog import git_commit, hardware
    command, commit, hw = " ".join(["python"] + list(argv)), git_commit(), hardware()
    print(f"hardware: {hw} ({os.cpu_count()} cores)  commit: {commit}  engine: "
          f"{engine.summary()}", flush=True)
    build = {"rnnslu": _rnnslu, "toolkit": _toolkit, "wildml": _wildml}
    rows = []
    for name in a.workloads.split(","):
        label, run = build[name](a)
        run()   # warm-up: caches, first-call compilation, page faults
        for r in range(a.repeats):
            for setting, threads in (("library default", 0), ("1 thread (pinned)", 1)):
                with blas.limit_threads(threads):
                    seen = blas.current_threads()
                    load = os.getloadavg()[0]
                    t0 = time.perf_counter()
                    run()
                    secs = time.perf_counter() - t0
                rows.append(dict(workload=name, label=label, setting=setting,
                                 blas_threads=seen, repeat=r, seconds=round(secs, 3),
                                 load_average=round(load, 2),
                                 load_after=round(os.getloadavg()[0], 2)))
                print(f"  {name} {setting} repeat {r}: {secs:.2f} s, load {load:.2f}",
                      flush=True)
    best = {}
    for row in rows:
        k = (row["workload"], row["setting"])
        if k not in best or row["seconds"] < best[k]["seconds"]:
            best[k] = row
    pinned = {w: best[w, "1 thread (pinned)"]["seconds"] for w, _ in best}

    def ratio(r):
        return f"{r['seconds'] / pinned[r['workload']]:.2f}x"

    def loads(r):
        same = [x["load_average"] for x in rows
                if (x["workload"], x["setting"]) == (r["workload"], r["setting"])]
        return f"{min(same):.2f}-{max(same):.2f}"
    table = markdown_table(list(best.values()), [
        ("workload", lambda r: r["label"]), ("BLAS threads", lambda r: r["setting"]),
        ("threads seen", lambda r: ", ".join(f"{v}" for v in r["blas_threads"].values())),
        ("best s", lambda r: f"{r['seconds']:.2f}"),
        ("all s", lambda r: " / ".join(f"{x['seconds']:.2f}" for x in rows if
                                       (x["workload"], x["setting"]) ==
                                       (r["workload"], r["setting"]))),
        ("time vs pinned", ratio), ("load avg (1 min) at starts", loads)])
    print(table)
    d = engine.describe()
    write_bench(a.out, dict(command=command, commit=commit, hardware=hw, cpus=os.cpu_count(),
                            engine=d, repeats=a.repeats, note=a.note, rows=rows),
                [f"Command: `{command}`", f"Commit: {commit}",
                 f"Hardware: {hw} ({os.cpu_count()} cores, shared)",
                 f"Engine: {engine.summary()}; BLAS libraries: "
                 f"{', '.join(blas.current_threads())}",
                 f"Each workload warmed up once, then library default and one thread "
                 f"interleaved, {a.repeats} repeat(s); best of them shown."], table, a.note)


def main(argv=None):
    if any(os.environ.get(v) for v in blas.THREAD_VARIABLES) and argv is None:
        env = {k: v for k, v in os.environ.items() if k not in blas.THREAD_VARIABLES}
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    p = ArgumentParser(prog="bench_blas_threads.py", description=__doc__.split("\n")[0])
    p.add_argument("--workloads", default=",".join(WORKLOADS),
                   help=f"comma-separated, of {', '.join(WORKLOADS)}")
    p.add_argument("--atis-dir", help="ATIS folder (default $ATISDATA or data/atis)")
    p.add_argument("--ptb-dir", help="PTB folder (default $PTBDATA or data/ptb)")
    p.add_argument("--sentences", type=positive_int, default=400,
                   help="sentences per timed run (rnnslu, wildml)")
    p.add_argument("--words", type=positive_int, default=20000,
                   help="words per timed run (toolkit)")
    p.add_argument("--repeats", type=positive_int, default=3, help="interleaved repeats")
    add_output_options(p, "bench-blas-threads", what="folder for bench.json and bench.md")
    p.add_argument("--note", default=None, help="conditions worth reporting (stored, shown)")
    a = p.parse_args(argv)
    bad = [w for w in a.workloads.split(",") if w not in WORKLOADS]
    if bad:
        p.error(f"--workloads: unknown {', '.join(bad)} (choose from {', '.join(WORKLOADS)})")

    def checked_bench(_):
        check_output(a.out, a.overwrite)
        return bench(a, sys.argv if argv is None else ["scripts/bench_blas_threads.py"] + argv)
    return run_command(p.prog, checked_bench, None)


if __name__ == "__main__":
    sys.exit(main())
