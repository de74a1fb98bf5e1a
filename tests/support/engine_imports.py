"""The engine's own import graph, read from its source (shared by the layering tests): which
engine modules a file imports at any depth of its code, and the closure those imports reach."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every engine module a file imports, at any depth of its code (lazy imports included)."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "engine" or name.startswith("engine.")}


def file_of(module: str) -> Path | None:
    path = ROOT.joinpath(*module.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def closure(starts: list[str]) -> dict[str, str]:
    """Every engine module reachable from `starts` through imports (module -> first importer)."""
    seen: dict[str, str] = {}
    todo = [(module, "") for module in starts]
    while todo:
        module, parent = todo.pop()
        if module in seen:
            continue
        seen[module] = parent
        path = file_of(module)
        if path is not None:
            todo.extend((name, module) for name in imports_of(path))
    return seen
