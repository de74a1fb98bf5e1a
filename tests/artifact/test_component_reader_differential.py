"""The pure-Python component reader against wasmtime (the oracle it replaces): on the examples,
on every entry of the WAT corpus (valid and invalid), on randomly generated components, and on
real componentize-py builds, static inspection must report what compiling with wasmtime reports:
the same form, and for a component the same imports and exports with the same signatures.

The oracle (engine/artifact/wasmtime_oracle.py) compiles; it runs here with the compiled-artifact
cache off, so nothing it compiles is stored."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from component_corpus import INVALID, NOT_VALIDATED_STATICALLY, ORACLE_DEFECTS, VALID, component
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.artifact import clear_cache, inspect_artifact
from engine.artifact.wasmtime_oracle import inspect_component as oracle

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(autouse=True, scope="module")
def _no_compiled_cache():
    before = os.environ.get("YOI_CACHE")
    os.environ["YOI_CACHE"] = "off"
    yield
    if before is None:
        os.environ.pop("YOI_CACHE", None)
    else:
        os.environ["YOI_CACHE"] = before


def assert_agrees(data: bytes) -> None:
    clear_cache()
    ours, theirs = inspect_artifact(data), oracle(data)
    assert ours.form == theirs.form, (ours.diagnostics, theirs.diagnostics)
    assert ours.imports == theirs.imports
    assert ours.exports == theirs.exports
    if ours.form == "unreadable":
        (diagnostic,) = ours.diagnostics
        assert diagnostic.code == "artifact.incompatible"
        assert diagnostic.message.startswith("component is incompatible: ")
        assert "\n" not in diagnostic.message and len(diagnostic.message.encode()) <= 300


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*/*.component.wasm")), ids=lambda p: p.parent.name)
def test_examples(path):
    assert_agrees(path.read_bytes())


@pytest.mark.parametrize(("name", "wat"), [v for v in VALID if v[0] not in ORACLE_DEFECTS], ids=str)
def test_valid_corpus(name, wat):
    data = component(wat)
    assert_agrees(data)
    assert inspect_artifact(data).form == "component", name


@pytest.mark.parametrize(("name", "wat"), INVALID, ids=str)
def test_invalid_corpus(name, wat):
    data = component(wat)
    assert_agrees(data)
    assert inspect_artifact(data).form == "unreadable", name


def test_the_oracle_misreads_a_future_without_payload():
    """wasmtime-py 50 gives a payload-less future a `bool` payload (it ignores the C API's "no
    payload" answer); the reader says what the binary says."""
    data = component(dict(VALID)["future without payload"])
    clear_cache()
    assert inspect_artifact(data).imports[0].signature == "func(x: future)"
    assert oracle(data).imports[0].signature == "func(x: future<bool>)"


@pytest.mark.parametrize(("name", "wat"), NOT_VALIDATED_STATICALLY, ids=str)
def test_core_function_bodies_are_left_to_the_compiler(name, wat):
    """Static inspection reads types, it does not validate core code: the compile at the planned
    start refuses such a component (docs/artifacts.md), as the oracle's compile does here."""
    data = component(wat)
    clear_cache()
    assert inspect_artifact(data).form == "component"
    assert oracle(data).form == "unreadable"


# --- randomly generated components -------------------------------------------------------------

PRIMS = ("bool", "s8", "u8", "s16", "u16", "s32", "u32", "s64", "u64", "f32", "f64", "char", "string")
FLAT = {"s64": ["i64"], "u64": ["i64"], "f32": ["f32"], "f64": ["f64"], "string": ["i32", "i32"]}
LABELS = st.sampled_from(["a", "b-c", "d1", "x-y-z", "q", "long-name-here", "UP", "v2-w"])


def _join(a: str, b: str) -> str:
    return a if a == b else ("i32" if {a, b} == {"i32", "f32"} else "i64")


class Gen:
    """Builds WAT for value types at the top of a component, exporting every named one (the
    component model wants a name for each record, variant, enum and flags a function uses), and
    flattens them the canonical ABI's way, independently of the reader under test."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.flat: dict[str, list[str]] = {}
        self.n = 0

    def fresh(self) -> str:
        self.n += 1
        return f"$t{self.n}"

    def define(self, body: str, flat: list[str], named: bool) -> str:
        name = self.fresh()
        self.lines.append(f"(type {name} {body})")
        if named:
            alias = self.fresh()
            self.lines.append(f'(export {alias} "{name[1:]}" (type {name}))')
            name = alias
        self.flat[name] = flat
        return name

    def flatten(self, t: str) -> list[str]:
        return FLAT.get(t, ["i32"]) if t in PRIMS else self.flat[t]

    def variant_flat(self, cases: list[str | None]) -> list[str]:
        out: list[str] = []
        for case in cases:
            if case is None:
                continue
            for i, t in enumerate(self.flatten(case)):
                out[i : i + 1] = [_join(out[i], t)] if i < len(out) else [t]
        return ["i32", *out]


NAMED_KINDS = ["record", "variant", "enum", "flags"]
ANONYMOUS_KINDS = ["list", "option", "result", "tuple"]


@st.composite
def value_type(draw, gen: Gen, depth: int = 0, named: bool = True) -> str:
    """A value type; with `named` False only anonymous ones (what an import may use without
    importing type names too)."""
    if depth >= 3 or draw(st.booleans()):
        return draw(st.sampled_from(PRIMS))
    kind = draw(st.sampled_from(NAMED_KINDS + ANONYMOUS_KINDS if named else ANONYMOUS_KINDS))
    if kind in ("enum", "flags"):
        names = draw(st.lists(LABELS, min_size=1, max_size=4, unique_by=str.lower))
        flat = ["i32"] if kind == "enum" else ["i32"] * ((len(names) + 31) // 32)
        return gen.define(f"({kind} " + " ".join(f'"{n}"' for n in names) + ")", flat, True)
    if kind == "record":
        names = draw(st.lists(LABELS, min_size=1, max_size=3, unique_by=str.lower))
        fields = [(n, draw(value_type(gen, depth + 1, named))) for n in names]
        flat = [t for _, f in fields for t in gen.flatten(f)]
        return gen.define("(record " + " ".join(f'(field "{n}" {t})' for n, t in fields) + ")", flat, True)
    if kind == "variant":
        names = draw(st.lists(LABELS, min_size=1, max_size=3, unique_by=str.lower))
        cases = [(n, draw(st.none() | value_type(gen, depth + 1, named))) for n in names]
        body = "(variant " + " ".join(f'(case "{n}"{"" if t is None else " " + t})' for n, t in cases) + ")"
        return gen.define(body, gen.variant_flat([t for _, t in cases]), True)
    if kind == "list":
        return gen.define(f"(list {draw(value_type(gen, depth + 1, named))})", ["i32", "i32"], False)
    if kind == "option":
        inner = draw(value_type(gen, depth + 1, named))
        return gen.define(f"(option {inner})", gen.variant_flat([inner]), False)
    if kind == "tuple":
        items = draw(st.lists(value_type(gen, depth + 1, named), min_size=1, max_size=3))
        return gen.define("(tuple " + " ".join(items) + ")", [t for i in items for t in gen.flatten(i)], False)
    ok = draw(st.none() | value_type(gen, depth + 1, named))
    err = draw(st.none() | value_type(gen, depth + 1, named))
    body = "(result" + ("" if ok is None else f" {ok}") + ("" if err is None else f" (error {err})") + ")"
    return gen.define(body, gen.variant_flat([ok, err]), False)


@st.composite
def random_component(draw) -> str:
    gen = Gen()
    exports = []
    for index in range(draw(st.integers(1, 4))):
        params = [(n, draw(value_type(gen))) for n in draw(st.lists(LABELS, max_size=4, unique_by=str.lower))]
        result = draw(st.none() | value_type(gen))
        flat_params = [t for _, p in params for t in gen.flatten(p)]
        core_params = flat_params if len(flat_params) <= 16 else ["i32"]
        flat_result = [] if result is None else gen.flatten(result)
        core_results = flat_result if len(flat_result) <= 1 else ["i32"]
        exports.append((f"f{index}", params, result, core_params, core_results))
    imports = []
    for index in range(draw(st.integers(0, 3))):
        labels = draw(st.lists(LABELS, max_size=3, unique_by=str.lower))
        params = [(n, draw(value_type(gen, named=False))) for n in labels]
        result = draw(st.none() | value_type(gen, named=False))
        imports.append((f"g{index}", params, result))
    lines = ["(component", *gen.lines]
    for name, params, result in imports:
        sig = " ".join(f'(param "{n}" {t})' for n, t in params) + ("" if result is None else f" (result {result})")
        lines.append(f'(import "{name}" (func {sig}))')
    zero = {"i32": "i32.const 0", "i64": "i64.const 0", "f32": "f32.const 0", "f64": "f64.const 0"}
    lines.append('(core module $m (memory (export "memory") 1)')
    lines.append('  (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 8)')
    for name, _, _, core_params, core_results in exports:
        cp = " ".join(f"(param {t})" for t in core_params)
        cr = " ".join(f"(result {t})" for t in core_results)
        lines.append(f'  (func (export "{name}") {cp} {cr} {" ".join(zero[t] for t in core_results)})')
    lines.append(")")
    lines.append("(core instance $i (instantiate $m))")
    for name, params, result, _, _ in exports:
        sig = " ".join(f'(param "{n}" {t})' for n, t in params) + ("" if result is None else f" (result {result})")
        lines.append(
            f'(func (export "{name}") {sig} (canon lift (core func $i "{name}") '
            '(memory (core memory $i "memory")) (realloc (core func $i "realloc"))))'
        )
    lines.append(")")
    return "\n".join(lines)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_component())
def test_random_components(wat):
    data = component(wat)
    assert_agrees(data)
    assert inspect_artifact(data).form == "component"


# --- real componentize-py builds ---------------------------------------------------------------


@pytest.mark.slow
def test_the_python_guest(python_guest):
    """The authoring template's componentize-py build (18 MB): identical types, statically."""
    from engine.artifact.wasmtime_oracle import inspect_compiled

    data, compiled = python_guest
    clear_cache()
    ours, theirs = inspect_artifact(data), inspect_compiled(compiled)
    assert ours.form == theirs.form == "component"
    assert ours.imports == theirs.imports and ours.exports == theirs.exports
    assert {e.name for e in ours.exports if e.interface == ""} == {
        "start", "handle-tool", "handle-ingress", "status", "stop"}


@pytest.mark.slow
def test_a_rich_world_built_by_componentize_py(rich_component):
    """Every WIT type kind, resources imported and exported, `use` across interfaces, world
    functions: the nested-component, alias and ascription shapes of wit-component's output."""
    assert_agrees(rich_component)
    info = inspect_artifact(rich_component)
    by_name = {(i.interface, i.name): i for i in info.imports + info.exports}
    assert by_name[("test:rich/types@0.1.0", "[static]blob.merge")].signature == (
        "func(a: borrow<blob>, b: borrow<blob>) -> own<blob>"
    )
    assert by_name[("test:rich/uses@0.1.0", "eat")].signature == "func(b: own<blob>) -> list<enum{red, green, blue}>"
    assert by_name[("test:rich/service@0.1.0", "counter")].kind == "resource"
    assert by_name[("test:rich/service@0.1.0", "make")].signature == "func(name: string) -> own<counter>"
    assert by_name[("", "run")].signature == "func(args: list<string>) -> result<string, string>"
