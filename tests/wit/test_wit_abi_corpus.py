"""The structural signature form equals what wasmtime reports for the same package.

Each corpus entry has a `.wat` component encoding the package (wit-component's encoding: one
exported component type per world). wasmtime compiles it without running anything; we render
its function types in the pinned structural form and compare, world by world, with
`world_surface`. wasmtime does not expose resource names, so handles compare as
`own<resource>` / `borrow<resource>` on both sides.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from engine.wit import resolve_path, world_surface

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CORPUS = PROJECT_ROOT.parent / "shared" / "corpora" / "wit-interfaces"
_HANDLE_RE = re.compile(r"\b(own|borrow)<[^<>,]+>")


def _entries() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(e for e in os.listdir(CORPUS)
                  if (e.endswith(".wit") or (CORPUS / e).is_dir()) and (CORPUS / (e.removesuffix(".wit") + ".wat")).is_file())


def _render(t) -> str:
    from wasmtime import component as c

    prims = {c.Bool: "bool", c.U8: "u8", c.U16: "u16", c.U32: "u32", c.U64: "u64", c.S8: "s8", c.S16: "s16",
             c.S32: "s32", c.S64: "s64", c.F32: "f32", c.F64: "f64", c.Char: "char", c.String: "string"}
    if type(t) in prims:
        return prims[type(t)]
    if isinstance(t, c.ListType):
        return f"list<{_render(t.element)}>"
    if isinstance(t, c.OptionType):
        return f"option<{_render(t.payload)}>"
    if isinstance(t, c.ResultType):
        if t.ok is None and t.err is None:
            return "result"
        if t.err is None:
            return f"result<{_render(t.ok)}>"
        return f"result<{'_' if t.ok is None else _render(t.ok)}, {_render(t.err)}>"
    if isinstance(t, c.TupleType):
        return "tuple<" + ", ".join(_render(e) for e in t.elements) + ">"
    if isinstance(t, c.RecordType):
        return "record{" + ", ".join(f"{n}: {_render(v)}" for n, v in t.fields) + "}"
    if isinstance(t, c.VariantType):
        return "variant{" + ", ".join(n + (f"({_render(v)})" if v is not None else "") for n, v in t.cases) + "}"
    if isinstance(t, c.EnumType):
        return "enum{" + ", ".join(t.names) + "}"
    if isinstance(t, c.FlagsType):
        return "flags{" + ", ".join(t.names) + "}"
    if isinstance(t, c.OwnType):
        return "own<resource>"
    if isinstance(t, c.BorrowType):
        return "borrow<resource>"
    raise AssertionError(f"unexpected wasmtime type {type(t).__name__}")


def _func(f) -> str:
    params = ", ".join(f"{n}: {_render(t)}" for n, t in f.params)
    return f"func({params})" + (f" -> {_render(f.result)}" if f.result is not None else "")


def _side(engine, items) -> tuple[dict, dict]:
    from wasmtime import component as c

    interfaces, functions = {}, {}
    for name, ext in items.items():
        if isinstance(ext.ty, c.FuncType):
            functions[name] = _func(ext.ty)
        elif isinstance(ext.ty, c.ComponentInstanceType):
            interfaces[name] = {n: _func(e.ty) for n, e in ext.ty.exports(engine).items()
                                if isinstance(e.ty, c.FuncType)}
    return interfaces, functions


def wasmtime_worlds(wat: Path) -> dict[str, dict]:
    import wasmtime
    from wasmtime import component as c

    engine = wasmtime.Engine()
    component = c.Component(engine, wasmtime.wat2wasm(wat.read_text()))
    worlds = {}
    for ext in component.type.exports(engine).values():
        if not isinstance(ext.ty, c.ComponentType):
            continue
        inner = ext.ty.exports(engine)
        for world_id, world_ext in inner.items():
            if isinstance(world_ext.ty, c.ComponentType):  # a world (interfaces are instances)
                imports = _side(engine, world_ext.ty.imports(engine))
                exports = _side(engine, world_ext.ty.exports(engine))
                worlds[world_id] = {"imports": imports, "exports": exports}
    return worlds


def ours(path: Path) -> dict[str, dict]:
    r = resolve_path(path)
    norm = lambda d: {k: _HANDLE_RE.sub(r"\1<resource>", v) for k, v in d.items()}  # noqa: E731
    worlds = {}
    for key in r.main:
        for wid in r.packages[key].worlds.values():
            s = world_surface(r.worlds[wid], r)
            worlds[wid] = {
                "imports": ({k: norm(v) for k, v in s.imports.items()}, norm(s.import_functions)),
                "exports": ({k: norm(v) for k, v in s.export_interfaces.items()}, norm(s.exports)),
            }
    return worlds


@pytest.mark.parametrize("entry", _entries() or ["<corpus absent>"])
def test_structural_signatures_match_wasmtime(entry: str):
    if not CORPUS.is_dir():
        pytest.skip(f"WIT corpus not found at {CORPUS}")
    wat = CORPUS / (entry.removesuffix(".wit") + ".wat")
    try:
        theirs = wasmtime_worlds(wat)
    except Exception as exc:  # a type this wasmtime build does not support
        pytest.skip(f"wasmtime cannot compile {wat.name}: {str(exc).splitlines()[0][:120]}")
    assert ours(CORPUS / entry) == theirs
