"""`yoi plugin new --target T`: a template's package as host T reads it (issue 19 point 7).

An instance template takes the shape of upstream's `rust-component-service` when T (its profile,
targets/*.toml, never its name) opens `websocket:` ingress sources itself (`ingress_sources_live`)
and declares WebSocket targets in the manifest: a `host_api.websocket` permission, a `websocket:`
source on each ingress (which then also accepts `websocket_text` events) and the `[[websocket]]`
target that source needs. Whether T can read and run the result is the rules' to say: `yoi plugin
new --target` checks the written package for T and reports that verdict (engine/cli/plugin_new.py).

Comments and key order of the template's plugin.toml are kept (tomlkit).
"""

from __future__ import annotations

import tomllib
from typing import TYPE_CHECKING

from engine.api_registry.websocket import SOURCE_PREFIX

if TYPE_CHECKING:
    from engine.targets import TargetProfile

WEBSOCKET = "websocket"  # upstream's host-owned sources are WebSocket connections (cur §6.17)
SOCKET_URL = "wss://example.com/socket"  # upstream's service template's (cur §5.8)
SOCKET_TARGET = {"scheme": "wss", "host": "example.com", "path_prefixes": ["/socket"]}
SOURCE_EVENT_KIND = "websocket_text"


def opens_websocket_sources(profile: TargetProfile) -> bool:
    """T dials `websocket:` ingress sources itself, through manifest-declared WebSocket targets."""
    return profile.flag("ingress_sources_live") and any(
        api.name == WEBSOCKET and api.manifest_table is not None for api in profile.host_apis
    )


def service_shape(text: str) -> str:
    """The instance manifest `text` with a host-owned WebSocket source on each ingress."""
    import tomlkit

    document = tomlkit.parse(text)
    permission = tomlkit.parse(f'x = {{ kind = "host_api", api = "{WEBSOCKET}" }}')["x"]
    document["permissions"].append(permission)
    for ingress in document.get("ingresses", []):
        ingress["sources"] = [*ingress.get("sources", []), f"{SOURCE_PREFIX}{SOCKET_URL}"]
        kinds = list(ingress.get("event_kinds", []))
        if kinds and SOURCE_EVENT_KIND not in kinds:
            ingress["event_kinds"] = [*kinds, SOURCE_EVENT_KIND]
    targets = tomlkit.aot()
    table = tomlkit.table()
    for key, value in SOCKET_TARGET.items():
        table.add(key, value)
    targets.append(table)
    document.add(WEBSOCKET, targets)
    return tomlkit.dumps(document)


def manifest_for(text: str, instance: bool, profile: TargetProfile) -> str:
    """The template's manifest text as written for `profile`."""
    if instance and opens_websocket_sources(profile) and tomllib.loads(text).get("ingresses"):
        return service_shape(text)
    return text
