"""The official SCRN code's options (``options.lua``, ``main.lua``), as one plain object.

Plain data, importable without the symbolic engine (the command line shows the defaults).
The field names are the original's (``g_params.model.*`` and ``g_params.trainer.*``).
"""
import dataclasses

from rnnrepro.cli import OptionError

# Published PTB numbers could not be read from the paper here (see rnnlm/scrn/__init__.py):
# the records carry None and say so.
PUBLISHED = {}
PUBLISHED_SOURCE = ("Mikolov, Joulin, Chopra, Mathieu, Ranzato, 'Learning Longer Memory in "
                    "Recurrent Neural Networks', ICLR 2015 workshop, arXiv 1412.7753, Table 1 "
                    "(not read: no copy of the table was reachable)")


@dataclasses.dataclass(frozen=True)
class Config:
    """``options.lua`` defaults; ``n_slow = 0`` is the plain SRN (``srnn_sm``).

    ``semb_scale`` is set by ``main.lua:46`` for SCRN: the slow embedding is scaled by it and
    the fixed slow recurrence is ``1 - semb_scale`` times the identity (``util.lua``
    ``initSCRNN``): c_t = 0.05 B x_t + 0.95 c_{t-1}."""
    n_hidden: int = 100             # -nhid
    n_slow: int = 0                 # -nslow (0: the plain SRN)
    backprop_len: int = 10          # -blen: steps unfolded back in time
    backprop_freq: int = 5          # -bfreq: steps between two backprops and updates
    batch_size: int = 32            # -batchsz
    initial_learning_rate: float = 0.05   # -eta
    learning_rate_shrink: float = 1.2     # -etashrink
    shrink_factor: float = 0.9999   # -shrinkfactor: "worse" is val > last_val * this
    gradInput_clip: float = 50.0    # -gradinputclip (0 disables): the hidden-state gradients
    n_epochs: int = 100             # -nepochs
    initial_val: float = 0.1        # -init: every unit of the initial state
    init_std: float = 0.05          # util.lua: model.w:normal():mul(0.05)
    semb_scale: float = 0.05        # main.lua: g_params.model.semb_scale = 0.05
    seed: int = 1                   # main.lua: torch.manualSeed(1) (our numpy draw, not torch's)

    def __post_init__(self):
        if self.backprop_len < self.backprop_freq:
            raise OptionError(f"--bptt {self.backprop_len}: must be at least the backprop "
                              f"frequency {self.backprop_freq} (options.lua: blen >= bfreq)")

    def model_fields(self):
        """What fixes the parameters' shapes and the graph (a resumed run must match)."""
        return {k: getattr(self, k) for k in ("n_hidden", "n_slow", "backprop_len",
                                              "backprop_freq", "batch_size", "gradInput_clip",
                                              "semb_scale")}
