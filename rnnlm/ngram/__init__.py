"""n-gram baselines of Mikolov's PTB table: interpolated modified Kneser-Ney (``kn``, SRILM's
``ngram-count -kndiscount -interpolate``), the run that trains and scores it on PTB (``run``),
and linear interpolation of models' per-word probabilities with EM-tuned weights (``mix``,
SRILM's ``compute-best-mix``, the toolkit's ``-lm-prob``/``-lambda``)."""
