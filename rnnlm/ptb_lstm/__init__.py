"""The TensorFlow PTB tutorial (tensorflow/models tutorials/rnn/ptb; Zaremba et al. 2014), laid
out as its own files:

- ``reader``: ``reader.py`` (``ptb_raw_data``, ``ptb_producer``);
- ``configs``: ``SmallConfig``/``MediumConfig``/``LargeConfig``/``TestConfig`` as plain dicts
  (no engine import: the command line lists them before ``--engine`` acts);
- ``model``: ``PTBModel`` (here ``PTBLSTM``: the graph, ``train_step``, ``evaluate``);
- ``ptb_word_lm``: ``run_epoch`` and ``main`` (``train_lstm``), plus checkpoints and resume;
- ``shortjob``: checkpoints inside a training epoch and a time limit (short jobs on a lent GPU).

Licence of the original: Apache License 2.0 (The TensorFlow Authors). See LICENSE.
"""
