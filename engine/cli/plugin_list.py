"""`yoi plugin list` and `yoi plugin show REF` over a workspace (spec §4.3, extended).

Statuses are the per-surface view startup uses (good surfaces start). `list` exits 0 as a
report, except for a whole-run deny (an org rule whose conclusion names no package) and, with
`--fail-on deny|warn`, a rejected or missing package or a conclusion of that severity or worse.
`show` prints the whole-run findings after the package and exits 1 on a whole-run deny too.
"""

from __future__ import annotations

from pathlib import Path

import click

from engine import api_registry
from engine.cli.common import emit_json, fail, fail_on_run_denials
from engine.cli.complete import complete_refs
from engine.cli.options import fail_on_option, workspace_options
from engine.cli.run import run_guarded
from engine.diagnostics import human_lines
from engine.errors import ErrorKind, UnknownReference
from engine.report.human import allowlist_lines, join_or_none, run_finding_lines, verdict_line
from engine.report.views import limits_line

MAX_HUMAN_ITEMS = 128
MAX_SHOW_DIAGNOSTICS = 48
MAX_LIST_REASONS = 3  # per package in `list`; `show REF` has the rest


def _items(workspace: Path, config_path, policy_dirs, fail_on: str | None = None, progress=None):
    from engine.report.judge import list_report
    from engine.report.workspace import evaluate_workspace

    evaluation = evaluate_workspace(workspace, config_path, policy_dirs, progress=progress)
    return list_report(evaluation, str(workspace.resolve()), fail_on)


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


def summary_line(items) -> str:
    """The last line: how many packages in which status, and what to run next."""
    if not items:
        return "0 packages; add a package to <workspace>/.yoi/plugins and enable it in .yoi/config.toml"
    counts: dict[str, int] = {}
    for item in items:
        counts[item["status"]] = counts.get(item["status"], 0) + 1
    statuses = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    first = next((item for item in items if item["status"] != "active"), None)
    if first is None:
        return f"{len(items)} package(s): {statuses}; next: yoi plugin show <ref> for one package in full"
    return f"{len(items)} package(s): {statuses}; next: yoi plugin show {first['reference']} (why {first['status']})"


def render_list(report, width: int | None = None) -> str:
    """The human list; `width` (a terminal's) wraps long rows, None keeps one line per item."""
    lines = [f"plugin packages (workspace: {report['workspace']})"]
    items = report["items"]
    if not items:
        lines.append("  (none)")
    for item in items[:MAX_HUMAN_ITEMS]:
        fields = [
            f"- {item['reference']} [{item['status']}]",
            f"version={_value(item['version'])}",
            f"schema_version={_value(item['schema_version'])}",
            f"api_version={_value(item['api_version'])}",
            f"package_path={_value(item['package_path'])}",
            f"digest={_value(item['digest'])}",
            f"source={_value(item['source'])}",
            f"enabled_surfaces={join_or_none(item['enabled_surfaces'])}",
            f"tools={len(item['tools'])}",
            f"diagnostics={len(item['diagnostics'])}",
            f"classification={_value(item['classification'])}",
        ]
        lines.extend(_row(fields, width))
        reasons = [f"    diagnostic: {d['message']}" for d in item["diagnostics"]]
        reasons += [f"    {c['severity']}: {c['message']}" for c in item["conclusions"] if c["severity"] != "deny"]
        for reason in reasons[:MAX_LIST_REASONS]:
            lines.extend(_wrapped(reason, width))
        if len(reasons) > MAX_LIST_REASONS:
            lines.append(f"    ... and {len(reasons) - MAX_LIST_REASONS} more (yoi plugin show {item['reference']})")
    if len(items) > MAX_HUMAN_ITEMS:
        lines.append(f"  ... {len(items) - MAX_HUMAN_ITEMS} more plugin package(s) omitted")
    lines.extend(run_finding_lines(report.get("run_findings", ())))
    lines.append(verdict_line(report))
    lines.append(summary_line(items))
    return human_lines(lines)


def _terminal_width() -> int | None:
    """The width to wrap rows at when stdout is a terminal; None (one line per item) otherwise."""
    import shutil
    import sys

    if not sys.stdout.isatty():
        return None
    return max(60, shutil.get_terminal_size().columns - 1)


def _pairs(values: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items()) or "(none)"


def _flags(entry, *names) -> str:
    return " ".join(f"{name}={str(entry[name]).lower()}" for name in names if name in entry)


