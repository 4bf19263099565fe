#!/usr/bin/env python
"""Training words/s of the toolkit trainer's two per-word loops side by side (``--kernel numba``
and ``--kernel python``), on the first PTB training words, at hidden 100 / class 100 and larger
hidden sizes, one thread; writes results/<id>/run.json and bench.md.

Both kernels train the same words from the same weights in one process, interleaved over the
repeats (a noisy neighbour slows both alike); each measurement records the load average before
and after it and the BLAS threads in use. The two kernels' log-probabilities of the slice are
compared as well (relative difference in the record). Weights are drawn with ``init="numpy"``
(the toolkit's glibc draw costs seconds of pure Python at hidden 500; speed does not depend on
it). The C toolkit is not run here: its figure on this machine (issue 33) is a reference.
"""
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy loads its BLAS
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

C_TOOLKIT = {"value": 38000, "what": "rnnlm-0.4b (the C toolkit), -O2, float64, hidden 100 / "
             "class 100, one core of this machine: 37-38.6k words/s", "source": "issue 33 (a "
             "side-by-side run in an earlier session; not re-measured by this script)"}


def _blas_threads():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return max((i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"),
               default=None)


def measure(model_args, words, kernel, alpha=0.1):
    """Words/s of one ``train_epoch`` over ``words`` on a fresh model; the load around it."""
    import time
    from rnnlm.toolkit.model import ClassRNNLM
    from rnnrepro.blas import limit_threads
    m = ClassRNNLM(**model_args, kernel=kernel)
    load0 = os.getloadavg()
    with limit_threads(1):   # as rnnlm ptb-rnnlm runs by default
        threads = _blas_threads()
        t0, c0 = time.perf_counter(), time.process_time()
        logp, n, _ = m.train_epoch(words, alpha)
        sec, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"kernel": kernel, "hidden": m.hidden, "class_size": m.class_size,
            "words": len(words), "seconds": round(sec, 6),
            "words_per_second": round(len(words) / sec, 1), "cpu_seconds": round(cpu, 6),
            "words_per_cpu_second": round(len(words) / cpu, 1), "logp": logp, "scored": n,
            "blas_threads": threads,
            "load_before": [round(x, 2) for x in load0],
            "load_after": [round(x, 2) for x in os.getloadavg()]}


def run(data_dir, hiddens, class_size, n_words, kernels, repeats, say=print):
    import numpy as np
    from rnnlm.toolkit.model import ClassRNNLM
    from rnnlm.toolkit.vocab import toolkit_data
    vocab, counts, ids = toolkit_data(data_dir, None)
    words = np.asarray(ids["train"][:n_words], dtype=np.int64)
    if "numba" in kernels:  # compile (or load the cached kernel) outside the timings
        ClassRNNLM(vocab, counts, hidden=4, class_size=class_size, init="numpy",
                   kernel="numba").train_epoch(words[:50], 0.1)
    rows = []
    for r in range(repeats):
        for h in hiddens:
            for k in kernels:
                row = measure(dict(vocab=vocab, counts=counts, hidden=h, class_size=class_size,
                                   init="numpy"), words, k)
                row["repeat"] = r
                say(f"  hidden {h:4d} {k:6s} repeat {r}: {row['words_per_second']:9.0f} words/s"
                    f", {row['words_per_cpu_second']:9.0f} per CPU second  (load "
                    f"{row['load_before'][0]:.1f} -> {row['load_after'][0]:.1f})")
                rows.append(row)
    return rows


def summarise(rows, hiddens, kernels):
    """Per (hidden, kernel): median and best words/s (wall clock) and median words per CPU
    second of the process (what the loop itself gets done on the core it ran on, less
    sensitive to a loaded machine); per hidden: the speed-up (wall-clock medians) and the
    relative difference of the two kernels' summed log-probabilities."""
    import numpy as np
    out = []
    for h in hiddens:
        line = {"hidden": h}
        for k in kernels:
            wps = [r["words_per_second"] for r in rows if r["hidden"] == h and r["kernel"] == k]
            cps = [r["words_per_cpu_second"] for r in rows
                   if r["hidden"] == h and r["kernel"] == k]
            line[k] = {"median": float(np.median(wps)), "best": max(wps), "runs": len(wps),
                       "per_cpu_second_median": float(np.median(cps))}
        if len(kernels) == 2:
            a, b = (next(r["logp"] for r in rows if r["hidden"] == h and r["kernel"] == k)
                    for k in kernels)
            line["speedup"] = round(line[kernels[0]]["median"] / line[kernels[1]]["median"], 2)
            line["logp_rel_diff"] = abs(a - b) / abs(b)
        out.append(line)
    return out


