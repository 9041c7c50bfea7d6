"""The evidence layer depends on nothing in the domain, and its pure half on nothing in Django.

Checked by reading the import statements of every module, so a lazy import inside a function is
caught as well as a top-level one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

AUDIT = Path(__file__).resolve().parents[2] / "audit"


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _offenders(root: Path, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        for module in sorted(_imported_modules(path)):
            if module.split(".")[0] in forbidden:
                found.append(f"{path.relative_to(AUDIT.parent)} imports {module}")
    return found


def test_audit_imports_nothing_from_governance():
    assert AUDIT.is_dir()
    assert _offenders(AUDIT, ("governance",)) == []


@pytest.mark.parametrize("forbidden", ["django", "rest_framework", "governance", "celery"])
def test_pure_half_imports_no_framework(forbidden):
    assert _offenders(AUDIT / "pure", (forbidden,)) == []


def test_the_check_can_fail(tmp_path):
    """The inspection sees a lazy import inside a function."""
    (tmp_path / "mod.py").write_text("def f():\n    from governance.accounts import models\n")
    assert _imported_modules(tmp_path / "mod.py") == {"governance.accounts"}
