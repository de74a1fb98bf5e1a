"""Run a command body and turn expected failures into bounded messages and exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

import click

from engine.cli.common import fail
from engine.cli.exits import exit_code
from engine.diagnostics import DiagnosticError, bound_text
from engine.errors import ErrorKind

T = TypeVar("T")
MAX_RULE_PROBLEMS = 20


def run_guarded(group: str, body: Callable[[], T]) -> T:
    """A library error ends the command with its kind's exit code (bad input, unreadable files and
    invalid rules: 2): invalid rules with each problem at its file:line:column (the first
    MAX_RULE_PROBLEMS), other input with its first diagnostic, anything else with its message.
    Rules that do not load are told by their error kind (engine.datalog's LoadError), so a run
    answered from the verdict cache never imports the rule engine to catch its error."""
    try:
        return body()
    except DiagnosticError as error:
        if error.error_kind is not ErrorKind.POLICY_LOAD:
            first = error.diagnostics[0]
            where = f"{first.location}: " if first.location and first.location.file else ""
            fail(group, f"{where}{first.message}", error.error_kind)
        problems = error.diagnostics
        for diag in problems[:MAX_RULE_PROBLEMS]:
            click.echo(
                f"yoi {group}: " + bound_text(f"policy rules are invalid: {diag.location}: {diag.message}"), err=True
            )
        if len(problems) > MAX_RULE_PROBLEMS:
            click.echo(f"yoi {group}: {len(problems) - MAX_RULE_PROBLEMS} more problem(s) not shown", err=True)
        sys.exit(exit_code(error.error_kind))
