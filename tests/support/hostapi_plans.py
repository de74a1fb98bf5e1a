"""Plans for host API tests: real `Plan` values, as the runtime receives them."""

from __future__ import annotations

from engine.grants.model import FsGrant, HttpsGrant
from engine.plan import Plan


def make_plan(host_apis=("https", "fs"), https=(), fs=()) -> Plan:
    return Plan(
        ref="user:hostapi-test", source="user", version="1.0.0", digest="sha256:" + "0" * 64,
        package_path="/nonexistent", classification="instance", runtime_kind="component",
        abi_or_world="yoi:plugin/instance@1.0.0", artifact_path="plugin.wasm", artifact_sha256="0" * 64,
        enabled_surfaces=("tool",), authorized_surfaces=("tool",), tools=(), services=(), ingresses=(),
        host_apis=tuple(host_apis), https_allowlist=tuple(https), fs_allowlist=tuple(fs),
    )


def https_grant(host="127.0.0.1", methods=("GET", "POST"), prefixes=()) -> HttpsGrant:
    return HttpsGrant(host, tuple(methods), tuple(prefixes))


def fs_grant(root, operations=("read", "list", "write")) -> FsGrant:
    return FsGrant(str(root), tuple(operations))
