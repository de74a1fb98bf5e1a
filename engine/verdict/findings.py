"""Findings: the rules' conclusions and the input diagnostics, each made once, typed.

A conclusion's kind, subject and origin come from its rule's declared metadata
(engine/datalog/metadata.py), its location from those (engine/verdict/locate.py). An input
diagnostic keeps the kind and location its stage gave it. Nothing is read from a code's
spelling or a message's text.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.datalog.metadata import message_names_item
from engine.diagnostics import Diagnostic, Location
from engine.verdict.locate import Locator, derivation_location, make_about, package_premises
from engine.verdict.model import About, Finding, RuleInfo


def conclusion_finding(evaluation, conclusion, locator: Locator) -> Finding:
    """The Finding of one conclusion, about the package its metadata names (None: the run)."""
    program = evaluation.result.program
    meta = program.metadata[conclusion.code]
    rule = program.rules[conclusion.rule] if conclusion.rule >= 0 else None
    about = make_about(meta.about.form, meta.about.values(conclusion.args))
    origin = meta.origin
    if meta.declared:
        premises = (
            package_premises(evaluation.result, conclusion.code, conclusion.args, about.package, breadth_first=True)
            if origin == "enablement" and about.package is not None
            else ()
        )
        location = locator.locate(about, origin, conclusion.location, premises)
    elif about.package is not None and locator.subject is not None:
        location, origin = derivation_location(
            evaluation.result, conclusion.code, conclusion.args, about.package, locator
        )
    else:
        location = None
    return Finding(
        severity=conclusion.severity,
        code=conclusion.code,
        kind=meta.kind,
        phase="rules",
        message=conclusion.message,
        about=about,
        origin=origin,
        location=location,
        args=tuple(conclusion.args),
        rule=conclusion.location,
        names_item=rule is None or message_names_item(meta, rule),
        target=None if meta.target is None else str(meta.target.resolve(conclusion.args)),
    )


def input_finding(diagnostic: Diagnostic, ref: str | None) -> Finding:
    """An input diagnostic (discovery, loading, resolution) as a deny finding of its package."""
    return Finding(
        severity="deny",
        code=diagnostic.code,
        kind=diagnostic.kind,
        phase=diagnostic.phase,
        message=diagnostic.message,
        about=About("package", ref),
        origin=diagnostic.phase,
        location=diagnostic.location,
    )


def rule_catalog(evaluation, findings: Iterable[Finding]) -> tuple[RuleInfo, ...]:
    """One RuleInfo per conclusion code among `findings`, in code order, with every rule
    statement of that code (a code may have several rules)."""
    program = evaluation.result.program
    codes = sorted({f.code for f in findings if f.is_conclusion})
    if not codes:
        return ()
    locations: dict[str, list[Location]] = {code: [] for code in codes}
    severities: dict[str, str] = {}
    for rule in program.rules:
        code = rule.head.pred
        if rule.is_conclusion and code in locations:
            locations[code].append(rule.location)
            severities.setdefault(code, rule.severity or "")
    out = []
    for code in codes:
        meta = program.metadata[code]
        out.append(
            RuleInfo(
                code=code,
                severity=severities[code],
                kind=meta.kind,
                about=meta.about.form,
                origin=meta.origin,
                declared=meta.declared,
                locations=tuple(locations[code]),
            )
        )
    return tuple(out)
