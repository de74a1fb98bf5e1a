"""The test oracle: a component's imports and exports read by compiling it with wasmtime.

This is how static inspection read component types before it read them in pure Python
(component_reader.py). The engine no longer uses it: tests and bench/artifact_inspect.py compare
the reader with it (tests/artifact/test_component_reader_differential.py), so it stays exactly
as it was, except that it compiles with a private, unoptimized engine (the same wasm features as
the runtime's engine; optimization, fuel and epochs do not change types) and stores nothing in
the compiled-artifact cache. Building a `Component` compiles it but never instantiates or runs it.
wasmtime is imported inside the functions only.

Types are rendered in the structural canonical signature text of the team brief, the same text
the WIT front end produces, so equal text means equal ABI:
  "func(tool-name: string, input-json: string) -> string", "record{a: u32, b: list<string>}".
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from engine.artifact.model import ArtifactExport, ArtifactImport, ArtifactInfo, unreadable
from engine.diagnostics import bound_bytes

ERROR_LIMIT_BYTES = 240
_engine_lock = threading.Lock()
_engine: Any = None


def inspection_engine() -> Any:
    """One unoptimized engine with the component model on, per process."""
    global _engine
    with _engine_lock:
        if _engine is None:
            import wasmtime

            config = wasmtime.Config()
            config.wasm_component_model = True
            config.cranelift_opt_level = "none"
            _engine = wasmtime.Engine(config)
        return _engine


def error_text(exc: BaseException) -> str:
    """wasmtime's multi-line error as one bounded line ("Caused by:" chains joined by ': ')."""
    parts = []
    for raw in str(exc).splitlines():
        line = raw.strip()
        if not line or line == "Caused by:":
            continue
        head, _, rest = line.partition(": ")
        parts.append(rest if head.isdigit() and rest else line)
    return bound_bytes(": ".join(parts) or type(exc).__name__, ERROR_LIMIT_BYTES)


class TypeRenderer:
    """Renders wasmtime component types as canonical signature text.

    Resources are nominal: `own<R>`/`borrow<R>` use the name under which the resource type is
    imported or exported (collected beforehand with `add_resource`), else "resource".
    """

    def __init__(self) -> None:
        from wasmtime.component import (
            F32,
            F64,
            S8,
            S16,
            S32,
            S64,
            U8,
            U16,
            U32,
            U64,
            Bool,
            Char,
            ErrorContext,
            String,
        )

        self._primitives = {
            Bool: "bool",
            S8: "s8",
            U8: "u8",
            S16: "s16",
            U16: "u16",
            S32: "s32",
            U32: "u32",
            S64: "s64",
            U64: "u64",
            F32: "f32",
            F64: "f64",
            Char: "char",
            String: "string",
            ErrorContext: "error-context",
        }
        self._resources: list[tuple[Any, str]] = []

    def add_resource(self, resource_type: Any, name: str) -> None:
        self._resources.append((resource_type, name))

    def _resource_name(self, resource_type: Any) -> str:
        return next((name for known, name in self._resources if known == resource_type), "resource")

    def value(self, t: Any) -> str:
        from wasmtime.component import (
            BorrowType,
            EnumType,
            FlagsType,
            FutureType,
            ListType,
            OptionType,
            OwnType,
            RecordType,
            ResultType,
            StreamType,
            TupleType,
            VariantType,
        )

        name = self._primitives.get(type(t))
        if name is not None:
            return name
        if isinstance(t, ListType):
            return f"list<{self.value(t.element)}>"
        if isinstance(t, OptionType):
            return f"option<{self.value(t.payload)}>"
        if isinstance(t, ResultType):
            ok, err = t.ok, t.err
            if ok is None and err is None:
                return "result"
            if err is None:
                return f"result<{self.value(ok)}>"
            return f"result<{'_' if ok is None else self.value(ok)}, {self.value(err)}>"
        if isinstance(t, TupleType):
            return "tuple<" + ", ".join(self.value(e) for e in t.elements) + ">"
        if isinstance(t, RecordType):
            return "record{" + ", ".join(f"{n}: {self.value(v)}" for n, v in t.fields) + "}"
        if isinstance(t, VariantType):
            cases = (n if v is None else f"{n}({self.value(v)})" for n, v in t.cases)
            return "variant{" + ", ".join(cases) + "}"
        if isinstance(t, EnumType):
            return "enum{" + ", ".join(t.names) + "}"
        if isinstance(t, FlagsType):
            return "flags{" + ", ".join(t.names) + "}"
        if isinstance(t, OwnType):
            return f"own<{self._resource_name(t.ty)}>"
        if isinstance(t, BorrowType):
            return f"borrow<{self._resource_name(t.ty)}>"
        if isinstance(t, (FutureType, StreamType)):
            word = "future" if isinstance(t, FutureType) else "stream"
            payload = t.payload
            return word if payload is None else f"{word}<{self.value(payload)}>"
        raise TypeError(f"unsupported component value type {type(t).__name__}")

    def func(self, f: Any) -> str:
        params = ", ".join(f"{n}: {self.value(t)}" for n, t in f.params)
        result = f.result
        return f"func({params})" + ("" if result is None else f" -> {self.value(result)}")


