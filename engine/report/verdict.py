"""Whether a report fails its run: the view its statuses use, `--fail-on`, whole-run findings.

The status words are decided by the rules: `gate_status` for `check` (any deny rejects, spec
§4.2) and `status` for list/show and startup (per surface: good surfaces start). This module
names the view a report uses, collects the conclusions no package of the evaluation can own
(whole-run findings), and turns a finished report into the reasons its command exits 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

GATE_VIEW = "gate"
PER_SURFACE_VIEW = "per-surface"
FAIL_ON_LEVELS = ("deny", "warn")
# Severities that fail a run at each `--fail-on` level (a warning threshold includes denials).
_FAILING = {"deny": ("deny",), "warn": ("deny", "warn")}


def run_findings(evaluation) -> list[dict[str, Any]]:
    """Conclusions that cannot be attached to a package of `evaluation`: zero arity, or a first
    argument that is not one of its package refs (a local id, a tool name). They would vanish
    from every per-package report; they are reported for the whole run instead."""
    from engine.report.views import conclusion_dict

    refs = {subject.ref for subject in evaluation.subjects}
    return [conclusion_dict(c, None) for c in evaluation.conclusions() if not c.args or c.args[0] not in refs]


def failure_reasons(
    statuses: Iterable[str],
    conclusions: Iterable[Mapping[str, Any]],
    findings: Iterable[Mapping[str, Any]],
    fail_on: str | None,
    failing_statuses: Iterable[str] = (),
) -> list[str]:
    """Why a run fails (empty: it passes). `failing_statuses` fail on their own (`check`: rejected,
    disabled); a whole-run `deny` always fails; `fail_on` adds package conclusions of that
    severity or worse (`--fail-on warn`: warnings fail too)."""
    reasons = []
    bad = sorted(set(statuses) & set(failing_statuses))
    if bad:
        reasons.append(f"status {', '.join(bad)}")
    denied = sum(1 for f in findings if f["severity"] == "deny")
    if denied:
        reasons.append(f"{denied} whole-run deny finding(s)")
    for severity in _FAILING.get(fail_on or "", ()):
        count = sum(1 for c in conclusions if c["severity"] == severity)
        count += 0 if severity == "deny" else sum(1 for f in findings if f["severity"] == severity)
        if count:
            reasons.append(f"{count} {severity} conclusion(s) with --fail-on {fail_on}")
    return reasons
