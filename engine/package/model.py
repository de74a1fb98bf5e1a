"""Frozen data model of a plugin package as the package layer produces it.

The manifest loader (manifest.py) builds `Manifest`; materialization (materialize.py) wraps it
with the files and digest into a `Package`. Later stages (grants, graph, runtime) only read these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from engine import api_registry
from engine.diagnostics import Location

SCHEMA_VERSION = 1
RAW_KIND = "wasm"
RAW_ABI = "yoi-plugin-wasm-1"
COMPONENT_KIND = "wasm-component"
TOOL_WORLD = "yoi:plugin/tool@1.0.0"
INSTANCE_WORLD = "yoi:plugin/instance@1.0.0"

# Spec §1.2: enum order, used wherever a sorted set of surfaces is emitted.
SURFACES = ("hook", "tool", "service", "ingress", "wasm")
SOURCES = ("user", "project", "builtin")
HOST_APIS = api_registry.names()  # the `api` values of host_api permissions: the registry's entries
PERMISSION_KINDS = ("surface", "tool", "tool_namespace", "service", "ingress", "external_write", "host_api")
FS_OPERATIONS = api_registry.get("fs").operations  # kept for callers; the registry holds it
# `[[services]] lifecycle`: the reference carries any string, but its host manages every service
# (starts it with the instance) and its templates write "host-managed"; any other word names a
# lifecycle nothing implements, so it is refused (docs/reference-differences.md).
SERVICE_LIFECYCLES = ("host-managed",)


def sort_surfaces(surfaces) -> tuple[str, ...]:
    """Deduplicate and order surfaces in the reference's enum order."""
    present = set(surfaces)
    return tuple(s for s in SURFACES if s in present)


@dataclass(frozen=True)
class Permission:
    """One permission object (spec §1.6); `value` is the surface/name/namespace/api field."""

    kind: str
    value: str | None = None

    @property
    def label(self) -> str:
        if self.kind == "surface":
            return f"surfaces.{self.value}"
        if self.kind == "external_write":
            return "external_write"
        return f"{self.kind}.{self.value}"

    def to_toml_dict(self) -> dict[str, str]:
        field_name = {
            "surface": "surface",
            "tool": "name",
            "tool_namespace": "namespace",
            "service": "name",
            "ingress": "name",
            "host_api": "api",
        }.get(self.kind)
        out = {"kind": self.kind}
        if field_name is not None:
            out[field_name] = self.value or ""
        return out


@dataclass(frozen=True)
class Runtime:
    kind: str
    entry: str | None = None
    abi: str | None = None
    component: str | None = None
    world: str | None = None

    @property
    def artifact_path(self) -> str | None:
        return self.entry if self.kind == RAW_KIND else self.component


@dataclass(frozen=True)
class Hook:
    id: str
    file: str


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    input_schema: Any
    external_write: bool = False


@dataclass(frozen=True)
class Service:
    name: str
    description: str
    lifecycle: str = ""
    status_schema: Any = None
    side_effects: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ingress:
    name: str
    description: str
    event_kinds: tuple[str, ...] = ()
    input_schema: Any = None
    sources: tuple[str, ...] = ()
    side_effects: tuple[str, ...] = ()


@dataclass(frozen=True)
class Manifest:
    """A parsed, schema-valid plugin.toml.

    `locations` maps item paths to where they are written in plugin.toml, so that rule
    conclusions about an item can point at its line: keys are "runtime", "surfaces",
    "tools[0]", "services[1]", "ingresses[0]", "hooks[0]", "permissions[3]", "request[0]", and
    top-level keys such as "id" or "schema_version".

    `targets` holds the top-level target tables of the host APIs that have one (`[[request]]`,
    `[[websocket]]`; engine/api_registry `manifest_table`), keyed by API: `targets_of("request")`.
    """

    schema_version: int
    id: str
    name: str
    version: str
    description: str | None = None
    surfaces: tuple[str, ...] = ()
    runtime: Runtime | None = None
    hooks: tuple[Hook, ...] = ()
    tools: tuple[Tool, ...] = ()
    services: tuple[Service, ...] = ()
    ingresses: tuple[Ingress, ...] = ()
    permissions: tuple[Permission, ...] = ()
    targets: api_registry.GrantTables = api_registry.NO_TABLES
    locations: Mapping[str, Location] = field(default_factory=lambda: MappingProxyType({}), compare=False)
    # The top-level keys as written (in file order): which format a host must read to parse the
    # file is a question for the target rules (`manifest_key` facts, docs/targets.md).
    keys: tuple[str, ...] = field(default=(), compare=False)

    def targets_of(self, api: str) -> tuple:
        """The manifest's declared targets of host API `api` (UrlTarget records; empty: none)."""
        return self.targets.get(api)

    def declared_surfaces(self) -> tuple[str, ...]:
        """Spec §1.2: `surfaces` plus every surface implied by a non-empty section."""
        declared = set(self.surfaces)
        for surface, present in (
            ("hook", self.hooks),
            ("tool", self.tools),
            ("service", self.services),
            ("ingress", self.ingresses),
            ("wasm", self.runtime),
        ):
            if present:
                declared.add(surface)
        return sort_surfaces(declared)

    def location(self, key: str) -> Location | None:
        return self.locations.get(key)


@dataclass(frozen=True)
class Package:
    """A materialized package: manifest + files + deterministic digest (spec §5.4).

    `files` maps normalized archive paths to bytes; `input_kind` is "directory" or "package"
    (a .yoi-plugin archive); `path` is the folder or archive it came from, as given.
    """

    source: str
    manifest: Manifest
    digest: str
    files: Mapping[str, bytes]
    path: str
    label: str
    input_kind: str = "package"

    @property
    def identity(self) -> str:
        return f"{self.source}:{self.manifest.id}"

    def cache_key_material(self) -> object:
        """Everything but the file bytes, which the digest stands for (spec §5.7: paths and file
        hashes): the verdict cache keys on this (engine/pipeline/inputs.py)."""
        return (self.source, self.digest, self.path, self.label, self.input_kind, self.manifest)

    @property
    def entries(self) -> tuple[str, ...]:
        return tuple(sorted(self.files))
