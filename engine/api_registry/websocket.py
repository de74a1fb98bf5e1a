"""Registry entry `websocket` (yoi b12e0785, yoi-current-spec.md §1.11, §3.5, §3.6, §6.15): text
WebSocket connections a guest opens, sends on, receives from and closes, to URLs a manifest
`[[websocket]]` target declares *and* an enablement `grants.websocket` entry allows.

The handler is engine/runtime/hostapi/websocket.py; three of its functions take a connection
handle (`u32`), linked by an adapter in engine/runtime/hostlink.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from engine.api_registry.abi import HANDLE_CALL, HANDLE_TEXT_CALL, HANDLE_TIMEOUT_CALL, JSON_CALL
from engine.api_registry.url_target import WEBSOCKET, UrlTarget, target_schema, url_target_api

# Which ingress sources the host opens itself (yoi-current-spec.md §1.4): `websocket:<url>`
# (trimmed, the prefix stripped, the rest trimmed) or a bare `ws://`/`wss://` URL; any other source
# is carried, never opened. The one definition: the graph's `ingress_websocket_source` facts, the
# runtime, templates and migrate all ask `websocket_source`.
SOURCE_PREFIX = "websocket:"


def websocket_source(source: str) -> str | None:
    """The URL of a WebSocket source, or None for a source of another kind."""
    text = source.strip()
    if text.startswith(SOURCE_PREFIX):
        return text[len(SOURCE_PREFIX) :].strip()
    if text.startswith(("ws://", "wss://")):
        return text
    return None


class WebSocketTarget(UrlTarget):
    """A `[[websocket]]` target of a manifest, or a `[[plugins.enabled.grants.websocket]]` entry."""

    API: ClassVar[str] = WEBSOCKET
    FLAG_METAVAR: ClassVar[str | None] = "ws[s]://HOST[:PORT][/PATH]"
    FLAG_HELP: ClassVar[str] = (
        "Open the websocket host API for ws[s]://HOST[:PORT][/PATH_PREFIX], where a [[websocket]] "
        "target of plugin.toml allows it too; repeatable."
    )
    SCHEMA: ClassVar[Mapping[str, Mapping[str, Any]]] = target_schema(WEBSOCKET, "`ws` or `wss`")


API = url_target_api(
    WEBSOCKET,
    summary="text WebSocket connections to URLs a manifest target declares and a grant allows",
    interface="yoi:host/websocket@1.0.0",
    functions=(
        ("open", JSON_CALL),
        ("send-text", HANDLE_TEXT_CALL),
        ("recv", HANDLE_TIMEOUT_CALL),
        ("close", HANDLE_CALL),
    ),
    grant=WebSocketTarget,
    handler="engine.runtime.hostapi.websocket:open_api",
    descriptor_limit=8192,
    descriptor_words="WebSocket open",
)
