"""`yoi plugin schema manifest|config`: the JSON Schema an editor validates plugin.toml (or the
enablement config) against, generated from the engine's own cerberus schemas."""

from __future__ import annotations

import click

from engine.cli.common import emit_json


@click.command("schema")
@click.argument("document", type=click.Choice(["manifest", "config"]))
def schema(document: str) -> None:
    """Print the JSON Schema of plugin.toml (manifest) or of the enablement config (config).

    Save it beside your files and point taplo-based editors (Even Better TOML) at it with a
    first line `#:schema ./plugin.schema.json`.
    """
    from engine.json_schema import SCHEMAS

    emit_json(SCHEMAS[document]())
