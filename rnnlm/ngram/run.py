"""``rnnlm ngram``: a Kneser-Ney (or Good-Turing, or maximum-entropy) n-gram on PTB (``ngram-count`` on ptb.train.txt, then
``ngram -ppl`` on valid and test) as a run folder: ``run.json`` (the results record),
``valid.probs.txt`` / ``test.probs.txt`` (one probability per scored token, the order of
``kn.KneserNey.word_log10probs``: each line's words then ``</s>``; what ``rnnlm mix`` and the
toolkit's ``-lm-prob`` read) and, if asked, the ARPA file.
"""
import os
import time
from dataclasses import dataclass, replace

import numpy as np

from rnnrepro import runlog, runsafe
from rnnrepro.files import InputError
from rnnrepro.results import write_record

from rnnlm.ptb_text import read_sentences, resolve_data_dir, split_path

# Mikolov 2012 PhD thesis, Table 4.1 (PTB test perplexity)
PUBLISHED = {("kn", 5): 141.2, ("kn", 3): 148.3, ("gt", 5): 162.3, ("gt", 3): 165.2,
             ("maxent", 5): 142.1}
PUBLISHED_SOURCE = "Mikolov 2012 PhD thesis, Table 4.1 (KN5 141.2, KN3 148.3, GT5 162.3, GT3 165.2)"
PUBLISHED_SOURCE_MAXENT = ("Mikolov 2012 PhD thesis, Table 4.1 (maximum entropy 5-gram 142.1; "
                           "that it was estimated as SRILM's -maxent is not established)")
SMOOTHING = {"kn": ("Kneser-Ney", "SRILM -kndiscount -interpolate"),
             "gt": ("Good-Turing (Katz back-off)", "SRILM ngram-count's default discounting"),
             "maxent": ("Maximum entropy", "SRILM -maxent: every n-gram a feature, exact "
                                           "normalisation")}
PROBS = "{split}.probs.txt"


def _say(msg, quiet):
    if not quiet:
        print(msg, flush=True)


def min_count_text(mins):
    return " ".join(f"-gt{i}min {k}" for i, k in enumerate(mins, 1))


@dataclass(frozen=True)
class NgramConfig:
    """What ``ngram-count`` is asked for: the order, the smoothing (``kn``: ``-kndiscount
    -interpolate``; ``gt``: its default Good-Turing/Katz; ``maxent``: ``-maxent``) and the
    ``-gtNmin`` cutoffs by order (None: SRILM's defaults; a maximum-entropy model keeps every
    n-gram). ``alpha``, ``sigma2``: ``-maxent-alpha``, ``-maxent-sigma2`` (None: SRILM's
    defaults); ``max_iter``: the most L-BFGS-B iterations of its estimation."""
    order: int = 5
    smoothing: str = "kn"
    min_counts: dict = None
    alpha: float = None
    sigma2: float = None
    max_iter: int = 2000

    def cutoffs(self):
        from rnnlm.ngram.kn import srilm_min_counts
        if self.smoothing == "maxent":
            if self.min_counts:
                raise InputError("minimum counts: a maximum-entropy model keeps every n-gram")
            return [1] * self.order
        return srilm_min_counts(self.order, self.min_counts)

    def maxent_prior(self):
        """(alpha, sigma2) as used: the given ones, else SRILM's defaults."""
        from rnnlm.ngram.maxent import ALPHA, SIGMA2
        return (ALPHA if self.alpha is None else self.alpha,
                SIGMA2 if self.sigma2 is None else self.sigma2)

    def describe(self):
        """The model in words, for records and dry runs."""
        name, how = SMOOTHING[self.smoothing]
        if self.smoothing == "maxent":
            a, s2 = self.maxent_prior()
            return f"{name} {self.order}-gram ({how}; -maxent-alpha {a:g} -maxent-sigma2 {s2:g})"
        mins = self.cutoffs()
        cut = "no cutoffs" if max(mins) == 1 else min_count_text(mins)
        return f"{name} {self.order}-gram ({how}, {cut})"

    def default_out(self):
        return os.path.join("runs", f"ngram-{self.smoothing}{self.order}-ptb")


