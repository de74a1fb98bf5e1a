"""Frozen records of what a config enables and grants (spec §3.1).

These are the parsed form of `[[plugins.enabled]]`; resolution binds them to discovered packages
and later stages turn them into facts (`grants`, `binding`, and each host API's grant facts such
as `https_grant`). The grant-table entries are the host-API registry's records (engine/api_registry).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from engine.api_registry import NO_TABLES, GrantTables, names, per_api_keywords
from engine.api_registry.fs import FsGrant
from engine.api_registry.https import HttpsGrant
from engine.diagnostics import Location
from engine.package.model import Permission
from engine.provenance.trust import TrustSettings

if TYPE_CHECKING:
    from engine.grants.lock import Lock

__all__ = ["Enablement", "EnablementConfig", "FsGrant", "Grants", "HostSettings", "HttpsGrant"]


@per_api_keywords("tables", "")
@dataclass(frozen=True)
class Grants:
    """`[plugins.enabled.grants]`: capabilities plus the id/version/digest they are bound to.

    `None` means the binding key was absent; an empty string is present (and never matches).
    `tables` holds the host-API grant tables; `Grants(https=...)` and `grants.https` spell one
    table by its API name.
    """

    id: str | None = None
    version: str | None = None
    digest: str | None = None
    permissions: tuple[Permission, ...] = ()
    tables: GrantTables = NO_TABLES

    @property
    def is_empty(self) -> bool:
        """An empty grant binds to anything (§3.4): it grants nothing."""
        return not (self.permissions or self.tables)

    def table(self, api: str) -> tuple:
        """The entries of host API `api`'s grant table (empty when absent)."""
        return self.tables.get(api)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "digest": self.digest,
            "permissions": [p.to_toml_dict() for p in self.permissions],
            **{api: [entry.to_dict() for entry in self.tables.get(api)] for api in names()},
        }


@dataclass(frozen=True)
class Enablement:
    """One `[[plugins.enabled]]` request. `config` is opaque and may hold secrets: never print it."""

    id: str = ""
    version: str | None = None
    digest: str | None = None
    surfaces: tuple[str, ...] = ()
    grants: Grants = field(default_factory=Grants)
    config: Any = field(default=None, repr=False)
    location: Location | None = field(default=None, compare=False)
    # Where each key of the entry is written (`digest`, `grants.version`, ...), scanned on first use.
    keys: Mapping[str, Location] = field(default_factory=lambda: MappingProxyType({}), compare=False, repr=False)
    # As written in `limits` / `restart` (name, value), schema-checked; engine/grants/limits.py
    # turns them into the effective values a plan carries.
    limits: tuple[tuple[str, int], ...] = ()
    restart: tuple[tuple[str, int], ...] = ()
    # `signature = "path"`: where this package's signature envelope is, resolved against the
    # config file's folder (None: beside the package, `<package>.sig`).
    signature: str | None = None
    # The keys written in the entry and in its `grants` table, as (table, key) with table
    # `plugins.enabled` or `plugins.enabled.grants`: which hosts can read them is for the target
    # rules (`config_table_key` facts, docs/targets.md).
    written: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def location_of(self, key: str) -> Location | None:
        """Where `key` (or its closest written parent) is in the config, else the entry itself."""
        from engine.package.manifest_locations import nearest_location

        return nearest_location(self.keys, key) or self.keys.get("") or self.location


@dataclass(frozen=True)
class HostSettings:
    """`[plugins.host]`: settings of the host that runs plugins, never a grant to any of them.

    `https_ca_bundle` is an extra CA bundle (PEM) the https, request and websocket (wss) host APIs
    trust besides the system
    store, resolved against the config file's folder; the host passes it to `HostConfig`.
    """

    https_ca_bundle: str | None = None


# `[feature.plugins] enabled` as written (spec §3.1): FEATURE_ABSENT when the config has no
# `[feature]` table at all (the engine's own workspace config), FEATURE_UNSET when it has one that
# does not set the key. Whether plugins are exposed is the rules' decision (rules/status.rules).
FEATURE_ABSENT = "absent"
FEATURE_UNSET = "unset"


@dataclass(frozen=True)
class EnablementConfig:
    """All enablements of one config file, in file order (duplicates kept: §3.3 resolves each)."""

    enabled: tuple[Enablement, ...] = ()
    file: str | None = None
    host: HostSettings = field(default_factory=HostSettings)
    trust: TrustSettings = field(default_factory=TrustSettings)
    # "true", "false", FEATURE_UNSET or FEATURE_ABSENT (see above)
    plugins_feature: str = FEATURE_ABSENT
    # The keys of `[plugins]` as written (read for the target rules).
    plugins_keys: tuple[str, ...] = ()
    # the resolved plan (`[[plugins.resolved]]`, `[[plugins.diagnostics]]`, spec §3.7), if any:
    # an engine.grants.lock.Lock; when present it is used instead of resolving `enabled` again
    lock: Lock | None = None

    @property
    def resolved_refs(self) -> frozenset[str]:
        """The refs (`source:local_id`) the resolved plan holds records for."""
        return frozenset(record.ref for record in self.lock.records) if self.lock else frozenset()
