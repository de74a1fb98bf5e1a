"""The startup gate: the same evaluation `yoi plugin list` runs, then plans, then a registry.

Starting is: discover, resolve, evaluate the built-in rules plus any `--policy` folders, make
plans, and hand only plans to the runtime (DESIGN decision 2). A package the rules did not plan
(rejected, denied by an org policy, missing, ...) is reported as refused with the reasons `list`
shows, and nothing of it ever reaches engine.runtime: its artifact is never compiled there.

A whole-run finding (a conclusion no package owns, issue 8 point 2) that is a `deny` fails the
run as it fails `list`: startup then refuses every package, naming the finding, and plans nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.diagnostics import bound_text
from engine.errors import EngineError, fault_error_kind
from engine.grants.model import HostSettings
from engine.plan import Plan
from engine.report.verdict import PER_SURFACE_VIEW

MAX_REASONS = 8  # per refused package, in the report
MAX_FINDINGS = 16  # whole-run findings shown in the human report


@dataclass(frozen=True)
class StartupReport:
    """What a host process started (handed to the registry) and what it refused, and why."""

    workspace: str
    plans: tuple[Plan, ...]
    started_refs: tuple[str, ...]
    refused: tuple[dict[str, Any], ...]  # {ref, status, reasons: [str]}
    registry: Any = field(default=None, repr=False, compare=False)
    # per planned ref, the items the rules denied (a plan holds only the eligible ones)
    denied_items: dict[str, list[str]] = field(default_factory=dict, compare=False)
    # `[plugins.host]` of the workspace config: host settings such as the https CA bundle
    host_settings: HostSettings = field(default_factory=HostSettings, compare=False)
    # conclusions no package owns (engine.report.verdict.run_findings); a deny among them blocks the run
    run_findings: tuple[dict[str, Any], ...] = ()

    @property
    def run_denials(self) -> tuple[dict[str, Any], ...]:
        return tuple(f for f in self.run_findings if f["severity"] == "deny")

    def run_denied_message(self) -> str | None:
        """Why every request is refused (a whole-run deny), or None when the run may start."""
        denials = self.run_denials
        if not denials:
            return None
        more = f" (and {len(denials) - 1} more)" if len(denials) > 1 else ""
        return f"startup refused every plugin package: {finding_reason(denials[0])}{more}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "workspace": self.workspace,
            "verdict_view": PER_SURFACE_VIEW,  # good surfaces start; `yoi plugin check` is the gate
            "started": [
                {
                    "ref": p.ref,
                    "classification": p.classification,
                    "tools": [t.name for t in p.tools],
                    "services": [s.name for s in p.services],
                    "ingresses": [i.name for i in p.ingresses],
                    "raised_limits": p.limits.raised(),
                    "denied": list(self.denied_items.get(p.ref, ())),
                }
                for p in self.plans
            ],
            "refused": [dict(entry) for entry in self.refused],
            "run_findings": [dict(finding) for finding in self.run_findings],
        }

    def render(self) -> str:
        """The human startup report (a host prints it on stderr)."""
        lines = [
            (
                f"yoi plugin host: {len(self.plans)} plugin package(s) planned, {len(self.refused)} refused "
                f"(workspace: {bound_text(self.workspace)}; view={PER_SURFACE_VIEW}: good surfaces start)"
            )
        ]
        for plan in self.plans:
            tools = ",".join(t.name for t in plan.tools) or "-"
            lines.append(
                f"  planned {plan.ref} [{plan.classification}] tools={bound_text(tools)} "
                f"services={len(plan.services)} ingresses={len(plan.ingresses)}"
            )
            if plan.limits.raised():
                lines.append("    raised limits: " + ", ".join(f"{k}={v}" for k, v in plan.limits.raised().items()))
            lines.extend(f"    denied: {message}" for message in self.denied_items.get(plan.ref, ()))
        for entry in self.refused:
            lines.append(f"  refused {bound_text(entry['ref'])} [{entry['status']}]")
            lines.extend(f"    reason: {reason}" for reason in entry["reasons"])
        if self.run_findings:
            from engine.report.human import run_finding_lines

            lines.extend("  " + line for line in run_finding_lines(self.run_findings[:MAX_FINDINGS]))
            if len(self.run_findings) > MAX_FINDINGS:
                lines.append(f"    ... and {len(self.run_findings) - MAX_FINDINGS} more whole-run finding(s)")
        if self.run_denials:
            lines.append(f"  {self.run_denied_message()}; nothing was started")
        return "\n".join(lines) + "\n"


def finding_reason(finding: dict[str, Any]) -> str:
    """A whole-run deny as a refusal reason: its code and (bounded) message."""
    return f"whole-run deny finding `{bound_text(str(finding['code']), 128)}`: {finding['message']}"


def evaluate_startup(
    workspace: Path, config_path: Path | None = None, policy_dirs: Sequence[Path] = ()
) -> StartupReport:
    """Plans and refusals for a workspace; pure evaluation (no wasmtime, no guest code)."""
    from engine.report.judge import list_item
    from engine.report.plan import make_plans
    from engine.report.verdict import run_findings
    from engine.report.workspace import evaluate_workspace, load_workspace_config

    config = load_workspace_config(workspace, config_path) if workspace.is_dir() else None
    evaluation = evaluate_workspace(workspace, config_path, policy_dirs, config=config)
    findings = tuple(run_findings(evaluation))
    denials = [finding_reason(f) for f in findings if f["severity"] == "deny"]
    plans = make_plans(evaluation)
    planned = {plan.ref for plan in plans}
    refused, denied_items = [], {}
    for subject in evaluation.subjects:
        if not subject.configured:
            continue  # a package nobody enabled is not refused, it was never asked for
        item = list_item(evaluation, subject)
        if denials and subject.ref in planned:  # a whole-run deny fails closed: nothing is planned
            refused.append({"ref": subject.ref, "status": "rejected", "reasons": denials[:MAX_REASONS]})
            continue
        if subject.ref in planned:
            denied = [c["message"] for c in item["conclusions"] if c["severity"] == "deny"]
            denied_items[subject.ref] = denied[:MAX_REASONS]
            continue
        reasons = [d["message"] for d in item["diagnostics"]]
        reasons += [
            c["message"] for c in item["conclusions"] if c["severity"] == "deny" and c["message"] not in reasons
        ]
        if not reasons:
            reasons = ["no surface of the package is eligible to run"]
        reasons = denials + reasons
        refused.append({"ref": subject.ref, "status": item["status"], "reasons": reasons[:MAX_REASONS]})
    if denials:
        plans, denied_items = (), {}
    return StartupReport(
        str(workspace.resolve()),
        plans,
        tuple(p.ref for p in plans),
        tuple(refused),
        denied_items=denied_items,
        host_settings=config.host if config else HostSettings(),
        run_findings=findings,
    )


def start_plans(
    workspace: Path,
    config_path: Path | None = None,
    policy_dirs: Sequence[Path] = (),
    *,
    host=None,
    queue_limit: int = 32,
) -> StartupReport:
    """`evaluate_startup`, then a PluginInstanceRegistry built from the plans alone (instances
    start lazily, or with `registry.start`). The caller closes `report.registry`."""
    from engine.runtime import HostConfig, PluginInstanceRegistry

    report = evaluate_startup(workspace, config_path, policy_dirs)
    if host is None:
        bundle = report.host_settings.https_ca_bundle
        host = HostConfig(https_ca_bundle=Path(bundle) if bundle else None)
    registry = PluginInstanceRegistry(report.plans, host=host, queue_limit=queue_limit)
    return replace(report, registry=registry)


class HostError(EngineError):
    """A request the host refuses before the runtime sees it (unknown or refused package, bad
    request); shaped like engine.runtime.RuntimeFault so both answer the same way."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message, error_kind=fault_error_kind(kind))
        self.kind = kind
        self.message = bound_text(message, 512)

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "message": self.message}


