"""Shared CLI plumbing: output format options, JSON emission, errors and exit codes."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from engine.cli.exits import EXIT_OK, EXIT_POLICY, EXIT_USAGE, exit_code
from engine.diagnostics import bound_text, escape_text
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
    """Pretty-printed JSON plus a newline on stdout, the only thing a JSON command prints.

    A file name that is not UTF-8 arrives as lone surrogates (surrogateescape); written raw they
    would make the output invalid UTF-8, so they are written as JSON `\\udcXX` escapes."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    click.echo(_LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def fail(group: str, message: str, kind: ErrorKind = ErrorKind.USAGE) -> NoReturn:
    """Print `yoi <group>: <message>` (bounded) on stderr and exit with the code of `kind`
    (engine/cli/exits.py)."""
    click.echo(f"yoi {group}: {escape_text(bound_text(message))}", err=True)
    sys.exit(exit_code(kind))


def fail_on_run_denials(command: str, findings) -> None:
    """Exit 1, after the report is printed, when a whole-run finding is a deny: a conclusion no
    package owns must fail loudly, as it does in `list` and `check` (DESIGN decision 6)."""
    from engine.report.verdict import failure_reasons

    reasons = failure_reasons((), (), findings, None)
    if reasons:
        fail("plugin", f"plugin {command} failed: " + "; ".join(reasons), ErrorKind.REJECTED)
