"""`ServiceRuntime`: what the instance handle of a current-format package delegates ingress,
output commands, host-owned WebSocket ingress and the richer status to (yoi-current-spec.md
§6.4, §6.6, §6.16-§6.18).

The handle keeps what every package has (the guest, its store, the call slot, failure and
restart under the plan's policy); this adds upstream's ingress path on top of it:
lifecycle gate, current envelope, FIFO of 32, dispatch with typed errors and counters, output
commands, and the status fields `queue_depth`, `queue_capacity`, `last_error`,
`dispatch_counters`, `output_command_results` and `websocket_connections`, with the current
lifecycle names `Ready`, `Starting`, `Running`, `Stopping`, `Stopped`, `Failed`.

Where upstream marks a service `Failed` for good after one bad dispatch, the instance here is
restarted under the plan's restart policy: a delivery after the backoff starts it again.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from engine.runtime.errors import RuntimeFault, bounded
from engine.runtime.hostapi.urls import NetUrl
from engine.runtime.outputs import decode_ingress_output
from engine.runtime.service.commands import RECORDED, execute, plan_commands
from engine.runtime.service.envelope import current_event
from engine.runtime.service.faults import (
    ServiceFault,
    dispatch_failed,
    dispatch_timeout,
    service_failed,
    service_stopped,
)
from engine.runtime.service.queue import CAPACITY, IngressQueue
from engine.runtime.service.sockets import SocketDriver
from engine.runtime.service.sources import owns_sockets

LIFECYCLE_NAMES = {"ready": "Ready", "started": "Running", "failed": "Failed", "stopped": "Stopped"}
MAX_RESULTS = 32


class ServiceRuntime:
    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.plan = handle.plan
        self.queue = IngressQueue(CAPACITY)
        self.last_error: str | None = None
        self.results: deque[dict[str, Any]] = deque(maxlen=MAX_RESULTS)
        self.transition: str | None = None  # "Starting" / "Stopping" while the handle is in one
        self._apis: Any = None
        self.driver = SocketDriver(
            self.plan,
            policy=lambda: getattr(self.api_handler("websocket"), "policy", None),
            not_granted=self._websocket_not_granted,
            deliver=handle.deliver_ingress,
            record=self.record,
        )

    # ---- what commands and the driver need (commands.CommandHost) ------------------------------

    def plan_apis(self) -> tuple[str, ...]:
        return self.plan.host_apis

    def performs_requests(self) -> bool:
        return self.plan.host_request_dispatch

    def api_handler(self, api: str) -> Any:
        """The host's own handler of `api` for this plan (separate from any guest's store)."""
        if api not in self.plan.host_apis:
            return None
        if self._apis is None:
            self._apis = self.handle._apis_factory(self.plan)
        return self._apis.handler(api)

    def set_component_status(self, status: Any) -> None:
        self.handle.component_status = status
        self.handle.status_update = status

    def send_owned(self, key: str, url: NetUrl, text: str) -> tuple[str, str]:
        return self.driver.send(key, url, text)

    def _websocket_not_granted(self) -> str | None:
        if "websocket" not in self.plan.host_apis:
            return "host API `websocket` is not in the plan"
        return getattr(self.api_handler("websocket"), "unusable_reason", None)

    # ---- diagnostics -------------------------------------------------------------------------

    def record(self, kind: str, message: str, sets_last_error: bool = True) -> None:
        """A typed diagnostic (and, for errors, `last_error`)."""
        self.handle._note(message, None, kind)
        if sets_last_error:
            self.last_error = bounded(message)

    def lifecycle(self, state: str | None = None) -> str:
        return self.transition or LIFECYCLE_NAMES[state or self.handle.lifecycle]

    # ---- lifecycle hooks (called by the handle) ----------------------------------------------

    def started(self) -> None:
        """After a successful start: open the host-owned connections once (Service and Ingress
        both authorized, as upstream requires both enabled)."""
        if owns_sockets(self.plan):
            self.driver.start()

    def stopping(self) -> None:
        self.transition = "Stopping"
        self.record("Lifecycle", "plugin service stop requested; ingress queue is closed", False)
        self.driver.stop_all()

    def failed(self, fault: RuntimeFault) -> None:
        self.last_error = fault.message

    def close(self) -> None:
        self.driver.stop_all()
        if self._apis is not None:
            self._apis.release()

    # ---- ingress (cur §6.6) ------------------------------------------------------------------

    def _reject(self, fault: ServiceFault) -> ServiceFault:
        self.queue.counters.rejected += 1
        self.record(fault.diagnostic, fault.message)
        return fault

    def _gate(self) -> None:
        """Step 2: stopped refuses; failed refuses until the restart policy allows a new start."""
        handle = self.handle
        if handle.lifecycle == "stopped":
            raise self._reject(service_stopped(self.lifecycle()))
        if handle.lifecycle == "failed" and handle._next_attempt_in_ms() != 0:
            raise self._reject(service_failed(self.last_error or "service is failed"))

    def deliver(self, name: str, event: str | dict) -> dict[str, Any]:
        ingress, validate = self.handle._ingresses[name]
        self._gate()
        try:
            text, envelope = current_event(ingress, name, event, self.plan.limits.max_input_bytes, validate)
        except ServiceFault as fault:
            raise self._reject(fault) from None
        enqueued = time.monotonic()
        try:
            return self.queue.submit(lambda: self._dispatch(name, text, envelope, enqueued))
        except ServiceFault as fault:
            if fault.diagnostic == "QueueFull":
                raise self._reject(fault) from None
            raise

    def _dispatch(self, name: str, text: str, envelope: dict[str, Any], enqueued: float) -> dict[str, Any]:
        handle, counters = self.handle, self.queue.counters
        with handle._slot(bounded_queue=False):
            self._gate()  # the instance may have stopped or failed while this event waited
            try:
                guest = handle._ensure_started()
            except RuntimeFault as fault:
                raise self._reject(service_failed(fault.message)) from None
            try:
                output = decode_ingress_output(guest.ingress(name, text), self.plan.limits.max_output_bytes)
            except Exception as error:  # noqa: BLE001 - any failure of the dispatch fails the instance
                raise self._dispatch_fault(error) from None
            handle.calls["ingress"] += 1
            counters.dispatched += 1
            shown = output
            if isinstance(output, dict) and "queue_latency_ms" not in output:
                shown = {**output, "queue_latency_ms": int((time.monotonic() - enqueued) * 1000)}
            valid, rejected = plan_commands(output, envelope["correlation_id"], self)
            results = rejected or execute(valid, self)
            for result in results:
                self._keep(result)
            return {
                "plugin_ref": self.plan.ref,
                "ingress": name,
                "accepted": True,
                "output": shown,
                "output_command_results": results,
                "queue_depth": self.queue.depth,
                "dispatch_counters": counters.to_dict(),
                "diagnostics": list(handle.diagnostics),
            }

    def _dispatch_fault(self, error: BaseException) -> ServiceFault:
        from engine.runtime.instance import as_fault

        fault = as_fault(error)
        counters = self.queue.counters
        self.handle.calls["faults"] += 1
        counters.failed += 1
        if fault.kind == "timeout":
            counters.timed_out += 1
            typed = dispatch_timeout(self.plan.limits.timeout_ms)
        else:
            typed = dispatch_failed(fault.kind, fault.message)
        self.handle._fail(typed)
        return typed

    def _keep(self, result: dict[str, Any]) -> None:
        status = result["status"]
        message = (
            f"service output command {result['command_id'] or '<malformed>'} ({result['kind'] or 'unknown'}): "
            f"{result['message']}"
        )
        self.record(f"ServiceOutputCommand{status}", message, status != RECORDED)
        self.results.append(result)

    # ---- status (cur §6.18) ------------------------------------------------------------------

    def status_fields(self, entries: list[dict[str, str]]) -> dict[str, Any]:
        """The current status fields, over the engine's own: lifecycle and diagnostic states in
        the current names."""
        return {
            "lifecycle": self.lifecycle(),
            "diagnostics": [
                {**entry, "state": LIFECYCLE_NAMES.get(entry["state"], entry["state"])} for entry in entries
            ],
            "queue_depth": self.queue.depth,
            "queue_capacity": self.queue.capacity,
            "last_error": self.last_error,
            "dispatch_counters": self.queue.counters.to_dict(),
            "output_command_results": list(self.results),
            "websocket_connections": self.driver.status(),
        }


def service_for(handle: Any) -> ServiceRuntime | None:
    """The service runtime of a current-format plan, None for every other package."""
    return ServiceRuntime(handle) if handle.plan.current_format else None


__all__ = ["LIFECYCLE_NAMES", "ServiceRuntime", "service_for"]
