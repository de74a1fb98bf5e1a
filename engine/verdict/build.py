"""Build the RunVerdict from an Evaluation, once (engine/verdict/model.py says what it holds).

Every status, eligibility and classification is read from the rules' facts (`status`,
`gate_status`, `eligible`, `host_api_eligible`, `runtime_eligible`, `blocking`, ...); every
finding's meaning from its rule's metadata. This module only gathers them per package.
"""

from __future__ import annotations

from pathlib import Path

from engine import api_registry
from engine.diagnostics import bound_text
from engine.grants.refs import try_parse_ref
from engine.graph.inputs import Subject
from engine.verdict.findings import conclusion_finding, input_finding, rule_catalog
from engine.verdict.locate import Locator
from engine.verdict.model import (
    Finding,
    ItemVerdict,
    LimitsVerdict,
    PackageInfo,
    PackageVerdict,
    RuntimeVerdict,
    RunVerdict,
    TargetVerdict,
)
from engine.verdict.plans import plan_for


def build_verdict(evaluation) -> RunVerdict:
    """The verdict of `evaluation`: one PackageVerdict per subject (in subject order), the
    findings no package owns, and the catalog of the rules that concluded anything."""
    refs = {subject.ref for subject in evaluation.subjects}
    by_ref: dict[str, list] = {}
    run_conclusions = []
    for conclusion in evaluation.conclusions():
        package = evaluation.package_of(conclusion)
        if isinstance(package, str) and package in refs:
            by_ref.setdefault(package, []).append(conclusion)
        else:
            run_conclusions.append(conclusion)
    targets = evaluation.target_names
    packages = tuple(_package(evaluation, s, by_ref.get(s.ref, ()), targets) for s in evaluation.subjects)
    run_findings = tuple(conclusion_finding(evaluation, c, Locator(None)) for c in run_conclusions)
    every = [f for p in packages for f in p.conclusions]
    every += [f for p in packages for t in p.targets for f in t.findings] + list(run_findings)
    return RunVerdict(
        packages,
        run_findings,
        rule_catalog(evaluation, every),
        protected_paths=tuple(entry.path for entry in evaluation.protected),
        enablement_reading_rules=enablement_reading_rules(evaluation),
        run_blocking_codes=tuple(code for (code,) in evaluation.rows("blocks_run")),
        targets=targets,
        default_target_only=len(evaluation.targets) == 1 and evaluation.targets[0].default,
    )


def enablement_reading_rules(evaluation) -> tuple[str, ...]:
    """The conclusions of org policy rules (any rule file outside the built-in rules folder) that
    read facts of the enablement (FACT_SCHEMA origin `enablement`: grants, grant entries, enabled
    surfaces, limits), directly or through what other rules derive from them. Decided from the
    program's rules and the facts' declared origins, never from names. Without `--grants`, those
    rules were judged against the package's own requests (reports say so once)."""
    from engine.datalog.ast import body_atoms
    from engine.graph.facts import FACT_SCHEMA
    from engine.pipeline.inputs import RuleFiles

    program = evaluation.result.program
    builtin = Path(RuleFiles().folders[0])
    org = [r for r in program.rules if r.is_conclusion and r.location.file and Path(r.location.file).parent != builtin]
    if not org:
        return ()
    reading = {pred for pred, fact in FACT_SCHEMA.items() if fact.origin == "enablement"}
    changed = True
    while changed:  # the predicates derived, at any depth, from an enablement fact
        changed = False
        for rule in program.rules:
            if rule.head.pred not in reading and any(atom.pred in reading for atom in body_atoms(rule)):
                reading.add(rule.head.pred)
                changed = True
    return tuple(sorted({r.head.pred for r in org if any(a.pred in reading for a in body_atoms(r))}))


def _package(evaluation, subject: Subject, conclusions, targets: tuple[str, ...]) -> PackageVerdict:
    ref = subject.ref
    package = subject.package
    manifest = package.manifest if package is not None else None
    locator = Locator(subject)
    every = tuple(conclusion_finding(evaluation, c, locator) for c in conclusions)
    findings = tuple(f for f in every if f.target is None)
    parsed = try_parse_ref(ref)
    grants = subject.grants
    label = Path(package.path).name if package else Path(subject.package_path).name if subject.package_path else None
    own_status = evaluation.value("status", ref, "rejected")
    own_gate_status = evaluation.value("gate_status", ref, "rejected")
    return PackageVerdict(
        ref=ref,
        local_ref=parsed.local_id if parsed else None,
        status=evaluation.value("targets_status", ref, own_status),
        gate_status=evaluation.value("targets_gate_status", ref, own_gate_status),
        classification=evaluation.value("classification", ref),
        source=subject.source,
        label=label,
        package_path=subject.package_path,
        version=manifest.version if manifest else None,
        schema_version=manifest.schema_version if manifest else None,
        digest=package.digest if package else None,
        configured=subject.configured,
        discovered=subject.discovered,
        resolved=subject.resolved,
        static_eligible=evaluation.holds("static_eligible", ref),
        grants_assumed=subject.grants_assumed,
        declared_surfaces=tuple(sorted(set(manifest.surfaces))) if manifest else (),
        enabled_surfaces=tuple(subject.enabled_surfaces),
        requested_permissions=tuple(sorted({p.label for p in manifest.permissions})) if manifest else (),
        configured_grants=tuple(sorted({p.label for p in grants.permissions})) if grants else (),
        configured_api_grants=tuple(
            (api, tuple(sorted({g.label for g in grants.table(api)})) if grants else ()) for api in api_registry.names()
        ),
        package=PackageInfo.of(package) if package is not None else None,
        runtime=_runtime(evaluation, ref, findings) if package is not None else None,
        items=_items(evaluation, subject, findings) if package is not None else (),
        diagnostics=tuple(input_finding(d, ref) for d in subject.diagnostics),
        conclusions=findings,
        limits=_limits(evaluation, ref) if package is not None else None,
        plan=plan_for(evaluation, ref),
        trust=subject.trust,
        targets=tuple(_target(evaluation, ref, name, every) for name in targets),
    )