def render_show(item, findings=()) -> str:
    """One package in full, then the whole run's findings (`findings`), which no package owns."""
    lines = [f"plugin {item['reference']}"]
    for key in (
        "status",
        "classification",
        "source",
        "package",
        "package_path",
        "schema_version",
        "api_version",
        "version",
        "digest",
        "configured",
        "discovered",
        "resolved",
        "static_eligible",
    ):
        value = item[key]
        lines.append(f"  {key}: {str(value).lower() if isinstance(value, bool) else _value(value)}")
    for key in (
        "declared_surfaces",
        "enabled_surfaces",
        "requested_permissions",
        "configured_grants",
        *(f"configured_{api}_grants" for api in api_registry.names()),
    ):
        lines.append(f"  {key}: {join_or_none(item[key])}")
    inspected = item["static_runtime"]
    if inspected is not None:
        runtime = inspected["runtime"]
        lines.append(f"  runtime: {runtime['status']} eligible={str(runtime['eligible']).lower()}")
        if runtime["diagnostic"]:
            lines.append(f"    diagnostic: {runtime['diagnostic']}")
        if inspected["host_apis"]:
            lines.append("  host_api_permissions:")
            for api in inspected["host_apis"]:
                lines.append(f"    - {api['permission']} {_flags(api, 'requested', 'granted', 'eligible')}")
                for key in ("diagnostic", "note"):
                    if api.get(key):
                        lines.append(f"      {key}: {api[key]}")
    lines.extend(allowlist_lines(item.get("plan"), "  "))
    limits = item.get("limits")
    if limits is not None:
        lines.append(f"  limits: {_pairs(limits['effective'])}")
        lines.append(f"  raised_limits: {limits_line(limits) or '(none)'}")
        lines.append(f"  restart: {_pairs(limits['restart'])}")
    sections = [("tools", item["tools"])]
    if inspected is not None:
        sections += [("services", inspected["services"]), ("ingresses", inspected["ingresses"])]
    for title, entries in sections:
        if not entries:
            lines.append(f"  {title}: (none)")
            continue
        lines.append(f"  {title}:")
        for entry in entries:
            flags = _flags(entry, "requested", "granted", "eligible", "external_write")
            lines.append(f"    - {entry['name']} permission={entry['permission']} {flags}")
            if entry.get("diagnostic"):
                lines.append(f"      diagnostic: {entry['diagnostic']}")
    planned = item.get("planned_services") or []
    lines.append("  planned_services:" if planned else "  planned_services: (none)")
    lines.extend(f"    - {s['name']} lifecycle={s['lifecycle'] or '(unset)'}" for s in planned)
    if planned:
        lines.append("    (planned, not running: live state is in `yoi plugin serve` status)")
    diagnostics = item["diagnostics"]
    if not diagnostics:
        lines.append("  diagnostics: (none)")
    else:
        lines.append("  diagnostics:")
        lines.extend(f"    - [{d['kind']}] {d['message']}" for d in diagnostics[:MAX_SHOW_DIAGNOSTICS])
        if len(diagnostics) > MAX_SHOW_DIAGNOSTICS:
            lines.append(f"    ... {len(diagnostics) - MAX_SHOW_DIAGNOSTICS} more diagnostic(s) omitted")
    notes = [c for c in item["conclusions"] if c["severity"] != "deny"]
    if notes:
        lines.append("  notes:")
        lines.extend(f"    - [{c['severity']}] {c['message']}" for c in notes)
    lines.extend(run_finding_lines(findings))
    return human_lines(lines)


@click.command("list")
@workspace_options
@fail_on_option(
    None,
    "Fail (exit 1) on a rejected or missing package or a conclusion of this severity or worse (default: report only).",
)
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def list_cmd(workspace, config_path, policy_dirs, fail_on, as_json):
    """List discovered and enabled plugin packages with their status and reasons."""
    from engine.cli.progress import Progress
    from engine.report.verdict import failure_reasons

    with Progress("reading plugin packages", enabled=not as_json) as progress:
        report = run_guarded("plugin", lambda: _items(workspace, config_path, policy_dirs, fail_on, progress))
    if as_json:
        emit_json(report)
    else:
        click.echo(render_list(report, _terminal_width()), nl=False)
    items = report["items"]
    reasons = failure_reasons(
        [item["status"] for item in items],
        [c for item in items for c in item["conclusions"]],
        report["run_findings"],
        fail_on,
        ("rejected", "missing") if fail_on else (),
    )
    if reasons:
        fail("plugin", "plugin list failed: " + "; ".join(reasons), ErrorKind.REJECTED)


@click.command("show")
@click.argument("ref", shell_complete=complete_refs)
@workspace_options
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def show(ref, workspace, config_path, policy_dirs, as_json):
    """Show one plugin package: surfaces, grants, tools, services, ingresses, reasons (exit 1 on a whole-run deny)."""
    from engine.report.judge import select_item

    report = run_guarded("plugin", lambda: _items(workspace, config_path, policy_dirs))
    try:
        item = select_item(report["items"], ref)
    except UnknownReference as error:
        fail("plugin", str(error), error.error_kind)
    findings = report["run_findings"]
    if as_json:
        emit_json({**item, "run_findings": findings})
    else:
        click.echo(render_show(item, findings), nl=False)
    fail_on_run_denials("show", findings)
