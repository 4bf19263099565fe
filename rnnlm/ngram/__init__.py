"""n-gram baselines of Mikolov's PTB table: interpolated modified Kneser-Ney (``kn``, SRILM's
``ngram-count -kndiscount -interpolate``; also its default Good-Turing / Katz back-off), a
maximum-entropy n-gram (``maxent``, SRILM's ``ngram-count -maxent``), the run that trains and
scores one on PTB (``run``), and linear interpolation of models' per-word
probabilities with EM-tuned weights (``mix``, SRILM's ``compute-best-mix``, the toolkit's
``-lm-prob``/``-lambda``)."""
