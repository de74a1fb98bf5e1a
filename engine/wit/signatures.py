"""Canonical signature text: equal text <=> equal ABI (team brief, "Canonical signature text").

Two forms:
- structural (ABI comparison with what wasmtime reports for a component): aliases expanded,
  records/variants/enums/flags spelled out (`record{a: u32}`), resources nominal by name
  (`own<r>`, `borrow<r>`; a bare resource type is `own<r>`).
- named (readable, for reports): aliases followed to their definition, which is spelled by
  qualified name `<owner-id>#<name>` (`wasi:io/streams@0.2.0#input-stream`), handles as
  `own<id#r>` / `borrow<id#r>`.
Functions: `func(a: T, b: U) -> R`, `func(a: T)`, `async func() -> R`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from engine.wit import model as m
from engine.wit.errors import WitError, wit_diagnostic

FORMS = ("structural", "named")
T = TypeVar("T")
MAX_TEXT = 1_000_000  # structural spelling can grow exponentially with shared records


class _Renderer:
    def __init__(self, resolve: m.Resolve, form: str):
        if form not in FORMS:
            raise ValueError(f"unknown signature form {form!r}")
        self.resolve = resolve
        self.form = form
        self.memo: dict[str, str] = {}

    def qualified(self, td: m.TypeDef) -> str:
        return f"{td.owner}#{td.name}"

    def handle(self, kind: str, key: str) -> str:
        td = self.resolve.resource_of(key)
        name = "?" if td is None else (td.name if self.form == "structural" else self.qualified(td))
        return f"{kind}<{name}>"

    def ref(self, key: str) -> str:
        if key in self.memo:
            return self.memo[key]
        td = self.resolve.types[key]
        if td.kind in ("alias", "use"):
            text = self.text(td.target)
        elif td.kind == "resource":
            text = self.handle("own", key)
        elif self.form == "named":
            text = self.qualified(td)
        elif td.kind == "record":
            text = "record{" + ", ".join(f"{f.name}: {self.text(f.type)}" for f in td.fields) + "}"
        elif td.kind == "variant":
            text = (
                "variant{"
                + ", ".join(c.name + (f"({self.text(c.type)})" if c.type is not None else "") for c in td.cases)
                + "}"
            )
        else:  # enum, flags
            text = td.kind + "{" + ", ".join(c.name for c in td.cases) + "}"
        if len(text) > MAX_TEXT:
            raise WitError([wit_diagnostic(f"type `{td.name}` is too large to spell out", None)])
        self.memo[key] = text
        return text

    def text(self, ty: m.Type | None) -> str:
        if isinstance(ty, m.Prim):
            return ty.name
        if isinstance(ty, m.Ref):
            return self.ref(ty.key)
        if isinstance(ty, m.Handle):
            return self.handle(ty.kind, ty.key)
        if isinstance(ty, m.ListOf):
            size = f", {ty.size}" if ty.size is not None else ""
            return f"list<{self.text(ty.element)}{size}>"
        if isinstance(ty, m.OptionOf):
            return f"option<{self.text(ty.element)}>"
        if isinstance(ty, m.ResultOf):
            if ty.ok is None and ty.err is None:
                return "result"
            if ty.err is None:
                return f"result<{self.text(ty.ok)}>"
            ok = "_" if ty.ok is None else self.text(ty.ok)
            return f"result<{ok}, {self.text(ty.err)}>"
        if isinstance(ty, m.TupleOf):
            return "tuple<" + ", ".join(self.text(t) for t in ty.items) + ">"
        if isinstance(ty, (m.FutureOf, m.StreamOf)):
            word = "future" if isinstance(ty, m.FutureOf) else "stream"
            return word if ty.element is None else f"{word}<{self.text(ty.element)}>"
        if isinstance(ty, m.MapOf):
            return f"map<{self.text(ty.key)}, {self.text(ty.value)}>"
        raise TypeError(f"not a WIT type: {ty!r}")

    def function(self, func: m.Function) -> str:
        params = ", ".join(f"{p.name}: {self.text(p.type)}" for p in func.params)
        text = f"func({params})"
        if func.result is not None:
            text += f" -> {self.text(func.result)}"
        return ("async " if func.is_async else "") + text


def _spelled(render: Callable[[], T]) -> T:
    """Run `render`; types nested past Python's recursion limit are a WitError, not a crash."""
    try:
        return render()
    except RecursionError:
        raise WitError([wit_diagnostic("types are nested too deeply to spell out", None)]) from None


def type_text(ty: m.Type, resolve: m.Resolve, form: str = "structural") -> str:
    """Canonical text of one type."""
    return _spelled(lambda: _Renderer(resolve, form).text(ty))


def signature(func: m.Function, resolve: m.Resolve, form: str = "structural") -> str:
    """Canonical text of a function's signature, e.g. `func(config-json: string) -> string`."""
    return _spelled(lambda: _Renderer(resolve, form).function(func))


@dataclass(frozen=True)
class WorldSurface:
    """What a component of a world imports and exports, with structural signatures.

    imports: interface key (id, or plain name) -> {function name -> signature};
    import_functions / exports: world-level function name -> signature;
    export_interfaces: like imports, for exported interfaces.
    """

    world: str
    imports: Mapping[str, Mapping[str, str]]
    import_functions: Mapping[str, str]
    exports: Mapping[str, str]
    export_interfaces: Mapping[str, Mapping[str, str]]


def world_surface(world: m.World, resolve: m.Resolve, form: str = "structural") -> WorldSurface:
    """Signatures of everything a world imports and exports (one renderer: shared types are
    spelled once)."""
    renderer = _Renderer(resolve, form)

    def split(items: Mapping[str, m.WorldItem]) -> tuple[dict, dict]:
        interfaces, functions = {}, {}
        for key, item in items.items():
            if item.function is not None:
                functions[key] = renderer.function(item.function)
            elif item.interface is not None:
                iface = resolve.interfaces[item.interface]
                interfaces[key] = m.frozen_map((n, renderer.function(f)) for n, f in iface.functions.items())
            else:  # the resolver always sets one; a bare item would silently drop from the surface
                raise ValueError(f"world item `{key}` names neither a function nor an interface")
        return interfaces, functions

    (imp_ifaces, imp_funcs), (exp_ifaces, exp_funcs) = _spelled(lambda: (split(world.imports), split(world.exports)))
    return WorldSurface(
        world.id, m.frozen_map(imp_ifaces), m.frozen_map(imp_funcs), m.frozen_map(exp_funcs), m.frozen_map(exp_ifaces)
    )