def lookup_ref(report: StartupReport, ref: str) -> str:
    """The planned ref `ref` names (exactly, or by a unique local id like `show`); a refused or
    unknown package raises HostError saying why it cannot run."""
    if not isinstance(ref, str) or not ref:
        raise HostError("invalid_request", "`plugin` must be a non-empty string")
    blocked = report.run_denied_message()
    if blocked:
        raise HostError("denied", blocked)
    planned = report.started_refs
    if ref in planned:
        return ref
    refused = {entry["ref"]: entry for entry in report.refused}
    if ref not in refused:
        local = [p for p in planned if p.partition(":")[2] == ref]
        if len(local) == 1:
            return local[0]
        local_refused = [r for r in refused if r.partition(":")[2] == ref]
        if len(local) + len(local_refused) > 1:
            raise HostError(
                "not_found", f"plugin reference `{bound_text(ref)}` is ambiguous; use a source-qualified ref"
            )
        if not local_refused:
            raise HostError("not_found", f"plugin package `{bound_text(ref)}` is not enabled in this workspace")
        ref = local_refused[0]
    entry = refused[ref]
    reasons = "; ".join(entry["reasons"][:2])
    raise HostError(
        "denied", f"plugin package `{bound_text(ref)}` was refused at startup [{entry['status']}]: {reasons}"
    )
