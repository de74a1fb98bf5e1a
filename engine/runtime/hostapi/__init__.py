"""Host APIs (https, fs) for guests: placeholder until the `hostapi` branch lands.

The interface is fixed by CONTRACT.md: one `HostApis` per instance handle, `dispatch` never raises
and returns `(ok, text)`. This placeholder answers every request with an error, so a guest that
calls a host API gets data it can handle, never a trap.
"""

from __future__ import annotations


class HostApis:
    def __init__(self, plan, host) -> None:
        self._apis = frozenset(plan.host_apis)

    def allowed(self, api: str) -> bool:
        return api in self._apis

    def dispatch(self, api: str, op: str, descriptor: bytes) -> tuple[bool, str]:
        return False, f"host API {api} is not available"
