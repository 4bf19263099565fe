"""Side-by-side benchmarks: one subprocess per (engine, floatX, BLAS, linker) configuration.

The engine is chosen at import and peak memory is a per-process figure, so each configuration
runs in a fresh interpreter. Configurations are interleaved round-robin over the repeats, so
that a noisy neighbour slows them all alike; ratios come from the one run.

This is only the harness: each benchmark lives beside what it measures (``rnnslu/bench.py``,
``rnnlm/wildml/bench.py``, ``rnnlm/ptb_lstm/bench.py``), and names its module to ``run_config``.
"""
import json
import os
import subprocess
import sys

MARK = "BENCH "


def report(result):
    """Called by a worker: print its result where ``run_config`` finds it."""
    print(MARK + json.dumps(result), flush=True)


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the repo


def single_thread_env(env):
    """One BLAS thread (unless OMP_NUM_THREADS says otherwise), and XLA's CPU backend held to
    one thread as well when it is so (JAX ignores OMP_NUM_THREADS; on a GPU this changes
    nothing)."""
    env["OMP_NUM_THREADS"] = env.get("OMP_NUM_THREADS", "1")
    if env["OMP_NUM_THREADS"] == "1" and "intra_op_parallelism_threads" not in \
            env.get("XLA_FLAGS", ""):
        env["XLA_FLAGS"] = " ".join(filter(None, [env.get("XLA_FLAGS"), (
            "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")]))
    return env


def run_config(module, args, engine="aesara", floatx="float64", blas="auto", timeout=3600,
               linker=None):
    """Run ``python -m module *args`` in a fresh interpreter with the given engine, floatX,
    BLAS choice and linker (None: the models' defaults), single-threaded (``single_thread_env``);
    return the dict it reported with ``report`` (the keys it reports itself win)."""
    env = single_thread_env(dict(
        os.environ, RNN_ENGINE=engine, RNN_FLOATX=floatx,
        PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))))
    if blas == "none":
        env["RNN_BLAS"] = "none"
    if linker:
        env["RNN_LINKER"] = linker
    proc = subprocess.run([sys.executable, "-m", module, *args], env=env, capture_output=True,
                          text=True, timeout=timeout)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARK):
            return {"engine": engine, "floatX": floatx, "blas": blas, "linker": linker,
                    **json.loads(line[len(MARK):])}
    raise RuntimeError(f"{module} {engine}/{floatx}/{blas}/{linker} failed:\n"
                       f"{proc.stderr[-3000:]}")


def installed_engines(engines=("aesara", "pytensor")):
    """The engines of ``engines`` importable by this interpreter (a missing aesara would fall
    back to PyTensor and give mislabelled duplicate rows)."""
    import importlib.util
    return tuple(e for e in engines if importlib.util.find_spec(e) is not None)


def run_matrix(module, args, configs, repeats=1):
    """Run every (engine, floatX, blas[, linker]) in ``configs`` ``repeats`` times,
    interleaved."""
    out = []
    for r in range(repeats):
        for engine, floatx, blas, *lk in configs:
            res = run_config(module, args, engine, floatx, blas, linker=(lk or [None])[0])
            res["repeat"] = r
            print(f"  {engine:8s} {floatx:7s} blas={blas:4s} linker={res.get('linker')} "
                  f"repeat {r}: "
                  + ", ".join(f"{k}={v}" for k, v in res.items()
                              if isinstance(v, (int, float)) and k != "repeat"), flush=True)
            out.append(res)
    return out


def best_of(results, key, lower_is_better=True):
    """Collapse repeats: the best ``key`` per configuration (the least disturbed run)."""
    by = {}
    for r in results:
        c = (r["engine"], r["floatX"], r["blas"], r.get("linker"))
        if c not in by or (r[key] < by[c][key]) == lower_is_better:
            by[c] = r
    return list(by.values())


def markdown_table(rows, columns):
    head = "| " + " | ".join(title for title, _ in columns) + " |"
    sep = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(fmt(r) for _, fmt in columns) + " |" for r in rows]
    return "\n".join([head, sep] + body)


def add_output_options(parser, default, option="--out", what="output folder"):
    """``option`` (default ``runs/<default>``: a benchmark never writes into the committed
    ``results/`` unless told to) and ``--overwrite`` on a benchmark script's parser."""
    parser.add_argument(option, default=os.path.join("runs", default),
                        help=f"{what} (default runs/{default}; a record under results/ is made "
                             f"by naming it here)")
    parser.add_argument("--overwrite", action="store_true",
                        help=f"replace what {option} already holds (default: refuse)")


def check_output(folder, overwrite, option="--out"):
    """Refuse, before any timing, a benchmark output folder that already holds something
    (a committed record, an earlier benchmark) unless ``overwrite``: one line, exit 2."""
    from rnnrepro.results import check_record_folder
    check_record_folder(folder, overwrite=overwrite, option=option)


def write_bench(out, record, header, table, note=None):
    """``out/bench.json`` (``record``; skipped when None, e.g. a re-render) and ``out/bench.md``
    (``header`` lines, the note, the table): the layout ``rnnrepro.results`` shows."""
    os.makedirs(out, exist_ok=True)
    from rnnrepro.files import write_json, write_text
    if record is not None:
        write_json(os.path.join(out, "bench.json"), record, indent=1)
    write_text(os.path.join(out, "bench.md"), "  \n".join(header) + "\n"
               + (f"\nNote: {note}\n" if note else "") + "\n" + table + "\n")
