"""Human-readable reports, rendered from the RunVerdict: check, list and show.

Line formats follow spec §4.2 and §4.3 exactly, so that people and scripts reading the
reference's output read ours the same way. The reference's flat diagnostic list (every input
problem and every denial, PackageVerdict.listed_diagnostics) is what list and show print.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from engine import api_registry
from engine.diagnostics import bound_text, human_lines
from engine.plan import Plan
from engine.report.check import assumed_grants_note, check_steps, input_kind
from engine.report.listing import tool_entries
from engine.report.provenance import signature_summary, trust_json, trust_lines
from engine.verdict.model import (
    GATE_VIEW,
    PER_SURFACE_VIEW,
    Finding,
    ItemVerdict,
    LimitsVerdict,
    PackageInfo,
    PackageVerdict,
    RunVerdict,
)

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
MAX_HUMAN_ITEMS = 128
MAX_SHOW_DIAGNOSTICS = 48
MAX_LIST_REASONS = 3  # per package in `list`; `show REF` has the rest
SURFACE_TITLES = (("tools", "tool"), ("services", "service"), ("ingresses", "ingress"), ("host APIs", "host_api"))


def join_or_none(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "(none)"


def allowlist_lines(plan: Plan | None, indent: str = "") -> list[str]:
    """One line per host-API allowlist entry a plan carries, as its grant label (spec §3.1)."""
    if plan is None:
        return []
    return [
        f"{indent}{api}_allowlist: {bound_text(g.label)}" for api in api_registry.names() for g in plan.allowlist(api)
    ]


def limits_line(limits: LimitsVerdict | None) -> str | None:
    """`fuel=20000000 (capped from 10^11)`-style text of the raised limits."""
    if limits is None or not limits.raised:
        return None
    capped = {name: requested for name, requested, _ in limits.capped}
    return ", ".join(
        f"{name}={value}" + (f" (capped from {capped[name]})" if name in capped else "")
        for name, value in limits.raised
    )


def verdict_line(view: str, fail_on: str | None) -> str:
    """Which view the statuses use and what fails the run, so a reader of either report knows."""
    meaning = GATE_MEANING if view == GATE_VIEW else PER_SURFACE_MEANING
    return f"verdict: view={view} ({meaning}) fail_on={fail_on or 'none'}"


def target_lines(package: PackageVerdict, view: str, indent: str = "") -> list[str]:
    """The package judged for each target (docs/targets.md): its status in `view`, whether the
    target raises a denial of its own, and that target's findings."""
    lines = [f"{indent}targets:"]
    for target in package.targets:
        status = target.gate_status if view == GATE_VIEW else target.status
        compatible = "compatible" if target.compatible else "incompatible"
        lines.append(f"{indent}  - {target.target} [{status}] {compatible}")
        lines.extend(f"{indent}    {_diagnostic_line(f, always_severity=True).lstrip()}" for f in target.findings)
    return lines


