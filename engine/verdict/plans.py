"""Making plans (the model is in engine/plan.py, the only thing the runtime accepts).

A plan is made only for packages the rules call `plannable`, and it carries only what the rules
found eligible: tools, services and ingresses one by one, host APIs with their allowlists.
Schemas are frozen as canonical JSON text so that they stay fixed for a run.
"""

from __future__ import annotations

import hashlib

from engine.api_registry import NO_TABLES
from engine.grants.limits import effective_limits, restart_policy
from engine.package.model import sort_surfaces
from engine.plan import Plan, PlannedIngress, PlannedService, PlannedTool, freeze_json


def make_plans(evaluation) -> tuple[Plan, ...]:
    """One plan per package the rules call plannable, in ref order."""
    return tuple(plan for (ref,) in evaluation.rows("plannable") if (plan := plan_for(evaluation, ref)) is not None)


def plan_for(evaluation, ref: str) -> Plan | None:
    """The plan for `ref`, or None when the rules do not approve anything of it."""
    if not evaluation.holds("plannable", ref):
        return None
    return _plan_for(evaluation, ref)


def _plan_for(evaluation, ref: str) -> Plan | None:
    subject = evaluation.subject(ref)
    if subject is None or subject.package is None or subject.package.manifest.runtime is None:
        return None
    package, manifest = subject.package, subject.package.manifest
    runtime = manifest.runtime
    artifact = package.files.get(runtime.artifact_path or "", b"")
    eligible = {(s, n) for (_, s, n) in evaluation.rows("eligible", ref)}
    tools = tuple(
        PlannedTool(t.name, t.description, freeze_json(t.input_schema), t.external_write)
        for t in manifest.tools
        if ("tool", t.name) in eligible
    )
    services = tuple(
        PlannedService(s.name, s.description, s.lifecycle) for s in manifest.services if ("service", s.name) in eligible
    )
    ingresses = tuple(
        PlannedIngress(
            i.name,
            i.description,
            tuple(i.event_kinds),
            tuple(i.sources),
            None if i.input_schema is None else freeze_json(i.input_schema),
        )
        for i in manifest.ingresses
        if ("ingress", i.name) in eligible
    )
    host_apis = tuple(api for (_, api) in evaluation.rows("host_api_eligible", ref))
    grants, enablement = subject.grants, subject.enablement
    denied = _denied_items(evaluation, ref, package, eligible, subject.enabled_surfaces)
    return Plan(
        ref=ref,
        source=package.source,
        version=manifest.version,
        digest=package.digest,
        package_path=str(package.path),
        classification=evaluation.value("classification", ref, ""),
        runtime_kind=runtime.kind,
        abi_or_world=(runtime.abi if runtime.kind == "wasm" else runtime.world) or "",
        artifact_path=runtime.artifact_path or "",
        artifact_sha256=hashlib.sha256(artifact).hexdigest(),
        enabled_surfaces=tuple(subject.enabled_surfaces),
        authorized_surfaces=sort_surfaces(s for (s, _) in eligible),
        tools=tools,
        services=services,
        ingresses=ingresses,
        host_apis=host_apis,
        allowlists=grants.tables.only(host_apis) if grants else NO_TABLES,
        manifest_targets=manifest.targets.only(host_apis),
        config_json=freeze_json(subject.config),
        limits=effective_limits(dict(enablement.limits) if enablement else None),
        restart=restart_policy(dict(enablement.restart) if enablement else None),
        current_format=evaluation.holds("current_format", ref),
        host_request_dispatch=evaluation.holds("performs_host_request_dispatch", ref),
        denied=denied,
    )


def _denied_items(evaluation, ref: str, package, eligible: set, enabled) -> tuple[tuple[str, str, str], ...]:
    """(surface, name, first deny message) of each declared item of an enabled surface that is
    not eligible, so the runtime can say why a call to it is refused."""
    from engine.verdict.locate import make_about

    metadata = evaluation.result.program.metadata
    reasons: dict[tuple[str, str], str] = {}
    for conclusion in evaluation.conclusions(ref):
        if conclusion.severity != "deny":
            continue
        meta = metadata[conclusion.code]  # what the conclusion is about is declared (@about)
        item = make_about(meta.about.form, meta.about.values(conclusion.args)).item
        if item is not None:
            reasons.setdefault(item, conclusion.message)
    manifest = package.manifest
    declared = [("tool", t.name) for t in manifest.tools] + [("service", s.name) for s in manifest.services]
    declared += [("ingress", i.name) for i in manifest.ingresses]
    return tuple(
        (surface, name, reasons.get((surface, name), f"{surface} `{name}` is not eligible"))
        for surface, name in declared
        if surface in enabled and (surface, name) not in eligible
    )
