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

from engine.diagnostics import bound_text, escape_text, human_lines
from engine.errors import EngineError, fault_error_kind
from engine.grants.model import HostSettings
from engine.plan import Plan
from engine.verdict.model import PER_SURFACE_VIEW, Finding, RuleInfo, RunVerdict

MAX_REASONS = 8  # per refused package, in the report
MAX_FINDINGS = 16  # whole-run findings shown in the human report


@dataclass(frozen=True)
class StartupReport:
    """What a host process plans to start and what it refused, and why: a rendering of the run's
    verdict in the per-surface view. It holds no live object; `start_plans` pairs it with the
    registry it builds (StartedHost)."""

    workspace: str
    plans: tuple[Plan, ...]
    started_refs: tuple[str, ...]
    refused: tuple[dict[str, Any], ...]  # {ref, status, reasons: [str]}
    # per planned ref, the denials the rules made about it (a plan holds only the eligible items)
    denied_items: dict[str, list[str]] = field(default_factory=dict, compare=False)
    # `[plugins.host]` of the workspace config: host settings such as the https CA bundle
    host_settings: HostSettings = field(default_factory=HostSettings, compare=False)
    # findings no package owns (the verdict's run_findings); a deny among them blocks the run
    run_findings: tuple[Finding, ...] = ()
    rules: tuple[RuleInfo, ...] = ()  # the rules of those findings (docs/reports.md `rules`)
    # codes of whole-run findings that stop the run whatever their severity (the rules'
    # `blocks_run`, e.g. the plugins feature turned off by the config)
    run_blocking_codes: tuple[str, ...] = ()
    # host-managed services started with the host (engine.host.services.start_services), one
    # result per package with a planned Service
    service_starts: tuple[dict[str, Any], ...] = ()
    # the host's own paths no plugin may touch (config, stores, caches, policy folders; issue 17.1)
    protected_paths: tuple[str, ...] = field(default=(), compare=False)
    # every ref the run knows (discovered or configured): a local id is unique among them or ambiguous
    known_refs: tuple[str, ...] = field(default=(), compare=False)

    @property
    def run_denials(self) -> tuple[Finding, ...]:
        """The whole-run findings that stop every package: each deny, and what `blocks_run` names."""
        return tuple(f for f in self.run_findings if f.severity == "deny" or f.code in self.run_blocking_codes)

    def run_denied_message(self) -> str | None:
        """Why every request is refused (a whole-run deny), or None when the run may start."""
        denials = self.run_denials
        if not denials:
            return None
        more = f" (and {len(denials) - 1} more)" if len(denials) > 1 else ""
        return f"startup refused every plugin package: {finding_reason(denials[0])}{more}"

    def to_dict(self) -> dict[str, Any]:
        from engine.report.shapes import finding_dict, rules_dict

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
            "service_starts": [dict(result) for result in self.service_starts],
            "run_findings": [finding_dict(finding) for finding in self.run_findings],
            "rules": rules_dict(self.rules),
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
        for result in self.service_starts:
            if result["ok"]:
                names = bound_text(",".join(result["services"]) or "-")
                lines.append(f"  started {result['ref']} services={names} lifecycle={result['lifecycle']}")
            else:
                error = result["error"]
                lines.append(f"  service start failed {result['ref']}: {error['kind']}: {error['message']}")
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
        return human_lines(lines)  # a guest's fault message (a failed service start) is text it chose


def compile_record(result: dict[str, Any]) -> str | None:
    """The startup report's line for one package's background compile (engine.runtime.precompile):
    `compiled REF in S s`, or `compile failed REF: KIND: MESSAGE` as a failed service start is
    told; None when its artifact was in the cache already (nothing happened)."""
    if result["ok"]:
        return f"  compiled {result['ref']} in {result['seconds']:.2f} s" if result["compiled"] else None
    error = result["error"]
    return escape_text(f"  compile failed {result['ref']}: {error['kind']}: {bound_text(error['message'])}")


class StartedHost:
    """`start_plans`'s result: the startup report and the PluginInstanceRegistry built from its
    plans. The registry is live (the caller closes it), so it is kept here, beside the frozen
    report rather than in it; the report's attributes (`plans`, `refused`, `render()`, ...) are
    read through this object too. `precompile` is the background compile of the plans' artifacts
    (engine.runtime.precompile.Precompiler: `results()`, `follow()`, `wait()`), or None."""

    def __init__(self, report: StartupReport, registry, precompile=None) -> None:
        self.report = report
        self.registry = registry
        self.precompile = precompile

    def __getattr__(self, name: str) -> Any:
        return getattr(self.report, name)


def finding_reason(finding: Finding) -> str:
    """A blocking whole-run finding as a refusal reason: its severity, code and (bounded) message."""
    return f"whole-run {finding.severity} finding `{bound_text(finding.code, 128)}`: {finding.text}"


