"""Which rules and which body literals the policy test cases exercised (`policy test --coverage`).

Definitions (docs/rules.md, "Policy test coverage"):

- Only the rules under test count: those of the files a case names in `rules` or `policy`, not
  the built-in rules a package case loads beside them, and not facts stated without a body.
- A body literal is *exercised* when, in at least one case, at least one binding reached it and
  satisfied it: the body is walked in source order over the case's final facts (a negation,
  comparison or builtin is tried as soon as the literals before it have bound its variables,
  as `yoi policy eval --why-not` does), keeping every partial match.
- A rule is *exercised* when every literal of its body is, in one case: it derived its head.

A case that cannot run (rules that do not load, bad facts) exercises nothing. Totals are summed
over every case of the run; the same rule loaded by several cases is one rule (same file and
position).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from engine.datalog.ast import Rule
from engine.datalog.program import Result
from engine.diagnostics import Location


@dataclass(frozen=True)
class LiteralCoverage:
    text: str
    location: Location
    exercised: bool


@dataclass(frozen=True)
class RuleCoverage:
    head: str  # the predicate the rule derives
    text: str
    location: Location
    exercised: bool
    literals: tuple[LiteralCoverage, ...]

    @property
    def literals_exercised(self) -> int:
        return sum(1 for lit in self.literals if lit.exercised)


def _percent(part: int, whole: int) -> float:
    """Percentage with two decimals; nothing to cover counts as fully covered."""
    return round(100.0 * part / whole, 2) if whole else 100.0


@dataclass(frozen=True)
class Coverage:
    rules: tuple[RuleCoverage, ...]

    @property
    def rules_exercised(self) -> int:
        return sum(1 for rule in self.rules if rule.exercised)

    @property
    def literals_total(self) -> int:
        return sum(len(rule.literals) for rule in self.rules)

    @property
    def literals_exercised(self) -> int:
        return sum(rule.literals_exercised for rule in self.rules)

    @property
    def rule_percent(self) -> float:
        return _percent(self.rules_exercised, len(self.rules))

    @property
    def literal_percent(self) -> float:
        """The coverage `--fail-under` compares: a rule is exercised only when all its literals are."""
        return _percent(self.literals_exercised, self.literals_total)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rules": {"exercised": self.rules_exercised, "total": len(self.rules), "percent": self.rule_percent},
            "literals": {
                "exercised": self.literals_exercised,
                "total": self.literals_total,
                "percent": self.literal_percent,
            },
            "per_rule": [
                {
                    "head": rule.head,
                    "rule": rule.text,
                    "file": rule.location.file,
                    "line": rule.location.line,
                    "column": rule.location.column,
                    "exercised": rule.exercised,
                    "literals": [
                        {
                            "literal": lit.text,
                            "line": lit.location.line,
                            "column": lit.location.column,
                            "exercised": lit.exercised,
                        }
                        for lit in rule.literals
                    ],
                }
                for rule in self.rules
            ],
        }

    def render(self) -> list[str]:
        """A summary line, then one line per rule with its file:line and its unexercised literals."""
        rules = f"{self.rules_exercised} of {len(self.rules)} rule(s) exercised ({self.rule_percent:.1f}%)"
        literals = f"{self.literals_exercised} of {self.literals_total} body literal(s) ({self.literal_percent:.1f}%)"
        lines = [f"coverage: {rules}, {literals}"]
        for rule in self.rules:
            state = "exercised" if rule.exercised else "NOT exercised"
            lines.append(
                f"  {rule.location} {rule.head}: {state}, {rule.literals_exercised}/{len(rule.literals)} literal(s)"
            )
            lines.extend(f"    not exercised: {lit.location} {lit.text}" for lit in rule.literals if not lit.exercised)
        return lines


def _display_file(label: str) -> str:
    absolute = os.path.realpath(label)
    here = os.getcwd()
    return os.path.relpath(absolute, here) if absolute.startswith(here + os.sep) else label


class CoverageCollector:
    """Accumulates, case by case, which literals of the rules under test were exercised."""

    def __init__(self) -> None:
        self._rules: dict[tuple, tuple[Rule, str, set[int]]] = {}
        self._real: dict[str, str] = {}  # label -> real path, asked once per run (labels repeat per case)

    def _real_path(self, label: str) -> str:
        if label not in self._real:
            self._real[label] = os.path.realpath(label)
        return self._real[label]

    def add(self, result: Result, labels: Iterable[str]) -> None:
        """Record one case's evaluation; `labels` name the rule files under test (rule_file_labels).
        Files are compared by real path: one program serves every case naming the same files,
        however each case spells them."""
        program = result.program
        for rule in self._under_test(program.rules[: program.statements], labels):
            self._entry(rule).update(result.satisfied_literals(rule))

    def register(self, rules: Iterable[Rule], labels: Iterable[str]) -> None:
        """Rules under test that a case loaded but could not run: counted, exercising nothing."""
        for rule in self._under_test(rules, labels):
            self._entry(rule)

    def _under_test(self, rules: Iterable[Rule], labels: Iterable[str]) -> Iterable[Rule]:
        files = {self._real_path(label) for label in labels}
        return (rule for rule in rules if rule.body and self._real_path(rule.location.file or "") in files)

    def _entry(self, rule: Rule) -> set[int]:
        key = (self._real_path(rule.location.file or ""), rule.location.line, rule.location.column, str(rule))
        if key not in self._rules:
            self._rules[key] = (rule, _display_file(rule.location.file or ""), set())
        return self._rules[key][2]

    def coverage(self) -> Coverage:
        out = []
        for key in sorted(self._rules):
            rule, file, hit = self._rules[key]

            def moved(location: Location, file: str = file) -> Location:
                return Location(file, location.line, location.column)

            literals = tuple(
                LiteralCoverage(str(lit), moved(lit.location), index in hit) for index, lit in enumerate(rule.body)
            )
            out.append(
                RuleCoverage(
                    rule.head.pred,
                    str(rule),
                    moved(rule.location),
                    all(lit.exercised for lit in literals),
                    literals,
                )
            )
        return Coverage(tuple(out))
