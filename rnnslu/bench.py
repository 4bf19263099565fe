"""Benchmark worker: seconds for one training epoch (``dlt`` by default, or ``is13`` with
either trainer) and the peak memory.

Run by ``scripts/bench_rnnslu.py`` / ``scripts/bench_is13.py`` in one subprocess per
configuration; the epoch is the same code path as ``rnnslu train`` (``train_epoch``), on ATIS
fold 3 when available, else the toy corpus (labelled as such).
"""
import argparse
import os
import random
import time

from rnnrepro.bench import report


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir")
    ap.add_argument("--sentences", type=int, default=0, help="0 = the whole training set")
    ap.add_argument("--preset", choices=["dlt", "is13"], default="dlt")
    ap.add_argument("--model", choices=["elman", "jordan", "hybrid", "bi-jordan", "bi-elman"],
                    default="elman", help="rnnslu.model.MODELS")
    ap.add_argument("--is13-trainer", choices=["fast", "word"], default="fast")
    a = ap.parse_args(argv)
    from rnnrepro import engine
    from rnnrepro.runlog import peak_rss_mb
    from .data import data_dir, load_atis
    from .model import MODELS
    from .toy import toy_corpus
    from .train import PRESETS, train_epoch

    t0 = time.perf_counter()
    d = data_dir(a.data_dir)
    if os.path.exists(os.path.join(d, "atis.fold3.pkl.gz")):
        (lex, _, y), _, _, dic = load_atis(3, d)
        data = "ATIS fold 3"
    else:
        (lex, _, y), _, _, dic = toy_corpus()
        data = "toy corpus"
    s = dict(PRESETS[a.preset], verbose=0, is13_trainer=a.is13_trainer)
    random.seed(s["seed"])
    rnn = MODELS[a.model](s["nhidden"], len(dic["labels2idx"]), len(dic["words2idx"]),
                          s["emb_dimension"], s["win"], seed=s["seed"])
    rnn.compile_training(s["regime"], s["is13_trainer"], s["bs"])  # Numba: its first call too
    setup = time.perf_counter() - t0
    order = list(range(a.sentences or len(lex)))
    t = time.perf_counter()
    train_epoch(rnn, s, [rnn.windows(x) for x in lex], y, order, s["lr"], "bench")
    secs = time.perf_counter() - t
    report(dict(data=data, preset=a.preset, model=a.model,
                trainer=a.is13_trainer if a.preset == "is13" else "sentence",
                words=int(sum(len(y[i]) for i in order)),
                load_average=os.getloadavg()[0], sentences=len(order),
                seconds_per_epoch=round(secs, 3),
                ms_per_sentence=round(1e3 * secs / len(order), 4),
                setup_seconds=round(setup, 1), peak_rss_mb=round(peak_rss_mb(), 1),
                blas_flags=engine.config.blas__ldflags or "numpy C-API fallback",
                engine=engine.NAME, linker=engine.linker("rnnslu")))


if __name__ == "__main__":
    main()
