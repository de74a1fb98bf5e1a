"""Build small real wasm artifacts from WAT for rule tests (core modules and components)."""

from __future__ import annotations

import wasmtime

_CORE_TYPES = {"string": ("i32", "i32"), "u32": ("i32",), "u64": ("i64",)}


def _core_params(params) -> str:
    flat = [t for _, ty in params for t in _CORE_TYPES[ty]]
    return " ".join(f"(param {t})" for t in flat)


def component(exports: dict[str, tuple[list[tuple[str, str]], str | None]], imports=()) -> bytes:
    """A component exporting world-level functions `name: func(params) -> result`.

    `imports` are (interface id, function name, params, result) declared as instance imports;
    the core code never calls them, so inspection sees them but nothing needs to link.
    """
    lines = ["(component"]
    for index, (interface, name, params, result) in enumerate(imports):
        sig = " ".join(f'(param "{p}" {t})' for p, t in params) + (f" (result {result})" if result else "")
        lines.append(f'  (import "{interface}" (instance $imp{index} (export "{name}" (func {sig}))))')
    lines.append("  (core module $m")
    lines.append('    (memory (export "memory") 1)')
    lines.append('    (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)')
    for index, (name, (params, result)) in enumerate(exports.items()):
        core_result = "(result i32)" if result in ("string", "u32") else ""
        body = "i32.const 0" if core_result else ""
        lines.append(f'    (func (export "f{index}") {_core_params(params)} {core_result} {body})')
    lines.append("  )")
    lines.append("  (core instance $i (instantiate $m))")
    for index, (name, (params, result)) in enumerate(exports.items()):
        sig = " ".join(f'(param "{p}" {t})' for p, t in params) + (f" (result {result})" if result else "")
        lines.append(
            f'  (func (export "{name}") {sig} (canon lift (core func $i "f{index}") '
            f'(memory (core memory $i "memory")) (realloc (core func $i "cabi_realloc")) string-encoding=utf8))'
        )
    lines.append(")")
    return wasmtime.wat2wasm("\n".join(lines))


S = "string"
TOOL_WORLD_EXPORTS = {"call": ([("tool-name", S), ("input-json", S)], S)}
INSTANCE_WORLD_EXPORTS = {
    "start": ([("config-json", S)], S),
    "handle-tool": ([("name", S), ("input-json", S)], S),
    "handle-ingress": ([("name", S), ("event-json", S)], S),
    "status": ([], S),
    "stop": ([], S),
}


def world_level_import() -> bytes:
    """A tool-world component that also imports a bare function `get-secret` at world level
    (not from an interface), which no host can provide: the engine must refuse it."""
    return wasmtime.wat2wasm("""(component
  (import "get-secret" (func (result string)))
  (core module $m (memory (export "memory") 1)
    (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
    (func (export "f0") (param i32 i32 i32 i32) (result i32) i32.const 0))
  (core instance $i (instantiate $m))
  (func (export "call") (param "tool-name" string) (param "input-json" string) (result string)
    (canon lift (core func $i "f0") (memory (core memory $i "memory")) (realloc (core func $i "cabi_realloc"))
      string-encoding=utf8)))""")


def core_module(imports=(), exports_call=True, call_type="", memory=True) -> bytes:
    """A core module with the given (module, name, "(param ...) (result ...)") imports."""
    lines = ["(module"]
    for module, name, sig in imports:
        lines.append(f'  (import "{module}" "{name}" (func {sig}))')
    if memory:
        lines.append('  (memory (export "memory") 1)')
    if exports_call:
        lines.append(f'  (func (export "yoi_tool_call") {call_type} {"i32.const 0" if "result" in call_type else ""})')
    lines.append(")")
    return wasmtime.wat2wasm("\n".join(lines))


def leb128(value: int) -> bytes:
    """Unsigned LEB128, as wasm section and name lengths are written."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def with_custom_section(wasm: bytes, name: bytes, payload: bytes) -> bytes:
    """`wasm` with a custom section appended: still valid, now larger and with its own sha256."""
    body = leb128(len(name)) + name + payload
    return wasm + b"\x00" + leb128(len(body)) + body
