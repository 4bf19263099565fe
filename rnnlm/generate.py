"""Sampling and scoring through the language-model-scorer protocol (``rnnlm.registry``).

``generate_sentence`` is part 2's: start from the begin token, sample the next word from the
softmax until the end token, never emitting the unknown token (the tutorial re-draws when it
samples UNKNOWN_TOKEN; zeroing it and renormalising is the same distribution), and the caller
keeps drawing sentences until one has at least ``min_length`` words (``senten_min_length = 7``
in part 2). Part 4 gives up on sentences longer than 100 tokens; so does ``max_length`` here.
A ``prefix`` (ours, not the tutorial's) starts every sentence with the user's words, printed as
given; one outside the vocabulary is fed to the model as the unknown token.
"""
import math

import numpy as np


def _avoid_ids(scorer, avoid, allow_unknown=False):
    words = set(avoid or ()) | (set() if allow_unknown else {scorer.unknown_token})
    ids = [scorer.word_to_index[w] for w in words if w in scorer.word_to_index]
    # a begin token that is not also the end token is never a sensible next word
    if scorer.begin_token != scorer.end_token and scorer.begin_token in scorer.word_to_index:
        ids.append(scorer.word_to_index[scorer.begin_token])
    return sorted(set(ids))


def _refuse_non_finite(scorer, what):
    """A model with finite weights can still overflow to NaN/inf probabilities (checked where
    it is loaded: ``rnnrepro.checkpoint.check_finite``); never score or sample from them."""
    from rnnrepro.checkpoint import CheckpointError
    raise CheckpointError(f"{getattr(scorer, 'path', 'the model')}: {what} is not finite (the "
                          f"model overflows); not used")


def word_id(scorer, word, where="the text"):
    """The index of ``word``, or of the unknown token when it is out of the vocabulary; a
    vocabulary without an unknown token (a corpus with no ``<unk>``) cannot stand for it."""
    idx = scorer.word_to_index.get(word, scorer.word_to_index.get(scorer.unknown_token))
    if idx is None:
        from rnnrepro.cli import OptionError
        raise OptionError(f"{where}: {word!r} is not in the model's vocabulary, which has no "
                          f"{scorer.unknown_token} to stand for unknown words")
    return idx


def sample_sentence(scorer, rng=None, avoid=None, max_length=100, prefix=(),
                    allow_unknown=False):
    """One sampled sentence (list of words without begin/end), or None past ``max_length``;
    the unknown token is never sampled unless ``allow_unknown``."""
    rng = rng if rng is not None else np.random
    bad = _avoid_ids(scorer, avoid, allow_unknown)
    end = scorer.word_to_index[scorer.end_token]
    state = scorer.start()
    probs, state = scorer.advance(state, scorer.word_to_index[scorer.begin_token])
    words = []
    for w in prefix:
        # the prefix is the user's words, printed as given: a word outside the vocabulary is
        # fed to the model as its unknown token but never printed as UNKNOWN_TOKEN (WildML's
        # generate_sentence never emits it; it has no prefix, so the words it prints are its
        # own samples, which re-draw UNKNOWN_TOKEN)
        idx = word_id(scorer, w, "--prefix")
        words.append(w)
        probs, state = scorer.advance(state, idx)
    while True:
        p = np.array(probs, dtype=np.float64)
        if not np.all(np.isfinite(p)):
            _refuse_non_finite(scorer, "a next-word distribution")
        p[bad] = 0.0
        total = p.sum()
        if total <= 0:
            return None
        p /= total
        sampled = int(np.argmax(rng.multinomial(1, p)))
        if sampled == end:
            return words
        words.append(scorer.vocab[sampled])
        if len(words) > max_length:
            return None
        probs, state = scorer.advance(state, sampled)


def generate_sentence(scorer, min_length=7, max_length=100, rng=None, avoid=None, prefix=(),
                      max_tries=1000, allow_unknown=False):
    """Draw sentences until one has at least ``min_length`` words; returns its words."""
    for _ in range(max_tries):
        sent = sample_sentence(scorer, rng=rng, avoid=avoid, max_length=max_length, prefix=prefix,
                               allow_unknown=allow_unknown)
        if sent is not None and len(sent) >= min_length:
            return sent
    from rnnrepro.cli import OptionError  # reachable with valid options on a poor model
    raise OptionError(f"no sentence of --min-length {min_length} .. --max-length {max_length} "
                      f"words in {max_tries} tries; lower --min-length or raise --max-length")


TOKENIZERS = ("nltk", "whitespace")


def default_tokenizer(scorer):
    """The tokenizer the model was trained with: ``scorer.tokenizer`` (from its checkpoint,
    see ``rnnlm.registry``) when known; else nltk.word_tokenize (+ lowercasing) for the WildML
    vocabularies and whitespace otherwise."""
    from rnnlm.wildml.data import SENTENCE_START_TOKEN, word_tokenize
    kind = getattr(scorer, "tokenizer", None)
    if kind == "whitespace":
        return lambda text: text.split()
    if kind == "nltk" or scorer.begin_token == SENTENCE_START_TOKEN:
        return lambda text: word_tokenize(text.lower())
    return lambda text: text.split()


def score_sentences(scorer, sentences, tokenizer=None):
    """Log-probability of each sentence (its words and the end token, given the begin token).

    Returns a dict: ``log_prob`` (natural log, summed), ``log10_prob``, ``tokens`` (predicted
    tokens, end tokens included), ``perplexity`` = exp(-log_prob / tokens), ``oov`` (words
    mapped to the unknown token), and ``per_sentence`` log-probabilities.
    """
    tokenizer = tokenizer or default_tokenizer(scorer)
    w2i = scorer.word_to_index
    total, ntok, oov, per = 0.0, 0, 0, []
    for text in sentences:
        words = tokenizer(text) if isinstance(text, str) else list(text)
        ids = [word_id(scorer, w) for w in words]
        oov += sum(1 for w in words if w not in w2i)
        targets = ids + [w2i[scorer.end_token]]
        state = scorer.start()
        probs, state = scorer.advance(state, w2i[scorer.begin_token])
        lp = 0.0
        for j, t in enumerate(targets):
            lp += math.log(max(float(probs[t]), 1e-300))
            if j + 1 < len(targets):
                probs, state = scorer.advance(state, t)
        if not math.isfinite(lp):
            _refuse_non_finite(scorer, f"the log-probability of sentence {len(per) + 1}")
        per.append(lp)
        total += lp
        ntok += len(targets)
    return {"log_prob": total, "log10_prob": total / math.log(10), "tokens": ntok,
            "perplexity": math.exp(-total / ntok) if ntok else float("nan"), "oov": oov,
            "per_sentence": per}


def score_text(scorer, text, tokenizer=None):
    """Score ``text`` as one sentence (see ``score_sentences``)."""
    return score_sentences(scorer, [text], tokenizer)
