"""The rule language's syntax tree: every statement and literal carries its Location.

Nodes are frozen dataclasses so a loaded Program can be shared freely; `str()` of a node prints it
back in the rule syntax (used by explanations, why-not answers and error messages).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from engine.diagnostics import Location, escape_text

Value = str | int

BUILTINS = {"startswith": 2, "endswith": 2, "contains": 2, "glob": 2, "regex": 2}
SEVERITIES = ("deny", "warn", "info")


def format_value(value: Value) -> str:
    """A value in rule syntax: strings JSON-quoted, integers as digits. What JSON leaves raw but
    can forge or hide text on a terminal (bidi overrides, C1 controls, U+2028, lone surrogates) is
    written as a `\\uXXXX` escape: the same string to the parser, harmless where it is printed
    (`yoi plugin facts --format datalog`, explanations, case failures)."""
    if isinstance(value, str):
        return escape_text(json.dumps(value, ensure_ascii=False))
    return str(value)


def format_fact(pred: str, args: tuple) -> str:
    if not args:
        return pred
    return f"{pred}({', '.join(format_value(a) for a in args)})"


@dataclass(frozen=True)
class Var:
    """A variable; anonymous `_` occurrences are renamed apart by the parser (`anonymous`)."""

    name: str
    location: Location
    anonymous: bool = False

    def __str__(self) -> str:
        return "_" if self.anonymous else self.name


@dataclass(frozen=True)
class Const:
    value: Value
    location: Location

    def __str__(self) -> str:
        return format_value(self.value)


Term = Var | Const


@dataclass(frozen=True)
class Atom:
    pred: str
    args: tuple[Term, ...]
    location: Location

    @property
    def arity(self) -> int:
        return len(self.args)

    def __str__(self) -> str:
        if not self.args:
            return self.pred
        return f"{self.pred}({', '.join(str(a) for a in self.args)})"


@dataclass(frozen=True)
class Negation:
    atom: Atom
    location: Location

    def __str__(self) -> str:
        return f"not {self.atom}"


@dataclass(frozen=True)
class Comparison:
    op: str
    left: Term
    right: Term
    location: Location

    def __str__(self) -> str:
        return f"{self.left} {self.op} {self.right}"


@dataclass(frozen=True)
class Builtin:
    """A test builtin (`startswith(S, P)`, ...), possibly negated; all arguments must be bound."""

    name: str
    args: tuple[Term, ...]
    location: Location
    negated: bool = False

    def __str__(self) -> str:
        call = f"{self.name}({', '.join(str(a) for a in self.args)})"
        return f"not {call}" if self.negated else call


Literal = Atom | Negation | Comparison | Builtin


@dataclass(frozen=True)
class Annotation:
    """`@name(atom)` written before a statement, e.g. `@kind(abi)` or `@about(tool(P, T))`, or
    `@name(Var)`, e.g. `@target(T)`.

    Only conclusions take annotations (engine/datalog/metadata.py checks what they say)."""

    name: str
    value: Atom | Var
    location: Location

    def __str__(self) -> str:
        return f"@{self.name}({self.value})"


@dataclass(frozen=True)
class Rule:
    """A fact (empty body), a rule, or a conclusion (severity and message template set)."""

    head: Atom
    body: tuple[Literal, ...]
    location: Location
    severity: str | None = None
    message: str | None = None
    annotations: tuple[Annotation, ...] = ()

    @property
    def is_conclusion(self) -> bool:
        return self.severity is not None

    def __str__(self) -> str:
        head = str(self.head)
        if self.is_conclusion:
            head = f"{self.severity} {head} {format_value(self.message or '')}"
        if not self.body:
            return f"{head}."
        return f"{head} :- {', '.join(str(lit) for lit in self.body)}."


def body_atoms(rule: Rule) -> Iterator[Atom]:
    """Every body atom, negated ones included (not builtins)."""
    for lit in rule.body:
        if isinstance(lit, Atom):
            yield lit
        elif isinstance(lit, Negation):
            yield lit.atom


def rule_atoms(rule: Rule) -> Iterator[Atom]:
    """The head and every body atom, negated ones included (not builtins)."""
    yield rule.head
    yield from body_atoms(rule)


def literal_vars(lit: Literal) -> list[Var]:
    """Variables of a literal, in order of appearance."""
    if isinstance(lit, Atom):
        terms = lit.args
    elif isinstance(lit, Negation):
        terms = lit.atom.args
    elif isinstance(lit, Comparison):
        terms = (lit.left, lit.right)
    else:
        terms = lit.args
    return [t for t in terms if isinstance(t, Var)]
