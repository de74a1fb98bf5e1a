"""engine.wit's public names: lazily imported at run time, statically visible to linters and mypy.

The names are spelled three times in engine/wit/__init__.py (the lazy table, `__all__`, and the
TYPE_CHECKING imports that give mypy their real types); this keeps the three in step.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import engine.wit

INIT = Path(engine.wit.__file__)


def type_checking_imports() -> set[tuple[str, str]]:
    """(module, name) for every import under `if TYPE_CHECKING:` in engine/wit/__init__.py."""
    found = set()
    for node in ast.parse(INIT.read_text()).body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom) and statement.module
                found |= {(statement.module, alias.name) for alias in statement.names if alias.asname is None}
    return found


def test_all_lazy_table_and_type_checking_imports_name_the_same_things():
    lazy = engine.wit._LAZY
    assert sorted(engine.wit.__all__) == sorted({"WitError", *lazy})
    assert type_checking_imports() == {(module, name) for name, module in lazy.items()}


def test_every_public_name_resolves_to_its_module_object():
    for name, module in engine.wit._LAZY.items():
        assert getattr(engine.wit, name) is getattr(importlib.import_module(module), name)


def test_importing_the_package_stays_cheap():
    code = "import sys, engine.wit; print(sorted(m for m in sys.modules if m.startswith('engine.wit')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "['engine.wit', 'engine.wit.errors']"
