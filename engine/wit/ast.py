"""Syntax tree of one WIT file, with positions, before any name is resolved.

The resolver turns these nodes into the model (engine/wit/model.py); keeping the two apart
means a file can be parsed (and its errors reported) without loading its dependencies.
Every node records where it starts: `pos` (line/column for messages) and `start` (character
offset, used to find the doc comments written just before an item).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

_Member = TypeVar("_Member", "Field", "Case", "ResourceFunc")


@dataclass(frozen=True, slots=True)
class Pos:
    line: int
    column: int
    offset: int


@dataclass(frozen=True, slots=True)
class Ident:
    """An identifier without its `%` escape; `pos` is where it is written."""

    name: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class Gate:
    """`@since(version = v)`, `@unstable(feature = f)` or `@deprecated(version = v)`."""

    kind: str
    value: str
    pos: Pos


# ---- types ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TPrim:
    name: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class TNamed:
    name: Ident

    @property
    def pos(self) -> Pos:
        return self.name.pos


@dataclass(frozen=True, slots=True)
class TList:
    element: TypeExpr
    size: int | None
    pos: Pos
    depth: int = 1


@dataclass(frozen=True, slots=True)
class TOption:
    element: TypeExpr
    pos: Pos
    depth: int = 1


@dataclass(frozen=True, slots=True)
class TResult:
    ok: TypeExpr | None
    err: TypeExpr | None
    pos: Pos
    depth: int = 1


@dataclass(frozen=True, slots=True)
class TTuple:
    items: tuple[TypeExpr, ...]
    pos: Pos
    depth: int = 1


@dataclass(frozen=True, slots=True)
class TFuture:
    element: TypeExpr | None
    pos: Pos
    depth: int = 1


@dataclass(frozen=True, slots=True)
class TStream:
    element: TypeExpr | None
    pos: Pos
    depth: int = 1


@dataclass(frozen=True, slots=True)
class THandle:
    kind: str  # "own" | "borrow"
    name: Ident
    pos: Pos


@dataclass(frozen=True, slots=True)
class TMap:
    key: TypeExpr
    value: TypeExpr
    pos: Pos
    depth: int = 1


TypeExpr = TPrim | TNamed | TList | TOption | TResult | TTuple | TFuture | TStream | THandle | TMap


@dataclass(frozen=True, slots=True)
class Func:
    params: tuple[tuple[Ident, TypeExpr], ...]
    result: TypeExpr | None
    is_async: bool
    pos: Pos


# ---- items ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PackageName:
    namespace: Ident
    name: Ident
    version: str | None
    pos: Pos

    def __str__(self) -> str:
        base = f"{self.namespace.name}:{self.name.name}"
        return f"{base}@{self.version}" if self.version else base


@dataclass(frozen=True, slots=True)
class UsePath:
    """`iface` (package is None) or `ns:pkg/iface@version`."""

    package: PackageName | None
    name: Ident

    @property
    def pos(self) -> Pos:
        return self.package.pos if self.package else self.name.pos

    def __str__(self) -> str:
        if self.package is None:
            return self.name.name
        pkg = f"{self.package.namespace.name}:{self.package.name.name}/{self.name.name}"
        return f"{pkg}@{self.package.version}" if self.package.version else pkg


@dataclass(frozen=True, slots=True)
class Field:
    name: Ident
    type: TypeExpr
    start: int


@dataclass(frozen=True, slots=True)
class Case:
    name: Ident
    type: TypeExpr | None
    start: int


@dataclass(frozen=True, slots=True)
class ResourceFunc:
    kind: str  # "constructor" | "method" | "static"
    name: Ident
    func: Func
    gates: tuple[Gate, ...]
    start: int


@dataclass(frozen=True, slots=True)
class TypeDef:
    """`kind` is alias|record|variant|enum|flags|resource; `body` depends on it: the aliased
    type, or a tuple of fields, cases or resource functions (read those with `members`)."""

    kind: str
    name: Ident
    body: object
    gates: tuple[Gate, ...]
    start: int

    def members(self, member: type[_Member]) -> tuple[_Member, ...]:
        """The body's fields, cases or resource functions, as `member` says (the parser builds a
        body of one kind of member, so this only gives the type checker the type)."""
        body = self.body
        return tuple(x for x in body if isinstance(x, member)) if isinstance(body, tuple) else ()


@dataclass(frozen=True, slots=True)
class UseItem:
    path: UsePath
    names: tuple[tuple[Ident, Ident | None], ...]
    gates: tuple[Gate, ...]
    start: int


@dataclass(frozen=True, slots=True)
class FuncItem:
    name: Ident
    func: Func
    gates: tuple[Gate, ...]
    start: int


InterfaceItem = UseItem | TypeDef | FuncItem


@dataclass(frozen=True, slots=True)
class Interface:
    name: Ident
    items: tuple[InterfaceItem, ...]
    gates: tuple[Gate, ...]
    start: int


@dataclass(frozen=True, slots=True)
class Extern:
    """A world `import`/`export`: kind func | inline | path (with `name` for `name: path`)."""

    direction: str
    kind: str
    name: Ident | None
    func: Func | None
    items: tuple[InterfaceItem, ...]
    path: UsePath | None
    gates: tuple[Gate, ...]
    start: int
    pos: Pos


@dataclass(frozen=True, slots=True)
class Include:
    path: UsePath
    renames: tuple[tuple[Ident, Ident], ...]
    gates: tuple[Gate, ...]
    start: int


WorldItem = Extern | UseItem | TypeDef | Include


@dataclass(frozen=True, slots=True)
class World:
    name: Ident
    items: tuple[WorldItem, ...]
    gates: tuple[Gate, ...]
    start: int


@dataclass(frozen=True, slots=True)
class TopUse:
    path: UsePath
    alias: Ident | None
    gates: tuple[Gate, ...]
    start: int


TopItem = Interface | World | TopUse


@dataclass(frozen=True, slots=True)
class NestedPackage:
    name: PackageName
    items: tuple[TopItem, ...]
    start: int


@dataclass(frozen=True, slots=True)
class File:
    """One parsed `.wit` file: an optional `package` header, items and nested packages.
    `comments` are the (start, end) offsets of every comment, found once while parsing and
    read again for doc comments."""

    path: str
    source: str
    package: PackageName | None
    items: tuple[TopItem, ...]
    nested: tuple[NestedPackage, ...]
    comments: tuple[tuple[int, int], ...] = ()
