"""Options shared by the plugin commands that look at a workspace."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

policy_option = click.option(
    "--policy",
    "policy_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of extra .rules files (org policy); repeatable.",
)


def grants_option(help_text: str) -> Callable:
    """`--grants FILE`: judge packages by a real enablement instead of their own requests."""
    return click.option("--grants", "grants_file", type=click.Path(path_type=Path), default=None, help=help_text)


def workspace_options(func: Callable) -> Callable:
    """`--workspace DIR`, `--config FILE` and repeatable `--policy DIR`."""
    func = policy_option(func)
    func = click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path),
        default=None,
        help="Enablement/grant config (default <workspace>/.yoi/config.toml).",
    )(func)
    func = click.option(
        "--workspace",
        type=click.Path(path_type=Path),
        default=Path("."),
        show_default=True,
        help="Workspace root (its .yoi/plugins is the project store).",
    )(func)
    return func


def fail_on_option(default: str | None, help_text: str) -> Callable:
    """`--fail-on deny|warn`: the least severe conclusion that fails the run (exit 1)."""
    from engine.verdict.model import FAIL_ON_LEVELS

    return click.option(
        "--fail-on",
        "fail_on",
        type=click.Choice(FAIL_ON_LEVELS),
        default=default,
        show_default=default is not None,
        help=help_text,
    )
