"""One plugin instance per package ref (issue 9 item 3): lifecycle, the per-instance call queue,
failure and restart with backoff, and the bounded diagnostics ring.

Calls to one instance are serialized by `_exec`; at most `queue_limit` callers wait for it and
the next one is refused (`busy`). A fault that leaves a kept-alive guest untrustworthy (trap,
timeout, fuel, limit, lifecycle error) discards it (a trapped component instance cannot be
entered again) and marks the instance failed; a later call restarts it once the backoff has
passed, at most `max_restarts` times. A per-call runtime (raw module, tool-world component) has
no state to lose: a trap there is that call's error and nothing else (spec §6.4). An instance
that has run `reset_after_ms` since its last start without a fault gets its restarts and
backoff back. A host failure (kind `internal`: ENOMEM, I/O) is retried with backoff but never
spends the guest's restarts. `stop` is final for the run.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from typing import Any

from engine.plan import HOST_MAXIMA, RAISABLE_LIMITS, Plan, RuntimeLimits
from engine.runtime.errors import FATAL_KINDS, RuntimeFault, bounded
from engine.runtime.guests import Guest, make_guest
from engine.runtime.ingress import apply_output_commands, envelope_text
from engine.runtime.outputs import decode_ingress_output, tool_input_text, utf8_exceeds
from engine.runtime.reference_text import (
    INGRESS_SURFACE_OFF,
    INGRESS_UNDECLARED,
    LEGACY_ADAPTED,
    TOOL_SURFACE_OFF,
    TOOL_UNDECLARED,
    call_failure,
    categorized,
    lifecycle_name,
    seconds,
)
from engine.runtime.schema_check import compile_schema_json

DIAGNOSTIC_RING = 64


def cap_limits(limits: RuntimeLimits) -> RuntimeLimits:
    """The plan's limits, none above the host maxima (the host branch caps them when it makes
    plans; a plan built another way must not lift them either)."""
    capped = {name: min(getattr(limits, name), getattr(HOST_MAXIMA, name)) for name in RAISABLE_LIMITS}
    return replace(limits, **capped)


SERVICE_STATE = {"ready": "pending", "started": "running", "stopped": "stopped", "failed": "failed"}


def as_fault(error: BaseException) -> RuntimeFault:
    """`error` itself when it is a RuntimeFault, else an `internal` fault naming it (bounded)."""
    if isinstance(error, RuntimeFault):
        return error
    return RuntimeFault("internal", f"unexpected {type(error).__name__}: {error}")


class InstanceHandle:
    def __init__(
        self, plan: Plan, engine: Callable[[], Any], apis_factory: Callable[[Plan], Any], queue_limit: int
    ) -> None:
        capped = cap_limits(plan.limits)
        self.plan = plan if capped == plan.limits else replace(plan, limits=capped)
        self._engine = engine  # the registry's WasmEngine, created on first use
        self._apis_factory = apis_factory
        self.queue_limit = queue_limit
        self.lifecycle = "ready"
        self.guest: Guest | None = None
        self.compiled_from: str | None = None  # the last start's native code: memory, cache or compile
        self.component_status: Any = None
        self.status_update: Any = None
        self.diagnostics: deque[dict[str, str]] = deque(maxlen=DIAGNOSTIC_RING)
        self.restart_count = 0  # restarts spent on guest faults since the last healthy window
        self._failures = 0  # failures since the last healthy window (guest or host): the backoff exponent
        self._host_failure = False  # the last failure was the host's (kind `internal`)
        self._started_at = 0.0  # monotonic time of the last successful (re)start
        self._next_attempt = 0.0
        self.busy_refusals = 0
        self.calls = {"tool": 0, "ingress": 0, "faults": 0}
        self._exec = threading.Lock()
        self._guard = threading.Lock()
        self._waiting = 0
        # input_schema validators compiled once per plan (every call is checked against them)
        self._tools = {tool.name: compile_schema_json(tool.input_schema_json) for tool in plan.tools}
        self._ingresses = {
            ingress.name: (
                ingress,
                None if ingress.input_schema_json is None else compile_schema_json(ingress.input_schema_json),
            )
            for ingress in plan.ingresses
        }
        # Current-format packages (rules/runtime.rules) run ingress, output commands, host-owned
        # WebSocket ingress and status as yoi b12e0785 does (engine/runtime/service/).
        self.service: Any = None
        if plan.current_format:
            from engine.runtime.service.runtime import ServiceRuntime

            self.service = ServiceRuntime(self)

    # ---- queue ---------------------------------------------------------------------------------

    def _enter(self, bounded_queue: bool = True) -> None:
        """Wait for the instance (at most `queue_limit` callers wait; the next is refused)."""
        with self._guard:
            if bounded_queue and self._waiting >= self.queue_limit:
                self.busy_refusals += 1
                raise RuntimeFault(
                    "busy",
                    f"plugin instance `{self.plan.ref}` is busy: {self._waiting} calls are "
                    f"already waiting (queue limit {self.queue_limit})",
                )
            self._waiting += 1
        try:
            self._exec.acquire()
        finally:
            with self._guard:
                self._waiting -= 1

    @contextmanager
    def _slot(self, bounded_queue: bool = True) -> Iterator[None]:
        self._enter(bounded_queue)
        try:
            yield
        finally:
            self._exec.release()

    # ---- diagnostics, failure, restart ---------------------------------------------------------

    def _note(self, message: str, state: str | None = None, kind: str | None = None) -> None:
        entry = {"state": state or self.lifecycle, "message": bounded(message)}
        if self.service is not None:  # typed diagnostics (yoi-current-spec.md §6.18)
            entry["kind"] = kind or ("ServiceFailed" if entry["state"] == "failed" else "Lifecycle")
        with self._guard:  # snapshot() copies the ring from other threads
            self.diagnostics.append(entry)

    def _drop_guest(self) -> None:
        """The store goes (never enter a trapped instance again), and what its calls hold."""
        guest, self.guest = self.guest, None
        if guest is not None:
            with suppress(Exception):
                guest.close()

    def _forgive(self) -> None:
        """An instance that has run `reset_after_ms` (wall clock) since its last start without a
        fault starts its restart count and backoff again from zero."""
        if (
            self.lifecycle == "started"
            and (self.restart_count or self._failures)
            and (time.monotonic() - self._started_at) * 1000 >= self.plan.restart.reset_after_ms
        ):
            self.restart_count = self._failures = 0

    def _fail(self, fault: RuntimeFault, note: str | None = None) -> None:
        """Mark the instance failed; `note` is the diagnostic when the reference has its own words
        for this failure (a status failure, a tool timeout)."""
        self._forgive()  # a fault after a healthy window starts from zero
        self._drop_guest()  # the store goes with it: never enter a trapped instance again
        self.lifecycle = "failed"
        self._host_failure = fault.kind == "internal"
        policy = self.plan.restart
        delay = min(policy.backoff_ms * (2 ** min(self._failures, 30)), policy.backoff_max_ms)
        self._failures += 1
        self._next_attempt = time.monotonic() + delay / 1000
        self._note(note or f"plugin instance failed: {fault.message}", "failed", getattr(fault, "diagnostic", None))
        if self.service is not None:
            self.service.failed(fault)

    def _last_failure(self) -> str:
        for entry in reversed(self.diagnostics):
            if entry["state"] == "failed":
                return entry["message"]
        return "no diagnostic"

    def _restarts_exhausted(self) -> bool:
        """No restart is left: the last failure was the guest's and its budget is spent (a host
        failure is retried with backoff whatever the count)."""
        return not self._host_failure and self.restart_count >= self.plan.restart.max_restarts

    def _next_attempt_in_ms(self) -> int | None:
        if self.lifecycle != "failed" or self._restarts_exhausted():
            return None
        return max(0, int((self._next_attempt - time.monotonic()) * 1000))

    def _ensure_started(self) -> Guest:
        """The running guest, starting or restarting it when allowed (caller holds `_exec`). A
        legacy adapter (a guest that keeps no state) stays `ready` once made, as in spec §6.4."""
        if self.guest is not None and self.lifecycle in ("started", "ready"):
            return self.guest
        ref = self.plan.ref
        if self.lifecycle == "stopped":
            raise RuntimeFault("stopped", f"plugin instance `{ref}` is stopped")
        if self.lifecycle == "failed":
            policy = self.plan.restart
            if self._restarts_exhausted():
                raise RuntimeFault(
                    "failed",
                    f"plugin instance `{ref}` failed and is not restarted again "
                    f"({self.restart_count}/{policy.max_restarts} restarts used): "
                    f"{self._last_failure()}",
                )
            wait = self._next_attempt_in_ms()
            attempt = (
                "retry after a host failure"
                if self._host_failure
                else f"restart {self.restart_count + 1}/{policy.max_restarts}"
            )
            if wait:
                raise RuntimeFault(
                    "failed", f"plugin instance `{ref}` failed; {attempt} in {wait} ms: {self._last_failure()}"
                )
            if not self._host_failure:
                self.restart_count += 1
            self._note(f"restarting plugin instance ({attempt})", "ready")
        if self.service is not None:
            self.service.transition = "Starting"
        try:
            guest = make_guest(self._engine(), self.plan, self._apis_factory(self.plan))
            self.component_status = guest.start(self.plan.config_json)
        except Exception as error:  # noqa: BLE001 - whatever broke, the instance fails closed
            fault = as_fault(error)
            wrapped = RuntimeFault(fault.kind, f"plugin instance startup failed closed: {categorized(fault)}")
            self._fail(wrapped)
            raise wrapped from None
        finally:
            if self.service is not None:
                self.service.transition = None
        self.guest, self._started_at = guest, time.monotonic()
        self.compiled_from = guest.compiled_from
        if guest.keeps_state:
            self.lifecycle = "started"
            self._note("plugin instance started")
        else:  # spec §6.4: a legacy adapter is created Ready, says so, and stays Ready
            self.lifecycle = "ready"
            self._note(LEGACY_ADAPTED, "ready")
        if self.service is not None:
            self.service.started()
        return guest

    def _guarded(self, what: Callable[[], str], action: Callable[[Guest], Any], timeout_note: str = "") -> Any:
        """Run `action` on the started guest; classify and record its faults (`what` names the
        operation in the diagnostic; built only when something failed; `timeout_note` is the
        instance diagnostic the reference records for a timeout of this call, if any)."""
        guest = self._ensure_started()
        try:
            return action(guest)
        except Exception as error:  # noqa: BLE001 - a RuntimeFault, or a bug that must not leak a traceback
            fault = as_fault(error)
            self.calls["faults"] += 1
            wrapped = call_failure(what(), fault, self.plan.limits.timeout_ms if timeout_note else None)
            # Only a kept-alive store can be left untrustworthy: a per-call runtime's store is
            # gone with the call, so its trap is that call's error and changes no state.
            if guest.keeps_state and (fault.kind in FATAL_KINDS or fault.kind == "failed"):
                self._fail(wrapped, timeout_note if fault.kind == "timeout" and timeout_note else None)
            else:
                self._note(wrapped.message)
            raise wrapped from None

    # ---- operations ----------------------------------------------------------------------------

    def start(self) -> dict[str, Any]:
        with self._slot():
            self._ensure_started()
            return self.snapshot(running=False)  # the slot is ours: no call is running

    def call_tool(self, tool: str, value: str | dict) -> dict[str, Any]:
        """Spec §6.5: the input's size and JSON are checked first, then that the tool may run
        (its schema too: ours), then the guest runs; refusals and failures in the reference's words."""
        plan = self.plan
        validate = self._tools.get(tool)
        text = tool_input_text(tool, value, plan.limits.max_input_bytes, validate)
        if validate is None or "tool" not in plan.authorized_surfaces:
            raise self._tool_refusal(tool)
        self._enter()  # the hot path: no context-manager generator
        try:
            output = self._guarded(
                lambda: f"plugin tool `{tool}` from `{plan.ref}` (digest {plan.digest})",
                lambda guest: guest.tool(tool, text),
                f"plugin tool timed out after {seconds(plan.limits.timeout_ms)}",
            )
            self.calls["tool"] += 1
            return output
        finally:
            self._exec.release()

    def _tool_refusal(self, tool: str) -> RuntimeFault:
        """Why `tool` cannot run (spec §6.5 handle_tool), wrapped as a failed tool call."""
        plan = self.plan
        what = f"plugin tool `{tool}` from `{plan.ref}` (digest {plan.digest}) failed closed"
        if "tool" not in plan.enabled_surfaces:
            return RuntimeFault("denied", f"{what}: {TOOL_SURFACE_OFF}")
        reason = plan.denial("tool", tool)
        if reason is not None:
            return RuntimeFault("denied", f"{what}: plugin permission denied: {reason}")
        return RuntimeFault("not_found", f"{what}: {TOOL_UNDECLARED}")

    def deliver_ingress(self, name: str, event: str | dict) -> dict[str, Any]:
        """Spec §6.6 order: the surface, the event's size, the ingress itself, then the guest."""
        plan = self.plan
        if "ingress" not in plan.enabled_surfaces:
            raise RuntimeFault("denied", INGRESS_SURFACE_OFF)
        if isinstance(event, str) and utf8_exceeds(event, plan.limits.max_input_bytes):
            raise RuntimeFault("invalid_input", f"plugin ingress event exceeds {plan.limits.max_input_bytes} bytes")
        if name not in self._ingresses or "ingress" not in plan.authorized_surfaces:
            reason = plan.denial("ingress", name)
            if reason is not None:
                raise RuntimeFault("denied", f"plugin ingress permission denied: {reason}")
            raise RuntimeFault("not_found", INGRESS_UNDECLARED)
        if self.service is not None:
            return self.service.deliver(name, event)
        ingress, validate = self._ingresses[name]
        envelope = envelope_text(ingress, event, plan.limits.max_input_bytes, validate)
        limit = plan.limits.max_output_bytes
        with self._slot():
            output = self._guarded(
                lambda: f"plugin ingress `{name}` of `{plan.ref}`",
                lambda guest: decode_ingress_output(guest.ingress(name, envelope), limit),
            )
            self.calls["ingress"] += 1
            outcome = apply_output_commands(output)
            if outcome.has_update:
                self.status_update = outcome.status_update
            for message in outcome.refused:
                self._note(message)
            with self._guard:
                diagnostics = [{"state": lifecycle_name(d["state"]), "message": d["message"]} for d in self.diagnostics]
            return {
                "plugin_ref": plan.ref,
                "ingress": name,
                "accepted": True,
                "output": output,
                "applied_commands": list(outcome.applied),
                "refused_commands": list(outcome.refused),
                # spec §6.6: a copy of the instance's diagnostics, `{state, message}`
                "diagnostics": diagnostics,
            }

    def status(self) -> dict[str, Any]:
        """A snapshot; a started component is asked for its status when it is not busy (a status
        request never waits behind a long call). Any failure of the guest's `status` (a trap,
        output that is not JSON or too large, an `error`) marks the instance failed with
        `plugin component status failed: <error>` (spec §6.4)."""
        if self._exec.acquire(blocking=False):
            try:
                guest = self.guest
                if self.lifecycle == "started" and guest is not None and guest.keeps_state:
                    try:
                        self.component_status = guest.status()
                    except Exception as error:  # noqa: BLE001 - whatever broke, it is the instance's failure
                        fault = as_fault(error)
                        self.calls["faults"] += 1
                        self._fail(fault, f"plugin component status failed: {categorized(fault)}")
                return self.snapshot(running=False)  # the lock is ours: no call is running
            finally:
                self._exec.release()
        return self.snapshot()

    def stop(self) -> dict[str, Any]:
        """Final for the run: the guest's `stop` runs if it is started; it never restarts."""
        with self._slot(bounded_queue=False):
            if self.service is not None:
                self.service.stopping()
            if self.lifecycle == "started" and self.guest is not None:
                with suppress(RuntimeFault):
                    self.component_status = self._guarded(
                        lambda: f"plugin component stop of `{self.plan.ref}`", lambda guest: guest.stop()
                    )
            self._drop_guest()
            self.lifecycle = "stopped"
            self._note("plugin instance stopped", "stopped")
            if self.service is not None:
                self.service.close()
                self.service.transition = None
            return self.snapshot(running=False)

    def snapshot(self, running: bool | None = None) -> dict[str, Any]:
        """The status dict; `running` is whether a call holds the instance (None: look)."""
        policy = self.plan.restart
        with self._guard:
            diagnostics = list(self.diagnostics)
        self._forgive()
        services = [
            {"name": s.name, "lifecycle": s.lifecycle, "state": SERVICE_STATE[self.lifecycle]}
            for s in self.plan.services
        ]
        # spec §6.4's names for the lifecycle and each diagnostic's state, the engine's own fields
        # beside them; a current-format package's service runtime names them its way (status_fields)
        named = [{"state": lifecycle_name(d["state"]), "message": d["message"]} for d in diagnostics]
        return {
            "plugin_ref": self.plan.ref,
            "lifecycle": lifecycle_name(self.lifecycle),
            "component_status": self.component_status,
            "status_update": self.status_update,
            "services": services,
            "restarts": {
                "count": self.restart_count,
                "max": policy.max_restarts,
                "backoff_ms": policy.backoff_ms,
                "backoff_max_ms": policy.backoff_max_ms,
                "reset_after_ms": policy.reset_after_ms,
                "next_attempt_in_ms": self._next_attempt_in_ms(),
            },
            "diagnostics": named,
            "limits": self.plan.limits.to_dict(),
            "queue": {
                "running": self._exec.locked() if running is None else running,
                "waiting": self._waiting,
                "limit": self.queue_limit,
                "busy_refusals": self.busy_refusals,
            },
            "calls": dict(self.calls),
            "compiled_from": self.compiled_from,
            **(self.service.status_fields(diagnostics) if self.service is not None else {}),
        }
