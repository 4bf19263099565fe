"""The package layers: ``rnnrepro`` (shared ground) imports neither ``rnnslu`` nor ``rnnlm``,
the two tutorials' packages import each other not at all, and no modules import each other in
a circle. Read from the source (every import statement, at the top or inside a function), so
an import that only runs on some path counts too."""
import ast
import os

import pytest

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




def test_rnnlm_keeps_no_old_module_names():
    """No release was made before the three homes, so ``import rnnlm`` installs no import hook
    for the old flat names (CHANGELOG.md lists them): they are simply not there."""
    import importlib
    import sys
    import rnnlm
    hooks = [f for f in sys.meta_path if type(f).__module__.startswith("rnnlm")]
    assert hooks == []
    for old in ("rnnlm.lstm", "rnnlm.ptb_train", "rnnlm.class_rnn", "rnnlm.ptb_bench"):
        sys.modules.pop(old, None)
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module(old)
    assert not hasattr(rnnlm, "RNNTheano")



def test_test_files_import_nothing_from_one_another():
    """Shared fixtures live in conftest.py, shared helpers in helpers.py: a test file that
    imports another couples them (a rename there breaks it, and a fixture imported by name
    shadows conftest's)."""
    here = os.path.join(ROOT, "tests")
    found = []
    for n in sorted(os.listdir(here)):
        if n.startswith("test_") and n.endswith(".py"):
            with open(os.path.join(here, n)) as f:
                tree = ast.parse(f.read(), n)
            for node in ast.walk(tree):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                found += [f"{n}: {m}" for m in names
                          if m.split(".")[-1].startswith("test_") or m.startswith("tests.")]
    assert found == []
