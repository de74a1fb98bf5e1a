"""Linking host APIs into guests: the component interfaces (`yoi:host/https@1.0.0`, ...) and the
raw ABI modules (`yoi:tool`, `yoi:https`, ...; spec §6.8) of every entry of the host-API registry
(engine/api_registry), with the functions and signatures the registry gives.

Every host API call belongs to the guest call that makes it: `wasm.WasmEngine.run` opens a
`GuestCallBudget` (the call's wall-clock deadline and at most MAX_HOST_CALLS_PER_GUEST_CALL host
API calls) for the thread running the guest, and each host function draws on it. wasmtime's epoch
deadline cannot interrupt a Python host function, so the deadline is handed to the host API,
which bounds its own waits by it; once the host function returns, the epoch interrupts the guest.

Host functions never raise: wasmtime-py stashes a Python exception from a host function in a
module global (racy across threads) and an exception kills a component instance. Component host
functions return errors as JSON data `{"error": {"message": ...}}`; raw imports return -1 and, for
output and host-API failures, record an output error that fails the whole tool call (§6.8).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine import api_registry
from engine.api_registry.abi import (
    HANDLE_CALL,
    HANDLE_TEXT_CALL,
    HANDLE_TIMEOUT_CALL,
    JSON_CALL,
    RAW_CALL,
    RAW_LENGTH,
    RAW_TOOL_FUNCTIONS,
    RAW_TOOL_MODULE,
)
from engine.runtime.errors import RuntimeFault, bounded
from engine.runtime.hostapi.surface import DESCRIPTOR_LIMITS, MAX_HOST_CALLS_PER_GUEST_CALL, not_in_plan

# interface -> (api, functions); raw module -> api; api -> raw import names. From the registry.
COMPONENT_HOST_INTERFACES = {api.interface: (api.name, api.operations) for api in api_registry.HOST_APIS}
RAW_HOST_MODULES = {api.raw_module: api.name for api in api_registry.HOST_APIS if api.raw_module is not None}
RAW_TOOL_FIELDS = tuple(name for name, _ in RAW_TOOL_FUNCTIONS)
RAW_HOST_FIELDS = {api.name: tuple(name for name, _ in api.raw_functions) for api in api_registry.HOST_APIS}
_RAW_SIGNATURES = {
    module: dict(functions)
    for module, functions in (
        (RAW_TOOL_MODULE, RAW_TOOL_FUNCTIONS),
        *((api.raw_module, api.raw_functions) for api in api_registry.HOST_APIS if api.raw_module is not None),
    )
}
NO_AMBIENT = "no WASI filesystem, ambient network, environment, or other imports are available"


def host_error_json(message: str) -> str:
    return json.dumps({"error": {"message": bounded(message)}}, ensure_ascii=False)


@dataclass(slots=True)
class GuestCallBudget:
    """What the host API calls of one guest call may still use: time and a number of calls."""

    deadline: float
    calls_left: int = MAX_HOST_CALLS_PER_GUEST_CALL


_CURRENT = threading.local()  # the budget of the guest call running on this thread


def enter_guest_call(timeout_ms: int) -> GuestCallBudget | None:
    """Open the budget of a guest call starting now; returns the one it replaces (for leave)."""
    previous = getattr(_CURRENT, "budget", None)
    _CURRENT.budget = GuestCallBudget(time.monotonic() + timeout_ms / 1000)
    return previous


def leave_guest_call(previous: GuestCallBudget | None) -> None:
    _CURRENT.budget = previous


def _dispatch(apis: Any, api: str, op: str, descriptor: bytes) -> tuple[bool, str]:
    """HostApis.dispatch (which re-authorizes every call) within the current guest call's budget,
    with any exception turned into data."""
    return _within_budget(api, lambda deadline: apis.dispatch(api, op, descriptor, deadline))


def _dispatch_args(apis: Any, api: str, op: str, args: tuple) -> tuple[bool, str]:
    """HostApis.dispatch_call for a handle function, within the guest call's budget alike."""
    return _within_budget(api, lambda deadline: apis.dispatch_call(api, op, args, deadline))


def _within_budget(api: str, call: Callable[[float], tuple[bool, str]]) -> tuple[bool, str]:
    budget = getattr(_CURRENT, "budget", None)
    if budget is None:  # every guest entry runs under WasmEngine.run: fail closed if one does not
        return False, f"host API {api} refused: not inside a guest call"
    if budget.calls_left <= 0:
        return False, (
            f"host API {api} refused: a guest call may make at most {MAX_HOST_CALLS_PER_GUEST_CALL} host API calls"
        )
    budget.calls_left -= 1
    try:
        ok, text = call(budget.deadline)
        return bool(ok), str(text)
    except Exception as error:  # a host API bug must not kill the guest  # noqa: BLE001
        return False, f"host API {api} failed: {type(error).__name__}"


