"""`yoi plugin graph REF|PATH --format dot|mermaid|json`: the graph the rules ran over."""

from __future__ import annotations

import click

from engine.cli.common import EXIT_USAGE, fail
from engine.cli.complete import complete_refs
from engine.cli.options import workspace_options
from engine.cli.run import run_guarded


@click.command("graph")
@click.argument("target", shell_complete=complete_refs)
@workspace_options
@click.option(
    "--format", "output_format", type=click.Choice(["dot", "mermaid", "json"]), default="dot", show_default=True
)
def graph(target, workspace, config_path, policy_dirs, output_format):
    """Print the package graph (packages, surfaces, permissions, grants, world, artifact)."""
    import networkx as nx

    from engine.report.graph_render import render_graph
    from engine.report.target import evaluate_target

    try:
        evaluation, ref = run_guarded("plugin", lambda: evaluate_target(target, workspace, config_path, policy_dirs))
    except LookupError as error:
        fail("plugin", str(error), EXIT_USAGE)
    full = evaluation.graph
    keep = nx.descendants(full, ("package", ref)) | {("package", ref)}
    click.echo(render_graph(full.subgraph(keep).copy(), output_format), nl=False)