def matrix_lines(packages: Sequence[PackageVerdict], targets: Sequence[str], view: str) -> list[str]:
    """Packages x targets: the status of each package for each target, `*` where the target
    itself denies something (a compatibility matrix, README "Targets")."""
    if not packages or len(targets) < 2:
        return []
    header = ["package", *targets]
    rows = []
    for package in packages[:MAX_HUMAN_ITEMS]:
        cells = [package.ref]
        for name in targets:
            target = package.target(name)
            if target is None:
                cells.append("-")
                continue
            status = target.gate_status if view == GATE_VIEW else target.status
            cells.append(status + ("" if target.compatible else "*"))
        rows.append(cells)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["compatibility (status per target; * = the target itself denies something):"]
    lines.extend(
        "  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )
    return lines


def run_finding_lines(findings: Sequence[Finding]) -> list[str]:
    """Conclusions no package owns (about the run, or naming no package of it), with their rule."""
    if not findings:
        return []
    lines = ["whole-run findings:"]
    for finding in findings:
        rule = finding.rule
        where = f" rule={rule.file}:{rule.line}" if rule and rule.file else ""
        lines.append(f"  - severity={finding.severity} code={finding.code}{where} message={finding.text}")
    return lines


# --- check -----------------------------------------------------------------------------------


def render_check(verdict: RunVerdict, input_path: str | os.PathLike[str], fail_on: str = "deny") -> str:
    """The `yoi plugin check` report as text lines (ending with a newline)."""
    (package,) = verdict.packages
    status = package.gate_status
    lines = [f"plugin check: {input_path} [{status}] input_kind={input_kind(input_path)}"]
    info = package.package
    if info is not None:
        lines.append(
            f"package: {info.reference} version={info.version} digest={info.digest} "
            f"entries={len(info.entries)} source={info.source} "
            f"surfaces={join_or_none(info.surfaces)} tools={len(info.tools)}"
        )
        lines.append(_guidance(status, info))
    lines.extend(_inspection_lines(package))
    lines.extend(_trust_lines(package))
    lines.extend(allowlist_lines(package.plan))
    raised = limits_line(package.limits)
    if raised:
        lines.append(f"raised limits: {raised}")
    shown = [*package.diagnostics, *(f for f in package.conclusions if f.is_reported)]
    if shown:
        lines.append("diagnostics:")
        lines.extend(_diagnostic_line(f) for f in shown)
    elif any(t.findings_of("deny") for t in package.targets):
        lines.append("diagnostics: none of the package's own (see the targets below)")
    else:
        lines.append("diagnostics: none")
    lines.extend(f"note: {f.text}" for f in package.conclusions if f.severity == "info")
    assumed = assumed_grants_note(verdict.assumed_grant_rules if package.grants_assumed else ())
    if assumed:
        lines.append(f"note: {assumed}")
    if verdict.targets_worth_showing:
        lines.extend(target_lines(package, GATE_VIEW))
    lines.extend(run_finding_lines(verdict.run_findings))
    lines.append(verdict_line(GATE_VIEW, fail_on))
    lines.append(CHECK_SAFETY)
    lines.append("next steps:")
    lines.extend(f"  - {step}" for step in check_steps(package))
    return human_lines(lines)


def _trust_lines(package: PackageVerdict, *, always: bool = False) -> list[str]:
    """The package's signatures and build provenance (engine/report/provenance.py)."""
    if package.trust is None:
        return []
    shapes = trust_json(package.trust)
    return trust_lines(shapes["signatures"], shapes["provenance"], always=always)


def render_check_matrix(verdicts: Sequence[RunVerdict]) -> str:
    """After the reports of a multi-package check: the packages x targets matrix (gate view)."""
    packages = [package for verdict in verdicts for package in verdict.packages]
    targets = verdicts[0].targets if verdicts else ()
    return human_lines(matrix_lines(packages, targets, GATE_VIEW))


def _guidance(status: str, info: PackageInfo) -> str:
    if status in CHECK_GUIDANCE:
        return CHECK_GUIDANCE[status]
    return (
        f"enablement guidance: pin reference `{info.reference}` and digest "
        f"`{info.digest}` explicitly; this command does not mutate config"
    )


def _diagnostic_line(finding: Finding, *, always_severity: bool = False) -> str:
    """`  - kind=K phase=P [severity=S] [at=FILE:LINE] message=M`: the severity when it is not a
    deny (or always), and where the finding points when that is known."""
    marker = f" severity={finding.severity}" if always_severity or finding.severity != "deny" else ""
    location = finding.location
    where = f" at={location.file}:{location.line}" if location and location.file and location.line else ""
    return f"  - kind={finding.kind} phase={finding.phase}{marker}{where} message={finding.text}"


def _inspection_lines(package: PackageVerdict) -> list[str]:
    """Classification and per-surface eligibility, when the rules judged the package."""
    runtime = package.runtime
    if runtime is None:
        return []
    grants = "assumed" if package.grants_assumed else "configured"
    summary = (
        f"classification: {package.classification} runtime={runtime.status} "
        f"eligible={str(runtime.eligible).lower()} grants={grants}"
    )
    lines = [summary]
    for title, surface in SURFACE_TITLES:
        entries = [item for item in package.surface_items(surface) if item.enabled]
        if entries:
            parts = [f"{bound_text(_name(item))}={'eligible' if item.eligible else 'denied'}" for item in entries]
            lines.append(f"{title}: {', '.join(parts)}")
    return lines


def _name(item: ItemVerdict) -> str:
    return item.permission if item.surface == "host_api" else item.name


# --- list and show ----------------------------------------------------------------------------


def _value(value) -> str:
    return "<unknown>" if value is None else str(value)


def _row(fields: list[str], width: int | None) -> list[str]:
    """One item: the reference's single line (spec §4.3), or, given a terminal `width`, the same
    fields wrapped between fields onto indented continuation lines."""
    if width is None:
        return [" ".join(fields)]
    lines = [fields[0]]
    for field in fields[1:]:
        if len(lines[-1]) + 1 + len(field) > width and lines[-1].strip():
            lines.append("      " + field)
        else:
            lines[-1] += " " + field
    return lines


def _wrapped(line: str, width: int | None) -> list[str]:
    if width is None or len(line) <= width:
        return [line]
    import textwrap

    return textwrap.wrap(line, width, subsequent_indent="      ", break_long_words=False, break_on_hyphens=False)


def summary_line(packages: Sequence[PackageVerdict]) -> str:
    """The last line: how many packages in which status, and what to run next."""
    if not packages:
        return "0 packages; add a package to <workspace>/.yoi/plugins and enable it in .yoi/config.toml"
    counts: dict[str, int] = {}
    for package in packages:
        counts[package.status] = counts.get(package.status, 0) + 1
    statuses = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    first = next((package for package in packages if package.status != "active"), None)
    if first is None:
        return f"{len(packages)} package(s): {statuses}; next: yoi plugin show <ref> for one package in full"
    return f"{len(packages)} package(s): {statuses}; next: yoi plugin show {first.ref} (why {first.status})"


def render_list(verdict: RunVerdict, workspace: str, fail_on: str | None = None, width: int | None = None) -> str:
    """The human list; `width` (a terminal's) wraps long rows, None keeps one line per item."""
    lines = [f"plugin packages (workspace: {workspace})"]
    packages = verdict.packages
    if not packages:
        lines.append("  (none)")
    for package in packages[:MAX_HUMAN_ITEMS]:
        listed = package.listed_diagnostics()
        fields = [
            f"- {package.ref} [{package.status}]",
            f"version={_value(package.version)}",
            f"schema_version={_value(package.schema_version)}",
            f"api_version={_value(package.schema_version)}",
            f"package_path={_value(package.package_path)}",
            f"digest={_value(package.digest)}",
            f"source={_value(package.source)}",
            f"enabled_surfaces={join_or_none(package.enabled_surfaces)}",
            f"tools={len(tool_entries(package))}",
            f"diagnostics={len(listed)}",
            f"classification={_value(package.classification)}",
        ]
        signed = signature_summary(package.trust)
        if signed is not None:
            fields.append(f"signed={signed}")
        if len(package.targets) > 1:
            fields.append("targets=" + ",".join(f"{t.target}:{t.status}" for t in package.targets))
        lines.extend(_row(fields, width))
        reasons = [f"    diagnostic: {message}" for _, message in listed]
        reasons += [f"    {f.severity}: {f.text}" for f in package.conclusions if f.severity != "deny"]
        for reason in reasons[:MAX_LIST_REASONS]:
            lines.extend(_wrapped(reason, width))
        if len(reasons) > MAX_LIST_REASONS:
            lines.append(f"    ... and {len(reasons) - MAX_LIST_REASONS} more (yoi plugin show {package.ref})")
    if len(packages) > MAX_HUMAN_ITEMS:
        lines.append(f"  ... {len(packages) - MAX_HUMAN_ITEMS} more plugin package(s) omitted")
    lines.extend(matrix_lines(packages, verdict.targets, PER_SURFACE_VIEW))
    lines.extend(run_finding_lines(verdict.run_findings))
    lines.append(verdict_line(PER_SURFACE_VIEW, fail_on))
    if verdict.targets_worth_showing:
        lines.append(f"targets: {', '.join(verdict.targets)}")
    lines.append(summary_line(packages))
    return human_lines(lines)


def _pairs(values) -> str:
    return ", ".join(f"{k}={v}" for k, v in values) or "(none)"


def _flags(item: ItemVerdict, *, external_write: bool = False) -> str:
    flags = [("requested", item.requested), ("granted", item.granted), ("eligible", item.eligible)]
    if external_write:
        flags.append(("external_write", bool(item.external_write)))
    return " ".join(f"{name}={str(value).lower()}" for name, value in flags)


def render_show(verdict: RunVerdict, package: PackageVerdict) -> str:
    """One package in full, then the whole run's findings, which no package owns."""
    lines = [f"plugin {package.ref}"]
    for key, value in (
        ("status", package.status),
        ("classification", package.classification),
        ("source", package.source),
        ("package", package.label),
        ("package_path", package.package_path),
        ("schema_version", package.schema_version),
        ("api_version", package.schema_version),
        ("version", package.version),
        ("digest", package.digest),
        ("configured", package.configured),
        ("discovered", package.discovered),
        ("resolved", package.resolved),
        ("static_eligible", package.static_eligible),
    ):
        lines.append(f"  {key}: {str(value).lower() if isinstance(value, bool) else _value(value)}")
    for key, values in (
        ("declared_surfaces", package.declared_surfaces),
        ("enabled_surfaces", package.enabled_surfaces),
        ("requested_permissions", package.requested_permissions),
        ("configured_grants", package.configured_grants),
        *((f"configured_{api}_grants", labels) for api, labels in package.configured_api_grants),
    ):
        lines.append(f"  {key}: {join_or_none(values)}")
    inspected = package.resolved and package.runtime is not None
    if inspected:
        lines.extend(_runtime_lines(package))
    lines.extend(allowlist_lines(package.plan, "  "))
    lines.extend("  " + line for line in _trust_lines(package, always=True))
    if package.limits is not None:
        lines.append(f"  limits: {_pairs(package.limits.effective)}")
        lines.append(f"  raised_limits: {limits_line(package.limits) or '(none)'}")
        lines.append(f"  restart: {_pairs(package.limits.restart)}")
    sections = [("tools", tool_entries(package))]
    if inspected:
        for title, surface in (("services", "service"), ("ingresses", "ingress")):
            sections.append((title, tuple(item for item in package.surface_items(surface) if item.enabled)))
    for title, entries in sections:
        if not entries:
            lines.append(f"  {title}: (none)")
            continue
        lines.append(f"  {title}:")
        for item in entries:
            flags = _flags(item, external_write=item.surface == "tool")
            lines.append(f"    - {item.name} permission={item.permission} {flags}")
            if item.diagnostic:
                lines.append(f"      diagnostic: {item.diagnostic}")
    planned = package.plan.services if package.plan else ()
    lines.append("  planned_services:" if planned else "  planned_services: (none)")
    lines.extend(f"    - {s.name} lifecycle={s.lifecycle or '(unset)'}" for s in planned)
    if planned:
        lines.append("    (planned, not running: live state is in `yoi plugin serve` status)")
    listed = package.listed_diagnostics()
    if not listed:
        lines.append("  diagnostics: (none)")
    else:
        lines.append("  diagnostics:")
        lines.extend(f"    - [{kind}] {message}" for kind, message in listed[:MAX_SHOW_DIAGNOSTICS])
        if len(listed) > MAX_SHOW_DIAGNOSTICS:
            lines.append(f"    ... {len(listed) - MAX_SHOW_DIAGNOSTICS} more diagnostic(s) omitted")
    notes = [f for f in package.conclusions if f.severity != "deny"]
    if notes:
        lines.append("  notes:")
        lines.extend(f"    - [{f.severity}] {f.text}" for f in notes)
    if verdict.targets_worth_showing:
        lines.extend(target_lines(package, PER_SURFACE_VIEW, "  "))
    lines.extend(run_finding_lines(verdict.run_findings))
    return human_lines(lines)


def _runtime_lines(package: PackageVerdict) -> list[str]:
    runtime = package.runtime
    assert runtime is not None
    lines = [f"  runtime: {runtime.status} eligible={str(runtime.eligible).lower()}"]
    if runtime.diagnostic:
        lines.append(f"    diagnostic: {runtime.diagnostic}")
    apis = package.surface_items("host_api")
    if apis:
        lines.append("  host_api_permissions:")
        for api in apis:
            lines.append(f"    - {api.permission} {_flags(api)}")
            for key, value in (("diagnostic", api.diagnostic), ("note", api.note)):
                if value:
                    lines.append(f"      {key}: {value}")
    return lines
