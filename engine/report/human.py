"""Human-readable renderings of report dicts (the JSON shape is the source of truth).

Line formats follow spec §4.2 exactly, so that people and scripts reading the reference's
output read ours the same way.
"""

from __future__ import annotations

from typing import Any, Sequence

CHECK_GUIDANCE = {
    "partial": "enablement guidance: not ready to enable; replace the generated placeholder component "
    "and rerun check; this command does not mutate config",
    "rejected": "enablement guidance: not ready to enable; fix diagnostics first; this command does not "
    "mutate config",
}
CHECK_SAFETY = "safety: no Plugin execution; no enablement config mutation; no secrets generated"


def join_or_none(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "(none)"


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
        lines.append(CHECK_GUIDANCE.get(
            report["status"],
            f"enablement guidance: pin reference `{package['reference']}` and digest "
            f"`{package['digest']}` explicitly; this command does not mutate config",
        ))
    if report["diagnostics"]:
        lines.append("diagnostics:")
        lines.extend(
            f"  - kind={d['kind']} phase={d['phase']} message={d['message']}" for d in report["diagnostics"]
        )
    else:
        lines.append("diagnostics: none")
    lines.append(CHECK_SAFETY)
    lines.append("next steps:")
    lines.extend(f"  - {step}" for step in report["next_steps"])
    return "\n".join(lines) + "\n"
