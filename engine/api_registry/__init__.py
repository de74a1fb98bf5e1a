"""The host-API registry (DESIGN decision 10): one entry per API a plugin may call.

`HOST_APIS` is the only list of host APIs in the engine. Everything else is derived from it: the
manifest's allowed `host_api` values and the config's grant tables (and so the JSON Schemas of
`yoi plugin schema`), the graph's grant nodes and their facts, the constants the rules read as
facts (`host_api`, `host_interface`, `raw_import`, `https_method`, ...), the plan's allowlists,
the runtime's linker and dispatch, and the list in docs/host-apis.md (a test compares them).

Adding a host API is one entry module here (its `HostApi` and its grant record) listed in
`HOST_APIS`, its handler under engine/runtime/hostapi/, its WIT interface in wit/deps/yoi-host
(imported by the worlds that offer it), its rules and its tests: docs/architecture.md.

The lookups read `HOST_APIS` when called, never a copy taken at import, and this package imports
no other engine module: any stage may import it and `check` pays for a few dataclasses only.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.api_registry import fs, https, request, websocket
from engine.api_registry.abi import RAW_TOOL_MODULE
from engine.api_registry.model import ConstantFact, GrantRecord, HostApi
from engine.api_registry.tables import NO_TABLES, GrantTables, per_api_keywords

HOST_APIS: tuple[HostApi, ...] = (https.API, request.API, websocket.API, fs.API)


_NAMES: dict[tuple[HostApi, ...], tuple[str, ...]] = {}


def names() -> tuple[str, ...]:
    """The API names, in registry order (the order reports and schemas list them in). Asked for
    per package, so kept per value of HOST_APIS."""
    found = _NAMES.get(HOST_APIS)
    if found is None:
        found = _NAMES[HOST_APIS] = tuple(api.name for api in HOST_APIS)
    return found


def get(name: str) -> HostApi:
    """The entry named `name`; KeyError for an API the registry does not know."""
    for api in HOST_APIS:
        if api.name == name:
            return api
    raise KeyError(name)


def by_interface(interface: str) -> HostApi | None:
    """The API a component import (a WIT interface id) belongs to, if any."""
    return next((api for api in HOST_APIS if api.interface == interface), None)


def by_raw_module(module: str) -> HostApi | None:
    """The API a raw core-module import module belongs to, if any."""
    return next((api for api in HOST_APIS if api.raw_module is not None and api.raw_module == module), None)


def raw_modules() -> tuple[str, ...]:
    """Every module a raw core module may import from: the tool's own, then the host APIs'."""
    return (RAW_TOOL_MODULE, *(api.raw_module for api in HOST_APIS if api.raw_module is not None))


def raw_modules_named() -> str:
    """The raw modules as the reference's message names them: "`yoi:tool`, `yoi:https`, and `yoi:fs`"."""
    quoted = [f"`{module}`" for module in raw_modules()]
    if len(quoted) <= 2:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + ", and " + quoted[-1]


def grant_node_type(api: HostApi) -> str:
    """The graph node type of one entry of the API's grant table (`https_grant`)."""
    return f"{api.name}_grant"


def grant_tables_schema() -> dict[str, dict]:
    """Cerberus rules of the grant tables under `[plugins.enabled.grants]`: a list of tables each
    (`meta` is the description editors show; cerberus ignores it)."""
    return {
        api.name: {
            "type": "list",
            "schema": {"type": "dict", "schema": dict(api.grant.SCHEMA)},
            "meta": {"description": f"The {api.name} host API allowlist."},
        }
        for api in HOST_APIS
    }


def manifest_tables() -> tuple[HostApi, ...]:
    """The entries whose targets the manifest declares in a top-level table of their name."""
    return tuple(api for api in HOST_APIS if api.manifest_table)


def manifest_tables_schema() -> dict[str, dict]:
    """Cerberus rules of the manifest's top-level target tables (`[[request]]`, `[[websocket]]`)."""
    return {
        api.name: {
            "type": "list",
            "schema": {"type": "dict", "schema": dict(api.grant.SCHEMA)},
            "meta": {
                "description": f"Targets the package may reach through host_api.{api.name}: a request for "
                "authority that grants nothing by itself (a call needs a matching grant too)."
            },
        }
        for api in manifest_tables()
    }


def grant_json_overlays(flags: Iterable[str] = ()) -> dict[tuple[str, str], dict]:
    """(api, field) -> JSON Schema keywords the grant records add to their fields; `flags`: the
    target flags that are on, whose `FLAG_JSON_OVERLAYS` narrow them (a target's schema)."""
    on = set(flags)
    out = {}
    for api in HOST_APIS:
        for key, rules in api.grant.JSON_OVERLAYS.items():
            out[(api.name, key)] = dict(rules)
        for flag, fields in api.grant.FLAG_JSON_OVERLAYS.items():
            if flag in on:
                out.update({(api.name, key): dict(rules) for key, rules in fields.items()})
    return out


__all__ = [
    "HOST_APIS",
    "NO_TABLES",
    "ConstantFact",
    "GrantRecord",
    "GrantTables",
    "HostApi",
    "by_interface",
    "by_raw_module",
    "get",
    "grant_node_type",
    "grant_tables_schema",
    "manifest_tables",
    "manifest_tables_schema",
    "names",
    "per_api_keywords",
    "raw_modules",
    "raw_modules_named",
]
