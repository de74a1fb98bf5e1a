"""Frozen records of what a config enables and grants (spec §3.1).

These are the parsed form of `[[plugins.enabled]]`; resolution binds them to discovered packages
and later stages turn them into facts (`grants`, `binding`, `https_grant`, `fs_grant`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from engine.diagnostics import Location
from engine.package.model import Permission


@dataclass(frozen=True)
class HttpsGrant:
    """One `grants.https` allowlist entry; empty `path_prefixes` means any path (§6.10)."""

    host: str = ""
    methods: tuple[str, ...] = ()
    path_prefixes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        methods = ",".join(self.methods) or "<no-methods>"
        prefixes = ",".join(self.path_prefixes) or "*"
        return f"{self.host} {methods} {prefixes}"

    def to_dict(self) -> dict[str, Any]:
        return {"host": self.host, "methods": list(self.methods), "path_prefixes": list(self.path_prefixes)}


@dataclass(frozen=True)
class FsGrant:
    """One `grants.fs` scope: a host root and the operations allowed under it (§6.11)."""

    root: str = ""
    operations: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.root} {','.join(self.operations) or '<no-operations>'}"

    def to_dict(self) -> dict[str, Any]:
        return {"root": self.root, "operations": list(self.operations)}


@dataclass(frozen=True)
class Grants:
    """`[plugins.enabled.grants]`: capabilities plus the id/version/digest they are bound to.

    `None` means the binding key was absent; an empty string is present (and never matches).
    """

    id: str | None = None
    version: str | None = None
    digest: str | None = None
    permissions: tuple[Permission, ...] = ()
    https: tuple[HttpsGrant, ...] = ()
    fs: tuple[FsGrant, ...] = ()

    @property
    def is_empty(self) -> bool:
        """An empty grant binds to anything (§3.4): it grants nothing."""
        return not (self.permissions or self.https or self.fs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "digest": self.digest,
            "permissions": [p.to_toml_dict() for p in self.permissions],
            "https": [h.to_dict() for h in self.https],
            "fs": [f.to_dict() for f in self.fs],
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

    def location_of(self, key: str) -> Location | None:
        """Where `key` (or its closest written parent) is in the config, else the entry itself."""
        from engine.package.manifest_locations import nearest_location

        return nearest_location(self.keys, key) or self.keys.get("") or self.location


@dataclass(frozen=True)
class HostSettings:
    """`[plugins.host]`: settings of the host that runs plugins, never a grant to any of them.

    `https_ca_bundle` is an extra CA bundle (PEM) the https host API trusts besides the system
    store, resolved against the config file's folder; the host passes it to `HostConfig`.
    """

    https_ca_bundle: str | None = None


@dataclass(frozen=True)
class TrustedKey:
    """One `[[plugins.trust.keys]]` entry: a public key whose signatures count.

    `id` is the key id (`ed25519:<sha256 of the raw key>`, checked against the key when the config
    is read); `expires` (UTC) ends its trust; `packages` are the package ids it may sign (`acme.echo`
    exactly, or `acme.*` for every id under `acme.`), none meaning any; `name` says who holds it.
    """

    id: str
    public_key: bytes = field(repr=False)
    expires: datetime | None = None
    packages: tuple[str, ...] = ()
    name: str = ""
    location: Location | None = field(default=None, compare=False)

    def may_sign(self, package_id: str) -> bool:
        return not self.packages or any(
            package_id.startswith(p[:-1]) if p.endswith(".*") else package_id == p for p in self.packages
        )

    def expired(self, now: datetime) -> bool:
        return self.expires is not None and now >= self.expires


@dataclass(frozen=True)
class TrustSettings:
    """`[plugins.trust]`: which signing keys are trusted and whether a signature is required.

    `present` is False when the config has no such table: packages are then judged as before,
    and a signature found beside one is reported but counts for nothing (no key is trusted).
    """

    require_signature: bool = False
    keys: tuple[TrustedKey, ...] = ()
    present: bool = False

    def key(self, key_id: str) -> TrustedKey | None:
        return next((k for k in self.keys if k.id == key_id), None)


@dataclass(frozen=True)
class EnablementConfig:
    """All enablements of one config file, in file order (duplicates kept: §3.3 resolves each)."""

    enabled: tuple[Enablement, ...] = ()
    file: str | None = None
    host: HostSettings = field(default_factory=HostSettings)
    trust: TrustSettings = field(default_factory=TrustSettings)