def _kind(ty: Any) -> str:
    from wasmtime.component import ComponentInstanceType, ComponentType, FuncType, ModuleType, ResourceType

    for cls, kind in (
        (FuncType, "func"),
        (ComponentInstanceType, "instance"),
        (ComponentType, "component"),
        (ModuleType, "module"),
        (ResourceType, "resource"),
    ):
        if isinstance(ty, cls):
            return kind
    return "type"


def _items(engine: Any, externs: dict) -> Iterator[tuple[str, str, Any]]:
    """(interface, name, type) per function/item: instance members are flattened."""
    from wasmtime.component import ComponentInstanceType

    for name, ext in externs.items():
        ty = ext.ty
        if isinstance(ty, ComponentInstanceType):
            members = ty.exports(engine)
            if not members:
                yield name, "", ty
            for member, member_ext in members.items():
                yield name, member, member_ext.ty
        else:
            yield "", name, ty


def _signature(renderer: TypeRenderer, kind: str, ty: Any) -> str | None:
    if kind == "func":
        return renderer.func(ty)
    if kind == "type":
        return renderer.value(ty)
    return None


def describe(engine: Any, component_type: Any) -> tuple[tuple[ArtifactImport, ...], tuple[ArtifactExport, ...]]:
    """Imports and exports of a wasmtime ComponentType, rendered."""
    imported = [(*item, _kind(item[2])) for item in _items(engine, component_type.imports(engine))]
    exported = [(*item, _kind(item[2])) for item in _items(engine, component_type.exports(engine))]
    renderer = TypeRenderer()
    for _, name, ty, kind in imported + exported:  # resources first: signatures name them
        if kind == "resource":
            renderer.add_resource(ty, name)
    imports = tuple(ArtifactImport(i, n, k, _signature(renderer, k, ty)) for i, n, ty, k in imported)
    exports = tuple(ArtifactExport(i, n, k, _signature(renderer, k, ty)) for i, n, ty, k in exported)
    return imports, exports


def compile_component(data: bytes) -> Any:
    """The compiled wasmtime Component (never instantiated); wasmtime's errors propagate."""
    from wasmtime.component import Component

    return Component(inspection_engine(), data)


def inspect_compiled(component: Any) -> ArtifactInfo:
    """Describe an already compiled component."""
    from wasmtime import WasmtimeError

    try:
        imports, exports = describe(inspection_engine(), component.type)
    except (WasmtimeError, TypeError, ValueError) as exc:
        return unreadable(f"component types could not be read: {error_text(exc)}")
    return ArtifactInfo(form="component", imports=imports, exports=exports)


def inspect_component(data: bytes) -> ArtifactInfo:
    """Compile (never instantiate) and describe a component; incompatible bytes -> unreadable."""
    from wasmtime import WasmtimeError

    try:
        component = compile_component(data)
    except (WasmtimeError, ValueError, TypeError) as exc:
        return unreadable(f"component is incompatible: {error_text(exc)}", code="artifact.incompatible", kind="abi")
    return inspect_compiled(component)
