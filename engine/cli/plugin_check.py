"""`yoi plugin check PATH`: review a package folder or `.yoi-plugin` archive without running it.

The report always goes to stdout; a rejected package then fails with exit 1 (spec §4.2), an input
path that cannot be read at all is a usage/input error (exit 2) and prints no report.
"""

from __future__ import annotations

import os

import click

from engine.cli.common import EXIT_POLICY, EXIT_USAGE, emit_json, fail, format_options, resolve_format


@click.command("check")
@click.argument("path", type=click.Path(path_type=str))
@format_options("human", "json")
def check(path: str, output_format: str, as_json: bool) -> None:
    """Check a plugin folder or .yoi-plugin archive (archive, manifest, tools, digest)."""
    from engine.report.check import build_check_report

    if not os.path.exists(path):
        fail("plugin", f"plugin check input `{path}` could not be read: not found", EXIT_USAGE)
    if not os.access(path, os.R_OK):
        fail("plugin", f"plugin check input `{path}` could not be read: permission denied", EXIT_USAGE)
    report = build_check_report(path)
    if resolve_format(output_format, as_json) == "json":
        emit_json(report)
    else:
        from engine.report.human import render_check

        click.echo(render_check(report), nl=False)
    if report["status"] == "rejected":
        fail("plugin", "plugin check failed; see diagnostics above", EXIT_POLICY)
