"""The three runtimes behind an instance handle (issue 9 item 4, spec §6.3/§6.7/§6.8):

- InstanceGuest: a `yoi:plugin/instance@1.0.0` component, instantiated once; state persists.
- ToolComponentGuest: a `yoi:plugin/tool@1.0.0` component, instantiated per call (no state).
- RawGuest: a `yoi-plugin-wasm-1` core module, instantiated per call through the raw ABI.

`make_guest` is the one way in: it re-verifies the package digest, compiles (or loads from the
cache), validates imports against the plan and links host APIs. No WASI is linked for anything.
"""

from __future__ import annotations

from typing import Any

from engine.plan import Plan
from engine.runtime.artifact import load_artifact
from engine.runtime.errors import RuntimeFault
from engine.runtime.hostlink import (
    RawCall,
    RawHost,
    check_component_imports,
    check_raw_imports,
    define_component_host,
)
from engine.runtime.linkcheck import check_host_import_types
from engine.runtime.outputs import decode_lifecycle, decode_tool_output
from engine.runtime.wasm import COMPONENT_COUNTS, RAW_COUNTS, WasmEngine, bind_string_func

INSTANCE_WORLD = "yoi:plugin/instance@1.0.0"
TOOL_WORLD = "yoi:plugin/tool@1.0.0"
INSTANCE_EXPORTS = ("start", "handle-tool", "handle-ingress", "status", "stop")


def runtime_of(plan: Plan) -> str:
    """`instance`, `tool-component` or `raw` (spec §6.3 runtime selection)."""
    if plan.runtime_kind == "wasm":
        return "raw"
    if plan.runtime_kind == "wasm-component":
        return "instance" if plan.abi_or_world == INSTANCE_WORLD else "tool-component"
    raise RuntimeFault("load", f"unsupported plugin runtime kind `{plan.runtime_kind}`")


class Guest:
    """What an instance handle needs from a runtime."""

    keeps_state = False
    compiled_from: str | None = None  # where its native code came from: memory, cache or compile

    def start(self, config_json: str) -> Any:
        return None

    def tool(self, name: str, input_text: str) -> dict[str, Any]:
        raise NotImplementedError

    def ingress(self, name: str, envelope: str) -> str:
        raise RuntimeFault("denied", "legacy tool runtime does not expose ingress dispatch")

    def status(self) -> Any:
        return None

    def stop(self) -> Any:
        return None

    def close(self) -> None:
        """The store is going: release what its host API calls hold (WebSocket handles)."""


def artifact_kind(plan: Plan) -> str:
    """How the plan's artifact is compiled: `module` (a raw module) or `component`."""
    return "module" if runtime_of(plan) == "raw" else "component"


def make_guest(wasm: WasmEngine, plan: Plan, apis: Any) -> Guest:
    kind = runtime_of(plan)
    data = load_artifact(plan)
    compiled, source = wasm.load(data, artifact_kind(plan), plan.limits.compile_ms, owner=plan.ref)
    if kind == "raw":
        guest: Guest = RawGuest(wasm, plan, apis, compiled)
    else:
        imported = frozenset(compiled.type.imports(wasm.engine))
        check_component_imports(imported, plan.host_apis)
        check_host_import_types(compiled.type, wasm.engine)
        linker = wasm.wasmtime.component.Linker(wasm.engine)
        define_component_host(linker, apis, imported)
        runtime = InstanceGuest if kind == "instance" else ToolComponentGuest
        guest = runtime(wasm, plan, compiled, linker, apis)
    guest.compiled_from = source
    return guest


def _instantiate_component(wasm: WasmEngine, plan: Plan, component: Any, linker: Any) -> tuple[Any, Any]:
    store = wasm.new_store(plan.limits, COMPONENT_COUNTS)
    instance = wasm.run(store, plan.limits, "component instantiation", lambda: linker.instantiate(store, component))
    return store, instance


def _string_result(value: Any, export: str) -> str:
    if not isinstance(value, str):
        raise RuntimeFault("invalid_output", f"component export `{export}` did not return a string")
    return value


