"""Pieces shared by rnnslu and rnnlm: the symbolic engine, run logs, checkpoints, progress."""
