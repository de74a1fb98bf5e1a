"""Components through wasmtime type introspection: imports/exports rendered as canonical
signature text, incompatible bytes, caching, and no instantiation."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wasmtime import Engine, Store, WasmtimeError, wat2wasm
from wasmtime.component import Component, Linker

from engine.artifact import ArtifactExport, ArtifactImport, clear_cache, inspect_artifact

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
COMPONENT_PREAMBLE = b"\x00asm\x0d\x00\x01\x00"

TYPES_COMPONENT = wat2wasm("""
(component
  (import "yoi:host/https@1.0.0" (instance
    (export "request" (func (param "request-json" string) (result string)))))
  (import "wasi:cli/environment@0.2.0" (instance
    (export "get-environment" (func (result (list (tuple string string)))))
    (export "initial-cwd" (func (result (option string))))))
  (import "log" (func (param "msg" string)))
  (import "test:types/all@1.0.0" (instance
    (type $point (record (field "x" s32) (field "y" s32)))
    (export "point" (type $p (eq $point)))
    (type $shape (variant (case "circle" f64) (case "none")))
    (export "shape" (type $s (eq $shape)))
    (type $color (enum "red" "green"))
    (export "color" (type $c (eq $color)))
    (type $perm (flags "read" "write"))
    (export "perm" (type $f (eq $perm)))
    (export "res" (type $r (sub resource)))
    (export "f" (func (param "p" $p) (param "s" $s) (param "c" $c) (param "fl" $f)
       (result (result (list $p) (error (tuple u8 char))))))
    (export "g" (func (param "o" (own $r)) (param "b" (borrow $r)) (result (result))))
    (export "h" (func (param "x" (option (list u64))) (param "y" bool) (param "z" s64) (result (result string))))
    (export "k" (func (result (result (error string)))))))
  (import "empty:iface/nothing@1.0.0" (instance))
  (core module $m (func (export "n") (result i32) (i32.const 3)))
  (core instance $i (instantiate $m))
  (func $n (result u32) (canon lift (core func $i "n")))
  (instance $extra (export "n" (func $n)))
  (export "yoi:plugin/extra@1.0.0" (instance $extra))
  (export "n" (func $n))
)
""")


@pytest.fixture(scope="module")
def types_info():
    return inspect_artifact(TYPES_COMPONENT)


def _import(info, interface, name):
    return next(i for i in info.imports if i.interface == interface and i.name == name)


def test_tool_world_example_exports_call():
    info = inspect_artifact((EXAMPLES / "component-echo" / "echo.component.wasm").read_bytes())
    assert info.form == "component" and info.imports == () and info.diagnostics == ()
    assert info.exports == (
        ArtifactExport("", "call", "func", "func(tool-name: string, input-json: string) -> string"),
    )


def test_instance_world_example_exports_the_five_functions():
    info = inspect_artifact((EXAMPLES / "instance-counter" / "counter.component.wasm").read_bytes())
    assert {e.name: e.signature for e in info.exports} == {
        "start": "func(config-json: string) -> string",
        "handle-tool": "func(name: string, input-json: string) -> string",
        "handle-ingress": "func(name: string, event-json: string) -> string",
        "status": "func() -> string",
        "stop": "func() -> string",
    }
    assert all(e.interface == "" and e.kind == "func" for e in info.exports)


def test_host_interface_import(types_info):
    assert _import(types_info, "yoi:host/https@1.0.0", "request") == ArtifactImport(
        "yoi:host/https@1.0.0", "request", "func", "func(request-json: string) -> string"
    )


def test_wasi_instance_import_is_reported_with_its_functions(types_info):
    wasi = [i for i in types_info.imports if i.interface == "wasi:cli/environment@0.2.0"]
    assert [(i.name, i.signature) for i in wasi] == [
        ("get-environment", "func() -> list<tuple<string, string>>"),
        ("initial-cwd", "func() -> option<string>"),
    ]


def test_world_level_function_import_has_empty_interface(types_info):
    assert _import(types_info, "", "log") == ArtifactImport("", "log", "func", "func(msg: string)")


def test_instance_without_members_still_appears(types_info):
    assert _import(types_info, "empty:iface/nothing@1.0.0", "") == ArtifactImport(
        "empty:iface/nothing@1.0.0", "", "instance", None
    )


def test_structured_types_render_structurally(types_info):
    iface = "test:types/all@1.0.0"
    assert _import(types_info, iface, "f").signature == (
        "func(p: record{x: s32, y: s32}, s: variant{circle(f64), none}, c: enum{red, green}, "
        "fl: flags{read, write}) -> result<list<record{x: s32, y: s32}>, tuple<u8, char>>"
    )
    assert _import(types_info, iface, "h").signature == (
        "func(x: option<list<u64>>, y: bool, z: s64) -> result<string>"
    )
    assert _import(types_info, iface, "k").signature == "func() -> result<_, string>"
    assert _import(types_info, iface, "point") == ArtifactImport(iface, "point", "type", "record{x: s32, y: s32}")


def test_resources_are_nominal(types_info):
    iface = "test:types/all@1.0.0"
    assert _import(types_info, iface, "res").kind == "resource"
    assert _import(types_info, iface, "g").signature == "func(o: own<res>, b: borrow<res>) -> result"


def test_exported_interface_and_world_level_export(types_info):
    assert types_info.exports == (
        ArtifactExport("yoi:plugin/extra@1.0.0", "n", "func", "func() -> u32"),
        ArtifactExport("", "n", "func", "func() -> u32"),
    )
    assert types_info.export("n", "yoi:plugin/extra@1.0.0") is not None


def test_component_whose_start_would_trap_still_inspects():
    wat = """
    (component
      (core module $m (func $boom unreachable) (start $boom) (func (export "f")))
      (core instance $i (instantiate $m))
      (func (export "f") (canon lift (core func $i "f"))))
    """
    data = wat2wasm(wat)
    info = inspect_artifact(data)
    assert info.form == "component"
    assert info.exports == (ArtifactExport("", "f", "func", "func()"),)
    engine = Engine()  # the same bytes really do trap when instantiated
    with pytest.raises(WasmtimeError, match="unreachable"):
        Linker(engine).instantiate(Store(engine), Component(engine, data))


def test_invalid_component_is_incompatible_with_a_bounded_reason():
    data = wat2wasm("""
    (component
      (core module $m (func (export "f") (result i32) (i32.const 1)))
      (core instance $i (instantiate $m))
      (func (export "f") (result string) (canon lift (core func $i "f"))))
    """)
    info = inspect_artifact(data)
    assert info.form == "unreadable"
    (diagnostic,) = info.diagnostics
    assert diagnostic.code == "artifact.incompatible" and diagnostic.phase == "artifact"
    assert diagnostic.message.startswith("component is incompatible: ")
    assert "\n" not in diagnostic.message and len(diagnostic.message.encode()) <= 300


def test_truncated_component_is_unreadable():
    data = (EXAMPLES / "component-echo" / "echo.component.wasm").read_bytes()
    for end in (9, len(data) // 2, len(data) - 1):
        info = inspect_artifact(data[:end])
        assert info.form == "unreadable" and info.diagnostics


def test_results_are_cached_by_content():
    clear_cache()
    data = (EXAMPLES / "instance-counter" / "counter.component.wasm").read_bytes()
    first = inspect_artifact(data)
    assert inspect_artifact(bytearray(data)) is first
    clear_cache()
    again = inspect_artifact(data)
    assert again is not first and again == first


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=120))
def test_random_bytes_after_a_component_preamble_never_raise(tail):
    info = inspect_artifact(COMPONENT_PREAMBLE + tail)
    assert info.form in {"component", "unreadable"}
    assert (info.form == "unreadable") == bool(info.diagnostics)
