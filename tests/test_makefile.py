"""The Makefile's set-up never installs system packages unless asked: only the opt-in ``blas``
target may call a system package manager."""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE_MANAGERS = re.compile(r"\b(apt-get|apt|dnf|yum|brew|pacman|zypper)\s+(-\S+\s+)*install\b")


def _recipes(text):
    """{target: recipe text}, for every rule of the Makefile."""
    rules, target = {}, None
    for line in text.splitlines():
        if line.startswith("\t"):
            if target is not None:
                rules[target] += line + "\n"
        elif re.match(r"^[^\s#=:]+(\s+[^\s#=:]+)*\s*:(?!=)", line):
            target = line.split(":", 1)[0].strip()
            rules[target] = ""
        elif line.strip() and not line.startswith("#"):
            target = None
    return rules


def test_only_the_blas_target_installs_system_packages():
    with open(os.path.join(ROOT, "Makefile")) as f:
        rules = _recipes(f.read())
    assert {"setup", "demo", "test", "blas"} <= set(rules)
    installing = sorted(t for t, body in rules.items() if PACKAGE_MANAGERS.search(body))
    assert installing == ["blas"]
