"""What the Resolver's mixins (worlds, gating, paths) use of it, declared once for the type checker.

The Resolver (engine/wit/resolver.py) sets these attributes and defines these methods; declaring
them here lets each mixin be checked on its own, and mypy checks that the Resolver's definitions
keep these signatures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from engine.diagnostics import Diagnostic
from engine.wit import ast
from engine.wit import model as m
from engine.wit.errors import Problem
from engine.wit.loader import Unit
from engine.wit.scope import PkgTable, Scope


class ResolverState:
    features: frozenset[str]
    shadow: bool
    excluded_any: bool
    errors: list[Diagnostic]
    tables: dict[str, PkgTable]
    interfaces: dict[str, m.Interface]
    worlds: dict[str, m.World]
    deps: dict[str, list[str]]
    foreign_kinds: dict[str, dict[tuple[str, str], str]]
    broken_refs: set[tuple[str, ...]]

    def error(self, message: str, file: ast.File, pos: ast.Pos | None) -> None:
        raise NotImplementedError

    def record(self, problem: Problem, file: ast.File) -> None:
        raise NotImplementedError

    def meta(self, file: ast.File, node, pos: ast.Pos | None = None) -> dict:
        raise NotImplementedError

    def lookup_item(self, path: ast.UsePath, unit: Unit, file: ast.File, kind: str) -> str:
        raise NotImplementedError

    def ensure(self, item_id: str, build: Callable[[], None], pos: ast.Pos, cycle: str) -> str:
        raise NotImplementedError

    def build_interface(
        self, iid: str, name: str | None, node: ast.Interface | ast.Extern, unit: Unit, file: ast.File
    ) -> m.Interface:
        raise NotImplementedError

    def active_items(self, items: tuple, scope: Scope, file: ast.File, unit: Unit) -> list:
        raise NotImplementedError

    def define_types(self, scope: Scope, items: list, unit: Unit, functions: dict[str, m.Function]) -> None:
        raise NotImplementedError

    def function(
        self,
        name: str,
        kind: str,
        func: ast.Func,
        scope: Scope,
        resource: str | None,
        item: object,
        file: ast.File,
        unit: Unit,
    ) -> m.Function:
        raise NotImplementedError

    def finish_scope(self, scope: Scope) -> Mapping[str, m.TypeDef]:
        raise NotImplementedError

    def gated_out(self, gates: tuple[ast.Gate, ...]) -> bool:
        raise NotImplementedError
