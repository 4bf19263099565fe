"""A small ATIS-like corpus the package generates itself (the embedded default, ``--data toy``).

Sentences such as "show flights from boston to new york tomorrow morning" with IOB slot
labels named as in ATIS (``B-fromloc.city_name``, ``I-toloc.city_name``, ...). The returned
structure is the one of Mesnil's pickles, ``(train, valid, test, dicts)``, so the toy data
goes through exactly the code path of the real data.
"""
import random

import numpy as np

CITIES = ["boston", "denver", "dallas", "atlanta", "pittsburgh", "baltimore", "seattle",
          "philadelphia", "oakland", "new york", "san francisco", "salt lake city",
          "las vegas", "washington", "fort worth", "st. louis"]
AIRLINES = ["delta", "united", "american airlines", "us air", "continental", "twa"]
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
PERIODS = ["morning", "afternoon", "evening"]
RELATIVE = ["today", "tomorrow"]
COST = ["cheapest", "lowest"]

# (template, slot name per placeholder) -- placeholders are filled from the lists above
TEMPLATES = [
    "show flights from {from} to {to} {rel}",
    "show me flights from {from} to {to} on {day}",
    "i want to fly from {from} to {to} {rel} {period}",
    "list {airline} flights from {from} to {to}",
    "what flights leave {from} on {day} {period} and arrive in {to}",
    "what is the {cost} fare from {from} to {to}",
    "i need a {airline} flight to {to} from {from} on {day}",
    "are there any flights from {from} to {to} {rel}",
    "give me the {cost} flight from {from} to {to} on {day}",
    "flights to {to} from {from} in the {period}",
]
SLOTS = {
    "from": ("fromloc.city_name", CITIES),
    "to": ("toloc.city_name", CITIES),
    "rel": ("depart_date.today_relative", RELATIVE),
    "day": ("depart_date.day_name", DAYS),
    "period": ("depart_time.period_of_day", PERIODS),
    "airline": ("airline_name", AIRLINES),
    "cost": ("cost_relative", COST),
}


def toy_sentence(rng):
    """One (words, labels) pair drawn from the templates."""
    template = rng.choice(TEMPLATES)
    words, labels = [], []
    used = set()
    for token in template.split():
        if token.startswith("{"):
            key = token[1:-1]
            slot, values = SLOTS[key]
            value = rng.choice([v for v in values if v not in used])
            used.add(value)
            for j, w in enumerate(value.split()):
                words.append(w)
                labels.append(("B-" if j == 0 else "I-") + slot)
        else:
            words.append(token)
            labels.append("O")
    return words, labels


def toy_corpus(n_train=400, n_valid=100, n_test=100, seed=1234):
    """``(train, valid, test, dicts)`` in the layout of ``atis.foldN.pkl.gz``."""
    rng = random.Random(seed)
    sents = [toy_sentence(rng) for _ in range(n_train + n_valid + n_test)]
    vocab = sorted({w for ws, _ in sents for w in ws})
    labels = sorted({l for _, ls in sents for l in ls})
    dicts = {"words2idx": {w: i for i, w in enumerate(vocab)},
             "labels2idx": {l: i for i, l in enumerate(labels)},
             "tables2idx": {"O": 0}}

    def split(part):
        lex = [np.array([dicts["words2idx"][w] for w in ws], dtype="int32") for ws, _ in part]
        y = [np.array([dicts["labels2idx"][l] for l in ls], dtype="int32") for _, ls in part]
        ne = [np.zeros(len(x), dtype="int32") for x in lex]
        return lex, ne, y

    a, b = n_train, n_train + n_valid
    return split(sents[:a]), split(sents[a:b]), split(sents[b:]), dicts
