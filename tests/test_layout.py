"""The package layers: ``rnnrepro`` (shared ground) imports neither ``rnnslu`` nor ``rnnlm``,
the two tutorials' packages import each other not at all, and no modules import each other in
a circle. Read from the source (every import statement, at the top or inside a function), so
an import that only runs on some path counts too.

Until its removal: the old flat ``rnnlm`` module names (``rnnlm/_moved.py``)."""
import ast
import importlib
import os
import subprocess
import sys

import pytest

from rnnlm._moved import MOVED

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("rnnrepro", "rnnslu", "rnnlm")
# which packages each may import (besides itself)
MAY_IMPORT = {"rnnrepro": (), "rnnslu": ("rnnrepro",), "rnnlm": ("rnnrepro",)}


def package_modules(root=ROOT):
    """{module name: file} of every module of ``PACKAGES`` under ``root``."""
    mods = {}
    for pkg in PACKAGES:
        for folder, dirs, names in os.walk(os.path.join(root, pkg)):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for n in names:
                if n.endswith(".py"):
                    path = os.path.join(folder, n)
                    parts = os.path.relpath(path, root)[:-3].split(os.sep)
                    if parts[-1] == "__init__":
                        parts.pop()
                    mods[".".join(parts)] = path
    return mods


def imports_of(name, path, known):
    """The modules of ``PACKAGES`` that module ``name`` (file ``path``) imports anywhere in it:
    ``import a.b``, ``from a import b`` (``a`` and, when it is a module of ``known``, ``a.b``)
    and relative imports."""
    is_pkg = os.path.basename(path) == "__init__.py"
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")[:None if is_pkg else -1]
                base = base[:len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            found.add(module)
            found.update(f"{module}.{a.name}" for a in node.names
                         if f"{module}.{a.name}" in known)
    return {m for m in found if m.split(".")[0] in PACKAGES and m != name}


def import_graph(root=ROOT):
    mods = package_modules(root)
    return {name: imports_of(name, path, mods) for name, path in mods.items()}


def layer_violations(graph):
    return sorted(f"{m} imports {t}" for m, targets in graph.items() for t in targets
                  if t.split(".")[0] != m.split(".")[0]
                  and t.split(".")[0] not in MAY_IMPORT[m.split(".")[0]])


def import_cycles(graph):
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_the_walk_sees_every_package_and_their_imports():
    graph = import_graph()
    assert {"rnnrepro.engine", "rnnslu.train", "rnnlm.registry", "rnnlm.wildml.rnn_numpy"} \
        <= set(graph)
    assert "rnnlm.registry" in graph["rnnlm.wildml.rnn_numpy"]   # top-level from-import
    assert "rnnrepro.engine" in graph["rnnslu.train"]
    assert "rnnslu.train" in graph["rnnslu.sweep"]               # relative, inside a function


def test_rnnrepro_imports_no_tutorial_package_and_they_not_each_other():
    assert layer_violations(import_graph()) == []


def test_no_modules_import_each_other_in_a_circle():
    assert import_cycles(import_graph()) == []


def _write(root, files):
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


@pytest.mark.parametrize("files, layers, cycles", [
    ({"rnnrepro/bench.py": "def f():\n    from rnnslu.train import main\n"},
     ["rnnrepro.bench imports rnnslu.train"], []),
    ({"rnnlm/a.py": "import rnnslu.train\n"}, ["rnnlm.a imports rnnslu.train"], []),
    ({"rnnlm/registry.py": "def f():\n    from rnnlm.wildml.rnn_numpy import g\n",
      "rnnlm/wildml/rnn_numpy.py": "from rnnlm.registry import register\n"},
     [], [["rnnlm.registry", "rnnlm.wildml.rnn_numpy"]]),
    ({"rnnslu/a.py": "from . import b\n", "rnnslu/b.py": "from .c import x\n",
      "rnnslu/c.py": "import rnnslu.a\n"}, [], [["rnnslu.a", "rnnslu.b", "rnnslu.c"]]),
    ({"rnnslu/a.py": "from rnnslu import b\n", "rnnslu/b.py": "from rnnrepro import files\n",
      "rnnrepro/files.py": "import os\n"}, [], []),
])
def test_the_checks_catch_a_wrong_layout(tmp_path, files, layers, cycles):
    """Made-up packages: each wrong import is found (a checker that finds nothing fails)."""
    for pkg in PACKAGES:
        _write(tmp_path, {f"{pkg}/__init__.py": ""})
    _write(tmp_path, files)
    graph = import_graph(str(tmp_path))
    assert layer_violations(graph) == layers
    assert import_cycles(graph) == cycles



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
