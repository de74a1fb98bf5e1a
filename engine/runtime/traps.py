"""What a wasmtime failure was, decided from what wasmtime says happened before any message text.

Order (issue 16 point 6, issue 17 point 7):

1. the trap code. A core-module trap is a `wasmtime.Trap` with `trap_code`; a component call
   raises a plain `WasmtimeError`, but the C API's `wasmtime_trap_code` reads the same code from
   it (both C types are one `anyhow::Error`; measured with wasmtime-py 50: unreachable, fuel,
   interrupt, divide by zero and `cannot enter component instance` all report their code). The
   pun is used only for the wasmtime major versions it was checked on;
2. an operating-system error in the cause chain (`... (os error 12)`, Rust's `io::Error`
   format): a host failure such as ENOMEM from mmap or EIO is kind `internal`, never the guest's
   `trap`, and does not spend the guest's restarts;
3. only then wasmtime's words for failures that carry neither: store limits at instantiation
   (`limit`), unresolved imports (`load`). Anything else is the guest's `trap`.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import re
from typing import Any

from engine.plan import RuntimeLimits
from engine.runtime.errors import RuntimeFault

# wasmtime majors whose C API keeps `wasm_trap_t` and `wasmtime_error_t` the same one-field struct.
_PUN_CHECKED_MAJORS = frozenset({"50"})
# errno values that say the host, not the guest, failed: out of memory, I/O, descriptors, space.
HOST_ERRNOS = frozenset(
    getattr(errno, name)
    for name in ("ENOMEM", "EIO", "ENFILE", "EMFILE", "ENOSPC", "EDQUOT", "ENOBUFS", "EAGAIN", "EBUSY", "EROFS")
    if hasattr(errno, name)
)
_OS_ERROR = re.compile(r"\(os error (\d+)\)")
_LIMIT_WORDS = (
    "exceeds memory limits",
    "exceeds table limits",
    "resource limit exceeded",
    "growing memory",
    "growing table",
    "minimum size of",
)
_LINK_WORDS = (
    "unknown import",
    "matching implementation was not found",
    "incompatible import type",
    "incompatible type",
)


def last_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


@functools.lru_cache(maxsize=1)
def _pun_allowed() -> bool:
    from engine.compiled import wasmtime_version

    return wasmtime_version().split(".", 1)[0] in _PUN_CHECKED_MAJORS


def trap_code_of(error: BaseException) -> Any:
    """The `wasmtime.TrapCode` of a trap (core or component), or None when it is no trap."""
    import wasmtime

    if isinstance(error, wasmtime.Trap):
        return error.trap_code
    if not isinstance(error, wasmtime.WasmtimeError) or not _pun_allowed():
        return None
    try:
        from wasmtime import _ffi as ffi

        pointer = error.ptr()
        code = ffi.wasmtime_trap_code_t()
        if not ffi.wasmtime_trap_code(ctypes.cast(pointer, ctypes.POINTER(ffi.wasm_trap_t)), ctypes.byref(code)):
            return None
        return wasmtime.TrapCode(code.value)
    except (AttributeError, ValueError, TypeError):  # another wasmtime-py layout: no code
        return None


def host_errno_of(error: BaseException) -> int | None:
    """The errno of a host failure in `error` (a Python OSError or wasmtime's `os error N`)."""
    if isinstance(error, MemoryError):
        return errno.ENOMEM
    if isinstance(error, OSError):
        return error.errno if error.errno in HOST_ERRNOS else None
    for match in _OS_ERROR.finditer(str(error)):
        if int(match.group(1)) in HOST_ERRNOS:
            return int(match.group(1))
    return None


def host_failure(what: str, number: int, detail: str) -> RuntimeFault:
    name = errno.errorcode.get(number, f"errno {number}") if number else "unclassified"
    return RuntimeFault("internal", f"host failure ({name}) during {what}, not a guest fault: {detail}")


def classify(error: BaseException, what: str, limits: RuntimeLimits) -> RuntimeFault:
    """The fault kind of a failed guest call or instantiation (see the module docstring)."""
    import wasmtime

    text = last_line(error)
    code = trap_code_of(error)
    if code == wasmtime.TrapCode.OUT_OF_FUEL:
        return RuntimeFault("fuel", f"{what} ran out of fuel ({limits.fuel} units)")
    if code == wasmtime.TrapCode.INTERRUPT:
        return RuntimeFault("timeout", f"{what} timed out after {limits.timeout_ms} ms")
    if code == wasmtime.TrapCode.UNREACHABLE:
        from engine.runtime.stub_traps import explain  # a stubbed WASI call: which, and what to use instead

        hint = explain(str(error))
        return RuntimeFault("trap", f"{what}: {text}" + (f": {hint}" if hint else ""))
    if code is not None:
        return RuntimeFault("trap", f"{what}: {text}")
    number = host_errno_of(error)
    if number is not None:
        return host_failure(what, number, text)
    lowered = str(error).lower()
    if any(word in lowered for word in _LIMIT_WORDS):
        return RuntimeFault("limit", f"{what} exceeded the store limits: {text}")
    if any(word in lowered for word in _LINK_WORDS):
        return RuntimeFault("load", f"{what} could not be linked: {text}", "module")
    return RuntimeFault("trap", f"{what}: {text}")
