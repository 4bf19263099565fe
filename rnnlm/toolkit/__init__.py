"""Mikolov's RNNLM toolkit (rnnlm 0.3e/0.4b, ``rnnlmlib.cpp``): the class-based RNN LM and RNNME,
one module per part of ``rnnlmlib``:

- ``vocab``: ``readWord``, ``learnVocabFromTrainFile``, ``sortVocab``;
- ``classes``: ``initNet``'s class assignment;
- ``hash``: the maxent (``-direct``) feature hash;
- ``initnet``: ``initNet``'s weights (glibc ``rand()`` after ``srand(seed)``);
- ``model``: ``ClassRNNLM``: ``computeNet``, ``learnNet`` (with its BPTT block), ``netReset``,
  the test pass; the scorer for ``rnnlm score``/``generate``;
- ``kernel``: the same per-word loops (training epoch, test pass) compiled with Numba, chosen by
  ``ClassRNNLM(kernel=...)`` / ``--kernel`` (numba where installed, else the numpy loop);
- ``trainnet``: ``trainNet``'s schedule (validation, reject, halve alpha, stop);
- ``graph``: the same network as a compiled engine graph (benchmark and cross-checks only).

Licence of the original: BSD 3-Clause (Copyright (c) 2010-2012 Tomas Mikolov, (c) 2013 Cantab
Research Ltd). See LICENSE.
"""