def startup_report(verdict: RunVerdict, workspace: str, host_settings: HostSettings) -> StartupReport:
    """The report of a verdict: every plan it allows to start, and every enabled package it does
    not, with the reasons `list` shows. A whole-run deny refuses every package (the verdict
    starts nothing then)."""
    denials = [finding_reason(f) for f in verdict.run_stops]
    plans = verdict.startable_plans
    refused, denied_items = [], {}
    for package in verdict.packages:
        if not package.configured:
            continue  # a package nobody enabled is not refused, it was never asked for
        if package.plan is not None and denials:
            refused.append({"ref": package.ref, "status": "rejected", "reasons": denials[:MAX_REASONS]})
        elif package.plan is not None:
            denied_items[package.ref] = [f.text for f in package.conclusions if f.severity == "deny"][:MAX_REASONS]
        else:
            reasons = [message for _, message in package.listed_diagnostics()]
            if not package.resolved or package.package is None:
                reasons += [f.text for f in package.conclusions if f.severity == "deny"]
            reasons = denials + (reasons or ([] if denials else ["no surface of the package is eligible to run"]))
            refused.append({"ref": package.ref, "status": package.status, "reasons": reasons[:MAX_REASONS]})
    return StartupReport(
        workspace,
        plans,
        tuple(p.ref for p in plans),
        tuple(refused),
        denied_items=denied_items,
        host_settings=host_settings,
        run_findings=verdict.run_findings,
        rules=tuple(rule for rule in verdict.rules if rule.code in {f.code for f in verdict.run_findings}),
        run_blocking_codes=verdict.run_blocking_codes,
        protected_paths=verdict.protected_paths,
        known_refs=tuple(package.ref for package in verdict.packages),
    )


def evaluate_startup(
    workspace: Path, config_path: Path | None = None, policy_dirs: Sequence[Path] = ()
) -> StartupReport:
    """Plans and refusals for a workspace; pure evaluation (no wasmtime, no guest code)."""
    from engine.pipeline.workspace import load_workspace_config
    from engine.verdict.run import workspace_verdict

    config = load_workspace_config(workspace, config_path) if workspace.is_dir() else None
    # evaluated afresh: what a host starts never rests on a cached verdict (engine/verdict/run.py)
    verdict = workspace_verdict(workspace, config_path, policy_dirs, config=config, cached=False)
    return startup_report(verdict, str(workspace.resolve()), config.host if config else HostSettings())


def start_plans(
    workspace: Path,
    config_path: Path | None = None,
    policy_dirs: Sequence[Path] = (),
    *,
    host=None,
    queue_limit: int = 32,
    start_services: bool = True,
    precompile: bool = True,
) -> StartedHost:
    """`evaluate_startup`, then a PluginInstanceRegistry built from the plans alone. Every planned
    artifact not in the compiled-artifact cache starts compiling in the background, in parallel
    (`.precompile` reports each package; `precompile=False`: each compiles on its first start).
    Every package with a planned Service is started now, in parallel (spec §6.2: a host-managed
    service runs once the host is up; `.service_starts` says how each went), its compile being
    the background one; tool-only packages start on first use, or with `registry.start`.
    `start_services=False` keeps every start lazy (a one-shot `call`). The caller closes
    `.registry` (which stops the compiles still running)."""
    from engine.host.services import start_services as start_all
    from engine.runtime import HostConfig, PluginInstanceRegistry

    report = evaluate_startup(workspace, config_path, policy_dirs)
    if host is None:
        bundle = report.host_settings.https_ca_bundle
        host = HostConfig(https_ca_bundle=Path(bundle) if bundle else None)
    host = replace(host, protected_paths=(*host.protected_paths, *report.protected_paths))
    registry = PluginInstanceRegistry(report.plans, host=host, queue_limit=queue_limit)
    try:
        compiling = registry.precompile() if precompile and report.plans else None
        started = start_all(registry, report.plans) if start_services else ()
    except BaseException:  # SIGTERM or Ctrl-C while services start: no compile outlives the host
        registry.close()
        raise
    return StartedHost(replace(report, service_starts=started), registry, compiling)


class HostError(EngineError):
    """A request the host refuses before the runtime sees it (unknown or refused package, bad
    request); shaped like engine.runtime.RuntimeFault so both answer the same way."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message, error_kind=fault_error_kind(kind))
        self.kind = kind
        self.message = bound_text(message, 512)

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "message": self.message}


def lookup_ref(report: StartupReport | StartedHost, ref: str) -> str:
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
        # A local id names one package among all the workspace knows, as for `show`: a package in
        # another store makes it ambiguous even when only one of them is enabled.
        known = set(report.known_refs) | set(planned) | set(refused)
        local = sorted(r for r in known if r.partition(":")[2] == ref)
        if len(local) > 1:
            raise HostError(
                "not_found", f"plugin reference `{bound_text(ref)}` is ambiguous; use a source-qualified ref"
            )
        if local and local[0] in planned:
            return local[0]
        if not local or local[0] not in refused:
            raise HostError("not_found", f"plugin package `{bound_text(ref)}` is not enabled in this workspace")
        ref = local[0]
    entry = refused[ref]
    reasons = "; ".join(entry["reasons"][:2])
    raise HostError(
        "denied", f"plugin package `{bound_text(ref)}` was refused at startup [{entry['status']}]: {reasons}"
    )
