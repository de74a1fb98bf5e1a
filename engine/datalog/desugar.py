"""Derived `conclusion(Subject, Severity, Code)` facts, one rule per conclusion predicate.

Every conclusion `sev name(S, ...) "msg" :- body.` whose head has at least one argument also
derives `conclusion(S, "sev", "name")`. Rules can then say "no denial about this package" without
listing every conclusion by name, so an org policy's new `deny` takes part in status decisions
with no edit to the built-in rules. `conclusion` is therefore a reserved predicate of arity 3.
"""

from __future__ import annotations

from engine.datalog.ast import Atom, Const, Rule, body_atoms
from engine.datalog.parser import rule_diagnostic
from engine.diagnostics import Diagnostic

CONCLUSION_PREDICATE = "conclusion"


def conclusion_rules(rules: list[Rule]) -> list[Rule]:
    """The synthetic rules for `rules` (one per distinct conclusion predicate and severity)."""
    out: list[Rule] = []
    seen: set[tuple[str, str]] = set()
    for rule in rules:
        head, severity = rule.head, rule.severity
        if severity is None or not head.args or (head.pred, severity) in seen:  # not a conclusion, or done
            continue
        seen.add((head.pred, severity))
        location = rule.location
        derived = Atom(
            CONCLUSION_PREDICATE,
            (head.args[0], Const(severity, location), Const(head.pred, location)),
            location,
        )
        out.append(Rule(head=derived, body=(Atom(head.pred, head.args, location),), location=location))
    return out


def check_reserved(rules: list[Rule]) -> list[Diagnostic]:
    """User rules may read `conclusion/3` but never define it or use it with another arity."""
    out = []
    for rule in rules:
        if rule.head.pred == CONCLUSION_PREDICATE:
            out.append(
                rule_diagnostic(
                    "reserved-name",
                    "`conclusion` is derived by the engine from every conclusion "
                    "and cannot be defined by a rule or fact",
                    rule.head.location,
                )
            )
        for atom in body_atoms(rule):
            if atom.pred == CONCLUSION_PREDICATE and atom.arity != 3:
                out.append(
                    rule_diagnostic(
                        "arity",
                        f"`conclusion` takes 3 arguments (subject, severity, code), not {atom.arity}",
                        atom.location,
                    )
                )
    return out
