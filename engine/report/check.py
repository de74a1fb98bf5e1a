"""The `yoi plugin check` report (spec §4.2, extended), rendered from the RunVerdict, and the
pieces `pack` shares with it.

The shape is the reference's with ours added between its keys: `classification`, the
per-surface `inspection`, the rule `conclusions`, the `rules` that concluded them, the
whole-run findings, the limits and the plan (docs/reports.md). The status is the rules'
`gate_status`: in the gate view any deny rejects.
"""

from __future__ import annotations

import os
from typing import Any

from engine.package.model import Package
from engine.report.provenance import trust_json
from engine.report.shapes import (
    finding_dict,
    inspection_dict,
    limits_dict,
    location_dict,
    plan_dict,
    rules_of,
    targets_dict,
)
from engine.verdict.model import GATE_VIEW, Finding, Outcome, PackageInfo, PackageVerdict, RunVerdict

SAFETY = {
    "no_network": True,
    "no_plugin_execution": True,
    "no_enablement_config_mutation": True,
    "no_secrets_generated": True,
}
MATERIALIZE_NEXT_STEPS = ("Fix the reported package diagnostic and run `yoi plugin check` again.",)
PARTIAL_PROBLEM_STEP = "Fix the reported diagnostics before enabling this Plugin."


def package_report(package: Package | PackageInfo, package_path: str) -> dict[str, Any]:
    """PackageReport of spec §4.2 (also the `package` of the pack report)."""
    info = package if isinstance(package, PackageInfo) else PackageInfo.of(package)
    return {
        "reference": info.reference,
        "package": info.id,
        "source": info.source,
        "version": info.version,
        "schema_version": info.schema_version,
        "digest": info.digest,
        "package_path": package_path,
        "entries": list(info.entries),
        "surfaces": list(info.surfaces),
        "tools": list(info.tools),
        "permissions": list(info.permissions),
    }


def diagnostic_entry(finding: Finding) -> dict[str, Any]:
    """A finding in the check report's `diagnostics` list: the reference's `{kind, phase,
    message}` (message CLI-bounded, spec §4.6), then severity, code and location."""
    return {
        "kind": finding.kind,
        "phase": finding.phase,
        "message": finding.text,
        "severity": finding.severity,
        "code": finding.code,
        "location": location_dict(finding.location),
    }


def next_steps(status: str, reference: str) -> list[str]:
    if status == "active":
        return [
            "Package metadata is valid without executing Plugin code.",
            (
                f"To enable after review, add an explicit plugin enablement entry for `{reference}` "
                "with matching digest and grants."
            ),
            "Run `yoi plugin pack <path>` to create a deterministic .yoi-plugin archive.",
        ]
    if status == "partial":
        return [
            "Replace the generated placeholder component artifact with a real built component.",
            "Run `yoi plugin check <path>` again before enabling or execution.",
            "Do not enable this Plugin while check status is partial.",
        ]
    return ["Fix the reported diagnostics before enabling or packing this Plugin."]


def check_steps(package: PackageVerdict) -> list[str]:
    """The reference's next steps; `partial` names what actually makes the package partial (in
    the gate view a denial rejects, so it is the placeholder or a non-blocking input problem)."""
    if package.package is None:
        return list(MATERIALIZE_NEXT_STEPS)
    if not package.configured:
        return [f"The grants file has no enablement for `{package.ref}`; add one to judge it against real grants."]
    steps = next_steps(package.gate_status, package.ref)
    if package.gate_status != "partial" or any(f.kind == "placeholder" for f in package.conclusions):
        return steps
    return [PARTIAL_PROBLEM_STEP] + steps[1:]


def input_kind(path: str | os.PathLike[str]) -> str:
    return "directory" if os.path.isdir(path) else "package"


def check_report(
    verdict: RunVerdict,
    input_path: str | os.PathLike[str],
    fail_on: str = "deny",
    package: PackageVerdict | None = None,
) -> dict[str, Any]:
    """`yoi plugin check` over the single package of `verdict` (or over `package`, one of a
    workspace's, for `yoi hook workspace-check`), in the gate view."""
    if package is None:
        (package,) = verdict.packages
    diagnostics = [diagnostic_entry(f) for f in package.diagnostics]
    diagnostics += [diagnostic_entry(f) for f in package.conclusions if f.is_reported]
    diagnostics += [
        {**diagnostic_entry(f), "target": target.target}
        for target in package.targets
        for f in target.findings
        if f.is_reported
    ]
    denials = sum(1 for f in package.conclusions if f.severity == "deny")
    return {
        "command": "check",
        "status": package.gate_status,
        "verdict_view": GATE_VIEW,
        "fail_on": fail_on,
        "input_path": str(input_path),
        "input_kind": input_kind(input_path),
        "package": package_report(package.package, str(input_path)) if package.package else None,
        "classification": package.classification,
        "diagnostics": diagnostics,
        "static_inspection": None
        if package.runtime is None
        else {"status": "rejected" if denials else "active", "diagnostics": denials},
        "inspection": inspection_dict(package, with_tools=True),
        "conclusions": [finding_dict(f) for f in package.conclusions],
        "targets": targets_dict(package, GATE_VIEW),
        "run_findings": [finding_dict(f) for f in verdict.run_findings],
        "rules": rules_of(verdict, [package]),
        "limits": limits_dict(package.limits),
        "plan": plan_dict(package),
        "grants": "assumed" if package.grants_assumed else "configured",
        "assumed_grant_rules": list(verdict.assumed_grant_rules if package.grants_assumed else ()),
        **trust_json(package.trust),
        "safety": dict(SAFETY),
        "next_steps": check_steps(package),
    }


def assumed_grants_note(rules: tuple[str, ...]) -> str | None:
    """The one line that says org rules reading grant facts were judged against the package's own
    requests (`check` without `--grants`), or None."""
    if not rules:
        return None
    names = ", ".join(f"`{code}`" for code in rules)
    return (
        f"org rule(s) {names} read grant facts; without --grants they were judged against the "
        "permissions the package requests, not what an enablement grants (pass --grants FILE to judge real grants)"
    )


def check_failure(verdict: RunVerdict, fail_on: str, sarif: bool = False) -> tuple[Outcome, str]:
    """The verdict's outcome of a check run and the line that says why it failed ("" when it
    passes). A SARIF log is for code scanning: nothing is "above" for a reader of the terminal."""
    outcome = verdict.outcome(GATE_VIEW, fail_on)
    if not outcome.failed:
        return outcome, ""
    package = verdict.packages[0]
    status = package.gate_status
    if status == "rejected":
        rejecting = [t.target for t in package.targets if t.gate_status == "rejected"]
        which = f" for {', '.join(rejecting)}" if len(package.targets) > 1 and rejecting else ""
        where = f"plugin check failed: status rejected{which}; see the SARIF results" if sarif else None
        return outcome, where or f"plugin check failed{which}; see diagnostics above"
    if status == "disabled":
        return outcome, "plugin check failed: the grants file does not enable this package"
    return outcome, "plugin check failed: " + "; ".join(outcome.reasons)
