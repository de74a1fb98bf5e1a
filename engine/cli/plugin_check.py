"""`yoi plugin check PATH...`: review package folders or `.yoi-plugin` archives without running them.

Each package, its grants (assumed from its own requests, or the real enablement from `--grants`),
its declared world and its artifact go through the graph and the rules, judged for each
`--target` host (default: engine); the report always goes to stdout. `check` is a gate: the
status is the rules' gate status, where any deny rejects, for the worst of the targets judged.
Exit 0 for active or partial, 1 for rejected (for any target; or not enabled by `--grants`), for a
whole-run deny (an org rule whose conclusion names no package) or, with `--fail-on warn`, for any
warning; 2 when an input, the grants file or a policy folder cannot be read, the policy does not
load or a target is unknown. Several PATHs give one report each (a JSON array; one SARIF run)
and, with several targets, a compatibility matrix; the run fails when any of them does.
"""

from __future__ import annotations

import os

import click

from engine.cli.common import emit_json, fail, format_options, resolve_format
from engine.cli.options import fail_on_option, grants_option, policy_option, target_option
from engine.cli.run import run_guarded
from engine.errors import ErrorKind


def _readable(path: str) -> None:
    if not os.path.exists(path):
        fail("plugin", f"plugin check input `{path}` could not be read: not found", ErrorKind.IO)
    if not os.access(path, os.R_OK):
        fail("plugin", f"plugin check input `{path}` could not be read: permission denied", ErrorKind.IO)


@click.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str), metavar="PATH...")
@grants_option("Config with [[plugins.enabled]]: judge the package by its real enablement.")
@policy_option
@target_option
@fail_on_option("deny", "Fail (exit 1) on any conclusion of this severity or worse: `warn` fails on warnings too.")
@format_options("human", "json", "sarif")
def check(paths, grants_file, policy_dirs, targets, fail_on: str, output_format: str, as_json: bool) -> None:
    """Check plugin folders or .yoi-plugin archives: manifest, grants, ABI, surfaces, target hosts."""
    for path in paths:
        _readable(path)
    from engine.report.check import check_failure
    from engine.verdict.run import check_verdict

    def judged(path: str):
        return run_guarded("plugin", lambda: check_verdict(path, grants_file, policy_dirs, targets))

    verdicts = [judged(path) for path in paths]
    output_format = resolve_format(output_format, as_json)
    if output_format == "human":
        from engine.report.human import render_check, render_check_matrix

        for path, verdict in zip(paths, verdicts, strict=True):
            click.echo(render_check(verdict, path, fail_on), nl=False)
        if len(paths) > 1:
            click.echo(render_check_matrix(verdicts), nl=False)
    else:
        from engine.report.check import check_report

        reports = [check_report(verdict, path, fail_on) for path, verdict in zip(paths, verdicts, strict=True)]
        if output_format == "sarif":
            from engine import __version__
            from engine.report.sarif import sarif_log

            emit_json(sarif_log(reports, tool_version=__version__))
        else:
            emit_json(reports[0] if len(reports) == 1 else reports)
    failures = [check_failure(verdict, fail_on, sarif=output_format == "sarif") for verdict in verdicts]
    failed = [(outcome, message) for outcome, message in failures if outcome.failed]
    if failed:
        outcome, message = failed[0]
        if len(paths) > 1:
            message = f"{message} ({len(failed)} of {len(paths)} packages failed)"
        fail("plugin", message, outcome.error_kind)
