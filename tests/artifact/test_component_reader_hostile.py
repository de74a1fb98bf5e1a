"""The component reader against hostile input: deep nesting, huge counts and types, long names,
types that render to megabytes, truncations and random mutations. Every input gives an
ArtifactInfo (a component, or unreadable with a bounded reason), never an exception, a hang or
unbounded memory; nesting costs no Python recursion beyond fixed bounds."""

from __future__ import annotations

import pytest
from component_corpus import VALID, component
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wasm_builders import leb128

from engine.artifact import clear_cache, inspect_artifact
from engine.artifact.binary import Budget
from engine.artifact.wasmtime_oracle import inspect_component as oracle

PREAMBLE = b"\x00asm\x0d\x00\x01\x00"
SEEDS = [component(wat) for name, wat in VALID if name in {
    "value types in an interface", "imported resources", "exported resource defined here",
    "interface exported through a nested component (wit-component shape)", "a lowered import linked into a core module",
    "async lift with a callback, streams and futures", "root-level types, modules and ascriptions"}]


def unreadable_because(data: bytes, reason: str) -> None:
    clear_cache()
    info = inspect_artifact(data)
    assert info.form == "unreadable", info
    (diagnostic,) = info.diagnostics
    assert reason in diagnostic.message and len(diagnostic.message.encode()) <= 300


def nested_components(depth: int) -> bytes:
    inner = PREAMBLE
    for _ in range(depth):
        inner = PREAMBLE + b"\x04" + leb128(len(inner)) + inner
    return inner


def test_components_nested_twenty_thousand_deep_cost_no_recursion():
    clear_cache()
    info = inspect_artifact(nested_components(20_000))
    assert info.form == "component" and info.counts.core_instances == 0


def nested_instance_types(depth: int) -> bytes:
    wat = '(component (import "i" ' + "(instance (export \"i\" " * depth + "(instance)" + "))" * depth + "))"
    return component(wat)


def test_type_declarations_nest_at_most_32_deep():
    clear_cache()
    assert inspect_artifact(nested_instance_types(30)).form == "component"
    unreadable_because(nested_instance_types(40), "type declarations nest more than 32 deep")


def test_a_type_that_doubles_its_size_is_refused_like_wasmtime_does():
    types = ["(type $d0 (tuple u8 u8))"] + [f"(type $d{i} (tuple $d{i - 1} $d{i - 1}))" for i in range(1, 25)]
    data = component("(component " + " ".join(types) + ")")
    unreadable_because(data, "effective type size exceeds the limit of 1000000")
    assert oracle(data).form == "unreadable"


def test_types_that_render_to_megabytes_are_refused():
    """A departure from wasmtime, which would render them: the signatures of one artifact may
    take at most 1 MiB of text (docs/artifacts.md)."""
    label = "a" * 60_000
    wat = (f'(component (type $r (record (field "{label}" u8))) (export $e "r" (type $r))'
           ' (type $t (tuple ' + "$e " * 40 + ')) (core module $m (func (export "f") (param '
           + "i32 " * 16 + "))) (core instance $i (instantiate $m)))")
    data = component(wat.replace("(core module", '(import "x" (func (param "p" (list u8))))(core module'))
    clear_cache()
    assert inspect_artifact(data).form == "component"  # defined, never rendered: fine
    wat2 = (f'(component (import "i" (instance (type $r (record (field "{label}" u8))) (export "r" (type $e (eq $r)))'
            ' (export "f" (func (param "a" (tuple ' + "$e " * 20 + '))))'
            ' (export "g" (func (param "a" (tuple ' + "$e " * 20 + ')))))))')
    unreadable_because(component(wat2), "render to more than 1048576 bytes")


def test_more_types_than_the_bound_are_refused(monkeypatch):
    monkeypatch.setattr(Budget, "MAX_TYPES", 500)
    wat = "(component " + " ".join(f"(type (list u{8 if i % 2 else 16}))" for i in range(600)) + ")"
    unreadable_because(component(wat), "declares more than 500 types")


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        (b"\x07\x05\xff\xff\xff\xff\x0f", "vector length exceeds the section"),
        (b"\x07\x03\x01\x70\x45", "type index out of bounds"),
        (b"\x06\x07\x01\x03\x02\xff\xff\x0f\x00", "invalid outer alias count"),
        (b"\x0a\x06\x01\x00\x09abc", "name extends past the section"),
        (b"\x63\x00", "malformed section id: 99"),
        (b"\x07\x02\x01\x99", "invalid leading byte (0x99)"),
        (b"\x0c\x00", "`value`s is not enabled"),
        (b"\x09\x00", "`value`s is not enabled"),
        (b"\x04\x08\x00asm\x01\x00\x00\x00", "expected a component, found a core module"),
        (b"\x04\x08\x00asm\x0e\x00\x01\x00", "unknown component version"),
    ],
)
def test_malformed_sections_get_a_bounded_reason(tail, reason):
    unreadable_because(PREAMBLE + tail, reason)


def test_a_name_over_100000_bytes_is_refused():
    name = b"a" * 100_001
    payload = b"\x01\x00" + leb128(len(name)) + name + b"\x01\x00"
    unreadable_because(PREAMBLE + b"\x0a" + leb128(len(payload)) + payload, "name longer than 100000 bytes")


def _deep(prefix: str, resource: str, depth: int) -> tuple[list[str], str]:
    types = [f"(type ${prefix}0 (list (own {resource})))"]
    types += [f"(type ${prefix}{i} (list ${prefix}{i - 1}))" for i in range(1, depth)]
    return types, f"${prefix}{depth - 1}"


@pytest.mark.parametrize("depth", [3, 96])
def test_resources_substituted_inside_the_deepest_allowed_types(depth):
    """Instantiation rewrites resources inside types as deep as validation allows (wasmparser's
    limit of 100 levels; the instance and function around the list count too), checks them
    against the arguments and renders them: recursively, within that fixed bound."""
    inner, inner_top = _deep("l", "$r'", depth)
    outer, outer_top = _deep("o", "$outer", depth)
    wat = f"""(component
  (import "r" (type $outer (sub resource)))
  {" ".join(outer)}
  (import "f" (func $g (param "x" {outer_top})))
  (component $c
    (import "r" (type $r' (sub resource)))
    {" ".join(inner)}
    (import "f" (func $f (param "x" {inner_top})))
    (export $re "r" (type $r'))
    (export "f" (func $f)))
  (instance $i (instantiate $c (with "r" (type $outer)) (with "f" (func $g)))))"""
    data = component(wat)
    clear_cache()
    ours, theirs = inspect_artifact(data), oracle(data)
    assert ours.form == theirs.form == "component"
    assert ours.imports == theirs.imports
    assert ours.imports[1].signature == "func(x: " + "list<" * depth + "own<r>" + ">" * depth + ")"


def test_every_truncation_is_handled():
    for data in SEEDS[:3]:
        for end in range(8, len(data)):
            clear_cache()
            assert inspect_artifact(data[:end]).form in {"component", "unreadable"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(SEEDS))), st.lists(st.tuples(st.integers(8, 10**6), st.integers(0, 255)),
                                                   min_size=1, max_size=4))
def test_mutated_components_never_raise(seed, edits):
    data = bytearray(SEEDS[seed])
    for index, value in edits:
        data[index % len(data)] = value
    clear_cache()
    info = inspect_artifact(bytes(data))
    assert info.form in {"component", "unreadable"}
    assert (info.form == "unreadable") == bool(info.diagnostics)
