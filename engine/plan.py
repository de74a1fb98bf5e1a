"""The Plan model: the only thing the runtime accepts (DESIGN decision 2).

Kept apart from the code that makes plans (engine/verdict/plans.py) so that the runtime layer can
import it without pulling in the graph or the rule engine. Everything here is frozen; schemas are
canonical JSON text so they stay fixed for a run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from engine.api_registry import NO_TABLES, GrantTables, manifest_tables, names, per_api_keywords
from engine.limits import DEFAULT_LIMITS, HOST_MAXIMA, RAISABLE_LIMITS, RestartPolicy, RuntimeLimits

# The limit types live in engine.limits (below grants and plan); the runtime and docs name them
# through engine.plan, a Plan's `limits` and `restart` fields being of these types.
__all__ = [
    "DEFAULT_LIMITS",
    "HOST_MAXIMA",
    "RAISABLE_LIMITS",
    "Plan",
    "PlannedIngress",
    "PlannedService",
    "PlannedTool",
    "RestartPolicy",
    "RuntimeLimits",
    "freeze_json",
]


def freeze_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


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


@per_api_keywords("allowlists", "_allowlist")
@dataclass(frozen=True)
class Plan:
    """Everything the runtime may do for one package. `allowlists` holds the grant-table entries
    of each authorized host API; `plan.https_allowlist` / `Plan(https_allowlist=...)` spell one
    API's entries (every API in the registry, engine/api_registry). `manifest_targets` holds the
    manifest's declared targets of each authorized API that has them (`request`, `websocket`):
    a call is allowed only where a target and an allowlist entry both allow it."""

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
    allowlists: GrantTables = NO_TABLES
    manifest_targets: GrantTables = NO_TABLES
    config_json: str = "null"
    limits: RuntimeLimits = field(default_factory=RuntimeLimits)
    restart: RestartPolicy = field(default_factory=RestartPolicy)
    # The rules' `current_format`: the instance runs as yoi b12e0785 runs it (docs/host.md).
    current_format: bool = False
    # The rules' `performs_host_request_dispatch`: such output commands are performed, not only checked.
    host_request_dispatch: bool = False

    # (surface, name, reason) of each declared item of an enabled surface the rules denied: the
    # runtime answers a call to it with `plugin permission denied: <reason>` (spec §6.5)
    denied: tuple[tuple[str, str, str], ...] = ()

    def denial(self, surface: str, name: str) -> str | None:
        """Why the rules denied item `name` of `surface`, if they did."""
        return next((reason for s, n, reason in self.denied if (s, n) == (surface, name)), None)

    def allowlist(self, api: str) -> tuple:
        """The grant-table entries the runtime enforces for host API `api` (empty: none)."""
        return self.allowlists.get(api)

    def targets(self, api: str) -> tuple:
        """The manifest's declared targets the runtime matches calls of `api` against (empty: none)."""
        return self.manifest_targets.get(api)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "source": self.source,
            "version": self.version,
            "digest": self.digest,
            **{f"{api}_allowlist": [g.to_dict() for g in self.allowlist(api)] for api in names()},
            **{f"{api.name}_targets": [t.to_dict() for t in self.targets(api.name)] for api in manifest_tables()},
            "classification": self.classification,
            "runtime_kind": self.runtime_kind,
            "abi_or_world": self.abi_or_world,
            "artifact_path": self.artifact_path,
            "artifact_sha256": self.artifact_sha256,
            "enabled_surfaces": list(self.enabled_surfaces),
            "authorized_surfaces": list(self.authorized_surfaces),
            "tools": [t.name for t in self.tools],
            "services": [s.name for s in self.services],
            "ingresses": [i.name for i in self.ingresses],
            "host_apis": list(self.host_apis),
            "limits": self.limits.to_dict(),
            "raised_limits": self.limits.raised(),
            "restart": self.restart.to_dict(),
            "current_format": self.current_format,
            "host_request_dispatch": self.host_request_dispatch,
        }
