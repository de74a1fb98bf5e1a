"""Shared CLI plumbing: output format options, JSON emission, errors and exit codes."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from engine.cli.exits import EXIT_OK, EXIT_POLICY, EXIT_USAGE, exit_code
from engine.diagnostics import CLI_TEXT_LIMIT_CHARS, bound_text, escape_text
from engine.errors import ErrorKind

__all__ = ["EXIT_OK", "EXIT_POLICY", "EXIT_USAGE", "emit_json", "fail", "format_options", "resolve_format"]


def format_options(*formats: str) -> Callable:
    """Add `--format FMT` (choices `formats`, default human) and the `--json` short form."""

    def decorate(func: Callable) -> Callable:
        func = click.option("--json", "as_json", is_flag=True, help="Short for --format json.")(func)
        func = click.option(
            "--format",
            "output_format",
            type=click.Choice(formats),
            default=formats[0],
            show_default=True,
            help="Output format.",
        )(func)
        return func

    return decorate


def resolve_format(output_format: str, as_json: bool) -> str:
    return "json" if as_json else output_format


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def emit_json(value: Any) -> None:
    """JSON plus a newline on stdout, the only thing a JSON command prints: indented for a person
    at a terminal, compact for a pipe or a file (a program reading it; `jq .` indents it), so a
    large report is not mostly indentation (docs/reports.md).

    A file name that is not UTF-8 arrives as lone surrogates (surrogateescape); written raw they
    would make the output invalid UTF-8, so they are written as JSON `\\udcXX` escapes."""
    if _stdout_is_terminal():
        text = json.dumps(value, indent=2, ensure_ascii=False)
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    click.echo(_LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # replaced or closed stream
        return False


def fail(group: str, message: str, kind: ErrorKind = ErrorKind.USAGE, limit: int = CLI_TEXT_LIMIT_CHARS) -> NoReturn:
    """Print `yoi <group>: <message>` (bounded to `limit` characters) on stderr and exit with the
    code of `kind` (engine/cli/exits.py)."""
    click.echo(f"yoi {group}: {escape_text(bound_text(message, limit))}", err=True)
    sys.exit(exit_code(kind))


def fail_on_outcome(command: str, outcome) -> None:
    """After the report is printed, end the run as the verdict's Outcome says (engine/verdict):
    a failed run exits with its kind's code, naming its reasons (`plugin list failed: status
    rejected; 1 whole-run deny finding(s)`)."""
    if outcome.failed:
        fail("plugin", f"plugin {command} failed: " + "; ".join(outcome.reasons), outcome.error_kind)
