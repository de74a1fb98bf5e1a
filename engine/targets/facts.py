"""Target profiles as facts, so rules decide compatibility (DESIGN decision 9: no `if target`).

`TARGET_FACT_SCHEMA` is part of the public fact schema (engine.graph.facts.FACT_SCHEMA, origin
`target`; docs/rules.md). Only the targets a run is judged for are exported (the pipeline adds
them). Booleans are facts that exist or not (`target_flag(T, F)` only for flags that are on),
numbers are integers, the rest strings.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.targets.model import TargetProfile

Fact = tuple[str | int, ...]

# predicate -> argument names (the order of each tuple).
TARGET_FACT_SCHEMA: dict[str, tuple[str, ...]] = {
    "target": ("T",),
    "target_alias": ("T", "Alias"),
    "target_default": ("T",),
    "target_upstream": ("T", "Repository", "Commit"),
    "target_wit": ("T", "Variant"),
    "target_schema_version": ("T", "Version"),
    "target_manifest_key": ("T", "Key"),
    "target_config_key": ("T", "Table", "Key"),
    "target_accepts_surface": ("T", "Surface"),
    "target_accepts_permission_kind": ("T", "Kind"),
    "target_accepts_runtime": ("T", "Kind", "AbiOrWorld"),
    "target_retired_runtime": ("T", "Kind"),
    "target_accepts_host_api": ("T", "Api"),
    "target_host_interface": ("T", "Api", "Form", "Interface"),
    "target_host_api_grant_table": ("T", "Api", "Table"),
    "target_host_api_manifest_table": ("T", "Api", "Table"),
    "target_host_api_scheme": ("T", "Api", "Scheme"),
    "target_limit": ("T", "Name", "Value"),
    "target_store_limit": ("T", "Form", "Name", "Value"),
    "target_lifecycle_state": ("T", "State"),
    "target_reserved_tool": ("T", "Tool"),
    "target_flag": ("T", "Flag"),
}


def _profile_facts(p: TargetProfile) -> Iterable[tuple[str, Fact]]:
    t = p.name
    yield "target", (t,)
    if p.default:
        yield "target_default", (t,)
    if p.upstream is not None:
        yield "target_upstream", (t, p.upstream.repository, p.upstream.commit)
    yield from (("target_alias", (t, alias)) for alias in p.aliases)
    yield from (("target_wit", (t, variant)) for variant in p.wit)
    yield from (("target_schema_version", (t, version)) for version in p.schema_versions)
    yield from (("target_manifest_key", (t, key)) for key in p.manifest_keys)
    yield from (("target_config_key", (t, table, key)) for table, key in p.config_keys)
    yield from (("target_accepts_surface", (t, surface)) for surface in p.surfaces)
    yield from (("target_accepts_permission_kind", (t, kind)) for kind in p.permission_kinds)
    yield from (("target_accepts_runtime", (t, r.kind, r.abi_or_world)) for r in p.runtimes)
    yield from (("target_retired_runtime", (t, kind)) for kind in p.retired_runtime_kinds)
    for api in p.host_apis:
        yield "target_accepts_host_api", (t, api.name)
        yield from (("target_host_interface", (t, api.name, i.form, i.name)) for i in api.interfaces)
        yield "target_host_api_grant_table", (t, api.name, api.grant_table)
        if api.manifest_table is not None:
            yield "target_host_api_manifest_table", (t, api.name, api.manifest_table)
        yield from (("target_host_api_scheme", (t, api.name, scheme)) for scheme in api.schemes)
    yield from (("target_limit", (t, name, value)) for name, value in p.limits)
    yield from (("target_store_limit", (t, form, name, value)) for form, name, value in p.store_limits)
    yield from (("target_lifecycle_state", (t, state)) for state in p.lifecycle_states)
    yield from (("target_reserved_tool", (t, tool)) for tool in p.reserved_tools)
    yield from (("target_flag", (t, flag)) for flag, on in p.flags if on)


def target_facts(profiles: Iterable[TargetProfile]) -> dict[str, set[Fact]]:
    """{predicate: set of tuples} for every TARGET_FACT_SCHEMA predicate (empty sets included)."""
    out: dict[str, set[Fact]] = {pred: set() for pred in TARGET_FACT_SCHEMA}
    for profile in profiles:
        for pred, args in _profile_facts(profile):
            out[pred].add(args)
    return out
