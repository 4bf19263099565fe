"""``rnnslu train|search|sweep --dry-run``: the configured model on a few sentences, one
training pass over them and one evaluation, nothing written (conlleval's file goes to the null
device); returns what a real run would do, as text. Same code path as ``rnnslu.train``
(``train_epoch``, ``evaluate``); search and sweep try their first run's configuration and list
the others."""
import os

SENTENCES = 3


def dry_run(s, sentences=SENTENCES):
    from rnnrepro import engine
    from .train import evaluate, set_up, train_epoch
    corpus, rnn, _ = set_up(s)   # as a run sets up: data, seeds, model
    n = min(sentences, len(corpus.lex["train"]))
    cost = train_epoch(rnn, dict(s, verbose=0), corpus.windows["train"][:n],
                       corpus.y["train"][:n], list(range(n)), s["lr"], "dry run")
    m = min(sentences, len(corpus.lex["valid"]))
    res = evaluate(rnn, corpus.windows["valid"][:m], corpus.lex["valid"][:m],
                   corpus.y["valid"][:m], corpus.idx2label, corpus.idx2word, os.devnull)
    data = "the toy corpus" if s["data"] == "toy" else f"ATIS fold {s['fold']}"
    how = ("per-sentence SGD" if s["regime"] == "sentence" else
           f"per-word SGD over the last {s['bs']} windows ({s.get('is13_trainer', 'word')} "
           f"trainer)")
    return "\n".join([
        f"dry run, nothing written: {s['preset']} {s['model']} (hidden {s['nhidden']}, emb "
        f"{s['emb_dimension']}, win {s['win']}) on {data}, {rnn.ne} words, {rnn.nc} labels "
        f"({engine.summary('rnnslu')})",
        f"one pass over {n} training sentence(s): mean cost {cost:.4f}; validation on {m}: "
        f"F1 {res['f1']:.2f}",
        f"a real run: {s['nepochs']} epoch(s) of {how} over {len(corpus.lex['train'])} "
        f"sentences, lr {s['lr']:.6g}{', decay' if s.get('decay') else ''}, seed {s['seed']}; into "
        f"{s['out']}/ (config.json, log.jsonl, checkpoint.npz, best/, best.*.txt, "
        f"result.json)"])


def dry_run_search(base, trials, seed, fixed=None):
    """``rnnslu search --dry-run``: the trials the search would draw (``random_search``'s
    sampler and seed, ``fixed`` options in every trial), the first one tried as ``dry_run``
    does."""
    from .search import draw_trials
    from .train import make_config
    drawn = draw_trials(trials, seed, fixed)
    first = make_config(**dict(base, **drawn[0], out=os.path.join(base["out"], "trial000"),
                               verbose=0))
    lines = [f"search: {trials} trial(s) drawn with seed {seed}, into {base['out']}/ "
             f"(trialNNN/ each, search.jsonl):"]
    lines += [f"  trial {i:3d}: lr {t['lr']:.5f}, win {t['win']}, hidden {t['nhidden']}, emb "
              f"{t['emb_dimension']}" for i, t in enumerate(drawn)]
    return "\n".join(lines + ["trial 0:", dry_run(first)])


def dry_run_sweep(configs, out):
    """``rnnslu sweep --dry-run``: the runs the sweep would make (one per fold and seed), the
    first one tried as ``dry_run`` does."""
    lines = [f"sweep: {len(configs)} run(s) into {out}/ (summary.md, summary.json, "
             f"sweep.jsonl):"]
    lines += [f"  fold {s['fold']}, seed {s['seed']}: {s['out']}/" for s in configs]
    return "\n".join(lines + [f"{configs[0]['out']}:", dry_run(configs[0])])
