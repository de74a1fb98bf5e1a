"""`yoi policy lint|eval|test`: check, run and test rule programs (engine/datalog)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from engine.cli.common import EXIT_OK, EXIT_POLICY, emit_json, fail, format_options, resolve_format
from engine.cli.exits import exit_code
from engine.cli.options import NumberRange
from engine.diagnostics import Diagnostic, DiagnosticError, bound_text, escape_text, human_lines
from engine.errors import ErrorKind

GROUP = "policy"


SCHEMAS = ("plugin",)


def _load(paths: Sequence[str], inputs: dict[str, int | None] | None = None, builtin: bool = False):
    """Load rules for lint/eval; PATHS without a single rules file is a usage error. With
    `inputs`, a body predicate that is neither an input nor derived by a loaded rule (or an input
    used with another arity) is a load error; `builtin` loads the built-in rules first."""
    from engine.datalog import load
    from engine.resources import rules_dir

    if not paths and not builtin:
        fail(GROUP, "give rule files or folders (or --builtin for the built-in rules)")
    program = load([*([rules_dir()] if builtin else []), *paths], inputs=inputs)
    if paths and not any(Path(p).is_file() or any(Path(p).glob("*.rules")) for p in paths):
        fail(GROUP, "no *.rules files in " + ", ".join(paths))
    return program


def _schema_inputs(schema: str | None) -> dict[str, int | None] | None:
    """The input predicates of a named schema (`plugin`: the facts `yoi plugin` commands export)."""
    if schema is None:
        return None
    from engine.graph.facts import schema_arities

    return dict(schema_arities())


def _facts_inputs(raw: Any) -> dict[str, int | None] | None:
    """A facts file's predicates as the inputs of `policy eval` (any arity here: evaluation checks
    each row against the rules and reports it at the facts file). None when the file is not an
    object, so evaluation reports its shape."""
    if not isinstance(raw, dict):
        return None
    return {str(pred): None for pred in raw}


def _line(diag: Diagnostic) -> str:
    return f"{diag.location}: {diag.severity}: {bound_text(diag.message, 512)} [{diag.code}]"


def _fail_with(diagnostics: Sequence[Diagnostic], kind: ErrorKind) -> NoReturn:
    """Input errors (bad rules, facts or test files): every diagnostic on stderr, then the exit
    code of `kind` (2)."""
    for diag in diagnostics:
        click.echo(f"yoi {GROUP}: {escape_text(_line(diag))}", err=True)
    sys.exit(exit_code(kind))


@click.group()
def policy() -> None:
    """Lint, evaluate and test rule programs (*.rules files and folders)."""


@policy.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--schema",
    type=click.Choice(SCHEMAS),
    default=None,
    help="Check PATHS as a policy over this fact schema (`plugin`: what `--policy` loads): with the "
    "built-in rules, every body predicate must be a schema fact or derived by a rule.",
)
@format_options("human", "json")
def lint(paths: tuple[str, ...], schema: str | None, output_format: str, as_json: bool) -> None:
    """Run every load-time check on PATHS (files, or folders of *.rules). Exit 0 clean, 2 errors."""
    from engine.datalog import LoadError

    fmt = resolve_format(output_format, as_json)
    try:
        program = _load(paths, _schema_inputs(schema), builtin=schema is not None)
    except LoadError as err:
        if fmt == "json":
            emit_json({"ok": False, "diagnostics": [d.to_dict() for d in err.diagnostics]})
        else:
            click.echo(human_lines([*map(_line, err.diagnostics), f"{len(err.diagnostics)} error(s)"]), nl=False)
        sys.exit(exit_code(err.error_kind))
    from engine.datalog.program import rule_file_labels

    # only the user's files: the built-in rules `--schema` loads beside them are not theirs to count
    files = [label for label in program.files if label in set(rule_file_labels(paths))]
    statements = sum(1 for rule in program.rules[: program.statements] if rule.location.file in files)
    if fmt == "json":
        emit_json({"ok": True, "files": files, "rules": statements, "diagnostics": []})
    else:
        click.echo(f"ok: {statements} statement(s) in {len(files)} file(s)")


def _read_facts(path: str) -> Any:
    from engine.datalog.facts import FactsFileError, read_facts_file

    try:
        return read_facts_file(Path(path))
    except FactsFileError as err:
        fail(GROUP, f"facts file {path}: {err}", err.error_kind)


def _atoms(texts: Sequence[str], option: str) -> list[tuple[str, tuple]]:
    from engine.datalog import LoadError, parse_atom

    out = []
    for text in texts:
        try:
            out.append(parse_atom(text))
        except LoadError as err:
            fail(GROUP, f"{option} {text!r}: {err.diagnostics[0].message}")
    return out


def _human_eval(facts: dict[str, list], conclusions: list, explained: list, missed: list) -> None:
    """Sections (facts, conclusions, explanations, summary) separated by one blank line."""
    from engine.datalog.ast import SEVERITIES, format_fact

    sections: list[list[str]] = [
        [f"{format_fact(pred, row)}." for pred, rows in facts.items() for row in rows],
        [
            f"{c.severity} {format_fact(c.code, c.args)}: {bound_text(c.message, 512)}  [{c.location}]"
            for c in conclusions
        ],
    ]
    for text, proof in explained:
        sections.append(
            [f"explain {text}:"] + [f"  {line}" for line in (proof.render() if proof else [f"{text} does not hold"])]
        )
    for text, answer in missed:
        sections.append([f"why not {text}:"] + [f"  {line}" for line in answer.render()])
    counts = [sum(1 for c in conclusions if c.severity == s) for s in SEVERITIES]
    sections.append([", ".join(f"{n} {s}" for n, s in zip(counts, SEVERITIES, strict=True))])
    click.echo("\n".join(human_lines(lines) for lines in sections if lines), nl=False)


@policy.command("eval")
@click.argument("paths", nargs=-1)
@click.option("--facts", "facts_file", metavar="FILE.json", help='Input facts: {"predicate": [[arg, ...], ...], ...}.')
@click.option(
    "--builtin",
    is_flag=True,
    help="Load the built-in rules first, as `yoi plugin check` does: over `yoi plugin facts` output this gives "
    "check's conclusions (PATHS may then be only a policy folder, or none).",
)
@click.option(
    "--query",
    "queries",
    multiple=True,
    metavar="PRED",
    help="Print only these predicates (default: every derived predicate).",
)
@click.option(
    "--explain",
    "explains",
    multiple=True,
    metavar="ATOM",
    help='Show why a fact holds, e.g. tool_ok("project:echo", "echo").',
)
@click.option(
    "--why-not",
    "why_nots",
    multiple=True,
    metavar="ATOM",
    help="Show, per rule, the first body literal that found no match.",
)
@format_options("human", "json")
def eval_(
    paths: tuple[str, ...],
    facts_file: str | None,
    builtin: bool,
    queries: tuple[str, ...],
    explains: tuple[str, ...],
    why_nots: tuple[str, ...],
    output_format: str,
    as_json: bool,
) -> None:
    """Evaluate the rules in PATHS on input facts. Exit 0 no deny, 1 deny, 2 bad input."""
    from engine.datalog import LoadError
    from engine.datalog.ast import format_fact

    fmt = resolve_format(output_format, as_json)
    explain_atoms, why_not_atoms = _atoms(explains, "--explain"), _atoms(why_nots, "--why-not")
    raw = _read_facts(facts_file) if facts_file else {}
    try:
        # The facts file's predicates are the inputs: a rule reading anything else is a typo.
        program = _load(paths, _facts_inputs(raw) if facts_file else None, builtin=builtin)
    except LoadError as err:
        _fail_with(err.diagnostics, err.error_kind)
    try:
        result = program.evaluate(raw, source=facts_file)
    except DiagnosticError as err:
        _fail_with(err.diagnostics, err.error_kind)
    for pred, args in explain_atoms + why_not_atoms:
        arity = program.arities.get(pred)
        if arity is not None and arity != len(args):
            fail(GROUP, f"`{pred}` takes {arity} argument(s), not {len(args)}")
    known = set(result.predicates())
    for pred in queries:
        if pred not in known:
            fail(GROUP, f"--query {pred}: no rule and no input fact mentions this predicate")
    shown = list(dict.fromkeys(queries)) if queries else sorted(program.derived)
    facts = {pred: result.facts(pred) for pred in shown}
    explained = [(format_fact(p, a), result.explain(p, a)) for p, a in explain_atoms]
    missed = [(format_fact(p, a), result.why_not(p, a)) for p, a in why_not_atoms]
    conclusions = result.conclusions
    if fmt == "json":
        explanation = None
        if explained or missed:
            explanation = {
                "explain": [
                    proof.to_dict() if proof else {"fact": text, "holds": False, "steps": []}
                    for text, proof in explained
                ],
                "why_not": [answer.to_dict() for _, answer in missed],
            }
        emit_json(
            {
                "facts": {p: [list(r) for r in rows] for p, rows in facts.items()},
                "conclusions": [c.to_dict() for c in conclusions],
                "explanation": explanation,
            }
        )
    else:
        _human_eval(facts, conclusions, explained, missed)
    sys.exit(EXIT_POLICY if any(c.severity == "deny" for c in conclusions) else EXIT_OK)


@policy.command("test")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--coverage",
    "with_coverage",
    is_flag=True,
    help="Report which rules and body literals the cases exercised, per rule with file:line.",
)
@click.option(
    "--fail-under",
    type=NumberRange(0, 100),
    default=None,
    metavar="PERCENT",
    help="Fail (exit 1) when the body-literal coverage is below PERCENT (implies --coverage).",
)
@format_options("human", "json")
def test_(
    paths: tuple[str, ...], with_coverage: bool, fail_under: float | None, output_format: str, as_json: bool
) -> None:
    """Run the cases of *.test.toml files in PATHS (files or folders). Exit 0 all pass, 1 not."""
    from engine.datalog.cases import CaseRunner, find_test_files
    from engine.datalog.coverage import CoverageCollector
    from engine.pipeline.policy_cases import register

    register()  # cases may name a plugin package, its grants and policy folders

    fmt = resolve_format(output_format, as_json)
    files, problems = find_test_files(paths)
    if problems:
        _fail_with(problems, ErrorKind.INPUT)
    if not files:
        fail(GROUP, "no *.test.toml files found")
    collector = CoverageCollector() if with_coverage or fail_under is not None else None
    runner = CaseRunner(collector)
    results = []
    for path, label, found in files:
        try:
            results.extend(runner.run_file(path, label, found))
        except DiagnosticError as err:
            _fail_with(err.diagnostics, err.error_kind)
    passed = sum(1 for r in results if r.passed)
    failed = len(results) - passed
    coverage = collector.coverage() if collector is not None else None
    if fmt == "json":
        out: dict[str, Any] = {"cases": [r.to_dict() for r in results], "passed": passed, "failed": failed}
        if coverage is not None:
            out["coverage"] = coverage.to_dict()
        emit_json(out)
    else:
        lines = []
        for r in results:
            status = "PASS" if r.passed else "FAIL"
            detail = "" if r.passed else ": " + "; ".join(bound_text(f, 300) for f in r.failures)
            lines.append(f"{status} {r.file}::{r.name}{detail}")
        if coverage is not None:  # printed whether the cases pass or not
            lines.extend(coverage.render())
        lines.append(f"{passed} passed, {failed} failed")
        click.echo(human_lines(lines), nl=False)
    if coverage is not None and fail_under is not None and coverage.literal_percent < fail_under:
        fail(
            GROUP,
            f"body-literal coverage {coverage.literal_percent:.2f}% is under --fail-under {fail_under:g}",
            ErrorKind.REJECTED,
        )
    sys.exit(EXIT_OK if failed == 0 else EXIT_POLICY)
