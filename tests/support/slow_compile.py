"""A raw plugin module that is valid and quick to build but slow to compile: functions of tens of
thousands of `if` blocks (measured with wasmtime 50 and fuel instrumentation on the project's
2-core machine: 40,000 per function, two functions, 0.96 MB, about 4 s). Built as bytes directly:
wat2wasm of the same text would take longer than the test."""

from __future__ import annotations

import os

TYPE_VOID = b"\x60\x00\x00"  # () -> ()
IF_BLOCK = b"\x20\x00\x04\x40" + b"\x20\x01\x20\x02\x6a\x21\x03" + b"\x0b"  # if (local0) local3 = local1 + local2


def _leb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | 0x80 if value else byte)
        if not value:
            return bytes(out)


def _vec(items: list[bytes]) -> bytes:
    return _leb(len(items)) + b"".join(items)


def _section(section_id: int, payload: bytes) -> bytes:
    return bytes([section_id]) + _leb(len(payload)) + payload


def _name(text: str) -> bytes:
    return _leb(len(text)) + text.encode()


def slow_raw_module(ifs: int = 40_000, functions: int = 2) -> bytes:
    """A `yoi-plugin-wasm-1` module (memory, `yoi_tool_call: () -> ()`) with `functions` slow
    functions besides its entry point."""
    slow_body = _leb(1) + _leb(4) + b"\x7f" + IF_BLOCK * ifs + b"\x0b"  # 4 i32 locals
    entry_body = b"\x00\x0b"
    bodies = [entry_body] + [slow_body] * functions
    return (
        b"\0asm\1\0\0\0"
        + _section(1, _vec([TYPE_VOID]))
        + _section(3, _vec([_leb(0)] * len(bodies)))
        + _section(5, _vec([b"\x00" + _leb(1)]))  # one memory of one page
        + _section(7, _vec([_name("memory") + b"\x02" + _leb(0), _name("yoi_tool_call") + b"\x00" + _leb(0)]))
        + _section(10, _vec([_leb(len(body)) + body for body in bodies]))
    )


def compile_workers_of(pid: int | None = None) -> list[int]:
    """Live compile-worker processes whose parent is `pid` (default: this process)."""
    parent = os.getpid() if pid is None else pid
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmdline = handle.read()
        except OSError:
            continue
        if int(fields[1]) == parent and fields[0] != b"Z" and b"compile_worker" in cmdline:
            found.append(int(entry))
    return found


def processes_with_env(token: str) -> list[int]:
    """Processes whose environment holds `token` (to find a child's orphaned children)."""
    found = []
    needle = token.encode()
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/environ", "rb") as handle:
                    if needle in handle.read():
                        found.append(int(entry))
            except OSError:
                continue
    return found
