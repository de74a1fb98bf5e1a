"""`yoi plugin build DIR`: build the artifact plugin.toml names, then check the package.

Exit codes: those of `check` on the built package (0 active/partial, 1 rejected); 1 when the
build itself fails (a compiler error, a timeout); 2 for bad input or a missing builder.
"""

from __future__ import annotations

import click

from engine.cli.common import emit_json, fail, format_options, resolve_format
from engine.cli.run import run_guarded
from engine.diagnostics import bound_text
from engine.errors import ErrorKind


@click.command("build")
@click.argument("directory", type=click.Path(path_type=str))
@click.option(
    "--timeout",
    type=click.FloatRange(1, 3600),
    default=600,
    show_default=True,
    help="Seconds a Python build may take before it is stopped.",
)
@format_options("human", "json")
def build(directory: str, timeout: float, output_format: str, as_json: bool) -> None:
    """Build a package folder's artifact (WAT with wasmtime, Python with componentize-py), then check it."""
    from engine.authoring.build import BuildError
    from engine.authoring.build import build as build_package
    from engine.report.judge import check_path

    try:
        result = build_package(directory, timeout)
    except BuildError as error:
        fail("plugin", f"plugin build failed: {error}", error.error_kind)
    report = run_guarded("plugin", lambda: check_path(directory))
    if resolve_format(output_format, as_json) == "json":
        emit_json(
            {
                "command": "build",
                "directory": directory,
                "language": result.language,
                "builder": result.builder,
                "artifact": result.artifact,
                "size_bytes": result.size_bytes,
                "build_ms": round(result.build_ms, 1),
                "check": report,
            }
        )
    else:
        from engine.report.human import render_check

        click.echo(
            bound_text(f"plugin build: {directory} [built] language={result.language} builder={result.builder}", 1000)
        )
        click.echo(
            bound_text(
                f"artifact: {result.artifact} size={result.size_bytes} bytes "
                f"({result.size_bytes / 1048576:.1f} MiB) build_time={result.build_ms / 1000:.2f} s",
                1000,
            )
        )
        click.echo(render_check(report), nl=False)
    if report["status"] in ("rejected", "disabled"):
        fail("plugin", "plugin check of the built package failed; see diagnostics above", ErrorKind.REJECTED)
