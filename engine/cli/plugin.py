"""`yoi plugin ...`: package review commands. Each command lives in its own module."""

from __future__ import annotations

import click

from engine.cli.lazy import LazyGroup

PLUGIN_COMMANDS = {
    "check": "engine.cli.plugin_check:check",
    "pack": "engine.cli.plugin_pack:pack",
}


@click.group(cls=LazyGroup, lazy_commands=PLUGIN_COMMANDS)
def plugin() -> None:
    """Check, pack, list and show plugin packages (nothing here runs plugin code)."""
