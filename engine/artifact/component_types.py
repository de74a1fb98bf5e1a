"""A component's imports and exports with their canonical signatures, read without compiling.

component_reader.py works out the component's type the way wasmtime's validator does; this
module flattens it the way `wasmtime.component.Component(...).type` is read by the rest of the
engine (wasmtime_oracle.py is that older reading, kept as the test oracle):
  - a world-level item is (interface "", name); each member of an imported or exported instance
    is (instance name, member name); an instance with no members appears once, name "";
  - kind: func, instance, component, module, resource, or type (a value type);
  - signature: canonical signature text for functions and value types (cm_types.Renderer), the
    same text the WIT front end produces, so equal text means equal ABI:
    "func(tool-name: string, input-json: string) -> string", "record{a: u32, b: list<string>}".
Resources are nominal: own<R>/borrow<R> name R as it is first imported, else exported.
"""

from __future__ import annotations

from collections.abc import Iterator

from engine.artifact.binary import Budget, MalformedWasm
from engine.artifact.cm_types import CompT, Defined, FuncT, InstT, Renderer, type_kind
from engine.artifact.component_reader import read_component
from engine.artifact.model import (
    ArtifactExport,
    ArtifactImport,
    ArtifactInfo,
    InstantiationCounts,
    unreadable,
)
from engine.diagnostics import bound_bytes

ERROR_LIMIT_BYTES = 240


def _items(entities: dict) -> Iterator[tuple[str, str, tuple]]:
    """(interface, name, entity) per item; instance members are flattened one level."""
    for name, entity in entities.items():
        ty = _type_of(entity)
        if isinstance(ty, InstT):  # an instance, or an instance type exported as a type
            members = ty.exports
            if not members:
                yield name, "", entity
            for member, member_entity in members.items():
                yield name, member, member_entity
        else:
            yield "", name, entity


def _kind(entity: tuple) -> str:
    """The sort of an item; for a type, what the type is (a type export of a function type is
    reported as a func, as wasmtime does)."""
    return type_kind(entity[2]) if entity[0] == "type" else entity[0]


def _type_of(entity: tuple) -> object:
    return entity[2] if entity[0] == "type" else entity[1]


def describe(component: CompT, budget: Budget) -> tuple[tuple[ArtifactImport, ...], tuple[ArtifactExport, ...]]:
    """The component's imports and exports, rendered."""
    imported = [(i, n, e, _kind(e)) for i, n, e in _items(component.imports)]
    reported = component.export_items if component.export_items is not None else component.exports
    exported = [(i, n, e, _kind(e)) for i, n, e in _items(reported)]
    names: dict[int, str] = {}
    for _, name, entity, kind in imported + exported:  # resources first: signatures name them
        if kind == "resource":
            names.setdefault(entity[2][0], name)
    renderer = Renderer(names, budget)

    def signature(entity: tuple, kind: str) -> str | None:
        ty = _type_of(entity)
        if kind == "func" and isinstance(ty, FuncT):
            return renderer.func(ty)
        if kind == "type" and isinstance(ty, Defined):
            return renderer.valtype(ty.payload if ty.kind == "prim" else ty)
        return None

    imports = tuple(ArtifactImport(i, n, k, signature(e, k)) for i, n, e, k in imported)
    exports = tuple(ArtifactExport(i, n, k, signature(e, k)) for i, n, e, k in exported)
    return imports, exports


def inspect_component(data: bytes, budget: Budget) -> ArtifactInfo:
    """Describe a component, or say why it cannot be one; BudgetExceeded propagates."""
    try:
        read = read_component(data, budget)
        imports, exports = describe(read.type, budget)
    except MalformedWasm as exc:
        reason = bound_bytes(str(exc), ERROR_LIMIT_BYTES)
        return unreadable(f"component is incompatible: {reason}", code="artifact.incompatible", kind="abi")
    except RecursionError:  # not reachable within the depth bounds; never a traceback if it were
        reason = "its types nest too deeply to read"
        return unreadable(f"component is incompatible: {reason}", code="artifact.incompatible", kind="abi")
    creates = read.creates
    counts = InstantiationCounts(
        core_instances=creates.instances,
        core_modules=len(read.modules),
        memories=creates.memories,
        tables=creates.tables,
        memory_bytes=creates.memory_bytes,
        table_elements=creates.table_elements,
        exact=creates.exact,
    )
    return ArtifactInfo(
        form="component",
        imports=imports,
        exports=exports,
        modules=tuple(read.modules),
        counts=counts,
    )
