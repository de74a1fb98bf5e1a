"""Host APIs a plugin may call (`https`, `fs`), re-authorized against its plan on every call.

`HostApis` (dispatch.py) is the one interface the runtime links to guest imports (CONTRACT.md).
It is loaded on first use, so importing this package (as hostlink.py does for the descriptor
bounds in surface.py) does not load ssl or sockets.
"""

from __future__ import annotations

from typing import Any

from engine.runtime.hostapi.surface import (
    API_OPERATIONS,
    DESCRIPTOR_LIMITS,
    MAX_HOST_CALLS_PER_GUEST_CALL,
    not_in_plan,
)


def __getattr__(name: str) -> Any:
    if name == "HostApis":
        from engine.runtime.hostapi.dispatch import HostApis

        return HostApis
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["API_OPERATIONS", "DESCRIPTOR_LIMITS", "MAX_HOST_CALLS_PER_GUEST_CALL", "HostApis", "not_in_plan"]
