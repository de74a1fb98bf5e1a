"""Immutable plans: the only thing the runtime accepts (DESIGN decision 2).

A plan is made only for packages the rules call `plannable`, and it carries only what the rules
found eligible: tools, services and ingresses one by one, host APIs with their allowlists.
Schemas are frozen as canonical JSON text so that they stay fixed for a run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from engine.package.model import sort_surfaces


def _freeze_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class RuntimeLimits:
    """Per-call limits (spec §6.13)."""

    memory_bytes: int = 2 * 1024 * 1024
    table_elements: int = 256
    fuel: int = 5_000_000
    tool_timeout_ms: int = 1000
    max_input_bytes: int = 65536
    max_output_bytes: int = 65536


@dataclass(frozen=True)
class PlannedTool:
    name: str
    description: str
    input_schema_json: str
    external_write: bool

    @property
    def input_schema(self) -> Any:
        return json.loads(self.input_schema_json)


@dataclass(frozen=True)
class PlannedService:
    name: str
    description: str
    lifecycle: str


@dataclass(frozen=True)
class PlannedIngress:
    name: str
    description: str
    event_kinds: tuple[str, ...]
    sources: tuple[str, ...]
    input_schema_json: str | None


@dataclass(frozen=True)
class Plan:
    ref: str
    source: str
    version: str
    digest: str
    package_path: str
    classification: str
    runtime_kind: str
    abi_or_world: str
    artifact_path: str
    artifact_sha256: str
    enabled_surfaces: tuple[str, ...]
    authorized_surfaces: tuple[str, ...]
    tools: tuple[PlannedTool, ...]
    services: tuple[PlannedService, ...]
    ingresses: tuple[PlannedIngress, ...]
    host_apis: tuple[str, ...]
    https_allowlist: tuple = ()
    fs_allowlist: tuple = ()
    config_json: str = "null"
    limits: RuntimeLimits = field(default_factory=RuntimeLimits)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref, "source": self.source, "version": self.version, "digest": self.digest,
            "classification": self.classification, "runtime_kind": self.runtime_kind,
            "abi_or_world": self.abi_or_world, "artifact_path": self.artifact_path,
            "artifact_sha256": self.artifact_sha256, "enabled_surfaces": list(self.enabled_surfaces),
            "authorized_surfaces": list(self.authorized_surfaces),
            "tools": [t.name for t in self.tools], "services": [s.name for s in self.services],
            "ingresses": [i.name for i in self.ingresses], "host_apis": list(self.host_apis),
        }


def make_plans(evaluation) -> tuple[Plan, ...]:
    """One plan per package the rules call plannable, in ref order."""
    return tuple(plan for (ref,) in evaluation.rows("plannable") if (plan := plan_for(evaluation, ref)) is not None)


def plan_for(evaluation, ref: str) -> Plan | None:
    """The plan for `ref`, or None when the rules do not approve anything of it."""
    if not evaluation.holds("plannable", ref):
        return None
    return _plan_for(evaluation, ref)


def _plan_for(evaluation, ref: str) -> Plan | None:
    subject = evaluation.subject(ref)
    if subject is None or subject.package is None or subject.package.manifest.runtime is None:
        return None
    package, manifest = subject.package, subject.package.manifest
    runtime = manifest.runtime
    artifact = package.files.get(runtime.artifact_path or "", b"")
    eligible = {(s, n) for (_, s, n) in evaluation.rows("eligible", ref)}
    tools = tuple(
        PlannedTool(t.name, t.description, _freeze_json(t.input_schema), t.external_write)
        for t in manifest.tools if ("tool", t.name) in eligible
    )
    services = tuple(
        PlannedService(s.name, s.description, s.lifecycle) for s in manifest.services if ("service", s.name) in eligible
    )
    ingresses = tuple(
        PlannedIngress(i.name, i.description, tuple(i.event_kinds), tuple(i.sources),
                       None if i.input_schema is None else _freeze_json(i.input_schema))
        for i in manifest.ingresses if ("ingress", i.name) in eligible
    )
    host_apis = tuple(api for (_, api) in evaluation.rows("host_api_eligible", ref))
    grants = subject.grants
    return Plan(
        ref=ref, source=package.source, version=manifest.version, digest=package.digest,
        package_path=str(package.path), classification=evaluation.value("classification", ref, ""),
        runtime_kind=runtime.kind, abi_or_world=(runtime.abi if runtime.kind == "wasm" else runtime.world) or "",
        artifact_path=runtime.artifact_path or "", artifact_sha256=hashlib.sha256(artifact).hexdigest(),
        enabled_surfaces=tuple(subject.enabled_surfaces),
        authorized_surfaces=sort_surfaces(s for (s, _) in eligible),
        tools=tools, services=services, ingresses=ingresses, host_apis=host_apis,
        https_allowlist=tuple(grants.https) if grants and "https" in host_apis else (),
        fs_allowlist=tuple(grants.fs) if grants and "fs" in host_apis else (),
        config_json=_freeze_json(subject.config),
    )
