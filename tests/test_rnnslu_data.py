"""rnnslu.data: the tutorial helpers, the restricted unpickler and the data checks."""
import doctest
import gzip
import os
import pickle

import numpy as np
import pytest

import rnnslu
from rnnslu import data
from rnnslu.data import DataError, contextwin, load_atis, minibatch, safe_load

# The real ATIS pickles: $ATISDATA (the folder the package itself reads), else
# $RNN_SHARED_DATA/atis, else ../shared/data/atis beside the repository.
REAL_ATIS = os.environ.get("ATISDATA") or os.path.join(
    os.environ.get("RNN_SHARED_DATA")
    or os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"), "atis")


def test_doc_examples():
    failures, tried = doctest.testmod(data)
    assert tried >= 2 and failures == 0


def test_tutorial_names_importable():
    assert rnnslu.RNNSLU and rnnslu.contextwin is contextwin and rnnslu.minibatch is minibatch


def test_contextwin_and_minibatch_edges():
    assert contextwin([5], 5) == [[-1, -1, 5, -1, -1]]
    assert minibatch([7, 8], 9) == [[7], [7, 8]]
    with pytest.raises(AssertionError):
        contextwin([1, 2], 4)


def test_shuffle_same_order_every_list():
    a, b = list(range(10)), [str(i) for i in range(10)]
    data.shuffle([a, b], 345)
    assert [str(i) for i in a] == b and a != list(range(10))


def _fold(n_words=6, n_labels=3, bad_word=None, bad_len=False):
    rng = np.random.RandomState(0)

    def split(n):
        lex = [rng.randint(0, n_words, size=4).astype("int32") for _ in range(n)]
        y = [rng.randint(0, n_labels, size=4).astype("int32") for _ in range(n)]
        return lex, [np.zeros(4, "int32")] * n, y
    train, valid, test = split(5), split(2), split(2)
    if bad_word is not None:
        train[0][1][2] = bad_word
    if bad_len:
        train[2][3] = train[2][3][:2]
    dicts = {"words2idx": {f"w{i}": i for i in range(n_words)},
             "labels2idx": {f"l{i}": i for i in range(n_labels)}, "tables2idx": {"O": 0}}
    return train, valid, test, dicts


def _write(path, obj, protocol=2):
    with gzip.open(path, "wb") as f:
        pickle.dump(obj, f, protocol=protocol)
    return str(path)


@pytest.mark.parametrize("protocol", [2, 4])
def test_loads_a_wellformed_fold(tmp_path, protocol):
    path = _write(tmp_path / "f.pkl.gz", _fold(), protocol)
    train, valid, test, dicts = load_atis(path=path, fold=0)
    assert len(train[0]) == 5 and len(valid[0]) == 2 and dicts["words2idx"]["w3"] == 3


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch " + _Evil.marker,))


def test_restricted_unpickler_refuses_code(tmp_path):
    _Evil.marker = str(tmp_path / "pwned")
    path = _write(tmp_path / "evil.pkl.gz", (_Evil(),))
    with pytest.raises(DataError, match=r"evil\.pkl\.gz.*not allowed"):
        safe_load(path)
    assert not os.path.exists(_Evil.marker)


def test_missing_file_names_it(tmp_path):
    with pytest.raises(DataError, match=r"nope\.pkl\.gz: file not found"):
        load_atis(path=str(tmp_path / "nope.pkl.gz"), fold=0)


def test_truncated_gzip(tmp_path):
    good = _write(tmp_path / "g.pkl.gz", _fold())
    raw = open(good, "rb").read()
    bad = tmp_path / "t.pkl.gz"
    bad.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataError, match=r"t\.pkl\.gz: cannot read the gzip stream"):
        load_atis(path=str(bad), fold=0)


def test_wrong_shape(tmp_path):
    path = _write(tmp_path / "s.pkl.gz", ([1, 2], {"a": 1}))
    with pytest.raises(DataError, match=r"s\.pkl\.gz: expected a tuple"):
        load_atis(path=path, fold=0)
    path = _write(tmp_path / "l.pkl.gz", _fold(bad_len=True))
    with pytest.raises(DataError, match=r"l\.pkl\.gz: split 'train' sentence 3 has 4 words but 2"):
        load_atis(path=path, fold=0)


def test_word_index_out_of_range(tmp_path):
    path = _write(tmp_path / "w.pkl.gz", _fold(bad_word=6))
    with pytest.raises(DataError, match=r"w\.pkl\.gz: split 'train' sentence 1: word index 6 "
                                        r"out of range \[0, 6\)"):
        load_atis(path=path, fold=0)


def test_real_fold3_sizes_from_dicts():
    need = [os.path.join(REAL_ATIS, f) for f in ("atis.fold3.pkl.gz", "atis.pkl.gz")]
    missing = [p for p in need if not os.path.isfile(p)]
    if missing:
        pytest.skip(f"real ATIS data missing: {', '.join(missing)} (set ATISDATA or "
                    f"RNN_SHARED_DATA; scripts/download_atis.py fetches it)")
    train, valid, test, dicts = load_atis(3, REAL_ATIS)
    assert (len(train[0]), len(valid[0]), len(test[0])) == (3983, 995, 893)
    assert (len(dicts["words2idx"]), len(dicts["labels2idx"])) == (572, 127)
    full = load_atis("full", REAL_ATIS)
    assert len(full[0][0]) + len(full[1][0]) == 4978 and len(full[2][0]) == 893
