"""`yoi plugin build DIR`: build the artifact plugin.toml names, write the build provenance
beside the folder (DIR.intoto.json, docs/provenance.md), then check the package.

Exit codes: those of `check` on the built package (0 active/partial, 1 rejected); 1 when the
build itself fails (a compiler error, a timeout); 2 for bad input or a missing builder.
"""

from __future__ import annotations

from datetime import UTC, datetime

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
@click.option(
    "--provenance/--no-provenance",
    default=True,
    show_default=True,
    help="Write the build provenance DIR.intoto.json beside the folder (docs/provenance.md).",
)
@format_options("human", "json")
def build(directory: str, timeout: float, provenance: bool, output_format: str, as_json: bool) -> None:
    """Build a package folder's artifact (WAT with wasmtime, Python with componentize-py), then check it."""
    from engine.authoring.build import BuildError
    from engine.authoring.build import build as build_package
    from engine.report.check import check_failure, check_report
    from engine.verdict.run import check_verdict

    started = datetime.now(UTC)
    try:
        result = build_package(directory, timeout)
    except BuildError as error:
        fail("plugin", f"plugin build failed: {error}", error.error_kind)
    attested = _provenance(directory, result, started) if provenance else None
    verdict = run_guarded("plugin", lambda: check_verdict(directory))
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
                "provenance": attested,
                "check": check_report(verdict, directory),
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
        if attested is not None:
            click.echo(bound_text(f"provenance: {attested} (beside the folder, never in the package)", 1000))
        click.echo(render_check(verdict, directory), nl=False)
    outcome, _ = check_failure(verdict, "deny")
    if outcome.failed:
        fail("plugin", "plugin check of the built package failed; see diagnostics above", outcome.error_kind)


def _provenance(directory: str, result, started: datetime) -> str | None:
    """Write the build provenance beside the folder (docs/provenance.md); None when the built
    folder is not a package the statement could describe (check then says why)."""
    from engine.diagnostics import DiagnosticError
    from engine.package.materialize import load_package_path
    from engine.provenance.build import build_facts, write_provenance

    try:
        package = load_package_path(directory)
    except DiagnosticError:
        return None
    facts = build_facts(
        package,
        artifact=result.artifact,
        outputs=(result.artifact,),
        language=result.language,
        builder=result.builder,
        started=started,
        finished=datetime.now(UTC),
    )
    try:
        return write_provenance(directory, facts)
    except OSError as error:
        reason = error.strerror or "I/O error"
        fail("plugin", f"plugin build: the artifact was built; its provenance was not written: {reason}", ErrorKind.IO)
