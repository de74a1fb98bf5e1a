"""`yoi plugin graph REF|PATH --format dot|mermaid|json`: the graph the rules ran over."""

from __future__ import annotations

import click

from engine.cli.common import fail
from engine.cli.complete import complete_refs
from engine.cli.options import workspace_options
from engine.cli.run import run_guarded
from engine.errors import UnknownReference


@click.command("graph")
@click.argument("target", shell_complete=complete_refs)
@workspace_options
@click.option(
    "--format", "output_format", type=click.Choice(["dot", "mermaid", "json"]), default="dot", show_default=True
)
def graph(target, workspace, config_path, policy_dirs, output_format):
    """Print the package graph (packages, surfaces, permissions, grants, world, artifact)."""
    import networkx as nx

    from engine.diagnostics import human_lines
    from engine.pipeline.target import evaluate_target
    from engine.report.graph_render import render_graph
    from engine.report.human import run_finding_lines
    from engine.report.shapes import finding_dict, rules_of
    from engine.verdict.build import build_verdict

    try:
        evaluation, ref = run_guarded("plugin", lambda: evaluate_target(target, workspace, config_path, policy_dirs))
    except UnknownReference as error:
        fail("plugin", str(error), error.error_kind)
    full = evaluation.graph
    keep = nx.descendants(full, ("package", ref)) | {("package", ref)}
    # Conclusions no package owns are in no package's subgraph: the JSON carries them, and for
    # dot/mermaid they go to stderr so they never vanish (DESIGN decision 6).
    verdict = build_verdict(evaluation)
    findings = verdict.run_findings
    extra = {"run_findings": [finding_dict(f) for f in findings], "rules": rules_of(verdict, ())}
    click.echo(render_graph(full.subgraph(keep).copy(), output_format, extra), nl=False)
    if findings and output_format != "json":
        click.echo(human_lines(run_finding_lines(findings)), err=True, nl=False)
