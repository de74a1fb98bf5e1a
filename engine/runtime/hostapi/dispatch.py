"""`HostApis`: the host APIs of one plan, re-authorized on every call.

`HostApis` is the one interface the runtime links to guest imports (CONTRACT.md): pure Python, no
wasmtime, and `dispatch` never raises, so no Python exception can cross into a wasm frame. Errors
are redacted, then bounded (spec §6.12; bounding last keeps every message within 512 bytes, where
the reference bounds https errors first and a redaction can then push them past the bound).
"""

from __future__ import annotations

import importlib
import time
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
    return getattr(importlib.import_module(module), factory)(plan.allowlist(api.name), host, owner=plan.ref)


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
        if not self._handlers[api].usable:
            return f"{DENIED}: {api_registry.get(api).allowlist_missing}"
        return None

    def dispatch(self, api: str, op: str, descriptor: bytes, deadline: float | None = None) -> tuple[bool, str]:
        """Run one guest request: (True, response JSON) or (False, bounded redacted error).

        `deadline` (a `time.monotonic()` value) is the end of the guest call making the request:
        wasmtime's epoch deadline cannot interrupt a host function, so the request itself must
        not outlive it. Past it, the request fails at once.
        """
        try:
            return True, self._dispatch(api, op, bytes(descriptor), deadline)
        except HostApiError as error:
            return False, bounded_message(error.message if error.redacted else redact_secret_like(error.message))
        except Exception as error:  # noqa: BLE001 - a bug must not cross into wasm: fail the call, not the host
            return False, bounded_message(f"host API {api} failed internally ({type(error).__name__})")

    def _dispatch(self, api: str, op: str, descriptor: bytes, deadline: float | None) -> str:
        if api in API_OPERATIONS and op not in API_OPERATIONS[api]:
            raise HostApiError(f"unsupported {api} host API operation `{bounded_message(op, 32)}`")
        limit = DESCRIPTOR_LIMITS.get(api)
        if limit is not None and len(descriptor) > limit:
            raise HostApiError(f"{api_registry.get(api).descriptor_words} descriptor exceeds {limit} bytes")
        reason = self.denial(api)
        if reason is not None:
            raise HostApiError(reason)
        if deadline is not None and time.monotonic() >= deadline:
            raise HostApiError(f"host API {api} {op} refused: the guest call has used up its time limit")
        return self._handlers[api].run(op, descriptor, deadline)