def denied_import(api: str) -> RuntimeFault:
    return RuntimeFault("denied", not_in_plan(api))


# ---- components ---------------------------------------------------------------------------------


def check_component_imports(import_names, host_apis: tuple[str, ...]) -> None:
    """Spec §6.7 import validation: yoi host interfaces whose API the plan grants, nothing else."""
    for name in import_names:
        known = COMPONENT_HOST_INTERFACES.get(name)
        if known is None:
            raise RuntimeFault("load", f"unsupported component import `{name}`; {NO_AMBIENT}", "module")
        if known[0] not in host_apis:
            raise denied_import(known[0])


def define_component_host(linker: Any, apis: Any, imported) -> None:
    """Define the yoi host functions of the interfaces the component imports (each interface
    whole, so a mismatching guest fails to link with wasmtime's own message)."""
    with linker.root() as root:
        for api in api_registry.HOST_APIS:
            if api.interface not in imported:
                continue
            with root.add_instance(api.interface) as instance:
                for op, signature in api.functions:
                    if signature == JSON_CALL:
                        instance.add_func(op, _component_func(apis, api.name, op))
                    elif signature in _HANDLE_ADAPTERS:
                        instance.add_func(op, _handle_func(apis, api.name, op, _HANDLE_ADAPTERS[signature]))
                    else:  # a new calling convention needs its own adapter here
                        raise RuntimeFault("internal", f"host function `{api.interface}#{op}` has no adapter")


def _component_func(apis: Any, api: str, op: str):
    limit = DESCRIPTOR_LIMITS[api]

    def host_function(_store: Any, request_json: Any) -> str:
        try:
            text = request_json if isinstance(request_json, str) else ""
            # A character is at least one byte, so limit + 1 of them are enough for dispatch to
            # refuse an oversize descriptor: a huge guest string is not encoded whole.
            data = text[: limit + 1].encode("utf-8", "surrogatepass")
            ok, text = _dispatch(apis, api, op, data)
            return text if ok else host_error_json(text)
        except Exception:  # noqa: BLE001
            return host_error_json(f"host API {api} failed")

    return host_function


# The handle signatures (yoi:host/websocket@1.0.0): the Python types the lifted arguments must
# have, in order; u32 arrives as an int, a WIT string as a str.
_HANDLE_ADAPTERS: dict[str, tuple[type, ...]] = {
    HANDLE_TEXT_CALL: (int, str),
    HANDLE_TIMEOUT_CALL: (int, int),
    HANDLE_CALL: (int,),
}


def _handle_func(apis: Any, api: str, op: str, types: tuple[type, ...]):
    """A host function taking a handle (and a text or a timeout), answering JSON text; refusals
    are JSON data `{"error": ...}` like every component host function here."""

    def host_function(_store: Any, *args: Any) -> str:
        try:
            if len(args) != len(types) or not all(
                isinstance(a, t) and not isinstance(a, bool) for a, t in zip(args, types, strict=False)
            ):
                return host_error_json(f"host API {api} {op} called with arguments of the wrong types")
            ok, text = _dispatch_args(apis, api, op, args)
            return text if ok else host_error_json(text)
        except Exception:  # noqa: BLE001
            return host_error_json(f"host API {api} failed")

    return host_function


# ---- raw core modules ---------------------------------------------------------------------------


@dataclass
class RawCall:
    """Host state of one raw tool call: inputs, the last output, the first output error and the
    last host-API response per API."""

    tool_name: bytes
    input: bytes
    output_limit: int
    output: bytes = b""
    output_error: str | None = None
    responses: dict[str, bytes] = field(default_factory=lambda: dict.fromkeys(RAW_HOST_FIELDS, b""))


def check_raw_imports(imports, host_apis: tuple[str, ...]) -> None:
    """Spec §6.8 import validation, in the reference's order and words."""
    for module, name in imports:
        if module == RAW_TOOL_MODULE:
            if name not in RAW_TOOL_FIELDS:
                raise RuntimeFault(
                    "load",
                    f"unsupported host import `{name}`; no filesystem, ambient network, "
                    "environment, or WASI imports are available",
                    "module",
                )
        elif module in RAW_HOST_MODULES:
            api = RAW_HOST_MODULES[module]
            if api not in host_apis:
                raise denied_import(api)
            if name not in RAW_HOST_FIELDS[api]:
                raise RuntimeFault("load", f"unsupported {api} host import `{name}`", "module")
        else:
            raise RuntimeFault(
                "load",
                f"unsupported import module `{module}`; only {api_registry.raw_modules_named()} are available",
                "module",
            )


