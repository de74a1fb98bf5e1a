"""`yoi plugin check PATH`: review a package folder or `.yoi-plugin` archive without running it.

The package, its grants (assumed from its own requests, or the real enablement from `--grants`),
its declared world and its artifact go through the graph and the rules; the report always goes
to stdout. `check` is a gate: the status is the rules' `gate_status`, where any deny rejects.
Exit 0 for active or partial, 1 for rejected (or not enabled by `--grants`), for a whole-run deny
(an org rule whose conclusion names no package) or, with `--fail-on warn`, for any warning; 2 when
the input, the grants file or a policy folder cannot be read or the policy does not load.
"""

from __future__ import annotations

import os

import click

from engine.cli.common import emit_json, fail, format_options, resolve_format
from engine.cli.options import fail_on_option, grants_option, policy_option
from engine.cli.run import run_guarded
from engine.errors import ErrorKind


@click.command("check")
@click.argument("path", type=click.Path(path_type=str))
@grants_option("Config with [[plugins.enabled]]: judge the package by its real enablement.")
@policy_option
@fail_on_option("deny", "Fail (exit 1) on any conclusion of this severity or worse: `warn` fails on warnings too.")
@format_options("human", "json", "sarif")
def check(path: str, grants_file, policy_dirs, fail_on: str, output_format: str, as_json: bool) -> None:
    """Check a plugin folder or .yoi-plugin archive: manifest, grants, ABI, surfaces."""
    if not os.path.exists(path):
        fail("plugin", f"plugin check input `{path}` could not be read: not found", ErrorKind.IO)
    if not os.access(path, os.R_OK):
        fail("plugin", f"plugin check input `{path}` could not be read: permission denied", ErrorKind.IO)
    from engine.report.check import check_failure
    from engine.verdict.run import check_verdict

    verdict = run_guarded("plugin", lambda: check_verdict(path, grants_file, policy_dirs))
    output_format = resolve_format(output_format, as_json)
    if output_format == "human":
        from engine.report.human import render_check

        click.echo(render_check(verdict, path, fail_on), nl=False)
    else:
        from engine.report.check import check_report

        report = check_report(verdict, path, fail_on)
        if output_format == "sarif":
            from engine import __version__
            from engine.report.sarif import sarif_log

            report = sarif_log([report], tool_version=__version__)
        emit_json(report)
    outcome, message = check_failure(verdict, fail_on, sarif=output_format == "sarif")
    if outcome.failed:
        fail("plugin", message, outcome.error_kind)
