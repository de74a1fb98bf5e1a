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
        "hook": "engine.cli.hook:hook",
    },
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="yoi")
def cli() -> None:
    """Review, gate and run yoi WebAssembly plugin packages.

    Exit codes: 0 ok, 1 policy failure (a package or rule rejected), 2 usage or input error.
    """


def main() -> None:
    """The console script: `cli`, with a last line of defence against tracebacks.

    Every expected failure is reported by the commands themselves; a library error that escapes
    one still exits with its kind's code (engine/cli/exits.py); anything else is a bug, shown as
    one bounded line (no traceback, no file content) with exit 2. `YOI_DEBUG=1` re-raises.
    """
    import os
    import sys

    try:
        cli(standalone_mode=True)
    except Exception as error:  # the point is to catch what nobody expected (re-raised under YOI_DEBUG)
        if os.environ.get("YOI_DEBUG"):
            raise
        from engine.cli.exits import exit_code, kind_of
        from engine.diagnostics import bound_text, escape_text, redact_secret_like
        from engine.errors import ErrorKind

        kind = kind_of(error)
        detail = escape_text(bound_text(redact_secret_like(str(error)), 160))
        if kind is ErrorKind.INTERNAL:
            name = type(error).__name__
            click.echo(
                f"yoi: internal error ({name}: {detail}); please report it, with YOI_DEBUG=1 for details", err=True
            )
        else:  # a library error a command did not catch: its message and its kind's exit code
            click.echo(f"yoi: {detail}", err=True)
        sys.exit(exit_code(kind))


if __name__ == "__main__":  # pragma: no cover
    main()
