"""`HostApis`: the host APIs of one plan, re-authorized on every call.

`HostApis` is the one interface the runtime links to guest imports (CONTRACT.md): pure Python, no
wasmtime, and `dispatch` never raises, so no Python exception can cross into a wasm frame. Errors
are redacted, then bounded (spec §6.12; bounding last keeps every message within 512 bytes, where
the reference bounds https errors first and a redaction can then push them past the bound).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import Any

from engine import api_registry
from engine.diagnostics import bounded_message, redact_secret_like
from engine.plan import Plan
from engine.runtime.hostapi.descriptor import HostApiError
from engine.runtime.hostapi.surface import API_OPERATIONS, DENIED, DESCRIPTOR_LIMITS, not_in_plan


def open_handler(api: api_registry.HostApi, plan: Plan, host: Any) -> Any:
    """The object that serves `api` for one plan, from the registry's `module:factory` path
    (imported here, on first use: a plan without the API never loads its code). `owner`, the
    plan's ref, is whose share of the host's bounded resources (DNS lookup threads) it draws on."""
    module, _, factory = api.handler.partition(":")
    make = getattr(importlib.import_module(module), factory)
    if api.manifest_table:  # request, websocket: a call must lie in manifest target ∩ grant
        return make(plan.allowlist(api.name), host, targets=plan.targets(api.name), owner=plan.ref)
    return make(plan.allowlist(api.name), host, owner=plan.ref)


class HostApis:
    """The host APIs of one plan: built once per instance handle, consulted on every call."""

    def __init__(self, plan: Plan, host: Any = None):
        self._plan_apis = frozenset(plan.host_apis)
        # One handler per API the plan carries (an https handler brings ssl and sockets).
        self._handlers = {
            api.name: open_handler(api, plan, host) for api in api_registry.HOST_APIS if api.name in self._plan_apis
        }

    def allowed(self, api: str) -> bool:
        """`api` is in the plan (CONTRACT.md): what instantiation checks for each import. Every
        call is authorized again, with the allowlist, by `dispatch`."""
        return api in self._plan_apis

    def denial(self, api: str) -> str | None:
        """Why `api` may not be used (the whole diagnostic), or None when it may."""
        if api not in API_OPERATIONS:
            return f"{DENIED}: unsupported host API `{bounded_message(api, 32)}`"
        if api not in self._plan_apis:
            return not_in_plan(api)
        handler = self._handlers[api]
        if not handler.usable:
            reason = getattr(handler, "unusable_reason", None) or api_registry.get(api).allowlist_missing
            return f"{DENIED}: {reason}"
        return None

    def dispatch(self, api: str, op: str, descriptor: bytes, deadline: float | None = None) -> tuple[bool, str]:
        """Run one guest request: (True, response JSON) or (False, bounded redacted error).

        `deadline` (a `time.monotonic()` value) is the end of the guest call making the request:
        wasmtime's epoch deadline cannot interrupt a host function, so the request itself must
        not outlive it. Past it, the request fails at once.
        """
        return _answer(api, lambda: self._dispatch(api, op, bytes(descriptor), deadline))

    def dispatch_call(self, api: str, op: str, args: tuple, deadline: float | None = None) -> tuple[bool, str]:
        """`dispatch` for a function whose arguments are not one JSON descriptor (a WebSocket
        handle and its text or timeout): authorized the same way, then the handler's `call`."""

        def call() -> str:
            _check_op(api, op)
            self._admit(api, op, deadline)
            return self._handlers[api].call(op, args, deadline)

        return _answer(api, call)

    def handler(self, api: str) -> Any:
        """The handler serving `api` for this plan (None when the plan does not carry it)."""
        return self._handlers.get(api)

    def release(self) -> None:
        """The guest's store is going: release what its calls hold (WebSocket handles)."""
        for handler in self._handlers.values():
            close_all = getattr(handler, "close_all", None)
            if close_all is not None:
                close_all()

    def _admit(self, api: str, op: str, deadline: float | None) -> None:
        """API in the plan and usable, time left: else HostApiError."""
        reason = self.denial(api)
        if reason is not None:
            raise HostApiError(reason)
        if deadline is not None and time.monotonic() >= deadline:
            raise HostApiError(f"host API {api} {op} refused: the guest call has used up its time limit")

    def _dispatch(self, api: str, op: str, descriptor: bytes, deadline: float | None) -> str:
        _check_op(api, op)
        limit = DESCRIPTOR_LIMITS.get(api)
        if limit is not None and len(descriptor) > limit:
            raise HostApiError(f"{api_registry.get(api).descriptor_words} descriptor exceeds {limit} bytes")
        self._admit(api, op, deadline)
        return self._handlers[api].run(op, descriptor, deadline)


def _check_op(api: str, op: str) -> None:
    if api in API_OPERATIONS and op not in API_OPERATIONS[api]:
        raise HostApiError(f"unsupported {api} host API operation `{bounded_message(op, 32)}`")


def _answer(api: str, work: Callable[[], str]) -> tuple[bool, str]:
    """(True, answer) or (False, the bounded, redacted refusal); nothing ever raises."""
    try:
        return True, work()
    except HostApiError as error:
        return False, bounded_message(error.message if error.redacted else redact_secret_like(error.message))
    except Exception as error:  # noqa: BLE001 - a bug must not cross into wasm: fail the call, not the host
        return False, bounded_message(f"host API {api} failed internally ({type(error).__name__})")
