"""Say what a guest did when it traps in a stubbed WASI function, and what to use instead.

A Python guest is built with componentize-py's `--stub-wasi`: every WASI function is a stub that
executes `unreachable`. A guest calling `time.time()` then dies with "wasm `unreachable`
instruction executed", which tells its author nothing. The trap's frames do: the first frames are
the nameless stub and shim, and the first named frame is the wasi-libc wrapper of the WASI function
(`libc.so!wall_clock_now`), followed by the interpreter's frames (`libpython3.14.so!time_time`).

`explain` reads those frames of a trap whose code is `unreachable` (engine/runtime/traps.py decides
that from the trap code), and only when every frame above the wrapper is nameless (a guest's own
function that happens to share a wrapper's name and traps for another reason is not misread).
Which symbol is which WASI function is a generated table (engine/runtime/wasi_symbols.py); what
hosts offer instead is declared per WASI interface below.
"""

from __future__ import annotations

import re

from engine.runtime.wasi_symbols import WASI_FUNCTIONS

_FRAME = re.compile(r"^\s*\d+:\s+0x[0-9a-fA-F]+ - (?P<module>[^!\n]*)!(?P<symbol>[^\n]+)$", re.MULTILINE)
_NAMELESS = re.compile(r"<wasm function \d+>")

_CLOCK = "no clock here: use the ingress event's `created_at` (yoi_pdk `event.created_at`) or a time in the input"
_RANDOM = "no randomness here (`random` is seeded at build time): derive values from the input, never secrets"
_STREAMS = "no stdin/stdout/stderr here: return text in the tool output or the status"
_ENVIRONMENT = "no environment here: read settings from the enablement `config` given to `start`"
_EXIT = "a guest cannot exit: raise ToolError or return PluginStatus.failed"
_FILES = "no files here: use the fs host API (yoi_pdk `ctx.fs`)"
_SOCKETS = "no sockets here: use the https host API (yoi_pdk `ctx.https`)"
_IO = "no WASI I/O here: use the yoi host APIs"

# What to use instead, per WASI interface (every interface of WASI_FUNCTIONS has an entry; a test
# derives the interfaces from that table and checks).
ALTERNATIVES = {
    "wasi:clocks/wall-clock": _CLOCK,
    "wasi:clocks/monotonic-clock": _CLOCK,
    "wasi:random/random": _RANDOM,
    "wasi:random/insecure": _RANDOM,
    "wasi:random/insecure-seed": _RANDOM,
    "wasi:cli/stdin": _STREAMS,
    "wasi:cli/stdout": _STREAMS,
    "wasi:cli/stderr": _STREAMS,
    "wasi:cli/terminal-input": _STREAMS,
    "wasi:cli/terminal-output": _STREAMS,
    "wasi:cli/terminal-stdin": _STREAMS,
    "wasi:cli/terminal-stdout": _STREAMS,
    "wasi:cli/terminal-stderr": _STREAMS,
    "wasi:cli/environment": _ENVIRONMENT,
    "wasi:cli/exit": _EXIT,
    "wasi:filesystem/preopens": _FILES,
    "wasi:filesystem/types": _FILES,
    "wasi:sockets/instance-network": _SOCKETS,
    "wasi:sockets/ip-name-lookup": _SOCKETS,
    "wasi:sockets/tcp": _SOCKETS,
    "wasi:sockets/tcp-create-socket": _SOCKETS,
    "wasi:sockets/udp": _SOCKETS,
    "wasi:sockets/udp-create-socket": _SOCKETS,
    "wasi:io/error": _IO,
    "wasi:io/poll": _IO,
    "wasi:io/streams": _IO,
}

# CPython functions (their C symbols) an author recognises as Python calls.
PYTHON_CALLS = {
    "time_time": "time.time()",
    "time_time_ns": "time.time_ns()",
    "time_monotonic": "time.monotonic()",
    "time_monotonic_ns": "time.monotonic_ns()",
    "time_perf_counter": "time.perf_counter()",
    "time_perf_counter_ns": "time.perf_counter_ns()",
    "time_sleep": "time.sleep()",
    "os_urandom": "os.urandom()",
    "builtin_print": "print()",
    "builtin_input": "input()",
    "_io_open": "open()",
}


def interface_of(function: str) -> str:
    """`wasi:clocks/wall-clock` of `wasi:clocks/wall-clock#now` (the table's own notation)."""
    return function.partition("#")[0]


def explain(trap_text: str) -> str | None:
    """`the guest called <WASI function> ...: <what to use instead>` when the frames of an
    `unreachable` trap (`trap_text`: wasmtime's message with its backtrace) show a stub call."""
    frames = [(m.group("module").strip(), m.group("symbol").strip()) for m in _FRAME.finditer(trap_text)]
    for index, (_module, symbol) in enumerate(frames):
        function = WASI_FUNCTIONS.get(symbol)
        if function is not None:
            caller = next((PYTHON_CALLS[s] for _, s in frames[index + 1 :] if s in PYTHON_CALLS), None)
            via = f" (Python `{caller}`)" if caller else ""
            advice = ALTERNATIVES.get(interface_of(function), _IO)
            return f"the guest called `{function}`{via}, which yoi hosts stub out: {advice}"
        if not _NAMELESS.fullmatch(symbol):
            return None  # a named frame that is no WASI wrapper: the guest's own trap
    return None
