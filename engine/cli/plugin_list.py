"""`yoi plugin list` and `yoi plugin show REF` over a workspace (spec §4.3, extended).

Statuses are the per-surface view startup uses (good surfaces start). `list` exits 0 as a
report, except for a whole-run deny (an org rule whose conclusion names no package) and, with
`--fail-on deny|warn`, a rejected or missing package or a conclusion of that severity or worse.
`show` prints the whole-run findings after the package and exits 1 on a whole-run deny too.
The verdict decides all of it (engine/verdict); engine/report renders it.
"""

from __future__ import annotations

import click

from engine.cli.common import emit_json, fail, fail_on_outcome
from engine.cli.complete import complete_refs
from engine.cli.options import fail_on_option, target_option, workspace_options
from engine.cli.run import run_guarded
from engine.errors import UnknownReference
from engine.verdict.run import workspace_verdict


@click.command("list")
@workspace_options
@target_option
@fail_on_option(
    None,
    "Fail (exit 1) on a rejected or missing package or a conclusion of this severity or worse (default: report only).",
)
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def list_cmd(workspace, config_path, policy_dirs, targets, fail_on, as_json):
    """List discovered and enabled plugin packages with their status and reasons."""
    from engine.cli.progress import Progress
    from engine.verdict.model import PER_SURFACE_VIEW

    with Progress("reading plugin packages", enabled=not as_json) as progress:
        verdict = run_guarded(
            "plugin",
            lambda: workspace_verdict(workspace, config_path, policy_dirs, progress=progress, targets=targets),
        )
    where = str(workspace.resolve())
    if as_json:
        from engine.report.listing import list_report

        emit_json(list_report(verdict, where, fail_on))
    else:
        from engine.report.human import render_list

        click.echo(render_list(verdict, where, fail_on, _terminal_width()), nl=False)
    fail_on_outcome("list", verdict.outcome(PER_SURFACE_VIEW, fail_on))


def _terminal_width() -> int | None:
    """The width to wrap rows at when stdout is a terminal; None (one line per item) otherwise."""
    import shutil
    import sys

    if not sys.stdout.isatty():
        return None
    return max(60, shutil.get_terminal_size().columns - 1)


@click.command("show")
@click.argument("ref", shell_complete=complete_refs)
@workspace_options
@target_option
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def show(ref, workspace, config_path, policy_dirs, targets, as_json):
    """Show one plugin package: surfaces, grants, tools, services, ingresses, reasons (exit 1 on a whole-run deny)."""
    from engine.verdict.model import PER_SURFACE_VIEW

    verdict = run_guarded("plugin", lambda: workspace_verdict(workspace, config_path, policy_dirs, targets=targets))
    try:
        package = verdict.select(ref)
    except UnknownReference as error:
        fail("plugin", str(error), error.error_kind)
    if as_json:
        from engine.report.listing import show_report

        emit_json(show_report(verdict, package))
    else:
        from engine.report.human import render_show

        click.echo(render_show(verdict, package), nl=False)
    fail_on_outcome("show", verdict.outcome(PER_SURFACE_VIEW))
