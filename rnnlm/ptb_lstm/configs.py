"""The TF PTB tutorial's LSTM configurations and published test perplexities.

Plain data, importable without the symbolic engine (``rnnlm ptb-lstm --config`` choices);
``rnnlm.ptb_lstm.model`` re-exports them as ``lstm.CONFIGS``.
"""

# The tutorial's configurations (SmallConfig, MediumConfig, LargeConfig, TestConfig).
CONFIGS = {
    "small": dict(init_scale=0.1, learning_rate=1.0, max_grad_norm=5, num_layers=2, num_steps=20,
                  hidden_size=200, max_epoch=4, max_max_epoch=13, keep_prob=1.0, lr_decay=0.5,
                  batch_size=20, vocab_size=10000),
    "medium": dict(init_scale=0.05, learning_rate=1.0, max_grad_norm=5, num_layers=2,
                   num_steps=35, hidden_size=650, max_epoch=6, max_max_epoch=39, keep_prob=0.5,
                   lr_decay=0.8, batch_size=20, vocab_size=10000),
    "large": dict(init_scale=0.04, learning_rate=1.0, max_grad_norm=10, num_layers=2,
                  num_steps=35, hidden_size=1500, max_epoch=14, max_max_epoch=55,
                  keep_prob=0.35, lr_decay=1 / 1.15, batch_size=20, vocab_size=10000),
    "test": dict(init_scale=0.1, learning_rate=1.0, max_grad_norm=1, num_layers=1, num_steps=2,
                 hidden_size=2, max_epoch=1, max_max_epoch=1, keep_prob=1.0, lr_decay=0.5,
                 batch_size=20, vocab_size=10000),
}
# Test perplexities in the tutorial's docstring.
PUBLISHED = {"small": 115.91, "medium": 82.07, "large": 78.29}
PUBLISHED_SOURCE = ("tensorflow/models tutorials/rnn/ptb/ptb_word_lm.py docstring "
                    "(Zaremba et al. 2014 configs)")
# Validation perplexities in the same docstring table (config | epochs | train | valid | test),
# for figures that draw validation curves: compared valid to valid, never to the test levels.
PUBLISHED_VALID = {"small": 121.39, "medium": 86.16, "large": 82.62}