def estimate(config, sentences, name, quiet=True):
    """``ngram-count`` on ``sentences`` (the training text, ``name`` its file)."""
    if config.smoothing == "maxent":
        return _estimate_maxent(config, sentences, name, quiet)
    from rnnlm.ngram.kn import GoodTuring, KneserNey
    mins = config.cutoffs()
    _say(f"counting {config.order}-grams of {len(sentences)} training sentences "
         f"({min_count_text(mins)})", quiet)
    model = {"kn": KneserNey, "gt": GoodTuring}[config.smoothing](
        sentences, order=config.order, min_counts=mins, name=name)
    for j in range(1, config.order + 1):
        d = " ".join(f"{x:.4f}" for x in model.discounts[j - 1]) or "none"
        _say(f"  order {j}: {len(model.counts[j - 1])} n-grams, "
             f"{int(model.kept[j - 1].sum())} kept; n1..n4 {model.count_of_counts[j - 1]}; "
             f"discounts {d}", quiet)
    return model


def _estimate_maxent(config, sentences, name, quiet):
    from rnnlm.ngram.maxent import MaxEnt
    alpha, sigma2 = config.maxent_prior()
    _say(f"estimating a maximum-entropy {config.order}-gram on {len(sentences)} training "
         f"sentences (-maxent-alpha {alpha:g} -maxent-sigma2 {sigma2:g}, at most "
         f"{config.max_iter} L-BFGS-B iterations)", quiet)
    model = MaxEnt(sentences, order=config.order, alpha=alpha, sigma2=sigma2, name=name,
                   max_iter=config.max_iter, say=None if quiet else print, report=100)
    f = model.fit
    _say(f"  features by order {model.sizes[0] - 1} {' '.join(map(str, model.sizes[1:]))}; "
         f"{f['iterations']} iterations ({f['message']}), {f['nonzero_weights']} weights "
         f"not zero", quiet)
    return model


def score_splits(model, data_dir, out, splits, quiet=True):
    """``ngram -ppl`` on each split: {split: (perplexity, details)}; the per-word
    probabilities go to ``out/<split>.probs.txt``."""
    from rnnlm.ngram.mix import write_probs
    res = {}
    for split in splits:
        path = split_path(data_dir, split)
        ppl, r = model.perplexity(read_sentences(path), where=path)
        runsafe.check_finite(f"the {split} perplexity", ppl)
        res[split] = (ppl, r)
        write_probs(os.path.join(out, PROBS.format(split=split)), 10.0 ** r["log10"])
        _say(f"{split}: {r['sentences']} sentences, {r['words']} words, {r['oovs']} OOVs, "
             f"logprob {r['log10'].sum():.2f}, ppl {ppl:.3f}", quiet)
    return res


def train_ngram(config, data_dir=None, out=None, arpa=None, overwrite=False, quiet=False,
                command=None, evaluate_test=True):
    """Estimate ``config`` on ptb.train.txt, score valid (and test), write the run folder
    ``out`` (and the ARPA file ``arpa``)."""
    data_dir = resolve_data_dir(data_dir)
    out = out or config.default_out()
    if arpa:
        from rnnrepro.files import check_output
        check_output(arpa, inputs=[split_path(data_dir, s) for s in ("train", "valid", "test")],
                     overwrite=True, option="--arpa")
    with runsafe.claim(out, overwrite=overwrite, markers=("run.json",),
                       say=lambda m: _say(m, quiet)):
        t0 = time.perf_counter()
        train_path = split_path(data_dir, "train")
        model = estimate(config, read_sentences(train_path), train_path, quiet)
        t_train = time.perf_counter() - t0
        res = score_splits(model, data_dir, out, ("valid", "test") if evaluate_test else
                           ("valid",), quiet)
        if arpa:
            model.write_arpa(arpa)
            _say(f"wrote {arpa}", quiet)
        seconds = time.perf_counter() - t0
        if not evaluate_test:
            return {"valid_perplexity": res["valid"][0], "seconds": seconds}
        rec = ngram_record(config, model, res, out, command, data_dir)
        rec.update(seconds=round(seconds, 1), train_seconds=round(t_train, 1))
        write_record(out, rec)
        ppl = res["test"][0]
        _say(f"test perplexity {ppl:.3f} (valid {res['valid'][0]:.3f}); wrote {out}/run.json "
             f"({seconds:.1f} s)", quiet)
        return {"test_perplexity": ppl, "valid_perplexity": res["valid"][0],
                "seconds": seconds}


