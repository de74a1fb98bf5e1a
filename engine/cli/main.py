"""Entry point of the `yoi` console script."""

from __future__ import annotations

import click

from engine import __version__
from engine.cli.lazy import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy_commands={
        "plugin": "engine.cli.plugin:plugin",
        "wit": "engine.cli.wit:wit",
        "policy": "engine.cli.policy:policy",
    },
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="yoi")
def cli() -> None:
    """Review, gate and run yoi WebAssembly plugin packages.

    Exit codes: 0 ok, 1 policy failure (a package or rule rejected), 2 usage or input error.
    """


if __name__ == "__main__":  # pragma: no cover
    cli()
