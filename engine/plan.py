"""The Plan model: the only thing the runtime accepts (DESIGN decision 2).

Kept apart from the code that makes plans (engine/report/plan.py) so that the runtime layer can
import it without pulling in the graph or the rule engine. Everything here is frozen; schemas are
canonical JSON text so they stay fixed for a run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from engine.api_registry import NO_TABLES, GrantTables, names, per_api_keywords


def freeze_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class RuntimeLimits:
    """Per-call limits (spec §6.13); an enablement's `limits` table may raise the first four up to
    HOST_MAXIMA. Every guest call (start, handle-tool, handle-ingress, status, stop, legacy calls)
    gets `fuel` and a `timeout_ms` wall-clock deadline of its own."""

    memory_bytes: int = 2 * 1024 * 1024
    table_elements: int = 256
    fuel: int = 5_000_000
    timeout_ms: int = 1000
    max_input_bytes: int = 65536
    max_output_bytes: int = 65536

    def raised(self, defaults: RuntimeLimits | None = None) -> dict[str, int]:
        """The limits above the defaults, by name: what a reviewer must see."""
        base = defaults or DEFAULT_LIMITS
        return {name: getattr(self, name) for name in RAISABLE_LIMITS if getattr(self, name) > getattr(base, name)}

    def to_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in (*RAISABLE_LIMITS, "max_input_bytes", "max_output_bytes")}


RAISABLE_LIMITS = ("fuel", "timeout_ms", "memory_bytes", "table_elements")
DEFAULT_LIMITS = RuntimeLimits()
HOST_MAXIMA = RuntimeLimits(memory_bytes=256 * 1024 * 1024, table_elements=65536, fuel=10**10, timeout_ms=30_000)


@dataclass(frozen=True)
class RestartPolicy:
    """How a failed instance is restarted: exponential backoff from `backoff_ms`, doubling up to
    `backoff_max_ms`, at most `max_restarts` times in a run (0 = never restart)."""

    max_restarts: int = 3
    backoff_ms: int = 100
    backoff_max_ms: int = 5000

    def to_dict(self) -> dict[str, int]:
        return {"max_restarts": self.max_restarts, "backoff_ms": self.backoff_ms, "backoff_max_ms": self.backoff_max_ms}


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
    API's entries (every API in the registry, engine/api_registry)."""

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
    config_json: str = "null"
    limits: RuntimeLimits = field(default_factory=RuntimeLimits)
    restart: RestartPolicy = field(default_factory=RestartPolicy)

    def allowlist(self, api: str) -> tuple:
        """The grant-table entries the runtime enforces for host API `api` (empty: none)."""
        return self.allowlists.get(api)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "source": self.source,
            "version": self.version,
            "digest": self.digest,
            **{f"{api}_allowlist": [g.to_dict() for g in self.allowlist(api)] for api in names()},
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
        }
