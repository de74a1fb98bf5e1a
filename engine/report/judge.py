"""Rule-based reports: the `check` report and list/show items, built from one Evaluation.

The shapes are the reference's (spec §4.2, §4.3) extended with `classification`,
per-surface eligibility, ABI findings and the rule `conclusions`. Status comes from the
`status` the rules derive; this module only renders.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine import api_registry
from engine.diagnostics import bound_text
from engine.errors import UnknownReference
from engine.grants.refs import try_parse_ref
from engine.report.check import MATERIALIZE_NEXT_STEPS, SAFETY, diagnostic_entry, input_kind, next_steps, package_report
from engine.report.plan import plan_for
from engine.report.provenance import trust_json
from engine.report.verdict import GATE_VIEW, PER_SURFACE_VIEW, run_findings
from engine.report.views import conclusion_dict, inspection, limits_view

# Conclusion code prefix -> diagnostic kind in the reference's vocabulary.
_KIND_BY_PREFIX = (
    ("binding_", "grant"),
    ("surface_not_", "grant"),
    ("item_not_", "grant"),
    ("external_write_", "grant"),
    ("host_api_", "grant"),
    ("tool_invalid_", "malformed"),
    ("tool_duplicate", "malformed"),
    ("item_invalid_", "malformed"),
    ("service_requires", "surface"),
    ("ingress_requires", "surface"),
    ("artifact_is_placeholder", "placeholder"),
    ("artifact_over_reference_limit", "limits"),
    ("package_file_over_reference_limit", "limits"),
    ("package_over_reference_limit", "limits"),
    ("component_", "abi"),
    ("raw_", "abi"),
    ("artifact_", "abi"),
    ("core_", "abi"),
    ("host_import_", "abi"),
    ("runtime_", "malformed"),
    ("tool_name_collision", "duplicate"),
    ("limit_", "limits"),
)


def conclusion_kind(code: str) -> str:
    return next((kind for prefix, kind in _KIND_BY_PREFIX if code.startswith(prefix)), "policy")


def conclusion_diagnostic(conclusion: dict[str, Any]) -> dict[str, Any]:
    """A conclusion in the report's diagnostic form: reference fields first, then ours."""
    return {
        "kind": conclusion_kind(conclusion["code"]),
        "phase": "rules",
        "message": conclusion["message"],
        "severity": conclusion["severity"],
        "code": conclusion["code"],
        "location": conclusion["location"],
    }


def package_conclusions(evaluation, ref: str) -> list[dict[str, Any]]:
    subject = evaluation.subject(ref)
    package = subject.package if subject else None
    return [conclusion_dict(c, package, subject) for c in evaluation.conclusions(ref)]


def check_path(
    path: str | Path, grants_file: Path | None = None, policy_dirs: Sequence[str | Path] = (), fail_on: str = "deny"
) -> dict[str, Any]:
    """The whole `yoi plugin check` pipeline for one folder or archive: package, grants
    (`grants_file`, else assumed from the package's requests), graph, rules, report."""
    from engine.grants.config import load_config
    from engine.report.evaluate import evaluate
    from engine.report.subjects import check_subject

    config = load_config(grants_file) if grants_file is not None else None
    evaluation = evaluate([check_subject(path, config)], policy_dirs=policy_dirs)
    return check_report(evaluation, path, fail_on)


def check_report(evaluation, input_path: str | Path, fail_on: str = "deny", subject=None) -> dict[str, Any]:
    """`yoi plugin check` over the single subject of `evaluation` (or over `subject`, one of a
    workspace's, for `yoi hook workspace-check`), in the gate view: the status is the rules'
    `gate_status`, so any deny rejects."""
    subject = subject if subject is not None else evaluation.subjects[0]
    ref = subject.ref
    status = evaluation.value("gate_status", ref, "rejected")
    conclusions = package_conclusions(evaluation, ref)
    # A grant binding problem is found by resolution and again by the rules (same message):
    # report it once, in the rule's form, which knows where the enablement is written.
    concluded = {c["message"] for c in conclusions if c["severity"] == "deny"}
    input_diagnostics = [
        entry for entry in map(diagnostic_entry, subject.diagnostics) if entry["message"] not in concluded
    ]
    rule_diagnostics = [conclusion_diagnostic(c) for c in conclusions if c["severity"] in ("deny", "warn")]
    if subject.package is None:
        steps = list(MATERIALIZE_NEXT_STEPS)
    elif not subject.configured:
        steps = [f"The grants file has no enablement for `{ref}`; add one to judge it against real grants."]
    else:
        steps = _steps(status, ref, conclusions)
    inspected = inspection(evaluation, ref)
    denials = sum(1 for c in conclusions if c["severity"] == "deny")
    return {
        "command": "check",
        "status": status,
        "verdict_view": GATE_VIEW,
        "fail_on": fail_on,
        "input_path": str(input_path),
        "input_kind": input_kind(input_path),
        "package": package_report(subject.package, str(input_path)) if subject.package else None,
        "classification": evaluation.value("classification", ref),
        "diagnostics": input_diagnostics + rule_diagnostics,
        "static_inspection": None
        if inspected is None
        else {
            "status": "rejected" if denials else "active",
            "diagnostics": denials,
        },
        "inspection": inspected,
        "conclusions": conclusions,
        "run_findings": run_findings(evaluation),
        "limits": limits_view(evaluation, ref),
        "plan": _plan_dict(plan_for(evaluation, ref)),
        "grants": "assumed" if subject.grants_assumed else "configured",
        **trust_json(subject.trust),
        "safety": dict(SAFETY),
        "next_steps": steps,
    }


