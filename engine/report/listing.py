"""`yoi plugin list` and `show` as JSON (spec §4.3 item shape, extended), rendered from the
RunVerdict: the reference's item keys in their order, then ours (docs/reports.md).

Each finding is said once, in its item's `conclusions`; `tools`, `static_runtime` and the
inspection's services, ingresses and host APIs refer to it by index (`findings`), and
`diagnostics` holds the input problems (discovery, loading, resolution) only.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from engine.diagnostics import bound_text
from engine.report.provenance import trust_json
from engine.report.shapes import (
    finding_dict,
    inspection_dict,
    item_dict,
    limits_dict,
    plan_dict,
    rules_dict,
    rules_of,
    targets_dict,
)
from engine.verdict.model import PER_SURFACE_VIEW, ItemVerdict, PackageVerdict, RunVerdict

NOT_ENABLED = "plugin is discovered but not enabled"  # spec §4.3 step 1


def tool_entries(package: PackageVerdict) -> tuple[ItemVerdict, ...]:
    """The tools a list/show item shows: for a resolved package the inspection's (those of an
    enabled tool surface); for any other the manifest's, none granted or eligible (spec §4.3
    step 1)."""
    tools = package.surface_items("tool")
    if package.resolved:
        return tuple(item for item in tools if item.enabled)
    return tuple(replace(item, granted=False, eligible=False, diagnostic=NOT_ENABLED, findings=()) for item in tools)


def list_item(package: PackageVerdict) -> dict[str, Any]:
    """One list/show item: spec §4.3 field order, then ours."""
    plan = package.plan
    return {
        "reference": package.ref,
        "local_ref": package.local_ref,
        "status": package.status,
        "source": package.source,
        "package": package.label,
        "package_path": package.package_path,
        "version": package.version,
        "schema_version": package.schema_version,
        "api_version": package.schema_version,
        "digest": package.digest,
        "configured": package.configured,
        "discovered": package.discovered,
        "resolved": package.resolved,
        "static_eligible": package.static_eligible,
        "declared_surfaces": list(package.declared_surfaces),
        "enabled_surfaces": list(package.enabled_surfaces),
        "requested_permissions": list(package.requested_permissions),
        "configured_grants": list(package.configured_grants),
        **{f"configured_{api}_grants": list(labels) for api, labels in package.configured_api_grants},
        "tools": [item_dict(item) for item in tool_entries(package)],
        "static_runtime": inspection_dict(package, with_tools=False) if package.resolved else None,
        "diagnostics": sorted(
            ({"kind": d.kind, "message": bound_text(d.message)} for d in package.diagnostics),
            key=lambda d: (d["kind"], d["message"]),
        ),
        "classification": package.classification,
        "conclusions": [finding_dict(f) for f in package.conclusions],
        "limits": limits_dict(package.limits),
        # Planned services come from the plan (static); their live state is in `serve`'s status.
        "planned_services": [
            {"name": s.name, "lifecycle": s.lifecycle, "description": s.description}
            for s in (plan.services if plan else ())
        ],
        "plan": plan_dict(package),
        **trust_json(package.trust),
        "targets": targets_dict(package, PER_SURFACE_VIEW),
    }


def list_report(verdict: RunVerdict, workspace: str, fail_on: str | None = None) -> dict[str, Any]:
    """`yoi plugin list`, per-surface view (the statuses startup uses), with the findings of the
    whole run and the catalog of the rules that concluded anything."""
    return {
        "workspace": workspace,
        "verdict_view": PER_SURFACE_VIEW,
        "fail_on": fail_on,
        "target_profiles": list(verdict.targets),
        "items": [list_item(p) for p in verdict.packages],
        "run_findings": [finding_dict(f) for f in verdict.run_findings],
        "rules": rules_dict(verdict.rules),
    }


def show_report(verdict: RunVerdict, package: PackageVerdict) -> dict[str, Any]:
    """`yoi plugin show REF`: the list item, the run's findings and the rules of both."""
    return {
        **list_item(package),
        "run_findings": [finding_dict(f) for f in verdict.run_findings],
        "rules": rules_of(verdict, [package]),
    }
