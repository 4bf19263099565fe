"""``initNet``'s class assignment: words in toolkit vocabulary order (``</s>`` first, then by
count) cut into ``class_size`` bins of equal sqrt-unigram mass (default) or equal unigram mass
(``-old-classes``); each class is a contiguous block of the vocabulary.
"""
import numpy as np


def assign_classes(counts, class_size, old_classes=False):
    """``initNet`` class assignment over words in vocabulary order; returns class per word.

    New (default): cumulative sqrt(count/total) / sum(sqrt(count/total)); old: cumulative
    count/total. A word goes to class ``a`` and ``a`` advances when the cumulative mass passes
    (a+1)/class_size.
    """
    cn = np.asarray(counts, dtype=np.float64)
    b = cn.sum()
    if old_classes:
        mass = cn / b
    else:
        s = np.sqrt(cn / b)
        mass = s / s.sum()
    out = np.empty(len(cn), dtype=np.int64)
    df, a = 0.0, 0
    for i in range(len(cn)):  # sequential on purpose: same float accumulation as the C loop
        df += mass[i]
        if df > 1:
            df = 1
        out[i] = a
        if df > (a + 1) / class_size and a < class_size - 1:
            a += 1
    return out
