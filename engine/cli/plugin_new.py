"""`yoi plugin new TEMPLATE DEST [--id ID]`: start a package from a template (spec §5.8)."""

from __future__ import annotations

import click

from engine.cli.common import emit_json, fail, format_options, resolve_format
from engine.cli.exits import kind_of
from engine.diagnostics import bound_text

HUMAN_SAFETY = "safety: no network; embedded template only; no secrets generated"


@click.command("new")
@click.argument("template")
@click.argument("destination", type=click.Path(path_type=str))
@click.option("--id", "plugin_id", default=None, help="Plugin id for plugin.toml (default: the template's).")
@format_options("human", "json")
def new(template: str, destination: str, plugin_id: str | None, output_format: str, as_json: bool) -> None:
    """Create a plugin package folder from a template: python-instance, python-tool, wat-instance, wat-tool."""
    from engine.authoring.new import SAFETY, NewError, create, next_steps

    try:
        result = create(template, destination, plugin_id)
    except NewError as error:
        fail("plugin", str(error), kind_of(error))
    steps = next_steps(result)
    if resolve_format(output_format, as_json) == "json":
        emit_json(
            {
                "command": "new",
                "template": result.template,
                "destination": result.destination,
                "id": result.plugin_id,
                "files": list(result.files),
                "safety": SAFETY,
                "next_steps": steps,
            }
        )
        return
    click.echo(bound_text(f"created plugin template `{result.template}` at {result.destination}", 1000))
    click.echo("files:")
    for name in result.files:
        click.echo(f"  - {name}")
    click.echo(HUMAN_SAFETY)
    click.echo("next steps:")
    for step in steps:
        click.echo(f"  - {bound_text(step, 1000)}")
