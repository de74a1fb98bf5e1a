"""Facts the engine derives from every conclusion and its metadata (engine/datalog/metadata.py).

For each conclusion predicate `name` (one set of rules, whatever the number of its rules):

- `conclusion(P, "sev", "name")` for every conclusion about a package (P is the package slot its
  `@about` names; by default the first argument). Rules can say "no denial about this package"
  without listing conclusions, so an org policy's new `deny` takes part with no edit.
- `conclusion_kind("name", Kind)` and `conclusion_about("name", Subject)`, stated once.
- for a `deny`: the category fact of its kind (`abi_broken(P)` for `@kind(abi)`), and
  `item_denied(P, Surface, Name)` when it is about one item, so the status rules need no list of
  which denials are about what.
- for a conclusion declared `@target(T)`, instead of the two above (it judges the package for
  target T, not the package's own verdict): `target_conclusion(P, T, "sev", "name")` and, for a
  `deny` about one item, `target_item_denied(P, T, Surface, Name)`.

These predicates are reserved: rules may read them, never define them or use another arity.
Every synthetic rule reads its conclusion through fresh variables, so a conclusion rule with a
constant in its head (`deny x(P, "a")`) still feeds all of them.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.datalog.ast import Atom, Const, Rule, Var, body_atoms
from engine.datalog.metadata import (
    ABOUT_PREDICATE,
    DERIVED_ARITIES,
    ITEM_DENIED,
    KIND_PREDICATE,
    KINDS,
    TARGET_CONCLUSION,
    TARGET_ITEM_DENIED,
    ConclusionMeta,
    about_atom,
)
from engine.datalog.parser import rule_diagnostic
from engine.diagnostics import Diagnostic, Location

CONCLUSION_PREDICATE = "conclusion"
RESERVED_ARITIES: dict[str, int] = {CONCLUSION_PREDICATE: 3, **DERIVED_ARITIES}
_PARAMETERS = {
    CONCLUSION_PREDICATE: "subject, severity, code",
    KIND_PREDICATE: "code, kind",
    ABOUT_PREDICATE: "code, subject",
    ITEM_DENIED: "package, surface, name",
    TARGET_CONCLUSION: "subject, target, severity, code",
    TARGET_ITEM_DENIED: "package, target, surface, name",
}


def conclusion_rules(rules: list[Rule], metadata: Mapping[str, ConclusionMeta]) -> list[Rule]:
    """The synthetic rules for the conclusions of `rules` (see the module docstring)."""
    out: list[Rule] = []
    seen: set[str] = set()
    for rule in rules:
        pred, severity = rule.head.pred, rule.severity
        if severity is None or pred in seen or pred not in metadata:
            continue
        seen.add(pred)
        meta = metadata[pred]
        location = rule.location
        fresh = tuple(Var(f"V{i}", location) for i in range(rule.head.arity))
        body = (Atom(pred, fresh, location),)
        out.append(_fact(KIND_PREDICATE, (pred, meta.kind), location))
        out.append(_fact(ABOUT_PREDICATE, (pred, meta.about.shape.subject), location))
        if meta.about.package is None:
            continue  # about the whole run: no package to conclude anything of
        terms = about_atom(meta.about, fresh)
        package = terms[0]
        shape = meta.about.shape
        surface = (Const(shape.surface, location) if shape.surface else terms[1]) if shape.names_item else None
        tags = (Const(severity, location), Const(pred, location))
        derived = []
        if meta.target is not None:
            target = fresh[meta.target.position] if meta.target.position is not None else Const("", location)
            derived.append(Atom(TARGET_CONCLUSION, (package, target, *tags), location))
            if severity == "deny" and surface is not None:
                derived.append(Atom(TARGET_ITEM_DENIED, (package, target, surface, terms[-1]), location))
        else:
            derived.append(Atom(CONCLUSION_PREDICATE, (package, *tags), location))
            if severity == "deny":
                category = KINDS[meta.kind].category
                if category:
                    derived.append(Atom(category, (package,), location))
                if surface is not None:
                    derived.append(Atom(ITEM_DENIED, (package, surface, terms[-1]), location))
        out.extend(Rule(head=head, body=body, location=location) for head in derived)
    return out


def _fact(pred: str, values: tuple[str, ...], location: Location) -> Rule:
    return Rule(head=Atom(pred, tuple(Const(v, location) for v in values), location), body=(), location=location)


def check_reserved(rules: list[Rule]) -> list[Diagnostic]:
    """User rules may read the derived predicates but never define them or use another arity."""
    out = []
    for rule in rules:
        if rule.head.pred in RESERVED_ARITIES:
            out.append(
                rule_diagnostic(
                    "reserved-name",
                    f"`{rule.head.pred}` is derived by the engine from every conclusion "
                    "and cannot be defined by a rule or fact",
                    rule.head.location,
                )
            )
        for atom in body_atoms(rule):
            arity = RESERVED_ARITIES.get(atom.pred)
            if arity is not None and atom.arity != arity:
                out.append(
                    rule_diagnostic(
                        "arity",
                        f"`{atom.pred}` takes {arity} arguments ({_PARAMETERS.get(atom.pred, 'package')}), "
                        f"not {atom.arity}",
                        atom.location,
                    )
                )
    return out
