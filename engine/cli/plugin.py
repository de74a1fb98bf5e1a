"""`yoi plugin ...`: package review commands. Each command lives in its own module."""

from __future__ import annotations

import click

from engine.cli.lazy import LazyGroup

PLUGIN_COMMANDS = {
    "check": "engine.cli.plugin_check:check",
    "pack": "engine.cli.plugin_pack:pack",
    "new": "engine.cli.plugin_new:new",
    "build": "engine.cli.plugin_build:build",
    "list": "engine.cli.plugin_list:list_cmd",
    "show": "engine.cli.plugin_list:show",
    "explain": "engine.cli.plugin_explain:explain",
    "graph": "engine.cli.plugin_graph:graph",
}


@click.group(cls=LazyGroup, lazy_commands=PLUGIN_COMMANDS)
def plugin() -> None:
    """Create, build, check, pack, list and show plugin packages."""
