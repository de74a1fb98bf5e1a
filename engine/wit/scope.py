"""Shared state of one resolution: package tables, per-interface/world scopes, helpers."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.wit import ast
from engine.wit import model as m
from engine.wit.errors import Problem
from engine.wit.loader import Unit


class Broken(Problem):
    """A reference to something that already failed: silently skipped (no new message)."""

    def __init__(self) -> None:
        super().__init__("broken reference")


def problem_at(message: str, pos: ast.Pos) -> Problem:
    return Problem(message, pos.line, pos.column)


def iface_id(pkg: ast.PackageName, name: str) -> str:
    base = f"{pkg.namespace.name}:{pkg.name.name}/{name}"
    return f"{base}@{pkg.version}" if pkg.version else base


@dataclass
class PkgTable:
    unit: Unit
    interfaces: dict[str, tuple[ast.Interface, ast.File]] = field(default_factory=dict)
    worlds: dict[str, tuple[ast.World, ast.File]] = field(default_factory=dict)
    disabled: dict[str, str] = field(default_factory=dict)
    top_uses: dict[str, dict[str, ast.TopUse]] = field(default_factory=dict)


@dataclass
class Scope:
    """A namespace of types (and freestanding functions) of one interface or world."""

    owner: str
    file: ast.File
    names: dict[str, str | None] = field(default_factory=dict)  # type name -> key (None: broken)
    taken: dict[str, str] = field(default_factory=dict)  # any name -> what it is
    disabled: dict[str, str] = field(default_factory=dict)
    deps: list[str] = field(default_factory=list)  # interfaces this scope `use`s, in order
    handle_checks: list[tuple[str, ast.Pos]] = field(default_factory=list)
    result_checks: list[tuple[m.Type, ast.Pos]] = field(default_factory=list)
    inline_imports: set[str] = field(default_factory=set)  # worlds: names of `import x: interface {..}`
