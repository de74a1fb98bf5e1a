"""Load-time checks of a parsed program (everything but syntax and stratification).

Each check returns diagnostics instead of stopping, so one `lint` run shows every problem of every
file at once, each at its file:line:column.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from functools import lru_cache

from engine.datalog.ast import (
    BUILTINS,
    Atom,
    Builtin,
    Comparison,
    Const,
    Negation,
    Rule,
    Var,
    body_atoms,
    literal_vars,
    rule_atoms,
)
from engine.datalog.builtins import compile_regex
from engine.datalog.desugar import RESERVED_ARITIES
from engine.datalog.parser import rule_diagnostic
from engine.datalog.template import template_fields
from engine.diagnostics import Diagnostic, Location

RESERVED = frozenset({"not", "deny", "warn", "info"})
# Choosing the join order is near-linear, but the generated code is not: every continuation
# function (one per 16 nested loops) takes every name bound so far, so code size and `compile` time
# grow with the square of the body (4,000 literals: ~11 s; bench/datalog_plan.py). The built-in rules use at most 8;
# tests/datalog join bodies of 450.
MAX_BODY_LITERALS = 512


def check_arities(rules: Iterable[Rule], inputs: Mapping[str, int | None] | None) -> list[Diagnostic]:
    """A predicate has one arity everywhere (and the arity of the input schema, when given;
    an input whose arity is None, e.g. a facts file's empty list, takes any)."""
    out: list[Diagnostic] = []
    first: dict[str, Atom] = {}
    for rule in rules:
        for atom in rule_atoms(rule):
            expected = inputs.get(atom.pred) if inputs is not None else None
            if expected is not None and expected != atom.arity:
                out.append(
                    rule_diagnostic(
                        "arity",
                        f"`{atom.pred}` has {atom.arity} argument(s) here but the input schema gives it {expected}",
                        atom.location,
                    )
                )
                continue
            seen = first.setdefault(atom.pred, atom)
            if seen.arity != atom.arity:
                out.append(
                    rule_diagnostic(
                        "arity",
                        f"`{atom.pred}` has {atom.arity} argument(s) here but {seen.arity} at {seen.location}",
                        atom.location,
                    )
                )
    return out


def check_names(rules: list[Rule], inputs: Mapping[str, int | None] | None) -> list[Diagnostic]:
    """Reserved words, builtins used as heads or with the wrong arity, unknown builtins/predicates."""
    out: list[Diagnostic] = []
    # The engine's derived predicates exist even when no conclusion feeds them (no abi deny).
    defined = {rule.head.pred for rule in rules} | set(RESERVED_ARITIES)
    for rule in rules:
        for atom in rule_atoms(rule):
            if atom.pred in RESERVED:
                out.append(
                    rule_diagnostic(
                        "reserved-name", f"`{atom.pred}` is a reserved word, not a predicate name", atom.location
                    )
                )
        if rule.head.pred in BUILTINS:
            out.append(
                rule_diagnostic(
                    "builtin-head", f"`{rule.head.pred}` is a builtin and cannot be defined", rule.head.location
                )
            )
        for lit in rule.body:
            if isinstance(lit, Builtin) and len(lit.args) != BUILTINS[lit.name]:
                out.append(
                    rule_diagnostic(
                        "builtin-arity",
                        f"builtin `{lit.name}` takes {BUILTINS[lit.name]} arguments, not {len(lit.args)}",
                        lit.location,
                    )
                )
        for atom in body_atoms(rule):
            if atom.pred not in defined and atom.pred not in RESERVED:
                out.extend(_undefined(atom, inputs, defined))
    return out


def _undefined(atom: Atom, inputs: Mapping[str, int | None] | None, defined: set[str]) -> list[Diagnostic]:
    """A body predicate no rule defines is an input; one that looks like a builtin is a typo.

    With an input schema, anything else is a typo too: a misspelt input (`requets`) would match
    nothing, so a `deny` built on it would silently never fire. The suggestion is the closest
    input or derived predicate."""
    if inputs is not None and atom.pred in inputs:
        return []
    close = _close_builtin(atom.pred)
    if close:
        return [
            rule_diagnostic(
                "unknown-builtin", f"unknown builtin `{atom.pred}` (did you mean `{close}`?)", atom.location
            )
        ]
    if inputs is not None:
        known = sorted(set(inputs) | defined)
        match = difflib.get_close_matches(atom.pred, known, n=1, cutoff=0.6)
        hint = f" (did you mean `{match[0]}`?)" if match else ""
        return [
            rule_diagnostic(
                "unknown-predicate",
                f"`{atom.pred}` is neither defined by a rule nor an input predicate{hint}",
                atom.location,
            )
        ]
    return []


@lru_cache(maxsize=4096)
def _close_builtin(name: str) -> str | None:
    """The builtin `name` is a likely typo of, if any. Every input predicate of every load asks,
    so the difflib work is done once per distinct name, not once per use."""
    close = difflib.get_close_matches(name, BUILTINS, n=1, cutoff=0.8)
    return close[0] if close else None


def check_safety(rule: Rule) -> list[Diagnostic]:
    """Every variable of the head, a negation, a comparison, a builtin or the message template
    must appear in a positive atom of the same body (so every rule is a finite join)."""
    out: list[Diagnostic] = []
    positive = {v.name for lit in rule.body if isinstance(lit, Atom) for v in literal_vars(lit)}
    for var in (a for a in rule.head.args if isinstance(a, Var)):
        if var.anonymous:
            out.append(rule_diagnostic("unsafe-variable", "anonymous variable `_` in the head", var.location))
        elif var.name not in positive:
            out.append(
                rule_diagnostic(
                    "unsafe-variable",
                    f"head variable `{var.name}` does not appear in a positive atom of the body",
                    var.location,
                )
            )
    for lit in rule.body:
        if isinstance(lit, Atom):
            continue
        what = (
            "negated atom"
            if isinstance(lit, Negation)
            else ("comparison" if isinstance(lit, Comparison) else f"builtin `{lit.name}`")
        )
        for var in literal_vars(lit):
            if var.anonymous and isinstance(lit, Negation):
                continue  # `not p(X, _)`: no fact p(X, anything)
            if var.anonymous:
                out.append(rule_diagnostic("unsafe-variable", f"anonymous variable `_` in a {what}", var.location))
            elif var.name not in positive:
                out.append(
                    rule_diagnostic(
                        "unsafe-variable",
                        f"variable `{var.name}` of a {what} does not appear in a positive atom of the body",
                        var.location,
                    )
                )
    return out


def check_body_size(rule: Rule) -> list[Diagnostic]:
    if len(rule.body) <= MAX_BODY_LITERALS:
        return []
    return [
        rule_diagnostic(
            "body-too-long",
            f"rule body has {len(rule.body)} literals; at most {MAX_BODY_LITERALS} are allowed "
            "(split it with intermediate predicates)",
            rule.location,
        )
    ]


def check_template(rule: Rule) -> list[Diagnostic]:
    if rule.message is None:
        return []
    head_vars = {a.name for a in rule.head.args if isinstance(a, Var) and not a.anonymous}
    return [
        rule_diagnostic(
            "template-variable",
            f"message names `{{{name}}}`, which is not a variable of the head `{rule.head}`",
            rule.location,
        )
        for name in dict.fromkeys(template_fields(rule.message))
        if name not in head_vars
    ]


def check_regexes(rule: Rule) -> list[Diagnostic]:
    out = []
    for lit in rule.body:
        if isinstance(lit, Builtin) and lit.name == "regex" and len(lit.args) == 2:
            pattern = lit.args[1]
            if isinstance(pattern, Const) and isinstance(pattern.value, str):
                compiled = compile_regex(pattern.value)
                if isinstance(compiled, str):
                    out.append(
                        rule_diagnostic("bad-regex", f"regex pattern does not compile: {compiled}", pattern.location)
                    )
    return out


def check_conclusions(rules: list[Rule]) -> list[Diagnostic]:
    """A conclusion predicate is defined only by conclusions, all of one severity."""
    out: list[Diagnostic] = []
    conclusion: dict[str, Rule] = {}
    for rule in rules:
        if rule.is_conclusion:
            seen = conclusion.setdefault(rule.head.pred, rule)
            if seen.severity != rule.severity:
                out.append(
                    rule_diagnostic(
                        "conclusion-severity",
                        f"conclusion `{rule.head.pred}` is `{rule.severity}` "
                        f"here but `{seen.severity}` at {seen.location}",
                        rule.location,
                    )
                )
    for rule in rules:
        if not rule.is_conclusion and rule.head.pred in conclusion:
            out.append(
                rule_diagnostic(
                    "conclusion-conflict",
                    f"`{rule.head.pred}` is defined by a conclusion at "
                    f"{conclusion[rule.head.pred].location} and by this ordinary "
                    f"{'rule' if rule.body else 'fact'}",
                    rule.location,
                )
            )
    return out


def check_program(rules: list[Rule], inputs: Mapping[str, int | None] | None = None) -> list[Diagnostic]:
    """All checks but syntax and stratification, in a stable order."""
    out = check_arities(rules, inputs) + check_names(rules, inputs) + check_conclusions(rules)
    for rule in rules:
        out += check_body_size(rule) + check_safety(rule) + check_template(rule) + check_regexes(rule)
    return out


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """By file, line, column: the order a reader goes through the files."""

    def key(d: Diagnostic) -> tuple:
        loc = d.location or Location()
        return (loc.file or "", loc.line or 0, loc.column or 0, d.code)

    return sorted(diagnostics, key=key)


__all__ = ["RESERVED", "check_program", "sort_diagnostics"]
