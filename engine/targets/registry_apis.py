"""The engine's own host APIs come from its registry, not from a list in targets/engine.toml.

A profile that says `host_apis_from_registry = true` (the `engine` target: this engine's host)
offers every entry of engine.api_registry.HOST_APIS besides what it lists or takes by
`union_of`, so adding a host API stays one registry entry (DESIGN decision 10) and the engine
target reads it at once. The registry is read when a profile is selected, never cached here.
"""

from __future__ import annotations

from dataclasses import replace

from engine import api_registry
from engine.targets.model import HostApiProfile, HostInterface, TargetProfile

GRANTS_TABLE = "plugins.enabled.grants"


def _as_profile(api: api_registry.HostApi) -> HostApiProfile:
    interfaces: tuple[HostInterface, ...] = (HostInterface("component", api.interface),)
    if api.raw_module is not None:
        interfaces += (HostInterface("core", api.raw_module),)
    return HostApiProfile(
        name=api.name,
        interfaces=interfaces,
        grant_table=api.name,
        manifest_table=api.name if api.manifest_table else None,
        schemes=(),
    )


def with_registry_apis(profile: TargetProfile) -> TargetProfile:
    """`profile`, offering the registry's APIs it does not list when it takes them from there."""
    if not profile.host_apis_from_registry:
        return profile
    listed = {api.name for api in profile.host_apis}
    extra = tuple(_as_profile(api) for api in api_registry.HOST_APIS if api.name not in listed)
    if not extra:
        return profile
    tables = tuple(api.manifest_table for api in extra if api.manifest_table is not None)
    return replace(
        profile,
        host_apis=profile.host_apis + extra,
        manifest_keys=tuple(dict.fromkeys((*profile.manifest_keys, *tables))),
        config_keys=tuple(dict.fromkeys((*profile.config_keys, *((GRANTS_TABLE, api.name) for api in extra)))),
    )
