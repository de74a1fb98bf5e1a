"""Policy test cases (`*.test.toml`), run by `yoi policy test`.

A case names its rules, says where its facts come from, and states what must hold:

    [[case]]
    name = "granted tool is ok"
    rules = ["../rules"]                      # paths relative to this file
    facts = { tool = [["p", "echo"]] }        # or facts = "facts.json"
    expect_facts = { tool_ok = [["p", "echo"]] }
    expect_no_facts = { tool_not_granted = [["p", "echo"]] }
    expect_conclusions = [{ code = "tool_not_granted", args = ["p", "echo"] }]
    expect_no_conclusions = [{ code = "tool_not_granted" }]

Extension points: where facts come from is a `FactProvider` registered in FACT_PROVIDERS by the
case keys it owns (`facts` here; a later issue adds one keyed by `package` with `grants` and
`policy`), and what is checked is an `Expectation` registered in EXPECTATIONS by its key (a later
issue adds `expect_status`). A case must use exactly one provider; any key no provider or
expectation owns is an error, so a typo never turns into a test that silently passes.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.datalog.ast import SEVERITIES, format_fact
from engine.datalog.coverage import CoverageCollector
from engine.datalog.facts import FactsFileError, normalize_facts, read_facts_file
from engine.datalog.parser import rule_diagnostic
from engine.datalog.program import LoadError, Program, Result, load, rule_file_labels
from engine.diagnostics import Diagnostic, DiagnosticError, Location
from engine.errors import EngineError, ErrorKind
from engine.safe_read import ReadError, read_bounded_text
from engine.walk import FolderTooDeep, walk_entries

MAX_TEST_FILE_BYTES = 4 * 1024 * 1024


class CaseError(EngineError):
    """A case that cannot run as written (bad key, bad value, unreadable facts file)."""

    error_kind = ErrorKind.INPUT


@dataclass(frozen=True)
class CaseInput:
    """What a provider gives a case: its facts, extra rule paths under test, rule paths loaded
    first but not under test (`library`: the built-in rules a package case runs beside the
    policy; coverage leaves them out), context for expectations and, when the facts follow a
    published schema, its inputs (rules are then checked against it)."""

    facts: Mapping[str, Any]
    rules: tuple[Path, ...] = ()
    context: Any = None
    inputs: Mapping[str, int | None] | None = None
    library: tuple[Path, ...] = ()


@dataclass(frozen=True)
class FactProvider:
    """Turns a case's own keys into facts. `keys[0]` selects the provider; all `keys` are its."""

    keys: tuple[str, ...]
    build: Callable[[Mapping[str, Any], Path], CaseInput]


@dataclass(frozen=True)
class Outcome:
    result: Result
    context: Any = None


Expectation = Callable[[Any, Outcome], list[str]]  # (value from the case, outcome) -> failures


@dataclass(frozen=True)
class CaseResult:
    file: str
    name: str
    passed: bool
    failures: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "name": self.name, "passed": self.passed, "failures": list(self.failures)}


def _table_of_rows(value: Any, key: str) -> dict[str, list]:
    if not isinstance(value, dict) or not all(
        isinstance(rows, list) and all(isinstance(r, list) for r in rows) for rows in value.values()
    ):
        raise CaseError(f"`{key}` must be a table of predicate = [[value, ...], ...]")
    return value


def _raw_facts(case: Mapping[str, Any], base: Path) -> CaseInput:
    value = case["facts"]
    if isinstance(value, str):
        try:
            value = read_facts_file(base / value, follow_symlinks=False)
        except FactsFileError as err:
            raise CaseError(f"facts file `{value}`: {err}") from None
    return CaseInput(_table_of_rows(value, "facts"))


FACT_PROVIDERS: dict[str, FactProvider] = {"facts": FactProvider(("facts",), _raw_facts)}


def register_fact_provider(provider: FactProvider) -> None:
    FACT_PROVIDERS[provider.keys[0]] = provider


def _values(value: Any, key: str, arities: Mapping[str, int]) -> dict[str, list[tuple]]:
    try:
        return normalize_facts(_table_of_rows(value, key), arities, frozenset())
    except DiagnosticError as err:
        raise CaseError(f"`{key}`: {err.diagnostics[0].message}") from None


def _expected_rows(value: Any, key: str, result: Result) -> list[tuple[str, tuple]]:
    """Rows to look up; a predicate neither the rules nor the facts know is a typo, not a pass."""
    facts = _values(value, key, result.program.arities)
    known = set(result.predicates())
    for pred in facts:
        if pred not in known:
            raise CaseError(f"`{key}`: no rule and no input fact mentions `{pred}`")
    return [(pred, row) for pred, rows in facts.items() for row in rows]