def _target(evaluation, ref: str, name: str, findings: tuple[Finding, ...]) -> TargetVerdict:
    """The package judged for target `name` (rules/status.rules `target_status`, ...)."""
    rank = dict(evaluation.rows("status_rank"))
    statuses = {row[2] for row in evaluation.rows("target_status", ref) if row[1] == name}
    gate = {row[2] for row in evaluation.rows("target_gate_status", ref) if row[1] == name}
    return TargetVerdict(
        target=name,
        status=_worst(statuses, rank, evaluation.value("status", ref, "rejected")),
        gate_status=_worst(gate, rank, evaluation.value("gate_status", ref, "rejected")),
        compatible=evaluation.holds("target_compatible", ref, name),
        findings=tuple(f for f in findings if f.target == name),
    )


def _worst(values: set[str], rank: dict, default: str) -> str:
    """The status the rules derive; should they derive two, the worse by their `status_rank`."""
    if not values:
        return default
    return max(sorted(values), key=lambda status: rank.get(status, -1))


def _joined(findings: tuple[Finding, ...], indexes, severity: str = "deny") -> str | None:
    """The messages of the `severity` findings among `indexes`, joined (spec §4.1 `diagnostic`)."""
    texts = [findings[i].message for i in indexes if findings[i].severity == severity]
    return bound_text("; ".join(texts)) if texts else None


def _runtime(evaluation, ref: str, findings: tuple[Finding, ...]) -> RuntimeVerdict:
    """The runtime is ineligible when a denial blocks the whole package (rules: `blocking`); such
    a denial may still name an item, e.g. an org rule about one tool."""
    blocking = {code for (_, code) in evaluation.rows("blocking", ref)}
    indexes = tuple(i for i, f in enumerate(findings) if f.severity == "deny" and f.code in blocking)
    return RuntimeVerdict(
        eligible=evaluation.holds("runtime_eligible", ref),
        status=evaluation.value("runtime_status", ref, "none"),
        classification=evaluation.value("classification", ref),
        diagnostic=_joined(findings, indexes),
        findings=indexes,
    )


def _items(evaluation, subject: Subject, findings: tuple[Finding, ...]) -> tuple[ItemVerdict, ...]:
    """Every declared tool, service and ingress (manifest order), then each host API the manifest
    requests or the grant gives, with the findings about each."""
    ref = subject.ref
    manifest = subject.package.manifest  # type: ignore[union-attr]
    about: dict[tuple[str, str], list[int]] = {}
    for index, finding in enumerate(findings):
        item = finding.about.item
        if item is not None:
            about.setdefault(item, []).append(index)
    requested = {(k, v) for (_, k, v) in evaluation.rows("requests", ref)}
    granted = {(k, v) for (_, k, v) in evaluation.rows("grants", ref)}
    eligible = {(s, n) for (_, s, n) in evaluation.rows("eligible", ref)}
    enabled = set(subject.enabled_surfaces)
    out = []
    for surface, entries in (("tool", manifest.tools), ("service", manifest.services), ("ingress", manifest.ingresses)):
        for entry in entries:
            key = (surface, entry.name)
            indexes = tuple(about.get(key, ()))
            out.append(
                ItemVerdict(
                    surface=surface,
                    name=entry.name,
                    requested=key in requested,
                    granted=key in granted,
                    eligible=key in eligible,
                    enabled=surface in enabled,
                    findings=indexes,
                    diagnostic=_joined(findings, indexes),
                    external_write=getattr(entry, "external_write", None),
                )
            )
    apis = {api for (_, api) in evaluation.rows("host_api_eligible", ref)}
    for api in api_registry.names():
        key = ("host_api", api)
        if key not in requested and key not in granted:
            continue
        indexes = tuple(about.get(key, ()))
        notes = [findings[i].message for i in indexes if findings[i].severity == "info"]
        out.append(
            ItemVerdict(
                surface="host_api",
                name=api,
                requested=key in requested,
                granted=key in granted,
                eligible=api in apis,
                enabled=True,
                findings=indexes,
                diagnostic=_joined(findings, indexes),
                note=bound_text(notes[0]) if notes else None,
            )
        )
    return tuple(out)


def _limits(evaluation, ref: str) -> LimitsVerdict:
    return LimitsVerdict(
        effective=tuple((name, value) for (_, name, value) in evaluation.rows("limit", ref)),
        raised=tuple((name, value) for (_, name, value) in evaluation.rows("limit_raised", ref)),
        capped=tuple((n, requested, maximum) for (_, n, requested, maximum) in evaluation.rows("limit_capped", ref)),
        restart=tuple((name, value) for (_, name, value) in evaluation.rows("restart", ref)),
    )
