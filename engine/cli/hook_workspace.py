"""`yoi hook workspace-check`: gate every package a workspace enables, as pre-commit or CI sees it.

A grant change in `.yoi/config.toml`, a rebuilt archive, a changed `.rules` or `.wit` file can
break a package whose own files did not change, so this hook does not map changed files to
packages: any change re-checks the whole workspace. It is the evaluation `yoi plugin list` runs
(the same discovery, the real enablements and grants, the policy folders, cross-package rules
such as tool-name collisions), read in the gate view of `yoi plugin check`: an enabled package
that is rejected (any deny) or missing fails the hook, as does a whole-run deny. Packages that
are discovered but not enabled are not judged (the host never starts them).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from engine.cli.common import emit_json, fail, format_options, resolve_format
from engine.cli.options import config_option, fail_on_option, policy_option, workspace_option
from engine.cli.run import run_guarded
from engine.diagnostics import human_lines

GROUP = "hook"
MANIFEST = "plugin.toml"
MAX_REASONS = 8  # per package in the human output; JSON and SARIF carry them all


def _config_path(workspace: Path, config_path: Path | None) -> Path:
    """The config to judge by: `--config`, else the workspace's own. A workspace gate without one
    would pass by judging nothing, so a missing config is a usage error (exit 2)."""
    from engine.grants.config import default_config_path

    path = config_path if config_path is not None else default_config_path(workspace)
    if not os.path.lexists(path):
        fail(GROUP, f"no enablement config at `{path}`; pass --config FILE or run from the workspace root")
    return path


def workspace_reports(workspace: Path, config_path: Path, policy_dirs: Sequence[Path], fail_on: str):
    """(the workspace's verdict, check reports of every enabled package, refs discovered but not
    enabled), from one evaluation of the workspace."""
    from engine.pipeline.subjects import GLOBAL_REF
    from engine.report.check import check_report
    from engine.verdict.run import workspace_verdict

    verdict = workspace_verdict(workspace, config_path, policy_dirs)
    judged = [p for p in verdict.packages if p.configured or p.ref == GLOBAL_REF]
    reports = []
    for package in judged:
        report = check_report(verdict, package.package_path or str(config_path), fail_on, package)
        report["command"] = "workspace-check"
        report["reference"] = package.ref
        report["run_findings"] = []  # the run's findings are reported once, not per package
        reports.append(report)
    skipped = [p.ref for p in verdict.packages if not (p.configured or p.ref == GLOBAL_REF)]
    return verdict, judged, reports, skipped


def _shown(path: str) -> str:
    """A path as short as it is unambiguous: relative to the working directory when inside it."""
    absolute = os.path.abspath(path)
    here = os.getcwd()
    return os.path.relpath(absolute, here) if absolute.startswith(here + os.sep) else path


def _where(location: dict[str, Any] | None, package_path: str) -> str:
    """` (at FILE:LINE:COLUMN)`; a manifest position is inside the package (folder or archive)."""
    if not location or not location.get("file"):
        return ""
    line, column = location.get("line"), location.get("column")
    position = f"{f':{line}' if line else ''}{f':{column}' if line and column else ''}"
    file = location["file"]
    if file == MANIFEST and os.path.isdir(package_path):
        return f" (at {_shown(os.path.join(package_path, MANIFEST))}{position})"
    if file == MANIFEST:
        return f" (at {MANIFEST}{position} in {_shown(package_path)})"
    return f" (at {_shown(file)}{position})"


def _reasons(report: dict[str, Any]) -> list[str]:
    """Input diagnostics, then denials and warnings, each with the place to fix."""
    from engine.verdict.model import FAIL_ON_LEVELS  # the severities a report lists

    path = report["input_path"]
    out = [
        f"input: {d['message']}{_where(d.get('location'), path)}"
        for d in report["diagnostics"]
        if d["phase"] != "rules"
    ]
    out += [
        f"{c['severity']}: {c['message']}{_where(c.get('location'), path)}"
        for c in report["conclusions"]
        if c["severity"] in FAIL_ON_LEVELS
    ]
    return out


def render(workspace: Path, config: Path, reports, skipped, verdict, fail_on: str) -> str:
    from engine.report.human import run_finding_lines, verdict_line
    from engine.verdict.model import GATE_VIEW

    lines = [f"workspace check: {workspace} (config: {config})"]
    if not reports:
        lines.append("  (the config enables no package)")
    for report in reports:
        lines.append(f"- {report['reference']} [{report['status']}] {_shown(report['input_path'])}")
        reasons = _reasons(report)
        lines.extend(f"    {reason}" for reason in reasons[:MAX_REASONS])
        if len(reasons) > MAX_REASONS:
            lines.append(f"    ... and {len(reasons) - MAX_REASONS} more (--format json has them all)")
    lines.extend(run_finding_lines(verdict.run_findings))
    lines.append(verdict_line(GATE_VIEW, fail_on))
    counts: dict[str, int] = {}
    for report in reports:
        counts[report["status"]] = counts.get(report["status"], 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none"
    lines.append(
        f"{len(reports)} enabled package(s): {summary}; {len(skipped)} discovered but not enabled (not judged)"
    )
    return human_lines(lines)


@click.command("workspace-check")
@workspace_option
@config_option("Enablement/grant config (default <workspace>/.yoi/config.toml; required to exist).")
@policy_option
@fail_on_option("deny", "Fail (exit 1) on any conclusion of this severity or worse: `warn` fails on warnings too.")
@format_options("human", "json", "sarif")
def workspace_check(workspace: Path, config_path, policy_dirs, fail_on: str, output_format: str, as_json: bool) -> None:
    """Gate every package the workspace enables, with its real grants (the view of `yoi plugin
    check`). Exit 0 all pass, 1 a package rejected or missing or a whole-run deny, 2 bad input."""
    from engine.report.shapes import finding_dict, rules_of
    from engine.verdict.model import GATE_VIEW

    fmt = resolve_format(output_format, as_json)
    config = _config_path(workspace, config_path)
    verdict, judged, reports, skipped = run_guarded(
        "plugin", lambda: workspace_reports(workspace, config, policy_dirs, fail_on)
    )
    findings = [finding_dict(f) for f in verdict.run_findings]
    if fmt == "json":
        emit_json(
            {
                "command": "workspace-check",
                "workspace": str(workspace.resolve()),
                "config": str(config),
                "verdict_view": "gate",
                "fail_on": fail_on,
                "packages": reports,
                "not_enabled": skipped,
                "run_findings": findings,
                "rules": rules_of(verdict, (), with_run=True),
            }
        )
    elif fmt == "sarif":
        from engine import __version__
        from engine.report.sarif import sarif_log

        # whole-run findings once, with the first report (SARIF holds one run for all packages)
        run_rules = rules_of(verdict, (), with_run=True)
        carriers = (
            [{**reports[0], "run_findings": findings, "rules": {**reports[0]["rules"], **run_rules}}, *reports[1:]]
            if reports
            else [{"run_findings": findings, "rules": run_rules}]
        )
        emit_json(sarif_log(carriers, tool_version=__version__))
    else:
        click.echo(render(workspace, config, reports, skipped, verdict, fail_on), nl=False)
    outcome = verdict.outcome(GATE_VIEW, fail_on, judged)
    if outcome.failed:
        where = "; see the SARIF log" if fmt == "sarif" else ("" if fmt == "json" else "; see above")
        fail(GROUP, "workspace check failed: " + "; ".join(outcome.reasons) + where, outcome.error_kind)
