"""The typed ingress errors of yoi b12e0785 (yoi-current-spec.md §6.6, `PluginIngressDispatchError`):
each is a RuntimeFault (so callers branch on `.kind` as for every runtime fault) that also names
its diagnostic kind (`InvalidEvent`, ...), which the instance's typed diagnostics record."""

from __future__ import annotations

from engine.runtime.errors import RuntimeFault


class ServiceFault(RuntimeFault):
    """A refused or failed ingress dispatch: `kind` as every fault, `diagnostic` its typed kind."""

    def __init__(self, kind: str, diagnostic: str, message: str) -> None:
        super().__init__(kind, message)
        self.diagnostic = diagnostic


def invalid_event(message: str) -> ServiceFault:
    return ServiceFault("invalid_input", "InvalidEvent", f"invalid plugin ingress event: {message}")


def queue_full(capacity: int) -> ServiceFault:
    return ServiceFault("busy", "QueueFull", f"plugin ingress queue is full (capacity {capacity})")


def service_unavailable(state: str) -> ServiceFault:
    return ServiceFault(
        "stopped", "ServiceUnavailable", f"plugin service is not running for ingress dispatch (state {state})"
    )


def service_failed(message: str) -> ServiceFault:
    return ServiceFault("failed", "ServiceFailed", f"plugin service is failed for ingress dispatch: {message}")


def service_stopped(state: str) -> ServiceFault:
    return ServiceFault(
        "stopped", "ServiceStopped", f"plugin service rejects ingress while stopping/stopped (state {state})"
    )


def dispatch_timeout(timeout_ms: int) -> ServiceFault:
    return ServiceFault("timeout", "DispatchTimeout", f"plugin ingress dispatch timed out after {duration(timeout_ms)}")


def dispatch_failed(kind: str, message: str) -> ServiceFault:
    return ServiceFault(kind, "DispatchFailed", f"plugin ingress dispatch failed closed: {message}")


def duration(ms: int) -> str:
    """Rust's `Duration` Debug text: `1s`, `1.5s`, `25ms`."""
    if ms >= 1000:
        return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms / 1000:g}s"
    return f"{ms}ms"
