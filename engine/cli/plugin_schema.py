"""`yoi plugin schema manifest|config [--target T]`: the JSON Schema an editor validates plugin.toml
(or the enablement config) against, generated from the engine's own cerberus schemas; with a
target, narrowed to what that host reads (docs/targets.md)."""

from __future__ import annotations

import click

from engine.cli.common import emit_json, fail


@click.command("schema")
@click.argument("document", type=click.Choice(["manifest", "config"]))
@click.option(
    "--target",
    "target_name",
    metavar="NAME",
    default=None,
    help="Only what this target host reads (a profile of targets/, e.g. yoi@b12e0785 or yoi-current); "
    "default: every format this engine reads.",
)
def schema(document: str, target_name: str | None) -> None:
    """Print the JSON Schema of plugin.toml (manifest) or of the enablement config (config).

    Save it beside your files and point taplo-based editors (Even Better TOML) at it with a
    first line `#:schema ./plugin.schema.json`.
    """
    from engine.json_schema import SCHEMAS

    profile = None
    if target_name is not None:
        from engine.errors import EngineError
        from engine.targets import ALL, bundled_targets

        if target_name == ALL:
            fail("plugin", f"a schema describes one target's format; name one target, not `{ALL}`")
        try:
            profile = bundled_targets().get(target_name)
        except EngineError as error:
            fail("plugin", str(error), error.error_kind)
    emit_json(SCHEMAS[document]() if profile is None else SCHEMAS[document](profile))
