"""rnnslu's benchmarks (``rnnslu.bench``): the worker times the model a run builds."""
import numpy as np

from rnnslu import bench


def test_epoch_setup_builds_the_model_a_run_builds(tmp_path, monkeypatch):
    """``epoch_setup`` built its own model, without a bidirectional model's bi_combine (it
    could time only 'shifted', not the 'aligned' a run may train); now it sets up as a run
    does (``set_up``)."""
    from rnnslu import model, train
    monkeypatch.setattr(model._SLUBase, "compile_training", lambda self, *a: None)  # fast
    rnn, s, lex, y, data = bench.epoch_setup(str(tmp_path), "is13", "bi-elman", "fast",
                                             bi_combine="aligned")
    assert data == "toy corpus" and rnn.combine == "aligned" and s["is13_trainer"] == "fast"
    _, run_rnn, _ = train.set_up(s)
    assert len(lex) == len(y) and rnn.get_params().keys() == run_rnn.get_params().keys()
    for k, v in run_rnn.get_params().items():
        np.testing.assert_array_equal(rnn.get_params()[k], v)