def ngram_record(config, model, res, out, command, data_dir):
    """The results record (``run.json``) of a finished run; ``res`` as ``score_splits``."""
    ppl, r = res["test"]
    published = PUBLISHED.get((config.smoothing, config.order))
    source = PUBLISHED_SOURCE_MAXENT if config.smoothing == "maxent" else PUBLISHED_SOURCE
    return {
        "id": os.path.basename(os.path.normpath(out)), "package": "rnnlm",
        "what": config.describe(),
        "metric": "test perplexity", "value": ppl, "published": published,
        "published_source": source if published else None,
        "label": "full", "command": command or "", "commit": runlog.git_commit(),
        "data": f"PTB simple-examples ({data_dir})", "hardware": runlog.hardware(),
        "engine": "numpy", "engine_version": np.__version__, "linker": None,
        "floatX": "float64", "epochs": None, "seconds": None, "train_seconds": None,
        "peak_rss_mb": round(runlog.peak_rss_mb(), 1),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "valid_perplexity": res["valid"][0], "order": config.order,
        "smoothing": config.smoothing, "min_counts": config.cutoffs(),
        **_model_fields(config, model),
        "test_words": r["words"], "test_sentences": r["sentences"], "test_oovs": r["oovs"],
        "conventions": "SRILM ngram -ppl: </s> scored, <s> context only, <unk> a word "
                       "(-unk); ppl over words - OOVs + sentences",
        "per_word_probs": [PROBS.format(split=s) for s in ("valid", "test")],
    }


def _model_fields(config, model):
    """What the record keeps of the estimated model."""
    if config.smoothing == "maxent":
        alpha, sigma2 = config.maxent_prior()
        return {"maxent_alpha": alpha, "maxent_sigma2": sigma2, "fit": model.fit,
                "ngrams": [model.sizes[0] - 1] + model.sizes[1:]}
    return {"discounts": [list(d) for d in model.discounts],
            "count_of_counts": model.count_of_counts,
            "ngrams": [int(k.sum()) for k in model.kept]}


def dry_run(config, data_dir=None, out=None, arpa=None, sentences=2000):
    """Estimate on the first ``sentences`` training lines and score the first tenth as many
    validation lines; write nothing; say what a real run would do."""
    data_dir = resolve_data_dir(data_dir)
    train_path = split_path(data_dir, "train")
    train = read_sentences(train_path, sentences)
    full = config
    if config.smoothing == "maxent":     # a glimpse, not an estimate
        config = replace(config, max_iter=min(config.max_iter, 50))
    model = estimate(config, train, train_path)
    ppl, r = model.perplexity(read_sentences(split_path(data_dir, "valid"), sentences // 10))
    out = out or config.default_out()
    return "\n".join([
        f"dry run, nothing written: {config.describe()} on the first {len(train)} training "
        f"lines: validation perplexity {ppl:.2f} on {r['sentences']} lines",
        (f"(estimation stopped after {config.max_iter} iterations; a real run allows "
         f"{full.max_iter})\n" if config is not full else "")
        + f"a real run: counts all of {train_path}, scores valid and test, "
        f"writes {out}/ (run.json, valid.probs.txt, test.probs.txt)"
        + (f" and {arpa}" if arpa else "")])
