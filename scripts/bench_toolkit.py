#!/usr/bin/env python
"""Training words/s of the toolkit trainer's two per-word loops side by side (``--kernel numba``
and ``--kernel python``), on the first PTB training words, at hidden 100 / class 100 and larger
hidden sizes, one thread; writes results/<id>/run.json and bench.md.

Both kernels train the same words from the same weights in one process, interleaved over the
repeats (a noisy neighbour slows both alike); each measurement records the load average before
and after it and the BLAS threads in use. The two kernels' log-probabilities of the slice are
compared as well (relative difference in the record). Weights are drawn with ``init="numpy"``
(the toolkit's glibc draw costs seconds of pure Python at hidden 500; speed does not depend on
it).

``--c-rnnlm BINARY`` adds the C toolkit itself as a third row, interleaved with the others: the
binary trains one iteration of the whole ptb.train.txt (``-one-iter``, so its vocabulary and
classes are the full data's, as ours) with the same hidden / class / bptt 4 / bptt-block 10,
``-debug 2``; it is stopped once its progress line passes the same number of words. Its own
figure (``Words/sec``: words over the CPU time since training began) is its words per CPU
second; its wall-clock words/s is measured between its first progress line and that one. Build
the toolkit from rnnlm-0.4b (www.fit.vutbr.cz/~imikolov/rnnlm/rnnlm-0.4b.tgz) or, offline,
from the copy of 0.4a in the ``rnnlm-python`` sdist on PyPI, with its makefile's flags and
float64 weights: ``g++ -D WEIGHTTYPE=double -O2 -funroll-loops -ffast-math -Wno-narrowing``.
"""
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy loads its BLAS
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root

C_TOOLKIT = {"value": 38000, "what": "rnnlm-0.4b (the C toolkit), -O2, float64, hidden 100 / "
             "class 100, one core of this machine: 37-38.6k words/s", "source": "issue 33 (a "
             "side-by-side run in an earlier session; not re-measured by this script)"}
KERNELS = ("numba", "python", "c")


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


