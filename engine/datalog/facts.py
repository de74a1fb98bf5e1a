"""Input facts: checked against the program before evaluation (values are strings and ints only).

Facts come from JSON files, TOML tables and the graph; a bool, float or null there is a mistake in
the producer, not a value, so it is rejected with a diagnostic instead of silently comparing equal
to 1 or 0.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from engine.diagnostics import Diagnostic, DiagnosticError, Location
from engine.datalog.parser import INT_LIMIT

MAX_FACT_DIAGNOSTICS = 20
_NAME_RE = re.compile(r"[a-z][A-Za-z0-9_]*\Z")


class FactsError(DiagnosticError):
    """Input facts that do not fit the program (names, arities, value types)."""


def _diag(code: str, message: str, source: str | None) -> Diagnostic:
    return Diagnostic("malformed", "rules", message, code=f"rules.{code}",
                      location=Location(source) if source else None)


def _bad_value(value: Any) -> str | None:
    kind = type(value)
    if kind is str:
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "a string with a lone surrogate"
        return None
    if kind is int:
        return None if -INT_LIMIT <= value < INT_LIMIT else "an integer out of 64-bit range"
    names = {bool: "a boolean", float: "a number with a fraction", type(None): "null"}
    return names.get(kind, f"a value of type {kind.__name__}")


def normalize_facts(
    facts: Mapping[str, Iterable[Any]], arities: Mapping[str, int], conclusions: frozenset[str],
    source: str | None = None,
) -> dict[str, list[tuple]]:
    """Check and convert `{pred: rows}`; raises FactsError listing (at most 20) problems."""
    out: dict[str, list[tuple]] = {}
    problems: list[Diagnostic] = []
    if not isinstance(facts, Mapping):
        raise FactsError(_diag("facts-shape", "facts must map predicate names to lists of rows", source))
    for pred, rows in facts.items():
        if len(problems) >= MAX_FACT_DIAGNOSTICS:
            break
        if not isinstance(pred, str) or not _NAME_RE.match(pred):
            problems.append(_diag("facts-predicate", f"`{str(pred)[:60]}` is not a predicate name "
                                  "(lowercase letter, then letters, digits, `_`)", source))
            continue
        if pred in conclusions:
            problems.append(_diag("facts-conclusion", f"`{pred}` is derived from conclusions only; "
                                  "it cannot be given as input", source))
            continue
        if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Iterable):
            problems.append(_diag("facts-shape", f"facts of `{pred}` must be a list of rows", source))
            continue
        arity = arities.get(pred)
        converted = []
        for n, row in enumerate(rows):
            if isinstance(row, (str, bytes, Mapping)) or not isinstance(row, (list, tuple)):
                problems.append(_diag("facts-shape", f"`{pred}` row {n}: a row must be a list of "
                                      "values", source))
                break
            row = tuple(row)
            if arity is None:
                arity = len(row)
            if len(row) != arity:
                where = "the program uses" if pred in arities else "its first row has"
                problems.append(_diag("facts-arity", f"`{pred}` row {n} has {len(row)} value(s) but "
                                      f"{where} {arity}", source))
                break
            bad = next((b for b in map(_bad_value, row) if b), None)
            if bad:
                problems.append(_diag("facts-value", f"`{pred}` row {n}: {bad}; values are "
                                      "strings and integers only", source))
                break
            converted.append(row)
        out[pred] = converted
    if problems:
        raise FactsError(problems)
    return out
