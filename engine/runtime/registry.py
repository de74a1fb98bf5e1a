"""PluginInstanceRegistry: the library entry point of the runtime (CONTRACT.md, issue 9 item 3).

Built only from plans; one instance handle per package ref, shared by the package's Tool,
Service and Ingress surfaces. The wasmtime engine and its epoch ticker are created when the
first instance starts, so building a registry (or importing this module) costs no wasm work.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from engine.plan import Plan
from engine.runtime.config import HostConfig
from engine.runtime.errors import RuntimeFault
from engine.runtime.instance import InstanceHandle
from engine.runtime.tools import ToolDescriptor, descriptors

if TYPE_CHECKING:
    from engine.runtime.precompile import Precompiler

DEFAULT_QUEUE_LIMIT = 32


class PluginInstanceRegistry:
    def __init__(
        self, plans: Iterable[Plan], host: HostConfig | None = None, queue_limit: int = DEFAULT_QUEUE_LIMIT
    ) -> None:
        plans = tuple(plans)
        if not all(isinstance(plan, Plan) for plan in plans):
            raise TypeError("PluginInstanceRegistry accepts only engine.plan.Plan values")
        self.host = (host or HostConfig()).with_own_caches()
        self._lock = threading.Lock()
        self._wasm: Any = None
        self._closed = False
        from engine.runtime.precompile import Precompiler

        self._precompiler = Precompiler(self._engine)
        self._handles: dict[str, InstanceHandle] = {}
        for plan in plans:
            if plan.ref in self._handles:
                raise ValueError(f"two plans for plugin `{plan.ref}`")
            self._handles[plan.ref] = InstanceHandle(plan, self._engine, self._host_apis, max(0, queue_limit))
        self._tools = descriptors(plans)

    def _engine(self) -> Any:
        with self._lock:
            if self._closed:
                raise RuntimeFault("stopped", "the plugin registry is closed")
            if self._wasm is None:
                from engine.runtime.wasm import WasmEngine

                self._wasm = WasmEngine(self.host, self._precompiler)
            return self._wasm

    def _host_apis(self, plan: Plan) -> Any:
        from engine.runtime.hostapi import HostApis

        return HostApis(plan, self.host)

    def _handle(self, ref: str) -> InstanceHandle:
        handle = self._handles.get(ref)
        if handle is None:
            raise RuntimeFault("not_found", f"unknown plugin `{ref}`: there is no plan for it")
        return handle

    def tools(self) -> tuple[ToolDescriptor, ...]:
        return self._tools

    def refs(self) -> tuple[str, ...]:
        return tuple(self._handles)

    def plan(self, ref: str) -> Plan:
        return self._handle(ref).plan

    def start(self, ref: str) -> dict[str, Any]:
        return self._handle(ref).start()

    def status(self, ref: str) -> dict[str, Any] | None:
        """The instance status, or None for a ref with no plan (spec §6.3: `status(ref)` is optional)."""
        handle = self._handles.get(ref)
        return None if handle is None else handle.status()

    def stop(self, ref: str) -> dict[str, Any] | None:
        """Stop the instance (final for the run); None for a ref with no plan, as in spec §6.3."""
        handle = self._handles.get(ref)
        return None if handle is None else handle.stop()

    def call_tool(self, ref: str, tool: str, input_json: str | dict) -> dict[str, Any]:
        return self._handle(ref).call_tool(tool, input_json)

    def deliver_ingress(self, ref: str, name: str, event: str | dict) -> dict[str, Any]:
        return self._handle(ref).deliver_ingress(name, event)

    def precompile(self, refs: Iterable[str] | None = None, parallel: int | None = None) -> Precompiler:
        """Compile the artifacts of these planned packages (default: all) into the compiled-artifact
        cache in the background, at most `parallel` at a time (default: one per CPU), skipping
        what is cached; a start that needs one of them waits for its compile instead of compiling
        it again (engine/runtime/precompile.py). The returned Precompiler reports each package's
        result (`results()`, `follow()`, `wait()`). wasmtime is loaded by the first compile
        thread, not here."""
        plans = [self._handle(ref).plan for ref in (self._handles if refs is None else refs)]
        self._precompiler.add(plans, parallel)
        return self._precompiler

    def stop_background_compiles(self) -> None:
        """End the background compiles no start waits for (a host that reached EOF needs no more)."""
        self._precompiler.stop()

    def halt_compiles(self) -> None:
        """End every compile now, background or not (their starts fail `stopped`): a host that is
        terminated waits for none."""
        self._precompiler.stop(everything=True)
        with self._lock:
            wasm = self._wasm
        if wasm is not None:
            wasm.halt_compiles()

    def close(self) -> None:
        """End every compile, stop every instance that ran, then the epoch ticker. Idempotent."""
        self.halt_compiles()  # first: an instance being started must not wait for its compile
        for handle in self._handles.values():
            if handle.lifecycle != "stopped":
                handle.stop()
        with self._lock:
            self._closed = True
            wasm, self._wasm = self._wasm, None
        self._precompiler.close()  # its threads are gone: none is left writing the cache
        if wasm is not None:
            wasm.close()

    def __enter__(self) -> PluginInstanceRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
