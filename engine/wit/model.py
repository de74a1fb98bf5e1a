"""Resolved WIT: packages, interfaces, worlds, functions and types, as frozen values.

Types refer to named definitions by key (`<owner-id>#<name>`), so the model stays a plain
value (no object cycles) and two definitions are the same type exactly when their keys are.
Owner ids: interfaces `ns:pkg/name@ver`, worlds the same shape, an inline world interface
`<world-id>/<name>`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from engine.diagnostics import Location


def frozen_map(items) -> Mapping:
    """A read-only mapping, so a frozen model value cannot be changed through its dicts."""
    return MappingProxyType(dict(items))


# ---- type expressions ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Prim:
    name: str


@dataclass(frozen=True, slots=True)
class Ref:
    """A named type: the key of a TypeDef (record, alias, resource, ...)."""

    key: str


@dataclass(frozen=True, slots=True)
class ListOf:
    element: Type
    size: int | None = None


@dataclass(frozen=True, slots=True)
class OptionOf:
    element: Type


@dataclass(frozen=True, slots=True)
class ResultOf:
    ok: Type | None
    err: Type | None


@dataclass(frozen=True, slots=True)
class TupleOf:
    items: tuple[Type, ...]


@dataclass(frozen=True, slots=True)
class FutureOf:
    element: Type | None


@dataclass(frozen=True, slots=True)
class StreamOf:
    element: Type | None


@dataclass(frozen=True, slots=True)
class Handle:
    """`own<r>` / `borrow<r>`; `key` names the TypeDef written (it resolves to a resource)."""

    kind: str
    key: str


@dataclass(frozen=True, slots=True)
class MapOf:
    key: Type
    value: Type


Type = Prim | Ref | ListOf | OptionOf | ResultOf | TupleOf | FutureOf | StreamOf | Handle | MapOf


# ---- definitions ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Gate:
    kind: str  # since | unstable | deprecated
    value: str  # version or feature name


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: Type
    docs: str = ""


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    type: Type | None = None
    docs: str = ""


@dataclass(frozen=True, slots=True)
class TypeDef:
    """`kind`: alias | use | record | variant | enum | flags | resource.

    alias/use keep the aliased type in `target` (a `use` always targets a Ref); record fields
    and variant/enum/flags cases are in `fields` / `cases`.
    """

    key: str
    name: str
    owner: str
    kind: str
    target: Type | None = None
    fields: tuple[Field, ...] = ()
    cases: tuple[Case, ...] = ()
    docs: str = ""
    location: Location | None = None
    gates: tuple[Gate, ...] = ()


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: Type


@dataclass(frozen=True, slots=True)
class Function:
    """`name` is desugared as the reference tooling spells it: `f`, `[constructor]r`,
    `[method]r.f`, `[static]r.f`. Methods carry their implicit `self: borrow<r>` parameter."""

    name: str
    kind: str  # freestanding | constructor | method | static
    params: tuple[Param, ...]
    result: Type | None
    is_async: bool = False
    resource: str | None = None  # TypeDef key of the resource, for resource functions
    docs: str = ""
    location: Location | None = None
    gates: tuple[Gate, ...] = ()

    @property
    def item_name(self) -> str:
        """The name as written (`f` of `[method]r.f`, the resource for a constructor)."""
        if self.kind == "freestanding":
            return self.name
        return self.name.split("]", 1)[1].split(".", 1)[-1]


@dataclass(frozen=True, slots=True)
class Interface:
    id: str
    name: str | None  # None for an inline interface of a world
    package: str
    types: Mapping[str, TypeDef]
    functions: Mapping[str, Function]
    docs: str = ""
    location: Location | None = None
    gates: tuple[Gate, ...] = ()


@dataclass(frozen=True, slots=True)
class WorldItem:
    """One import or export. `key` is a plain name or an interface id.

    kind "interface" (`interface` is its id) or "function" (`function` is set).
    `implicit` marks interfaces added because another item depends on them.
    """

    key: str
    kind: str
    interface: str | None = None
    function: Function | None = None
    implicit: bool = False
    docs: str = ""
    location: Location | None = None
    gates: tuple[Gate, ...] = ()


@dataclass(frozen=True, slots=True)
class World:
    id: str
    name: str
    package: str
    imports: Mapping[str, WorldItem]
    exports: Mapping[str, WorldItem]
    types: Mapping[str, TypeDef]
    docs: str = ""
    location: Location | None = None
    gates: tuple[Gate, ...] = ()


@dataclass(frozen=True, slots=True)
class Package:
    name: str  # ns:pkg@version
    namespace: str
    short_name: str
    version: str | None
    interfaces: Mapping[str, str]  # interface name -> id
    worlds: Mapping[str, str]  # world name -> id
    docs: str = ""
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class Resolve:
    """Everything resolved from one path; `main` names the packages of the path itself
    (the others came from `deps/`). Packages are in dependency order."""

    packages: Mapping[str, Package]
    interfaces: Mapping[str, Interface]
    worlds: Mapping[str, World]
    types: Mapping[str, TypeDef]
    main: tuple[str, ...]

    def dealias(self, ty: Type) -> Type:
        """Follow `type x = y` and `use` until a non-alias (a definition or a structural type)."""
        return dealias(self.types, ty)

    def resource_of(self, key: str) -> TypeDef | None:
        """The resource a handle's key names (through aliases), or None."""
        return resource_of(self.types, key)


def dealias(types: Mapping[str, TypeDef], ty: Type) -> Type:
    """Follow aliases and `use` in `types` until a non-alias. A key missing from `types` (while
    resolving: a definition that failed) or an alias cycle ends the walk where it is."""
    for _ in range(len(types) + 1):
        if not isinstance(ty, Ref) or ty.key not in types:
            return ty
        td = types[ty.key]
        if td.kind not in ("alias", "use") or td.target is None:
            return ty
        ty = td.target
    return ty


def resource_of(types: Mapping[str, TypeDef], key: str) -> TypeDef | None:
    """The resource definition `key` names through aliases, or None (not a resource, or broken)."""
    ty = dealias(types, Ref(key))
    if isinstance(ty, Ref) and ty.key in types and types[ty.key].kind == "resource":
        return types[ty.key]
    return None