class InstanceGuest(Guest):
    """One store and one component instance for the life of the handle."""

    keeps_state = True

    def __init__(self, wasm: WasmEngine, plan: Plan, component: Any, linker: Any, apis: Any = None) -> None:
        self.wasm, self.plan, self.apis = wasm, plan, apis
        self.store, self.instance = _instantiate_component(wasm, plan, component, linker)
        self._funcs: dict[str, Any] = {}

    def _call(self, export: str, *args: str) -> str:
        func = self._funcs.get(export)
        if func is None:
            found = self.instance.get_func(self.store, export)
            if found is None:
                raise RuntimeFault(
                    "load", f"component does not export expected `{INSTANCE_WORLD}` {export} function", "module"
                )
            func = self._funcs[export] = bind_string_func(found, self.store)
        result = self.wasm.run(self.store, self.plan.limits, f"guest call `{export}`", lambda: func(*args))
        return _string_result(result, export)

    def _lifecycle(self, phase: str, *args: str) -> Any:
        return decode_lifecycle(phase, self._call(phase, *args), self.plan.limits.max_output_bytes)

    def start(self, config_json: str) -> Any:
        return self._lifecycle("start", config_json)

    def tool(self, name: str, input_text: str) -> dict[str, Any]:
        return decode_tool_output(self._call("handle-tool", name, input_text), self.plan.limits.max_output_bytes)

    def ingress(self, name: str, envelope: str) -> str:
        return self._call("handle-ingress", name, envelope)

    def status(self) -> Any:
        return self._lifecycle("status")

    def stop(self) -> Any:
        return self._lifecycle("stop")

    def close(self) -> None:
        _release(self.apis)


class ToolComponentGuest(Guest):
    """A tool-world component: a fresh store and instance per call, as the reference does."""

    def __init__(self, wasm: WasmEngine, plan: Plan, component: Any, linker: Any, apis: Any = None) -> None:
        self.wasm, self.plan, self.component, self.linker, self.apis = wasm, plan, component, linker, apis

    def tool(self, name: str, input_text: str) -> dict[str, Any]:
        try:
            store, instance = _instantiate_component(self.wasm, self.plan, self.component, self.linker)
            func = instance.get_func(store, "call")
            if func is None:
                raise RuntimeFault("load", f"component does not export expected `{TOOL_WORLD}` call function", "module")
            result = self.wasm.run(store, self.plan.limits, "guest call `call`", lambda: func(store, name, input_text))
        finally:
            _release(self.apis)  # the per-call store goes: so do its WebSocket handles (cur §6.15)
        return decode_tool_output(_string_result(result, "call"), self.plan.limits.max_output_bytes)


def _release(apis: Any) -> None:
    release = getattr(apis, "release", None)
    if release is not None:
        release()


class RawGuest(Guest):
    """A raw core module: imports checked once, a fresh store and instance per call (§6.8)."""

    def __init__(self, wasm: WasmEngine, plan: Plan, apis: Any, module: Any) -> None:
        self.wasm, self.plan, self.module = wasm, plan, module
        check_raw_imports(((imp.module, imp.name) for imp in module.imports), plan.host_apis)
        entry = next((e.type for e in module.exports if e.name == "yoi_tool_call"), None)
        if not isinstance(entry, wasm.wasmtime.FuncType) or entry.params or entry.results:
            raise RuntimeFault("load", "guest must export `yoi_tool_call: () -> ()`", "module")
        self.linker = wasm.wasmtime.Linker(wasm.engine)
        self.host = RawHost(wasm.wasmtime, self.linker, apis)

    def tool(self, name: str, input_text: str) -> dict[str, Any]:
        limits = self.plan.limits
        call = RawCall(name.encode("utf-8"), input_text.encode("utf-8"), limits.max_output_bytes)
        self.host.call = call
        store = self.wasm.new_store(limits, RAW_COUNTS)
        # instantiation runs the module's start function: it gets the call's fuel and deadline too
        instance = self.wasm.run(
            store, limits, "module instantiation", lambda: self.linker.instantiate(store, self.module)
        )
        entry = instance.exports(store)["yoi_tool_call"]  # checked when the module was loaded
        self.wasm.run(store, limits, "guest call `yoi_tool_call`", lambda: entry(store))
        if call.output_error is not None:
            raise RuntimeFault("invalid_output", call.output_error)
        return decode_tool_output(call.output, limits.max_output_bytes)
