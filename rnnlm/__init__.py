"""Recurrent-network language models, one home per tutorial:

- ``rnnlm.wildml``: the WildML reddit RNN LM (``RNNNumpy``, ``RNNTheano``, ``GRUTheano``,
  ``train_with_sgd``, the corpus pipeline);
- ``rnnlm.ptb_lstm``: the TensorFlow PTB tutorial (``reader``, ``configs``, the ``PTBLSTM``
  model, ``ptb_word_lm``'s ``run_epoch``/``main``);
- ``rnnlm.toolkit``: Mikolov's RNNLM toolkit (class-based RNN / RNNME and its ``trainNet``).

Shared by the three: ``registry`` (which checkpoints ``score``/``generate`` can load),
``generate`` (sampling and scoring over any checkpoint), ``ptb_text`` (where the PTB files are,
their token stream), ``plot`` and ``cli`` (the ``rnnlm`` command).

The symbolic engine is imported only where a graph is built (so ``--engine`` can pick it).
The tutorials' names are imported from their homes (``from rnnlm.wildml import RNNTheano``).
"""
