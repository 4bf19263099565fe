"""The module names ``rnnlm`` had before its three tutorial homes (``wildml``, ``ptb_lstm``,
``toolkit``): importing one still works for this release, with a DeprecationWarning naming the
new home. Dropped in the next release.

A single-home name is the new module itself (``rnnlm.lstm is rnnlm.ptb_lstm.model``), so
patching it patches the real thing; a name whose contents now live in several homes
(``rnnlm.ptb``, ``rnnlm.ptb_train``, ``rnnlm.class_rnn``) is a module that looks each attribute
up in them, in order. ``python -m OLD`` runs the first new module.
"""
import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings

MOVED = {
    "rnnlm.data": ("rnnlm.wildml.data",),
    "rnnlm.rnn_numpy": ("rnnlm.wildml.rnn_numpy",),
    "rnnlm.rnn_theano": ("rnnlm.wildml.rnn_theano",),
    "rnnlm.gru_theano": ("rnnlm.wildml.gru_theano",),
    "rnnlm.train": ("rnnlm.wildml.train",),
    "rnnlm.download": ("rnnlm.wildml.download",),
    "rnnlm.lstm": ("rnnlm.ptb_lstm.model",),
    "rnnlm.lstm_configs": ("rnnlm.ptb_lstm.configs",),
    "rnnlm.ptb": ("rnnlm.ptb_lstm.reader", "rnnlm.toolkit.vocab", "rnnlm.ptb_text"),
    "rnnlm.ptb_train": ("rnnlm.ptb_lstm.ptb_word_lm", "rnnlm.toolkit.trainnet"),
    "rnnlm.ptb_cli": ("rnnlm.cli",),
    "rnnlm.class_rnn": ("rnnlm.toolkit.model", "rnnlm.toolkit.graph", "rnnlm.toolkit.hash",
                        "rnnlm.toolkit.initnet", "rnnlm.toolkit.classes"),
    "rnnlm.bench": ("rnnlm.wildml.bench",),
    "rnnlm.ptb_bench": ("rnnlm.ptb_lstm.bench",),
}


def _composite(name, targets):
    mod = types.ModuleType(name, f"Deprecated: {name} is now {', '.join(targets)}.")

    def __getattr__(attr):
        for t in targets:
            m = importlib.import_module(t)
            if hasattr(m, attr):
                return getattr(m, attr)
        raise AttributeError(f"module {name!r} has no attribute {attr!r}")

    def __dir__():
        return sorted({a for t in targets for a in dir(importlib.import_module(t))})
    mod.__getattr__, mod.__dir__ = __getattr__, __dir__
    return mod


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        targets = MOVED[spec.name]
        warnings.warn(f"{spec.name} is deprecated: it moved to {' + '.join(targets)} (the old "
                      f"name goes in the next release)", DeprecationWarning, stacklevel=2)
        if len(targets) == 1:
            return importlib.import_module(targets[0])
        return _composite(spec.name, targets)

    def exec_module(self, module):
        pass

    def get_code(self, name):  # python -m OLD
        spec = importlib.util.find_spec(MOVED[name][0])
        return spec.loader.get_code(spec.name)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED:  # origin: the new file (python -m OLD puts it in sys.argv[0])
            origin = importlib.util.find_spec(MOVED[fullname][0]).origin
            return importlib.util.spec_from_loader(fullname, _Loader(), origin=origin)
        return None


def install():
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())  # before any finder that knows an old file
