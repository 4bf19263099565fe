"""The maxent part's feature hash (rnnlmlib.cpp ``computeNet``/``learnNet``, RNNME): the
toolkit's primes, the n-gram multipliers and which ``syn_d`` spans a class's words touch.

Toolkit oddities kept: 32-bit wrap-around (``P01``, the multipliers) and the word part of the
hash dropping an order once it wraps to index 0 (``word_spans``).
"""

PRIMES = (108641969, 116049371, 125925907, 133333309, 145678979, 175308587, 197530793,
          234567803, 251851741, 264197411, 330864029, 399999781, 407407183, 459258997, 479012069,
          545678687, 560493491, 607407037, 629629243, 656789717, 716048933, 718518067, 725925469,
          733332871, 753085943, 755555077, 782715551, 790122953, 812345159, 814814293, 893826581,
          923456189, 940740127, 953085797, 985184539, 990122807)
PRIMES_SIZE = len(PRIMES)
MAX_NGRAM_ORDER = 20
U32 = 0xFFFFFFFF
# PRIMES[0]*PRIMES[1] is an unsigned-int product in C: it wraps at 2**32 before widening.
P01 = (PRIMES[0] * PRIMES[1]) & U32


def word_spans(hw, n, D):
    """The ``syn_d`` slices ``(start, length)`` that the word part of the hash touches for a
    class of ``n`` words, one per n-gram order.

    Toolkit oddity, reproduced: ``computeNet``/``learnNet`` walk the class word by word with
    ``if (hash[b]) {...; hash[b]++; hash[b] = hash[b] % direct_size;} else break;``, so once
    the hash of order b wraps to index 0, order b and every higher order are dropped for the
    rest of the class (index 0 is never used). Hence the running minimum of the lengths.
    """
    lim = n
    for hb in hw:
        lim = min(lim, D - hb)
        yield hb, lim


def _ngram_multipliers(order):
    """M[a][b] = PRIMES[(a*PRIMES[b]+b) % PRIMES_SIZE] (unsigned 32-bit arithmetic)."""
    return [[PRIMES[((a * PRIMES[b] + b) & U32) % PRIMES_SIZE] for b in range(a + 1)]
            for a in range(order)]
