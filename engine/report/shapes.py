"""The JSON pieces every report shares (docs/reports.md documents them; tests check them).

Each thing is said once: a finding is one record in its package's `conclusions` (or in the
run's `run_findings`); items refer to their findings by index (`findings`); what a rule means
and where it is written is in the report's `rules` object, once per code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.diagnostics import Location
from engine.verdict.model import (
    GATE_VIEW,
    Finding,
    ItemVerdict,
    LimitsVerdict,
    PackageVerdict,
    RuleInfo,
    RuntimeVerdict,
    RunVerdict,
)


def location_dict(location: Location | None) -> dict[str, Any] | None:
    """`{file, line, column}` of a position in a file (`plugin.toml` is package-relative), or
    None when the file is not known."""
    if location is None or not location.file:
        return None
    return {"file": str(location.file), "line": location.line, "column": location.column}


def finding_dict(finding: Finding) -> dict[str, Any]:
    """A conclusion (or whole-run finding): its rule's name, arguments, message and location."""
    return {
        "severity": finding.severity,
        "code": finding.code,
        "message": finding.text,
        "args": list(finding.args),
        "location": location_dict(finding.location),
    }


def rules_dict(rules: Iterable[RuleInfo]) -> dict[str, Any]:
    """Per code concluded in the report: what its rule declares and where it is written."""
    return {
        rule.code: {
            "severity": rule.severity,
            "kind": rule.kind,
            "about": rule.about,
            "origin": rule.origin,
            "declared": rule.declared,
            "locations": [location_dict(location) for location in rule.locations],
        }
        for rule in rules
    }


def targets_dict(package: PackageVerdict, view: str) -> dict[str, Any]:
    """Per target judged for, in the run's order: the package's status for it in `view`,
    whether the target raises no denial of its own, and the target's findings (docs/targets.md)."""
    return {
        target.target: {
            "status": target.gate_status if view == GATE_VIEW else target.status,
            "compatible": target.compatible,
            "findings": [finding_dict(f) for f in target.findings],
        }
        for target in package.targets
    }


def package_codes(package: PackageVerdict) -> set[str]:
    """The conclusion codes of a package's findings, its targets' included."""
    return {f.code for f in package.conclusions} | {f.code for t in package.targets for f in t.findings}


def rules_of(verdict: RunVerdict, packages: Iterable[PackageVerdict], with_run: bool = True) -> dict[str, Any]:
    """The rules catalog of the codes `packages` use (and the run's findings, `with_run`)."""
    codes = {code for p in packages for code in package_codes(p)}
    if with_run:
        codes |= {f.code for f in verdict.run_findings}
    return rules_dict(rule for rule in verdict.rules if rule.code in codes)


def item_dict(item: ItemVerdict) -> dict[str, Any]:
    """A tool, service or ingress (spec §4.1 fields but `permission`, which is `surface.name`),
    with the indexes of the findings about it in its package's `conclusions`."""
    entry: dict[str, Any] = {
        "name": item.name,
        "requested": item.requested,
        "granted": item.granted,
        "eligible": item.eligible,
    }
    if item.surface == "tool":
        entry["external_write"] = bool(item.external_write)
    entry["diagnostic"] = item.diagnostic
    entry["findings"] = list(item.findings)
    return entry


def host_api_dict(item: ItemVerdict) -> dict[str, Any]:
    return {
        "permission": item.permission,
        "requested": item.requested,
        "granted": item.granted,
        "eligible": item.eligible,
        "diagnostic": item.diagnostic,
        "note": item.note,
        "findings": list(item.findings),
    }


def runtime_dict(runtime: RuntimeVerdict) -> dict[str, Any]:
    return {
        "eligible": runtime.eligible,
        "status": runtime.status,
        "classification": runtime.classification,
        "diagnostic": runtime.diagnostic,
        "findings": list(runtime.findings),
    }


def inspection_dict(package: PackageVerdict, *, with_tools: bool) -> dict[str, Any] | None:
    """The static inspection object of spec §4.1, extended; its items are those of the enabled
    surfaces. A list item carries the tools at its top level, so its inspection leaves them out
    (`with_tools=False`). `abi` lists the indexes of the ABI findings."""
    if package.runtime is None:
        return None
    out: dict[str, Any] = {
        "classification": package.classification,
        "runtime": runtime_dict(package.runtime),
        "host_apis": [host_api_dict(item) for item in package.surface_items("host_api")],
    }
    if with_tools:
        out["tools"] = [item_dict(i) for i in package.surface_items("tool") if i.enabled]
    out["services"] = [item_dict(i) for i in package.surface_items("service") if i.enabled]
    out["ingresses"] = [item_dict(i) for i in package.surface_items("ingress") if i.enabled]
    out["abi"] = [i for i, f in enumerate(package.conclusions) if f.kind == "abi"]
    return out


def limits_dict(limits: LimitsVerdict | None) -> dict[str, Any] | None:
    """Effective limits and restart policy (what a plan carries) and the raised and capped ones."""
    if limits is None:
        return None
    return {
        "effective": dict(limits.effective),
        "raised": dict(limits.raised),
        "capped": {name: {"requested": requested, "maximum": maximum} for name, requested, maximum in limits.capped},
        "restart": dict(limits.restart),
    }


def plan_dict(package: PackageVerdict) -> dict[str, Any] | None:
    """What the runtime would be allowed to start (DESIGN decision 2), if anything."""
    return package.plan.to_dict() if package.plan else None
