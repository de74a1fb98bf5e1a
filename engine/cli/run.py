"""Run a command body and turn expected failures into bounded messages and exit codes."""

from __future__ import annotations

from typing import Callable, TypeVar

from engine.cli.common import EXIT_USAGE, fail
from engine.diagnostics import DiagnosticError

T = TypeVar("T")


def run_guarded(group: str, body: Callable[[], T]) -> T:
    """Bad input (unreadable config, bad policy rules) exits 2 with its first diagnostic."""
    from engine.datalog import LoadError

    try:
        return body()
    except DiagnosticError as error:
        first = error.diagnostics[0]
        where = f"{first.location}: " if first.location and first.location.file else ""
        fail(group, f"{where}{first.message}", EXIT_USAGE)
    except LoadError as error:
        first = error.diagnostics[0]
        fail(group, f"policy rules are invalid: {first.location}: {first.message}", EXIT_USAGE)
