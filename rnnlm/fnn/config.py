"""The feedforward NNLM's settings as one plain object (importable without the engine)."""
import dataclasses

from rnnrepro.cli import OptionError

# Mikolov 2012 PhD thesis, Table 4.1 (PTB test perplexity); the rows' settings: rnnlm.fnn.
PUBLISHED = 140.2
PUBLISHED_PLUS_KN5 = 116.7
PUBLISHED_SOURCE = ("Mikolov 2012 PhD thesis, Table 4.1: Feedforward NNLM [50] 140.2 (+KN5 "
                    "116.7), Feedforward NNLM [40] 141.8; the rows' settings not established")


@dataclasses.dataclass(frozen=True)
class Config:
    """Bengio et al. 2003's sizes at our defaults (see ``rnnlm.fnn``)."""
    order: int = 5               # n: n-1 context words
    projection: int = 100        # m: the size of each word's feature vector C(w)
    hidden: int = 200            # h: tanh units
    direct: bool = False         # W: direct connections from x to the output
    batch_size: int = 64         # ours: minibatch SGD on the per-example mean
    learning_rate: float = 1.0   # ours: a 1-epoch probe on 200k PTB words (its record's note)
    weight_decay: float = 0.0    # Bengio: 1e-4 on C, H, U, W (not the biases)
    max_epochs: int = 50         # a cap; the toolkit schedule normally stops first
    min_improvement: float = 1.003   # the RNNLM toolkit's -min-improvement
    seed: int = 1

    def __post_init__(self):
        if self.order < 2:
            raise OptionError(f"--order {self.order}: must be at least 2 (one word of context)")

    def name(self):
        return (f"FNN n={self.order} m={self.projection} h={self.hidden}"
                + (" +direct" if self.direct else ""))

    def default_out(self):
        return f"runs/fnn-n{self.order}-m{self.projection}-h{self.hidden}" \
            + ("-direct" if self.direct else "")

    def model_fields(self):
        """What a resumed run must share (everything but the epoch cap)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "max_epochs"}
