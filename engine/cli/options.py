"""Options shared by the plugin commands that look at a workspace."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


workspace_option = click.option(
    "--workspace",
    type=click.Path(path_type=Path),
    default=Path("."),
    show_default=True,
    help="Workspace root (its .yoi/plugins is the project store).",
)


def config_option(help_text: str = "Enablement/grant config (default <workspace>/.yoi/config.toml).") -> Callable:
    """`--config FILE` (into `config_path`), with the command's own words for what it does."""
    return click.option("--config", "config_path", type=click.Path(path_type=Path), default=None, help=help_text)


def workspace_options(func: Callable) -> Callable:
    """`--workspace DIR`, `--config FILE` and repeatable `--policy DIR`."""
    return workspace_option(config_option()(policy_option(func)))


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


def _targets(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]):
    """The TargetProfiles `--target` names (none: the default target); an unknown name ends the
    command as a usage error (exit 2) naming the known ones."""
    from engine.cli.common import fail
    from engine.errors import EngineError
    from engine.pipeline.inputs import select_targets

    try:
        return select_targets(value)
    except EngineError as error:
        fail("plugin", str(error), error.error_kind)


def _complete_targets(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
    from click.shell_completion import CompletionItem

    from engine.targets import ALL, bundled_targets

    try:
        names = [name for profile in bundled_targets().profiles for name in profile.names()] + [ALL]
    except Exception:  # noqa: BLE001 - a completion never prints an error into the prompt
        names = []
    return [CompletionItem(name) for name in names if name.startswith(incomplete)]


_TARGET_NAMES = (
    "(a profile of targets/, e.g. engine, yoi@43c9216e, yoi@b12e0785 or yoi-current; `all` for every one); "
    "repeatable. Default: engine."
)


def _target_option(what: str) -> Callable:
    return click.option(
        "--target",
        "targets",
        multiple=True,
        metavar="NAME",
        callback=_targets,
        shell_complete=_complete_targets,
        help=what.format(names=_TARGET_NAMES),
    )


target_option = _target_option(
    "Judge the package(s) for this target host {names} With one target the status and exit code are its "
    "verdict, with several the worst of theirs."
)
# `yoi plugin facts` judges nothing: it exports what the rules would read for the targets.
target_facts_option = _target_option("Export the profile facts of this target host {names}")


class NumberRange(click.FloatRange):
    """`click.FloatRange` that also refuses NaN: every comparison with NaN is false, so FloatRange
    lets it through, and `--fail-under nan` then never failed (a gate silently off) while
    `--timeout nan` reached the build's clock."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"{value!r} is not a number.", param, ctx)
        return number
