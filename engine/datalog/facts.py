"""Input facts: checked against the program before evaluation (values are strings and ints only).

Facts come from JSON files, TOML tables and the graph; a bool, float or null there is a mistake in
the producer, not a value, so it is rejected with a diagnostic instead of silently comparing equal
to 1 or 0.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from engine.datalog.parser import INT_LIMIT
from engine.diagnostics import Diagnostic, DiagnosticError, Location
from engine.errors import EngineError, ErrorKind
from engine.safe_read import ReadError, read_bounded

MAX_FACT_DIAGNOSTICS = 20
# Parsed JSON takes about twelve times its size in memory (a row of three short strings is ~250
# bytes of objects): 32 MiB stays near 400 MB, where 256 MiB exhausted a 1.5 GB address space at
# 120 MB. Real facts files (`yoi plugin facts`, a workspace's) are kilobytes.
MAX_FACTS_FILE_BYTES = 32 * 1024 * 1024
_NAME_RE = re.compile(r"[a-z][A-Za-z0-9_]*\Z")


class FactsError(DiagnosticError):
    """Input facts that do not fit the program (names, arities, value types)."""


class FactsFileError(EngineError):
    """A facts file that cannot be read as JSON; the message says why, never what it holds."""

    error_kind = ErrorKind.INPUT


def read_facts_file(path: Path, *, follow_symlinks: bool = True) -> Any:
    """The JSON value of a facts file (`yoi policy eval --facts`, a test case's `facts = "f.json"`).

    A facts file a test case names is found, not given: it is read without following a symlink."""
    try:
        data = read_bounded(path, MAX_FACTS_FILE_BYTES, follow_symlinks=follow_symlinks)
    except ReadError as err:
        raise FactsFileError(f"cannot read: {err.reason}") from None
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise FactsFileError("not UTF-8") from None
    except json.JSONDecodeError as err:
        raise FactsFileError(f"invalid JSON at line {err.lineno} column {err.colno}: {err.msg}") from None
    except ValueError:  # int() refuses a number of more than 4300 digits
        raise FactsFileError("invalid JSON: a number with too many digits") from None
    except RecursionError:
        raise FactsFileError("nested too deeply") from None


def _diag(code: str, message: str, source: str | None) -> Diagnostic:
    return Diagnostic(
        "malformed", "rules", message, code=f"rules.{code}", location=Location(source) if source else None
    )


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


def _convert_rows(
    pred: str, rows: Iterable[Any], arity: int | None, from_program: bool, out: list[tuple]
) -> tuple[str, str] | None:
    """Append checked rows to `out`; the first problem as (code, message). Hot on big inputs:
    exact type tests first, the slow general checks only for what they do not settle."""
    for n, given in enumerate(rows):
        kind = type(given)
        if kind is tuple:
            row = given
        elif kind is list or isinstance(given, (list, tuple)):
            row = tuple(given)
        else:
            return "facts-shape", f"`{pred}` row {n}: a row must be a list of values"
        if arity is None:
            arity = len(row)
        if len(row) != arity:
            where = "the program uses" if from_program else "its first row has"
            return "facts-arity", f"`{pred}` row {n} has {len(row)} value(s) but {where} {arity}"
        for value in row:
            kind = type(value)
            if kind is str and value.isascii():
                continue
            if kind is int and -INT_LIMIT <= value < INT_LIMIT:
                continue
            bad = _bad_value(value)
            if bad:
                return "facts-value", f"`{pred}` row {n}: {bad}; values are strings and integers only"
        out.append(row)
    return None


def normalize_facts(
    facts: Mapping[str, Iterable[Any]],
    arities: Mapping[str, int],
    conclusions: frozenset[str],
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
            problems.append(
                _diag(
                    "facts-predicate",
                    f"`{str(pred)[:60]}` is not a predicate name (lowercase letter, then letters, digits, `_`)",
                    source,
                )
            )
            continue
        if pred in conclusions:
            problems.append(
                _diag(
                    "facts-conclusion",
                    f"`{pred}` is derived from conclusions only; it cannot be given as input",
                    source,
                )
            )
            continue
        if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Iterable):
            problems.append(_diag("facts-shape", f"facts of `{pred}` must be a list of rows", source))
            continue
        arity = arities.get(pred)
        converted: list[tuple] = []
        problem = _convert_rows(pred, rows, arity, pred in arities, converted)
        if problem:
            problems.append(_diag(problem[0], problem[1], source))
        out[pred] = converted
    if problems:
        raise FactsError(problems)
    return out