PARTIAL_PROBLEM_STEP = "Fix the reported diagnostics before enabling this Plugin."


def _steps(status: str, ref: str, conclusions: list[dict[str, Any]]) -> list[str]:
    """The reference's next steps; `partial` names what actually makes the package partial (in
    the gate view a denial rejects, so it is the placeholder or a non-blocking input problem)."""
    steps = next_steps(status, ref)
    if status != "partial":
        return steps
    if any(c["code"] == "artifact_is_placeholder" for c in conclusions):
        return steps
    return [PARTIAL_PROBLEM_STEP] + steps[1:]


def list_item(evaluation, subject) -> dict[str, Any]:
    """One list/show item (spec §4.3 field order), extended."""
    ref = subject.ref
    package = subject.package
    manifest = package.manifest if package else None
    parsed = try_parse_ref(ref)
    local_ref = parsed.local_id if parsed else None
    grants = subject.grants
    plan = plan_for(evaluation, ref)
    inspected = inspection(evaluation, ref) if subject.resolved else None
    diagnostics = [{"kind": d.kind, "message": bound_text(d.message)} for d in subject.diagnostics]
    conclusions = package_conclusions(evaluation, ref)
    if inspected is not None:
        diagnostics += [
            {"kind": "static_eligibility", "message": c["message"]} for c in conclusions if c["severity"] == "deny"
        ]
    diagnostics.sort(key=lambda d: (d["kind"], d["message"]))
    requested = manifest.permissions if manifest else ()
    tools = (
        inspected["tools"]
        if inspected
        else [
            {
                "name": t.name,
                "permission": f"tool.{t.name}",
                "requested": any(p.kind == "tool" and p.value == t.name for p in requested),
                "granted": False,
                "eligible": False,
                "external_write": t.external_write,
                "diagnostic": "plugin is discovered but not enabled",
            }
            for t in (manifest.tools if manifest else ())
        ]
    )
    return {
        "reference": ref,
        "local_ref": local_ref,
        "status": evaluation.value("status", ref, "rejected"),
        "source": subject.source,
        "package": (
            Path(package.path).name if package else Path(subject.package_path).name if subject.package_path else None
        ),
        "package_path": subject.package_path,
        "version": manifest.version if manifest else None,
        "schema_version": manifest.schema_version if manifest else None,
        "api_version": manifest.schema_version if manifest else None,
        "digest": package.digest if package else None,
        "configured": subject.configured,
        "discovered": subject.discovered,
        "resolved": subject.resolved,
        "static_eligible": evaluation.holds("static_eligible", ref),
        "declared_surfaces": sorted(set(manifest.surfaces)) if manifest else [],
        "enabled_surfaces": list(subject.enabled_surfaces),
        "requested_permissions": sorted({p.label for p in manifest.permissions}) if manifest else [],
        "configured_grants": sorted({p.label for p in grants.permissions}) if grants else [],
        **{
            f"configured_{api}_grants": sorted({g.label for g in grants.table(api)}) if grants else []
            for api in api_registry.names()
        },
        "tools": tools,
        "static_runtime": inspected,
        "diagnostics": diagnostics,
        "classification": evaluation.value("classification", ref),
        "conclusions": conclusions,
        "limits": limits_view(evaluation, ref),
        # Planned services come from the plan (static); their live state is in `serve`'s status.
        "planned_services": [
            {"name": s.name, "lifecycle": s.lifecycle, "description": s.description}
            for s in (plan.services if plan else ())
        ],
        "plan": _plan_dict(plan),
    }


def list_report(evaluation, workspace: str, fail_on: str | None = None) -> dict[str, Any]:
    """`yoi plugin list` in the per-surface view (the statuses startup uses), plus the findings
    of the whole run."""
    return {
        "workspace": workspace,
        "verdict_view": PER_SURFACE_VIEW,
        "fail_on": fail_on,
        "items": [list_item(evaluation, s) for s in evaluation.subjects],
        "run_findings": run_findings(evaluation),
    }


def select_item(items: Sequence[dict[str, Any]], ref: str) -> dict[str, Any]:
    """`show REF`: exact reference first, else a unique local_ref (spec §4.3); UnknownReference
    (a LookupError) otherwise."""
    exact = [item for item in items if item["reference"] == ref]
    if exact:
        return exact[0]
    local = [item for item in items if item["local_ref"] == ref]
    if len(local) == 1:
        return local[0]
    if not local:
        raise UnknownReference(f"plugin package `{bound_text(ref)}` was not found")
    raise UnknownReference(f"plugin package reference `{bound_text(ref)}` is ambiguous; use a source-qualified ref")


def _plan_dict(plan) -> dict[str, Any] | None:
    """What the runtime would be allowed to start (DESIGN decision 2), if anything."""
    return plan.to_dict() if plan else None
