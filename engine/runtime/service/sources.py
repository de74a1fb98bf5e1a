"""Which ingress sources the host opens itself (yoi-current-spec.md §1.4): `websocket:<url>`
(trimmed, the prefix stripped, the rest trimmed) or a bare `ws://`/`wss://` URL; any other source
is carried, never opened. Light on purpose: the host's startup asks it for every plan."""

from __future__ import annotations

from engine.plan import Plan

SOURCE_PREFIX = "websocket:"


def websocket_source(source: str) -> str | None:
    """The URL of a WebSocket source, or None for a source of another kind."""
    text = source.strip()
    if text.startswith(SOURCE_PREFIX):
        return text[len(SOURCE_PREFIX) :].strip()
    if text.startswith(("ws://", "wss://")):
        return text
    return None


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
