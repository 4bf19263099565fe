"""SCRN: the slow-feature RNN (Mikolov et al. 2015), from the official Torch code."""
