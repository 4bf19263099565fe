"""A small ATIS-like corpus the package generates itself (the embedded default, ``--data toy``).

Sentences such as "show flights from boston to new york tomorrow morning" with IOB slot
labels named as in ATIS (``B-fromloc.city_name``, ``I-toloc.city_name``, ...). The returned
structure is the one of Mesnil's pickles, ``(train, valid, test, dicts)``, so the toy data
goes through exactly the code path of the real data.

It keeps what makes ATIS hard, so that a run's F1 rises over its epochs and stays below 100:

- words shared across slots: every city can be a departure, arrival or stop, every day and
  time of day a departure or an arrival; only the context tells which ("leaving sunday" /
  "arriving sunday", "from X" / "to X" / "via X" / "X to Y");
- slot values seen only at test time: some cities occur only in the validation and test
  sentences (their embeddings are never trained, as for ATIS words unseen in training);
- sentences that need context beyond the neighbouring words: in "what flights leave X on D
  and arrive in Y in the P" the day and the time belong to different events.
"""
import random

import numpy as np

CITIES = ["boston", "denver", "dallas", "atlanta", "pittsburgh", "baltimore", "seattle",
          "philadelphia", "oakland", "new york", "san francisco", "salt lake city",
          "las vegas", "washington", "fort worth", "st. louis"]
# cities that never occur in the training sentences (valid and test only)
UNSEEN_CITIES = ["memphis", "kansas city", "tampa", "new orleans", "phoenix", "san diego"]
UNSEEN_RATE = 0.35  # share of the city slots of a valid/test sentence drawn from UNSEEN_CITIES
AIRLINES = ["delta", "united", "american airlines", "us air", "continental", "twa"]
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
PERIODS = ["morning", "afternoon", "evening"]
RELATIVE = ["today", "tomorrow"]
COST = ["cheapest", "lowest"]

# placeholders: {from} {to} {stop} cities; {dday}/{aday} days and {dper}/{aper} times of
# day of the departure / arrival; {rel}, {airline}, {cost}
TEMPLATES = [
    "show flights from {from} to {to} {rel}",
    "show me flights from {from} to {to} on {dday}",
    "i want to fly from {from} to {to} {rel} {dper}",
    "list {airline} flights from {from} to {to}",
    "what flights leave {from} on {dday} {dper} and arrive in {to}",
    "what flights leave {from} on {dday} and arrive in {to} in the {aper}",
    "what is the {cost} fare from {from} to {to}",
    "i need a {airline} flight to {to} from {from} on {dday}",
    "are there any flights from {from} to {to} arriving {aday} {aper}",
    "give me the {cost} flight from {from} to {to} on {dday}",
    "flights to {to} from {from} in the {dper}",
    "{from} to {to} {dday}",
    "{from} to {to} arriving {aday}",
    "flights between {from} and {to} with a stop in {stop}",
    "i would like a flight to {to} via {stop} leaving {from} {dday} {dper}",
    "which {airline} flights arrive in {to} on {aday} from {from}",
    "show me the {cost} {airline} flight leaving {from} {rel} going to {to}",
    "i want to go to {to} on {aday} and leave {from} in the {dper}",
]
CITY = "__city__"
SLOTS = {
    "from": ("fromloc.city_name", CITY),
    "to": ("toloc.city_name", CITY),
    "stop": ("stoploc.city_name", CITY),
    "rel": ("depart_date.today_relative", RELATIVE),
    "dday": ("depart_date.day_name", DAYS),
    "aday": ("arrive_date.day_name", DAYS),
    "dper": ("depart_time.period_of_day", PERIODS),
    "aper": ("arrive_time.period_of_day", PERIODS),
    "airline": ("airline_name", AIRLINES),
    "cost": ("cost_relative", COST),
}


def toy_sentence(rng, unseen=0.0):
    """One (words, labels) pair drawn from the templates; each city slot comes from
    ``UNSEEN_CITIES`` with probability ``unseen``."""
    template = rng.choice(TEMPLATES)
    words, labels = [], []
    used = set()
    for token in template.split():
        if token.startswith("{"):
            slot, values = SLOTS[token[1:-1]]
            if values is CITY:
                values = UNSEEN_CITIES if rng.random() < unseen else CITIES
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
    sents = [toy_sentence(rng) for _ in range(n_train)]
    sents += [toy_sentence(rng, UNSEEN_RATE) for _ in range(n_valid + n_test)]
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
