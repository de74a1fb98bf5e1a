"""Model-visible tools (issue 9 item 5, spec §6.2): only from plans, fixed for the run."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from engine.plan import Plan

PACKAGE_API_VERSION = 1  # manifest schema_version: the only one accepted (spec §1.2)


@dataclass(frozen=True)
class ToolDescriptor:
    name: str
    description: str
    input_schema_json: str
    origin_json: str
    plugin_ref: str

    @property
    def input_schema(self) -> Any:
        return json.loads(self.input_schema_json)

    @property
    def origin(self) -> dict[str, Any]:
        return json.loads(self.origin_json)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "input_schema": self.input_schema,
            "origin": self.origin,
            "plugin_ref": self.plugin_ref,
        }


def origin_of(plan: Plan) -> dict[str, Any]:
    """Spec §6.2 tool origin metadata."""
    return {
        "kind": "plugin",
        "plugin_id": plan.ref.split(":", 1)[-1],
        "plugin_ref": plan.ref,
        "source": plan.source,
        "digest": plan.digest,
        "package_version": plan.version,
        "package_api_version": PACKAGE_API_VERSION,
        "surface": "tool",
    }


def descriptors(plans: tuple[Plan, ...]) -> tuple[ToolDescriptor, ...]:
    """Every tool a plan approves, in plan order; schemas stay the plan's frozen JSON text."""
    out: list[ToolDescriptor] = []
    for plan in plans:
        if "tool" not in plan.authorized_surfaces:
            continue
        origin = json.dumps(origin_of(plan), sort_keys=True)
        out.extend(ToolDescriptor(t.name, t.description, t.input_schema_json, origin, plan.ref) for t in plan.tools)
    return tuple(out)
