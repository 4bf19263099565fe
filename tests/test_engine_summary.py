"""``engine.summary()``, the engine line commands print: the expected fallback to PyTensor where
aesara is not installed is not shown as a problem, yet stays in ``describe()`` (run records)."""
from rnnrepro import engine

WHY = "aesara not importable (No module named 'aesara')"


def test_expected_fallback_is_quiet_but_recorded(monkeypatch):
    monkeypatch.setattr(engine, "FALLBACK", WHY)
    monkeypatch.delenv("RNN_ENGINE", raising=False)
    line = engine.summary("rnnslu")
    assert "not importable" not in line and "fallback'" not in line and "{" not in line
    assert line.startswith(f"engine {engine.NAME} {engine.VERSION}, linker ")
    assert engine.describe("rnnslu")["engine_fallback"] == WHY


def test_fallback_is_named_when_aesara_was_asked_for(monkeypatch):
    monkeypatch.setattr(engine, "FALLBACK", WHY)
    monkeypatch.setenv("RNN_ENGINE", "aesara")
    assert WHY in engine.summary("rnnslu")
    monkeypatch.setattr(engine, "FALLBACK", None)
    assert "not importable" not in engine.summary("rnnslu")


def test_dry_run_line_uses_the_summary():
    """The dry runs print the summary, not the record dictionary."""
    import inspect
    from rnnlm.ptb_lstm import ptb_word_lm
    from rnnslu import dryrun
    for mod in (dryrun, ptb_word_lm):
        src = inspect.getsource(mod)
        assert "summary(" in src and "{engine.describe(" not in src and "{describe(" not in src
