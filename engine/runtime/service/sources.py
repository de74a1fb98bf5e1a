"""Whether a plan's instance opens host-owned WebSocket connections (yoi-current-spec.md §1.4;
which sources are WebSocket ones is the websocket registry entry's `websocket_source`). Light on
purpose: the host's startup asks it for every plan."""

from __future__ import annotations

from engine.api_registry.websocket import websocket_source
from engine.plan import Plan


def owns_sockets(plan: Plan) -> bool:
    """The instance of `plan` opens host-owned WebSocket connections when it starts: a
    current-format plan with Service and Ingress authorized and a WebSocket source."""
    surfaces = plan.authorized_surfaces
    return (
        plan.current_format
        and "service" in surfaces
        and "ingress" in surfaces
        and any(websocket_source(source) is not None for ingress in plan.ingresses for source in ingress.sources)
    )
