"""`yoi policy test` cases that name a plugin package instead of raw facts.

    [[case]]
    name = "counter without an ingress grant is partial"
    package = "../examples/instance-counter"     # folder or .yoi-plugin, relative to this file
    grants = "grants/counter.toml"              # optional: judge by this [[plugins.enabled]] config
    policy = ["."]                              # optional: org rule folders besides rules/
    expect_status = "partial"                   # per-surface view (list, startup)
    expect_check_status = "rejected"            # gate view (`yoi plugin check`: any deny rejects)
    targets = ["yoi@b12e0785"]                  # optional: judge for these targets (default: engine)
    expect_target_status = { "yoi@b12e0785" = "rejected" }   # gate view, per target
    expect_conclusions = [
      { code = "surface_not_granted", args = ["project:example.counter", "ingress", "counter-events"] },
    ]

The package goes through the same graph and fact export as `yoi plugin check`, and the case runs
the built-in rules plus `policy` and `rules`, so a policy test sees exactly what CI would; like
`--policy`, those rules are checked against the published fact schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.datalog.cases import (
    CaseError,
    CaseInput,
    FactProvider,
    Outcome,
    register_expectation,
    register_fact_provider,
)
from engine.diagnostics import DiagnosticError


def _paths(value: Any, key: str, base: Path) -> tuple[Path, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CaseError(f"`{key}` must be a path or a list of paths")
    return tuple(base / v for v in value)


def _package_case(case: Mapping[str, Any], base: Path) -> CaseInput:
    from engine.grants.config import load_config
    from engine.graph.build import build_graph
    from engine.graph.facts import schema_arities
    from engine.pipeline.evaluate import evaluation_facts
    from engine.pipeline.subjects import check_subject
    from engine.resources import rules_dir

    (package,) = _paths(case["package"], "package", base)
    if not package.exists():
        raise CaseError(f"package `{case['package']}` does not exist")
    config = None
    if "grants" in case:
        (grants,) = _paths(case["grants"], "grants", base)
        try:
            config = load_config(grants)
        except DiagnosticError as error:
            raise CaseError(f"grants `{case['grants']}`: {error.diagnostics[0].message}") from None
    policy = _paths(case.get("policy", []), "policy", base)
    subject = check_subject(package, config)
    facts = evaluation_facts(build_graph([subject]), (), _targets(case.get("targets", [])))
    return CaseInput(facts=facts, rules=policy, context=subject.ref, inputs=schema_arities(), library=(rules_dir(),))


def _targets(value: Any):
    """The profiles a case's `targets` names (default: the default target), as `--target` does."""
    from engine.errors import EngineError
    from engine.pipeline.inputs import select_targets

    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CaseError("`targets` must be a list of target names")
    try:
        return select_targets(value)
    except EngineError as error:
        raise CaseError(f"`targets`: {error}") from None


def _status_expectation(key: str, predicate: str):
    """An expectation on the status word the rules derive in `predicate` for the case's package."""

    def expect(value: Any, outcome: Outcome) -> list[str]:
        if not isinstance(value, str):
            raise CaseError(f"`{key}` must be a status word")
        if outcome.context is None:
            raise CaseError(f"`{key}` needs a `package` case")
        found = [row[1] for row in outcome.result.facts(predicate) if row[0] == outcome.context]
        status = found[0] if found else "rejected"
        return [] if status == value else [f"expected {predicate.replace('_', ' ')} {value}, got {status}"]

    return expect


def _target_status_expectation(value: Any, outcome: Outcome) -> list[str]:
    """`expect_target_status = {target: status}`: the gate-view status per target judged for."""
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise CaseError("`expect_target_status` must be a table of target name = status word")
    if outcome.context is None:
        raise CaseError("`expect_target_status` needs a `package` case")
    found = {row[1]: row[2] for row in outcome.result.facts("target_gate_status") if row[0] == outcome.context}
    problems = []
    for target, status in value.items():
        if target not in found:
            raise CaseError(f"`expect_target_status`: `{target}` is not a target this case judges for (`targets`)")
        if found[target] != status:
            problems.append(f"expected target {target} status {status}, got {found[target]}")
    return problems


def register() -> None:
    """Make `package` cases, `expect_status` (per-surface view), `expect_check_status` (gate
    view) and `expect_target_status` (gate view per target) available to the case runner
    (idempotent)."""
    register_fact_provider(FactProvider(("package", "grants", "policy", "targets"), _package_case))
    register_expectation("expect_status", _status_expectation("expect_status", "status"))
    register_expectation("expect_check_status", _status_expectation("expect_check_status", "gate_status"))
    register_expectation("expect_target_status", _target_status_expectation)
