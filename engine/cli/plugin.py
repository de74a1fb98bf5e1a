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
    "facts": "engine.cli.plugin_facts:facts",
    "schema": "engine.cli.plugin_schema:schema",
    "lock": "engine.cli.plugin_lock:lock",
    "migrate": "engine.cli.plugin_migrate:migrate",
    "keygen": "engine.cli.plugin_sign:keygen",
    "sign": "engine.cli.plugin_sign:sign",
    "verify": "engine.cli.plugin_verify:verify",
    # These run plugin code (behind the startup gate); only they import the runtime.
    "call": "engine.cli.plugin_run:call",
    "ingress": "engine.cli.plugin_run:ingress",
    "serve": "engine.cli.plugin_run:serve",
    "dev": "engine.cli.plugin_dev:dev",
}


@click.group(cls=LazyGroup, lazy_commands=PLUGIN_COMMANDS)
def plugin() -> None:
    """Create, build, check, pack, list and show plugin packages, print the facts the rules see, migrate them to
    the current yoi format; lock a workspace's resolved plan; call, ingress and serve run what the rules planned;
    dev serves a package folder while you write it."""
