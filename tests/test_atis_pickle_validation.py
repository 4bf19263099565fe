"""ATIS pickles of the right layout but the wrong types are refused when loaded: one line naming
the file and what is wrong, exit status 2, no traceback, before any training (nothing written).

Each row changes one part of a small well-formed fold (or of the full split, which has no
valid split and is cut in two after loading) and runs ``rnnslu train`` on it.
"""
import gzip
import pickle

import pytest

from helpers import atis_fold, refused, slu_cmd


def _set(*where, value):
    def change(obj):
        for k in where[:-1]:
            obj = obj[k]
        obj[where[-1]] = value
    return change


TRAIN, VALID, DICTS = 0, 1, 3
CASES = {
    # split of the wrong type
    "valid split is a number": (_set(VALID, value=5), "split 'valid' is a int"),
    "train parts are numbers": (_set(TRAIN, value=[5, 5, 5]), "split 'train': its words are a int"),
    "full train split is a number": (_set(TRAIN, value=7), "split 'train' is a int", True),
    "sentence is a string": (_set(TRAIN, 0, 1, value="abc"),
                             "split 'train' sentence 1 is not a 1-D"),
    "sentence ragged": (_set(TRAIN, 2, 0, value=[[0, 1], [1]]),
                        "split 'train' sentence 0 is not a 1-D"),
    # dictionaries of the wrong type
    "dicts None": (lambda o: o.__setitem__(DICTS, None), "the last element should be the dicts"),
    "words2idx a list": (_set(DICTS, "words2idx", value=["w0", "w1"]), "words2idx is a list"),
    "labels2idx None": (_set(DICTS, "labels2idx", value=None), "labels2idx is a NoneType"),
    "word key a number": (lambda o: o[DICTS]["words2idx"].update({5: o[DICTS]["words2idx"]
                                                                   .pop("w5")}),
                          "words2idx has the key 5 (not a string)"),
    "label with a space": (lambda o: o[DICTS]["labels2idx"].update({"B-to city": o[DICTS][
        "labels2idx"].pop("B-city")}), "labels2idx has the key 'B-to city' (contains white space)"),
    "index a string": (_set(DICTS, "labels2idx", "O", value="0"), "labels2idx['O'] is '0'"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_wrong_types_in_an_atis_pickle(case, tmp_path, capsys):
    change, needle, *full = CASES[case]
    full = bool(full)
    obj = atis_fold(full)
    change(obj)
    name = "atis.pkl.gz" if full else "atis.fold0.pkl.gz"
    with gzip.open(tmp_path / name, "wb") as f:
        pickle.dump(tuple(tuple(x) if isinstance(x, list) else x for x in obj), f, protocol=2)
    refused(capsys, lambda: slu_cmd("train", "--data-dir", tmp_path, "--fold",
                                    "full" if full else "0", "--epochs", "1", "--nhidden", "4",
                                    "--emb", "4", "--quiet", "--out", tmp_path / "run"),
            str(tmp_path / name), needle, folder=tmp_path)


def test_the_wellformed_fold_of_the_table_trains(tmp_path, capsys):
    """The rows above fail for their change, not for the fold they start from."""
    for name, obj in (("atis.fold0.pkl.gz", atis_fold()), ("atis.pkl.gz", atis_fold(True))):
        with gzip.open(tmp_path / name, "wb") as f:
            pickle.dump(tuple(tuple(x) if isinstance(x, list) else x for x in obj), f, protocol=2)
    for fold in ("0", "full"):
        assert slu_cmd("train", "--data-dir", tmp_path, "--fold", fold, "--epochs", "1",
                       "--nhidden", "4", "--emb", "4", "--win", "3", "--quiet",
                       "--out", tmp_path / f"run{fold}") == 0
