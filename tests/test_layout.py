"""The old flat ``rnnlm`` module names keep working for one release, with a DeprecationWarning
naming the new home (``rnnlm/_moved.py``)."""
import importlib
import subprocess
import sys

import pytest

from rnnlm._moved import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_module_name_warns_and_resolves(old):
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=MOVED[old][0].replace(".", r"\.")):
        mod = importlib.import_module(old)
    homes = [importlib.import_module(t) for t in MOVED[old]]
    if len(homes) == 1:
        assert mod is homes[0]  # the module itself: patching the old name patches the new
    seen = set()
    for home in homes:  # every name of every home is reachable under the old name (the first
        names = [n for n in vars(home) if not n.startswith("__") and n not in seen]  # wins)
        for name in names:
            assert getattr(mod, name) is getattr(home, name), (old, name)
        seen.update(names)


def _forget(*names):
    import rnnlm
    for n in names:
        sys.modules.pop(f"rnnlm.{n}", None)
        rnnlm.__dict__.pop(n, None)


def test_old_names_users_wrote():
    _forget("lstm", "class_rnn", "ptb", "ptb_train")
    with pytest.warns(DeprecationWarning):
        from rnnlm import lstm, class_rnn, ptb  # noqa: F401
    with pytest.warns(DeprecationWarning):
        from rnnlm.ptb_train import train_class_rnn, train_lstm  # noqa: F401
    from rnnlm.ptb_lstm.ptb_word_lm import train_lstm as new_lstm
    from rnnlm.toolkit.trainnet import train_class_rnn as new_class
    assert (train_lstm, train_class_rnn) == (new_lstm, new_class)
    assert lstm.PTBLSTM.__module__ == "rnnlm.ptb_lstm.model"
    assert class_rnn.ClassRNNGraph.__module__ == "rnnlm.toolkit.graph"
    assert ptb.toolkit_vocab.__module__ == "rnnlm.toolkit.vocab"
    assert ptb.ptb_producer.__module__ == "rnnlm.ptb_lstm.reader"


def test_from_rnnlm_import_tutorial_names_warns():
    import rnnlm
    from rnnlm.wildml.rnn_numpy import RNNNumpy
    with pytest.warns(DeprecationWarning, match="from rnnlm.wildml import RNNNumpy"):
        assert rnnlm.RNNNumpy is RNNNumpy
    with pytest.raises(AttributeError):
        rnnlm.not_a_name  # noqa: B018


@pytest.mark.parametrize("argv, shows", [(["rnnlm.ptb_cli", "ptb-lstm", "--help"], "--dry-run"),
                                         (["rnnlm.ptb_bench", "--help"], "--worker")])
def test_python_m_old_name_runs(argv, shows):
    r = subprocess.run([sys.executable, "-m", *argv], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and shows in r.stdout, r.stderr