def table(summary, kernels):
    head = "| hidden | " + " | ".join(f"{k} words/s (median, best; per CPU s)" for k in kernels)
    head += " | speed-up | log-prob rel. diff |" if len(kernels) == 2 else " |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for s in summary:
        cells = [str(s["hidden"])] + [
            f"{s[k]['median']:.0f} ({s[k]['best']:.0f}; {s[k]['per_cpu_second_median']:.0f})"
            for k in kernels]
        if len(kernels) == 2:
            cells += [f"{s['speedup']:.2f}x", f"{s['logp_rel_diff']:.1e}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    from rnnrepro.cli import ArgumentParser, positive_int
    p = ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default=None,
                   help="PTB folder (as for rnnlm ptb-rnnlm; default $PTBDATA, ...)")
    p.add_argument("--hidden", default="100,300,500",
                   help="hidden sizes, comma-separated (default 100,300,500)")
    p.add_argument("--class", dest="class_size", type=positive_int, default=100,
                   help="number of word classes (default 100)")
    p.add_argument("--words", type=positive_int, default=20000,
                   help="training words timed per measurement (the first N of ptb.train.txt)")
    p.add_argument("--kernels", default="numba,python",
                   help="kernels, comma-separated: numba, python (default both)")
    p.add_argument("--repeats", type=positive_int, default=2,
                   help="measurements per (hidden, kernel), interleaved (default 2)")
    from rnnrepro.bench import add_output_options
    add_output_options(p, "bench-toolkit-kernels", option="--results-dir",
                       what="where run.json and bench.md go")
    p.add_argument("--note", default=None,
                   help="a note for the record and bench.md (e.g. what else ran meanwhile)")
    a = p.parse_args(argv)
    from rnnrepro.bench import check_output
    check_output(a.results_dir, a.overwrite, option="--results-dir")
    kernels = tuple(a.kernels.split(","))
    bad = [k for k in kernels if k not in ("numba", "python")]
    if bad or len(set(kernels)) != len(kernels):
        p.error(f"--kernels: {a.kernels!r} is not a list of distinct numba, python")
    try:
        hiddens = tuple(int(x) for x in a.hidden.split(","))
    except ValueError:
        hiddens = ()
    if not hiddens or min(hiddens) < 1:
        p.error(f"--hidden: {a.hidden!r} is not a list of positive integers")
    from rnnlm.ptb_text import resolve_data_dir
    from rnnlm.toolkit.model import check_kernel
    for k in kernels:
        check_kernel(k)
    data_dir = resolve_data_dir(a.data_dir)
    load_start = [round(x, 2) for x in os.getloadavg()]
    rows = run(data_dir, hiddens, a.class_size, a.words, kernels, a.repeats)
    summary = summarise(rows, hiddens, kernels)
    text = table(summary, kernels)
    print(text)
    write(a, data_dir, kernels, hiddens, rows, summary, text, load_start, argv)
    return 0


def write(a, data_dir, kernels, hiddens, rows, summary, text, load_start, argv):
    import numpy as np
    from rnnrepro import runlog
    from rnnrepro.files import write_text
    from rnnrepro.results import write_record
    first = summary[0]
    k0 = kernels[0]
    try:
        import numba
        numba_version = numba.__version__
    except ImportError:
        numba_version = None
    record = {
        "id": os.path.basename(os.path.normpath(a.results_dir)), "package": "rnnlm",
        "what": (f"toolkit trainer (ptb-rnnlm) training words/s, {k0} kernel, hidden "
                 f"{first['hidden']} / class {a.class_size}, one thread; all rows in 'rows'"),
        "metric": "training words per second (median)",
        "value": first[k0]["median"], "published": None, "published_source": None,
        "references": [C_TOOLKIT] if first["hidden"] == 100 and a.class_size == 100 else [],
        "label": f"proxy: the first {a.words} PTB training words per measurement, alpha 0.1, "
                 f"weights from init=numpy; {a.repeats} interleaved repeats",
        "command": "python scripts/bench_toolkit.py " + " ".join(
            sys.argv[1:] if argv is None else argv),
        "commit": runlog.git_commit(), "data": f"PTB simple-examples ({data_dir})",
        "hardware": runlog.hardware(), "engine": "numpy" + (
            f" + numba {numba_version}" if "numba" in kernels else ""),
        "engine_version": np.__version__, "linker": None, "floatX": "float64",
        "threads": {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
                    "blas_threads_in_loop": sorted({r["blas_threads"] for r in rows},
                                                   key=str),
                    "cpu_count": os.cpu_count(), "niceness": os.nice(0)},
        "load_average_start": load_start,
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0], "summary": summary, "rows": rows,
        "epochs": None, "seconds": None,
    }
    if a.note:
        record["note"] = a.note
    write_record(a.results_dir, record)
    th = record["threads"]
    md = [f"Command: `{record['command']}`  ",
          f"Commit: {record['commit']}  ",
          f"Hardware: {record['hardware']}, Python {record['python']}, numpy "
          f"{record['engine_version']}" + (f", numba {numba_version}" if numba_version else "")
          + "  ",
          f"Threads: OMP_NUM_THREADS={th['OMP_NUM_THREADS']}, BLAS threads in the loop "
          f"{', '.join(map(str, th['blas_threads_in_loop']))}, niceness {th['niceness']}; load "
          f"average (1, 5, 15 min) at the start "
          + ", ".join(f"{x:.1f}" for x in load_start) + ", at the end "
          + ", ".join(f"{x:.1f}" for x in record["load_average_1_5_15"])
          + f" ({th['cpu_count']} cores)  ",
          f"Data: the first {a.words} PTB training words per measurement ({data_dir}), class "
          f"{a.class_size}, alpha 0.1, init=numpy; median (best) of {a.repeats} interleaved "
          f"repeat(s); words per CPU second = words / CPU time of the process.", ""]
    if a.note:
        md += [f"Note: {a.note}", ""]
    md += [text, ""]
    if record["references"]:
        md += [f"Reference: {C_TOOLKIT['what']}: about {C_TOOLKIT['value']} words/s "
               f"({C_TOOLKIT['source']}).", ""]
    write_text(os.path.join(a.results_dir, "bench.md"), "\n".join(md))
    print(f"wrote {os.path.join(a.results_dir, 'run.json')} and bench.md")


if __name__ == "__main__":
    from rnnrepro.cli import run_command
    sys.exit(run_command("bench_toolkit.py", lambda _: main(), None))
