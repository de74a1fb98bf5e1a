"""`yoi plugin explain REF|PATH`: eligibility of every surface item, with proofs."""

from __future__ import annotations

import click

from engine.cli.common import emit_json, fail, fail_on_outcome
from engine.cli.complete import complete_refs
from engine.cli.options import grants_option, target_option, workspace_options
from engine.cli.run import run_guarded
from engine.errors import UnknownReference


@click.command("explain")
@click.argument("target", shell_complete=complete_refs)
@workspace_options
@grants_option("Config with [[plugins.enabled]] to judge a package PATH by, as `check --grants` (same as --config).")
@target_option
@click.option("--proof", is_flag=True, help="Print every proof and why-not chain in full.")
@click.option("--json", "as_json", is_flag=True, help="JSON output (always the full structure).")
def explain(target, workspace, config_path, policy_dirs, grants_file, targets, proof, as_json):
    """Explain, for every tool, service, ingress and host API, why it is eligible or not (exit 1 on a whole-run
    deny)."""
    if grants_file is not None and config_path is not None and grants_file != config_path:
        fail("plugin", "--grants and --config both give the grants of a package PATH; give one of them")
    config_path = grants_file if grants_file is not None else config_path
    from engine.pipeline.target import evaluate_target
    from engine.report.explain import explain_package, json_ready, render_explain
    from engine.verdict.build import build_verdict
    from engine.verdict.model import PER_SURFACE_VIEW

    try:
        evaluation, ref = run_guarded(
            "plugin", lambda: evaluate_target(target, workspace, config_path, policy_dirs, targets)
        )
    except UnknownReference as error:
        fail("plugin", str(error), error.error_kind)
    verdict = build_verdict(evaluation)
    report = explain_package(evaluation, verdict, ref)
    if as_json:
        emit_json(json_ready(report))
    else:
        click.echo(render_explain(report, proof=proof), nl=False)
    fail_on_outcome("explain", verdict.outcome(PER_SURFACE_VIEW))
