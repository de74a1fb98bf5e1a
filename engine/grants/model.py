"""Frozen records of what a config enables and grants (spec §3.1).

These are the parsed form of `[[plugins.enabled]]`; resolution binds them to discovered packages
and later stages turn them into facts (`grants`, `binding`, `https_grant`, `fs_grant`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    """One `grants.fs` scope: a host root and the operations allowed under it (§6.11).

    `root` is the root as the runtime will open it: resolved (realpath) when the config is read,
    before any rule sees it, so a symlink or `/proc/self/root/etc` is judged as the folder it
    names (engine/grants/roots.py). `written` keeps the root as the config wrote it when that
    differs; the runtime refuses the grant if `written` no longer resolves to `root`. An empty
    `root` means the written root could not be resolved (it is unusable)."""

    root: str = ""
    operations: tuple[str, ...] = ()
    written: str | None = None

    @property
    def written_root(self) -> str:
        return self.root if self.written is None else self.written

    @property
    def label(self) -> str:
        shown = f"{self.root} (written {self.written})" if self.written is not None else self.root
        return f"{shown} {','.join(self.operations) or '<no-operations>'}"

    def to_dict(self) -> dict[str, Any]:
        return {"root": self.root, "operations": list(self.operations), "written": self.written_root}


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
    # As written in `limits` / `restart` (name, value), schema-checked; engine/grants/limits.py
    # turns them into the effective values a plan carries.
    limits: tuple[tuple[str, int], ...] = ()
    restart: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class HostSettings:
    """`[plugins.host]`: settings of the host that runs plugins, never a grant to any of them.

    `https_ca_bundle` is an extra CA bundle (PEM) the https host API trusts besides the system
    store, resolved against the config file's folder; the host passes it to `HostConfig`.
    """

    https_ca_bundle: str | None = None


@dataclass(frozen=True)
class EnablementConfig:
    """All enablements of one config file, in file order (duplicates kept: §3.3 resolves each)."""

    enabled: tuple[Enablement, ...] = ()
    file: str | None = None
    host: HostSettings = field(default_factory=HostSettings)