class RawHost:
    """The raw ABI imports on one Linker, reading the current call from `self.call` (calls to one
    instance are serialized, so one slot is enough)."""

    def __init__(self, wasmtime: Any, linker: Any, apis: Any) -> None:
        self.wasmtime = wasmtime
        self.apis = apis
        self.call = RawCall(b"", b"", 0)  # replaced by each tool call before the guest runs
        i32 = wasmtime.ValType.i32()
        # The registry's two raw signatures; a function of RAW_CALL shape reads guest memory.
        types = {RAW_LENGTH: wasmtime.FuncType([], [i32]), RAW_CALL: wasmtime.FuncType([i32, i32], [i32])}
        tool: dict[str, Callable[..., int]] = {
            "tool_name_len": lambda: len(self.call.tool_name),
            "tool_name_read": lambda c, p, n: self._copy_out(c, self.call.tool_name, p, n),
            "input_len": lambda: len(self.call.input),
            "input_read": lambda c, p, n: self._copy_out(c, self.call.input, p, n),
            "output_write": self._output_write,
        }
        for name in RAW_TOOL_FIELDS:
            self._define(linker, types, RAW_TOOL_MODULE, name, tool[name])
        for module, api in RAW_HOST_MODULES.items():
            for op in RAW_HOST_FIELDS[api]:
                self._define(linker, types, module, op, self._host_function(api, op))

    def _host_function(self, api: str, op: str) -> Callable[..., int]:
        """A host API's raw import: an operation, or one of the response accessors."""
        if op == "response_len":
            return lambda: len(self.call.responses[api])
        if op == "response_read":
            return lambda c, p, n: self._copy_out(c, self.call.responses[api], p, n)
        return lambda c, p, n: self._host_call(c, api, op, p, n)

    @staticmethod
    def _define(linker: Any, types: dict[str, Any], module: str, name: str, fn: Callable[..., int]) -> None:
        signature = _RAW_SIGNATURES[module][name]
        linker.define_func(module, name, types[signature], _never_raise(fn), access_caller=signature == RAW_CALL)

    def _memory(self, caller: Any) -> Any:
        memory = caller.get("memory")
        return memory if isinstance(memory, self.wasmtime.Memory) else None

    def _copy_out(self, caller: Any, data: bytes, ptr: int, length: int) -> int:
        """Copy `data` into guest memory: exact length, in bounds, else -1 (no output error)."""
        memory = self._memory(caller)
        if ptr < 0 or length < 0 or length != len(data) or memory is None:
            return -1
        if ptr + length > memory.data_len(caller):
            return -1
        if length:  # wasmtime-py refuses even an empty write at the very end of memory
            memory.write(caller, data, ptr)
        return length

    def _read_guest(self, caller: Any, ptr: int, length: int, limit: int, what: str) -> bytes | str:
        memory = self._memory(caller)
        if ptr < 0 or length < 0:
            return f"guest {what} pointer/length is invalid"
        if length > limit:
            return f"guest {what} exceeds {limit} bytes"
        if memory is None:
            return "guest did not export linear memory"
        if ptr + length > memory.data_len(caller):
            return f"guest {what} memory range is invalid"
        return bytes(memory.read(caller, ptr, ptr + length))

    def _fail(self, message: str) -> int:
        if self.call.output_error is None:
            self.call.output_error = bounded(message)
        return -1

    def _output_write(self, caller: Any, ptr: int, length: int) -> int:
        data = self._read_guest(caller, ptr, length, self.call.output_limit, "output")
        if isinstance(data, str):
            return self._fail(data)
        self.call.output = data
        return length

    def _host_call(self, caller: Any, api: str, op: str, ptr: int, length: int) -> int:
        data = self._read_guest(caller, ptr, length, DESCRIPTOR_LIMITS[api], "input")
        if isinstance(data, str):
            return self._fail(data)
        ok, text = _dispatch(self.apis, api, op, data)
        if not ok:
            return self._fail(text)
        response = text.encode("utf-8", "surrogatepass")
        self.call.responses[api] = response
        return len(response)


def _never_raise(fn: Callable[..., int]) -> Callable[..., int]:
    """Wrap a raw import so an unexpected exception becomes -1 instead of a racy Python raise."""

    def wrapped(*args: Any) -> int:
        try:
            return fn(*args)
        except Exception:  # noqa: BLE001
            return -1

    return wrapped
