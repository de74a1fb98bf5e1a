"""Human-readable renderings of report dicts (the JSON shape is the source of truth).

Line formats follow spec §4.2 exactly, so that people and scripts reading the reference's
output read ours the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine import api_registry
from engine.diagnostics import bound_text, human_lines
from engine.report.provenance import trust_lines
from engine.report.views import limits_line

CHECK_GUIDANCE = {
    "partial": "enablement guidance: not ready to enable; replace the generated placeholder component "
    "and rerun check; this command does not mutate config",
    "rejected": "enablement guidance: not ready to enable; fix diagnostics first; this command does not mutate config",
    "disabled": "enablement guidance: the grants file does not enable this package; add an enablement for "
    "its reference to judge it; this command does not mutate config",
}
GATE_MEANING = "any deny rejects"
PER_SURFACE_MEANING = "good surfaces start; `yoi plugin check` is the gate"
CHECK_SAFETY = "safety: no Plugin execution; no enablement config mutation; no secrets generated"


def join_or_none(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "(none)"


def allowlist_lines(plan: dict[str, Any] | None, indent: str = "") -> list[str]:
    """One line per host-API allowlist entry a plan carries, as its grant label (spec §3.1)."""
    if not plan:
        return []
    return [
        f"{indent}{api.name}_allowlist: {bound_text(api.grant.from_dict(entry).label)}"
        for api in api_registry.HOST_APIS
        for entry in plan.get(f"{api.name}_allowlist", ())
    ]


def render_check(report: dict[str, Any]) -> str:
    """The `yoi plugin check` report as text lines (ending with a newline)."""
    lines = [f"plugin check: {report['input_path']} [{report['status']}] input_kind={report['input_kind']}"]
    package = report["package"]
    if package is not None:
        lines.append(
            f"package: {package['reference']} version={package['version']} digest={package['digest']} "
            f"entries={len(package['entries'])} source={package['source']} "
            f"surfaces={join_or_none(package['surfaces'])} tools={len(package['tools'])}"
        )
        lines.append(_guidance(report, package))
    lines.extend(_inspection_lines(report))
    lines.extend(trust_lines(report.get("signatures"), report.get("provenance")))
    lines.extend(allowlist_lines(report.get("plan")))
    raised = limits_line(report.get("limits"))
    if raised:
        lines.append(f"raised limits: {raised}")
    if report["diagnostics"]:
        lines.append("diagnostics:")
        lines.extend(_diagnostic_line(d) for d in report["diagnostics"])
    else:
        lines.append("diagnostics: none")
    notes = [c for c in report.get("conclusions", ()) if c["severity"] == "info"]
    lines.extend(f"note: {c['message']}" for c in notes)
    lines.extend(run_finding_lines(report.get("run_findings", ())))
    lines.append(verdict_line(report))
    lines.append(CHECK_SAFETY)
    lines.append("next steps:")
    lines.extend(f"  - {step}" for step in report["next_steps"])
    return human_lines(lines)


def verdict_line(report: dict[str, Any]) -> str:
    """Which view the statuses use and what fails the run, so a reader of either report knows."""
    view = report.get("verdict_view")
    meaning = GATE_MEANING if view == "gate" else PER_SURFACE_MEANING
    return f"verdict: view={view} ({meaning}) fail_on={report.get('fail_on') or 'none'}"


def run_finding_lines(findings: Sequence[dict[str, Any]]) -> list[str]:
    """Conclusions no package owns (zero arity, or not about a package ref), with their rule."""
    if not findings:
        return []
    lines = ["whole-run findings:"]
    for finding in findings:
        rule = finding.get("rule")
        where = f" rule={rule['file']}:{rule['line']}" if rule and rule.get("file") else ""
        lines.append(f"  - severity={finding['severity']} code={finding['code']}{where} message={finding['message']}")
    return lines


def _guidance(report: dict[str, Any], package: dict[str, Any]) -> str:
    status = report["status"]
    if status in CHECK_GUIDANCE:
        return CHECK_GUIDANCE[status]
    return (
        f"enablement guidance: pin reference `{package['reference']}` and digest "
        f"`{package['digest']}` explicitly; this command does not mutate config"
    )


def _diagnostic_line(diagnostic: dict[str, Any]) -> str:
    severity = diagnostic.get("severity")
    marker = f" severity={severity}" if severity and severity != "deny" else ""
    location = diagnostic.get("location")
    where = f" at={location['file']}:{location['line']}" if location and location.get("line") else ""
    return f"  - kind={diagnostic['kind']} phase={diagnostic['phase']}{marker}{where} message={diagnostic['message']}"


def _inspection_lines(report: dict[str, Any]) -> list[str]:
    """Classification and per-surface eligibility, when the rules judged the package."""
    inspection = report.get("inspection")
    if not inspection:
        return []
    runtime = inspection["runtime"]
    lines = [
        (
            f"classification: {inspection['classification']} runtime={runtime['status']} "
            f"eligible={str(runtime['eligible']).lower()} grants={report.get('grants', 'assumed')}"
        )
    ]
    for title, key in (
        ("tools", "tools"),
        ("services", "services"),
        ("ingresses", "ingresses"),
        ("host APIs", "host_apis"),
    ):
        entries = inspection[key]
        if not entries:
            continue
        parts = []
        for entry in entries:
            name = bound_text(entry.get("name") or entry["permission"])
            parts.append(f"{name}={'eligible' if entry['eligible'] else 'denied'}")
        lines.append(f"{title}: {', '.join(parts)}")
    return lines
