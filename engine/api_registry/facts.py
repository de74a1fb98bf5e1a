"""The registry as facts: what the rules read instead of copies of the registry's constants.

`fact_schema()` is the registry's part of the public fact schema (engine/graph/facts.py adds it to
FACT_SCHEMA, docs/rules.md documents it); `static_facts()` are the rows that hold for every
evaluation; `grant_exporters()` turn the graph's grant-entry nodes into facts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from engine import api_registry
from engine.api_registry.abi import RAW_TOOL_FUNCTIONS, RAW_TOOL_MODULE

# Facts about the registry itself, whatever the APIs.
REGISTRY_FACTS: dict[str, tuple[str, ...]] = {
    "host_api": ("Api",),
    "host_interface": ("Interface", "Api"),
    "allowlist_message": ("Api", "Message"),
    "declaration_message": ("Api", "Message"),
    "raw_module": ("Module",),
    "raw_module_api": ("Module", "Api"),
    "raw_import": ("Module", "Func", "Sig"),
    "raw_modules_named": ("Modules",),
}

Exporter = Callable[[dict[str, set[tuple]], tuple, Mapping[str, Any]], None]


def fact_schema() -> dict[str, tuple[str, ...]]:
    """Predicate -> argument names of every fact the registry contributes. Two entries may not
    give one predicate different arguments."""
    schema = dict(REGISTRY_FACTS)
    for api in api_registry.HOST_APIS:
        declared = {c.predicate: c.args for c in api.constants} | dict(api.grant.FACTS)
        for predicate, args in declared.items():
            if schema.setdefault(predicate, args) != args:
                raise ValueError(f"host API {api.name}: fact `{predicate}` is declared with other arguments")
    return schema


def static_facts() -> dict[str, set[tuple]]:
    """The registry's constant facts, the same for every evaluation."""
    out: dict[str, set[tuple]] = {predicate: set() for predicate in REGISTRY_FACTS}
    out["raw_modules_named"].add((api_registry.raw_modules_named(),))
    out["raw_module"].add((RAW_TOOL_MODULE,))
    out["raw_import"].update((RAW_TOOL_MODULE, name, signature) for name, signature in RAW_TOOL_FUNCTIONS)
    for api in api_registry.HOST_APIS:
        out["host_api"].add((api.name,))
        out["host_interface"].add((api.interface, api.name))
        out["allowlist_message"].add((api.name, api.allowlist_missing))
        if api.declaration_missing is not None:
            out["declaration_message"].add((api.name, api.declaration_missing))
        if api.raw_module is not None:
            out["raw_module"].add((api.raw_module,))
            out["raw_module_api"].add((api.raw_module, api.name))
            out["raw_import"].update((api.raw_module, name, signature) for name, signature in api.raw_functions)
        for constant in api.constants:
            out.setdefault(constant.predicate, set()).update(constant.rows)
    return out


def grant_exporters() -> dict[str, Exporter]:
    """Graph node type -> exporter, for the grant-entry nodes of every API."""

    def exporter(api: api_registry.HostApi) -> Exporter:
        def export(out: dict[str, set[tuple]], node: tuple, attrs: Mapping[str, Any]) -> None:
            for predicate, row in api.grant.facts(node[1], attrs):
                out[predicate].add(row)

        return export

    return {api_registry.grant_node_type(api): exporter(api) for api in api_registry.HOST_APIS}