def measure_c(binary, train_path, hidden, class_size, n_words):
    """The C toolkit's ``-one-iter`` training on ``train_path``, stopped once its progress line
    passes ``n_words``: its words per CPU second (its own ``Words/sec``) and wall-clock words/s
    between its first progress line and that one."""
    import re
    import subprocess
    import tempfile
    import time
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [binary, "-train", train_path, "-rnnlm", os.path.join(tmp, "model"), "-hidden",
               str(hidden), "-class", str(class_size), "-bptt", "4", "-bptt-block", "10",
               "-rand-seed", "1", "-one-iter", "-debug", "2"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        total, first, last, buf = None, None, None, b""
        try:
            while last is None or last[0] < n_words:
                chunk = proc.stdout.read1(4096)   # what has arrived, without waiting for more
                if not chunk:
                    from rnnrepro.files import InputError
                    tail = buf[-200:].decode(errors="replace").replace("\r", " ").split()
                    raise InputError(f"--c-rnnlm {binary}: ended before {n_words} words "
                                     f"(status {proc.wait()}): {' '.join(tail)}")
                buf += chunk
                text = buf.decode(errors="replace")
                m = re.search(r"Words in train file: (\d+)", text)
                total = int(m.group(1)) if m else total
                hits = re.findall(r"Progress: ([\d.]+)%\s+Words/sec: ([\d.]+)", text)
                if hits and total:
                    words = round(float(hits[-1][0]) * total / 100 / 10000) * 10000
                    if first is None:
                        first = (words, time.perf_counter())
                    if last is None or words > last[0]:
                        last = (words, time.perf_counter(), float(hits[-1][1]))
        finally:
            proc.kill()
            proc.wait()
    wall = (last[0] - first[0]) / (last[1] - first[1]) if last[0] > first[0] else None
    return {"kernel": "c", "hidden": hidden, "class_size": class_size, "words": last[0],
            "seconds": None, "words_per_second": round(wall, 1) if wall else None,
            "cpu_seconds": None, "words_per_cpu_second": last[2], "logp": None, "scored": None,
            "blas_threads": None, "command": " ".join(cmd[:1] + ["-train", train_path] + cmd[5:]),
            "load_before": [round(x, 2) for x in load0],
            "load_after": [round(x, 2) for x in os.getloadavg()]}


def run(data_dir, hiddens, class_size, n_words, kernels, repeats, say=print, c_rnnlm=None):
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
                if k == "c":
                    from rnnlm.ptb_text import split_path
                    row = measure_c(c_rnnlm, split_path(data_dir, "train"), h, class_size,
                                    n_words)
                else:
                    row = measure(dict(vocab=vocab, counts=counts, hidden=h,
                                       class_size=class_size, init="numpy"), words, k)
                row["repeat"] = r
                say(f"  hidden {h:4d} {k:6s} repeat {r}: {row['words_per_second']:9.0f} words/s"
                    f", {row['words_per_cpu_second']:9.0f} per CPU second  (load "
                    f"{row['load_before'][0]:.1f} -> {row['load_after'][0]:.1f})")
                rows.append(row)
    return rows


def summarise(rows, hiddens, kernels):
    """Per (hidden, kernel): median and best words/s (wall clock) and median words per CPU
    second of the process (what the loop itself gets done on the core it ran on, less
    sensitive to a loaded machine); per hidden: numba's speed-up over the numpy loop
    (wall-clock medians) and the relative difference of their summed log-probabilities, and
    numba over the C toolkit (wall clock and per CPU second)."""
    import numpy as np
    out = []
    for h in hiddens:
        line = {"hidden": h}
        for k in kernels:
            mine = [r for r in rows if r["hidden"] == h and r["kernel"] == k]
            wps = [r["words_per_second"] for r in mine if r["words_per_second"]]
            cps = [r["words_per_cpu_second"] for r in mine]
            line[k] = {"median": float(np.median(wps)), "best": max(wps), "runs": len(wps),
                       "per_cpu_second_median": float(np.median(cps))}
        if "numba" in kernels and "python" in kernels:
            a, b = (next(r["logp"] for r in rows if r["hidden"] == h and r["kernel"] == k)
                    for k in ("numba", "python"))
            line["speedup"] = round(line["numba"]["median"] / line["python"]["median"], 2)
            line["logp_rel_diff"] = abs(a - b) / abs(b)
        if "numba" in kernels and "c" in kernels:
            line["numba_over_c"] = round(line["numba"]["median"] / line["c"]["median"], 2)
            line["numba_over_c_per_cpu_second"] = round(
                line["numba"]["per_cpu_second_median"] / line["c"]["per_cpu_second_median"], 2)
        out.append(line)
    return out


def table(summary, kernels):
    both = "numba" in kernels and "python" in kernels
    with_c = "numba" in kernels and "c" in kernels
    head = "| hidden | " + " | ".join(f"{k} words/s (median, best; per CPU s)" for k in kernels)
    head += " |" + (" numba / python | log-prob rel. diff |" if both else "")
    head += " numba / C (wall; per CPU s) |" if with_c else ""
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for s in summary:
        cells = [str(s["hidden"])] + [
            f"{s[k]['median']:.0f} ({s[k]['best']:.0f}; {s[k]['per_cpu_second_median']:.0f})"
            for k in kernels]
        if both:
            cells += [f"{s['speedup']:.2f}x", f"{s['logp_rel_diff']:.1e}"]
        if with_c:
            cells += [f"{s['numba_over_c']:.2f}x; {s['numba_over_c_per_cpu_second']:.2f}x"]
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
    p.add_argument("--kernels", default=None,
                   help="kernels, comma-separated: numba, python, c (default numba,python, "
                        "and c with --c-rnnlm)")
    p.add_argument("--c-rnnlm", default=None, metavar="BINARY",
                   help="a built C toolkit (rnnlm) to time beside the kernels (see the script's "
                        "docstring for how it was built)")
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
    kernels = tuple((a.kernels or "numba,python" + (",c" if a.c_rnnlm else "")).split(","))
    bad = [k for k in kernels if k not in KERNELS]
    if bad or len(set(kernels)) != len(kernels):
        p.error(f"--kernels: {a.kernels!r} is not a list of distinct numba, python, c")
    if ("c" in kernels) != bool(a.c_rnnlm):
        p.error("--kernels c and --c-rnnlm BINARY: one needs the other")
    if a.c_rnnlm and not (os.path.isfile(a.c_rnnlm) and os.access(a.c_rnnlm, os.X_OK)):
        p.error(f"--c-rnnlm: {a.c_rnnlm} is not an executable file")
    try:
        hiddens = tuple(int(x) for x in a.hidden.split(","))
    except ValueError:
        hiddens = ()
    if not hiddens or min(hiddens) < 1:
        p.error(f"--hidden: {a.hidden!r} is not a list of positive integers")
    from rnnlm.ptb_text import resolve_data_dir
    from rnnlm.toolkit.model import check_kernel
    for k in kernels:
        if k != "c":
            check_kernel(k)
    data_dir = resolve_data_dir(a.data_dir)
    load_start = [round(x, 2) for x in os.getloadavg()]
    rows = run(data_dir, hiddens, a.class_size, a.words, kernels, a.repeats, c_rnnlm=a.c_rnnlm)
    summary = summarise(rows, hiddens, kernels)
    text = table(summary, kernels)
    print(text)
    write(a, data_dir, kernels, hiddens, rows, summary, text, load_start, argv)
    return 0


def _binary(path):
    """The C toolkit binary timed (None if none): its path and sha256."""
    if not path:
        return None
    import hashlib
    with open(path, "rb") as f:
        return {"path": os.path.abspath(path), "sha256": hashlib.sha256(f.read()).hexdigest()}


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
        "references": [C_TOOLKIT] if (first["hidden"] == 100 and a.class_size == 100
                                      and "c" not in kernels) else [],
        "c_rnnlm": _binary(a.c_rnnlm),
        "label": f"proxy: the first {a.words} PTB training words per measurement, alpha 0.1, "
                 f"weights from init=numpy; {a.repeats} interleaved repeats",
        "command": "python scripts/bench_toolkit.py " + " ".join(
            sys.argv[1:] if argv is None else argv),
        "commit": runlog.git_commit(), "data": f"PTB simple-examples ({data_dir})",
        "hardware": runlog.hardware(), "engine": "numpy" + (
            f" + numba {numba_version}" if "numba" in kernels else ""),
        "engine_version": np.__version__, "linker": None, "floatX": "float64",
        "threads": {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
                    "blas_threads_in_loop": sorted({r["blas_threads"] for r in rows
                                                    if r["kernel"] != "c"},
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