def _expect_facts(value: Any, outcome: Outcome) -> list[str]:
    rows = _expected_rows(value, "expect_facts", outcome.result)
    return [f"expected fact {format_fact(p, row)} does not hold" for p, row in rows if not outcome.result.holds(p, row)]


def _expect_no_facts(value: Any, outcome: Outcome) -> list[str]:
    rows = _expected_rows(value, "expect_no_facts", outcome.result)
    return [f"fact {format_fact(p, row)} holds but must not" for p, row in rows if outcome.result.holds(p, row)]


def _conclusion_patterns(value: Any, key: str, result: Result) -> list[tuple[str, str | None, tuple | None]]:
    """`[{code, args?, severity?}]`: without args (or severity) any matches. The code must be a
    conclusion of the rules under test, so a misspelt code cannot pass `expect_no_conclusions`."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise CaseError(f"`{key}` must be a list of {{ code = ..., args = [...] }} tables")
    out = []
    for item in value:
        unknown = set(item) - {"code", "args", "severity"}
        if unknown or not isinstance(item.get("code"), str):
            raise CaseError(f"`{key}` entries take `code` (required), `args`, `severity`")
        code, severity, args = item["code"], item.get("severity"), item.get("args")
        if code not in result.program.conclusions:
            raise CaseError(f"`{key}`: `{code}` is not a conclusion of these rules")
        if severity is not None and severity not in SEVERITIES:
            raise CaseError(f"`{key}`: severity must be one of {', '.join(SEVERITIES)}")
        if args is not None:
            if not isinstance(args, list):
                raise CaseError(f"`{key}`: `args` must be a list of values")
            args = _values({code: [args]}, key, result.program.arities)[code][0]
        out.append((code, severity, args))
    return out


def _matching(outcome: Outcome, code: str, severity: str | None, args: tuple | None) -> bool:
    return any(
        c.code == code and (severity is None or c.severity == severity) and (args is None or c.args == args)
        for c in outcome.result.conclusions
    )


def _describe(code: str, severity: str | None, args: tuple | None) -> str:
    text = format_fact(code, args) if args is not None else f"{code}(...)"
    return f"{severity} {text}" if severity else text


def _expect_conclusions(value: Any, outcome: Outcome) -> list[str]:
    return [
        f"expected conclusion {_describe(*p)} is missing"
        for p in _conclusion_patterns(value, "expect_conclusions", outcome.result)
        if not _matching(outcome, *p)
    ]


def _expect_no_conclusions(value: Any, outcome: Outcome) -> list[str]:
    return [
        f"conclusion {_describe(*p)} was concluded but must not be"
        for p in _conclusion_patterns(value, "expect_no_conclusions", outcome.result)
        if _matching(outcome, *p)
    ]


EXPECTATIONS: dict[str, Expectation] = {
    "expect_facts": _expect_facts,
    "expect_no_facts": _expect_no_facts,
    "expect_conclusions": _expect_conclusions,
    "expect_no_conclusions": _expect_no_conclusions,
}


def register_expectation(key: str, check: Expectation) -> None:
    EXPECTATIONS[key] = check


def case_input(case: Mapping[str, Any], base: Path) -> CaseInput:
    """The one step from a case to its facts: pick the provider, reject keys nobody owns."""
    chosen = [p for key, p in FACT_PROVIDERS.items() if key in case]
    if len(chosen) != 1:
        names = " or ".join(f"`{k}`" for k in sorted(FACT_PROVIDERS))
        raise CaseError(f"a case needs exactly one of {names}")
    owned = {"name", "rules"} | set(chosen[0].keys) | set(EXPECTATIONS)
    unknown = sorted(set(case) - owned)
    if unknown:
        raise CaseError(f"unknown key `{unknown[0]}`")
    return chosen[0].build(case, base)


class CaseRunner:
    """Runs cases, loading each distinct rule set once; with a `coverage` collector, records which
    literals of the rules under test each case exercised."""

    def __init__(self, coverage: CoverageCollector | None = None) -> None:
        self._programs: dict[tuple, Program] = {}
        self.coverage = coverage

    def program(self, paths: tuple[Path, ...], inputs: Mapping[str, int | None] | None = None) -> Program:
        try:
            key = (tuple(p.resolve() for p in paths), None if inputs is None else tuple(sorted(inputs.items())))
        except (OSError, ValueError):  # e.g. a NUL in a path: load() reports it as unreadable
            return load(list(paths), inputs=inputs)
        if key not in self._programs:
            self._programs[key] = load(list(paths), inputs=inputs)
        return self._programs[key]

    def run_case(self, case: Any, base: Path) -> list[str]:
        """Failures of one case (empty when it passes)."""
        if not isinstance(case, dict):
            raise CaseError("a case must be a table")
        given = case.get("rules", [])
        if not isinstance(given, list) or not all(isinstance(p, str) for p in given):
            raise CaseError("`rules` must be a list of paths")
        case_in = case_input(case, base)
        tested = case_in.rules + tuple(base / p for p in given)
        if not (case_in.library or tested):
            raise CaseError("a case needs `rules`")
        try:
            program = self.program(case_in.library + tested, case_in.inputs)
        except LoadError as err:
            return [f"rules do not load: {d.location}: {d.message}" for d in err.diagnostics[:3]]
        labels = rule_file_labels(tested) if self.coverage is not None else []
        try:
            result = program.evaluate(case_in.facts)
        except DiagnosticError as err:
            if self.coverage is not None:
                self.coverage.register(program.rules[: program.statements], labels)
            return [f"bad facts: {d.message}" for d in err.diagnostics[:3]]
        if self.coverage is not None:
            self.coverage.add(result, labels)
        outcome = Outcome(result, case_in.context)
        failures = []
        for key, check in EXPECTATIONS.items():
            if key in case:
                failures.extend(check(case[key], outcome))
        return failures

    def run_file(self, path: Path, label: str, found: bool = False) -> list[CaseResult]:
        """Every case of one test file; raises DiagnosticError when the file itself is unusable.
        A file `found` in a folder walk is read without following a symlink."""
        try:
            data = tomllib.loads(read_bounded_text(path, MAX_TEST_FILE_BYTES, follow_symlinks=not found))
        except ReadError as err:
            message = err.reason if err.kind == "encoding" else f"cannot read: {err.reason}"
            raise DiagnosticError(_file_diag(message, label)) from None
        except tomllib.TOMLDecodeError as err:
            raise DiagnosticError(_file_diag(f"invalid TOML: {err}", label)) from None
        except ValueError:  # int() refuses a number of more than 4300 digits
            raise DiagnosticError(_file_diag("invalid TOML: a number with too many digits", label)) from None
        except RecursionError:
            raise DiagnosticError(_file_diag("invalid TOML: nested too deeply", label)) from None
        cases = data.get("case")
        if set(data) - {"case"} or not isinstance(cases, list):
            raise DiagnosticError(_file_diag("a test file holds only [[case]] tables", label))
        out = []
        for number, case in enumerate(cases, 1):
            name = case.get("name") if isinstance(case, dict) else None
            name = name if isinstance(name, str) and name else f"case {number}"
            try:
                failures = self.run_case(case, path.parent)
            except CaseError as err:
                failures = [f"error: {err}"]
            out.append(CaseResult(label, name, not failures, tuple(failures)))
        return out


def _file_diag(message: str, label: str) -> Diagnostic:
    return rule_diagnostic("test-file", message, Location(label))


def find_test_files(paths: Iterable[str | Path]) -> tuple[list[tuple[Path, str, bool]], list[Diagnostic]]:
    """(file, label, found in a folder): files as given; folders contribute their `*.test.toml`
    entries (walked iteratively with a depth bound, sorted). A found entry that is not a folder is
    kept even when it is no regular file, so reading it reports the problem instead of skipping a
    test silently."""
    files: list[tuple[Path, str, bool]] = []
    problems: list[Diagnostic] = []
    for item in paths:
        path = Path(item)
        if os.path.isdir(path):  # os.path: False, not OSError, for a name too long to be a path
            problems.extend(_walk_test_folder(path, files))
        elif os.path.lexists(path):
            files.append((path, str(path), False))
        else:
            problems.append(_file_diag("no such file or folder", str(path)))
    return _once(files), problems


def _once(files: list[tuple[Path, str, bool]]) -> list[tuple[Path, str, bool]]:
    """Each file once, where first named: a file given both itself and through its folder (the
    policy hook passes a changed case file and the folder of a changed rules file) runs once."""
    seen: set[str] = set()
    out = []
    for entry in files:
        key = os.path.realpath(entry[0])  # never raises, even on a symlink loop
        if key not in seen:
            seen.add(key)
            out.append(entry)
    return out


def _walk_test_folder(folder: Path, out: list[tuple[Path, str, bool]]) -> list[Diagnostic]:
    found = []
    try:
        for entry, _ in walk_entries(folder):
            if entry.name.endswith(".test.toml") and not entry.is_dir(follow_symlinks=False):
                found.append(Path(entry.path))
    except FolderTooDeep as err:
        return [_file_diag(str(err), str(folder))]
    except OSError as err:
        return [_file_diag(f"cannot list folder: {err.strerror or 'error'}", str(folder))]
    out.extend((p, str(p), True) for p in sorted(found))
    return []
