"""Target profiles: a host a package must run on, as frozen data (DESIGN decision 9).

A profile says what a host accepts and how far it goes; it never says whether a package is
compatible. That is for the rules, which read profiles as facts (engine.targets.facts). So
there are accessors here, and no predicate that compares a package with a target.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HostInterface:
    """How a guest reaches a host API: a component interface or a raw core-wasm import module."""

    form: str  # "component" | "core" (the `artifact(P, Form)` words)
    name: str  # e.g. "yoi:host/request@1.0.0", "yoi:https"


@dataclass(frozen=True)
class HostApiProfile:
    """One host API as a target offers it."""

    name: str  # the `host_api` permission value: https | request | websocket | fs
    interfaces: tuple[HostInterface, ...]
    grant_table: str  # key under `[plugins.enabled.grants]` holding its allowlist
    manifest_table: str | None  # top-level manifest table of its targets (None: grants alone)
    schemes: tuple[str, ...]  # URL schemes it can reach (empty for fs)


@dataclass(frozen=True)
class AcceptedRuntime:
    kind: str  # "wasm" | "wasm-component"
    abi_or_world: str  # the ABI of a raw module, the world of a component


@dataclass(frozen=True)
class Upstream:
    repository: str
    commit: str
    spec: str  # the reference document under ../shared/reference/


@dataclass(frozen=True)
class TargetProfile:
    """A resolved profile: `union_of` already merged in (engine.targets.registry)."""

    name: str
    aliases: tuple[str, ...]
    default: bool
    description: str
    source: str  # the file it was read from, for messages
    upstream: Upstream | None
    union_of: tuple[str, ...]
    wit: tuple[str, ...]  # bundled host WIT variants (wit/hosts/pins.toml)
    schema_versions: tuple[int, ...]
    manifest_keys: tuple[str, ...]
    surfaces: tuple[str, ...]
    permission_kinds: tuple[str, ...]
    config_keys: tuple[tuple[str, str], ...]  # (table, key), e.g. ("plugins.enabled.grants", "https")
    runtimes: tuple[AcceptedRuntime, ...]
    retired_runtime_kinds: tuple[str, ...]
    host_apis: tuple[HostApiProfile, ...]
    limits: tuple[tuple[str, int], ...]
    store_limits: tuple[tuple[str, str, int], ...]  # (form, name, value)
    lifecycle_states: tuple[str, ...]
    reserved_tools: tuple[str, ...]
    flags: tuple[tuple[str, bool], ...]
    # Offers every API of the host-API registry too (engine.targets.registry_apis): this engine.
    host_apis_from_registry: bool = False

    def limit(self, name: str) -> int | None:
        """The limit `name`, or None when this host has no such bound."""
        return dict(self.limits).get(name)

    def store_limit(self, form: str, name: str) -> int | None:
        return next((value for f, n, value in self.store_limits if (f, n) == (form, name)), None)

    def flag(self, name: str) -> bool:
        """A flag's value; KeyError for a name that is not a flag (every profile states every flag)."""
        return dict(self.flags)[name]

    def host_api(self, name: str) -> HostApiProfile | None:
        return next((api for api in self.host_apis if api.name == name), None)

    def names(self) -> tuple[str, ...]:
        """The name and every alias: what `--target` accepts for this profile."""
        return (self.name, *self.aliases)
