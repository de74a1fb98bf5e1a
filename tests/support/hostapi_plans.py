"""Plans for host API tests: real `Plan` values, as the runtime receives them."""

from __future__ import annotations

from engine.api_registry import GrantTables
from engine.api_registry.request import RequestTarget
from engine.api_registry.websocket import WebSocketTarget
from engine.grants.model import FsGrant, HttpsGrant
from engine.plan import Plan


def make_plan(host_apis=("https", "fs"), https=(), fs=(), request=(), websocket=(), targets=None) -> Plan:
    """A plan; `request`/`websocket` are grant entries, `targets` the manifest's targets by API
    (default: the same entries as the grants, upstream's `record_with_request_grant`)."""
    targets = targets if targets is not None else {"request": request, "websocket": websocket}
    return Plan(
        ref="user:hostapi-test", source="user", version="1.0.0", digest="sha256:" + "0" * 64,
        package_path="/nonexistent", classification="instance", runtime_kind="component",
        abi_or_world="yoi:plugin/instance@1.0.0", artifact_path="plugin.wasm", artifact_sha256="0" * 64,
        enabled_surfaces=("tool",), authorized_surfaces=("tool",), tools=(), services=(), ingresses=(),
        host_apis=tuple(host_apis), https_allowlist=tuple(https), fs_allowlist=tuple(fs),
        request_allowlist=tuple(request), websocket_allowlist=tuple(websocket),
        manifest_targets=GrantTables.of(targets),
    )


def https_grant(host="127.0.0.1", methods=("GET", "POST"), prefixes=()) -> HttpsGrant:
    return HttpsGrant(host, tuple(methods), tuple(prefixes))


def fs_grant(root, operations=("read", "list", "write")) -> FsGrant:
    return FsGrant(str(root), tuple(operations))


def request_target(scheme="https", host="127.0.0.1", methods=("GET", "POST"), prefixes=(), port=None) -> RequestTarget:
    return RequestTarget("request", scheme, host, port, tuple(methods), tuple(prefixes))


def websocket_target(scheme="wss", host="127.0.0.1", prefixes=(), port=None) -> WebSocketTarget:
    return WebSocketTarget("websocket", scheme, host, port, (), tuple(prefixes))
