"""Core modules through the pure-Python section reader: imports, exports, signatures, and
robustness against truncated or garbage bytes (never an exception, always a diagnostic)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wasmtime import wat2wasm

from engine.artifact import ArtifactExport, ArtifactImport, inspect_artifact
from engine.artifact.sections import MalformedWasm, classify, read_core

PROJECT = Path(__file__).resolve().parents[2]
CORE_PREAMBLE = b"\x00asm\x01\x00\x00\x00"

LEGACY = wat2wasm("""
(module
  (import "yoi:tool" "input_len" (func $len (result i32)))
  (import "yoi:tool" "output_write" (func $out (param i32 i32) (result i32)))
  (import "env" "table" (table 1 funcref))
  (import "env" "counter" (global (mut i64)))
  (import "env" "mem" (memory 1 4))
  (memory (export "memory") 1)
  (global (export "g") f32 (f32.const 1))
  (func (export "yoi_tool_call"))
  (func (export "pair") (param i64 f64) (result i32 i64) (i32.const 0) (i64.const 0))
  (func (export "refs") (param externref funcref) (result v128) (v128.const i64x2 0 0))
  (export "reexported_len" (func $len))
)
""")


def test_preamble_classification():
    assert classify(CORE_PREAMBLE) == "core"
    assert classify(b"\x00asm\x0d\x00\x01\x00") == "component"
    assert classify(b"\x00asm\x02\x00\x00\x00") == "unknown"
    assert classify(b"\x00as") == "unknown"


def test_core_imports_with_signatures():
    info = inspect_artifact(LEGACY)
    assert info.form == "core" and info.diagnostics == ()
    assert info.imports == (
        ArtifactImport("yoi:tool", "input_len", "func", "() -> i32"),
        ArtifactImport("yoi:tool", "output_write", "func", "(i32, i32) -> i32"),
        ArtifactImport("env", "table", "table", None),
        ArtifactImport("env", "counter", "global", None),
        ArtifactImport("env", "mem", "memory", None),
    )
    assert info.import_interfaces == ("yoi:tool", "env")


def test_core_exports_resolve_function_indices_across_imports():
    info = inspect_artifact(LEGACY)
    assert info.exports == (
        ArtifactExport("", "memory", "memory", None),
        ArtifactExport("", "g", "global", None),
        ArtifactExport("", "yoi_tool_call", "func", "() -> ()"),
        ArtifactExport("", "pair", "func", "(i64, f64) -> (i32, i64)"),
        ArtifactExport("", "refs", "func", "(externref, funcref) -> v128"),
        ArtifactExport("", "reexported_len", "func", "() -> i32"),
    )
    assert info.export("yoi_tool_call").signature == "() -> ()"
    assert info.export("missing") is None


def test_gc_types_keep_function_type_indices_straight():
    data = wat2wasm("""
    (module
      (rec (type $node (struct (field i32) (field (ref null $node)))) (type $arr (array (mut i8))))
      (type $f (func (param (ref null $node)) (result (ref $arr))))
      (func (export "f") (type $f) unreachable))
    """)
    assert inspect_artifact(data).export("f").signature == "((ref null 0)) -> (ref 1)"


def test_custom_sections_are_listed_by_name():
    data = bytearray(wat2wasm("(module)"))
    name = b"producers"
    data += bytes([0, 1 + len(name) + 2, len(name)]) + name + b"\x01\x02"
    assert read_core(bytes(data)).custom_sections == ("producers",)


def test_start_function_that_would_trap_is_never_run():
    data = wat2wasm('(module (func $boom unreachable) (start $boom) (func (export "ok")))')
    info = inspect_artifact(data)
    assert info.form == "core" and info.export("ok").signature == "() -> ()"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "artifact is empty"),
        (b"hello world, not wasm", "not WebAssembly"),
        (b"\x00asm\x02\x00\x00\x00", "unsupported wasm version"),
        (CORE_PREAMBLE + b"\x01\x05\x01\x60", "extends past the end"),
        (CORE_PREAMBLE + b"\x0f\x00", "unknown section id 15"),
        (CORE_PREAMBLE + b"\x01\x01\x00\x01\x01\x00", "duplicate section 1"),
        (CORE_PREAMBLE + b"\x01\x05\x01\x60\x00\x00\x00", "size mismatch"),
        (CORE_PREAMBLE + b"\x01\x04\x01\x60\x01\x55", "invalid value type"),
        (CORE_PREAMBLE + b"\x02\x06\x01\x01a\x01b\x00", "unexpected end"),
        (CORE_PREAMBLE + b"\x02\x07\x01\x01a\x01b\x00\x05", "type index out of range"),
        (CORE_PREAMBLE + b"\x07\x05\x01\x01x\x00\x00", "function index out of range"),
        (CORE_PREAMBLE + b"\x07\x05\x01\x01\xff\x00\x00", "not valid UTF-8"),
        (CORE_PREAMBLE + b"\x03\x06\xff\xff\xff\xff\x0f\x00", "vector length exceeds"),
        (CORE_PREAMBLE + b"\x01\x06\x80\x80\x80\x80\x80\x00", "too long"),
    ],
)
def test_malformed_inputs_are_unreadable_with_a_reason(data, reason):
    info = inspect_artifact(data)
    assert info.form == "unreadable"
    assert len(info.diagnostics) == 1
    diagnostic = info.diagnostics[0]
    assert diagnostic.phase == "artifact" and diagnostic.code == "artifact.unreadable"
    assert reason in diagnostic.message


def test_diagnostics_never_echo_artifact_bytes():
    secret = b"password=hunter2"
    data = CORE_PREAMBLE + b"\x02" + bytes([len(secret) + 2, 1, len(secret)]) + secret
    info = inspect_artifact(data)
    assert info.form == "unreadable" and "hunter2" not in info.diagnostics[0].message


def test_every_truncation_of_a_module_is_handled():
    for end in range(len(LEGACY)):
        info = inspect_artifact(LEGACY[:end])
        assert info.form in {"unreadable", "core"}
        if end > 8 and info.form == "core":  # a section boundary: fewer items, never garbage
            assert set(info.exports) <= set(inspect_artifact(LEGACY).exports)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_after_a_core_preamble_never_raise(tail):
    info = inspect_artifact(CORE_PREAMBLE + tail)
    assert info.form in {"core", "unreadable"}
    assert (info.form == "unreadable") == bool(info.diagnostics)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(LEGACY) - 1), st.integers(0, 255)), min_size=1, max_size=4))
def test_mutated_modules_never_raise(edits):
    data = bytearray(LEGACY)
    for index, value in edits:
        data[index] = value
    try:
        read_core(bytes(data))
    except MalformedWasm:
        pass
    assert inspect_artifact(bytes(data)).form in {"core", "unreadable", "component"}


def test_core_inspection_does_not_load_wasmtime():
    code = (
        "import sys, engine.artifact as a\n"
        f"info = a.inspect_artifact({bytes(LEGACY)!r})\n"
        "assert info.form == 'core', info\n"
        "assert 'wasmtime' not in sys.modules, 'wasmtime was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT)
    assert result.returncode == 0, result.stderr


def test_deeply_repeated_prefixes_are_rejected_without_recursion():
    body = b"\x01\x60\x01\x63" + b"\x65" * 5000 + b"\x70\x00"
    size = bytes([len(body) & 0x7F | 0x80, len(body) >> 7])
    info = inspect_artifact(CORE_PREAMBLE + b"\x01" + size + body)
    assert info.form == "unreadable" and "shared heap type" in info.diagnostics[0].message
