"""`yoi plugin build DIR`: build the artifact plugin.toml names (and its build record), write the
build provenance beside the folder (DIR.intoto.json, docs/provenance.md), then check the package.

Exit codes: those of `check` on the built package (0 active/partial, 1 rejected); 1 when the
build itself fails (a compiler error, a timeout) or `--check-reproducible` finds two builds that
differ; 2 for bad input or a missing builder.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from engine.cli.common import emit_json, fail, format_options, resolve_format
from engine.cli.options import NumberRange
from engine.cli.run import run_guarded
from engine.diagnostics import bound_text, human_lines
from engine.errors import ErrorKind


@click.command("build")
@click.argument("directory", type=click.Path(path_type=str))
@click.option(
    "--timeout",
    type=NumberRange(1, 3600),
    default=600,
    show_default=True,
    help="Seconds a Python build may take before it is stopped.",
)
@click.option(
    "--check-reproducible",
    is_flag=True,
    help="Build twice and compare the bytes; exit 1 when they differ (and say why).",
)
@click.option(
    "--prepare",
    is_flag=True,
    help="Then compile the artifact into the compiled-artifact cache in a background process.",
)
@click.option(
    "--provenance/--no-provenance",
    default=True,
    show_default=True,
    help="Write the build provenance DIR.intoto.json beside the folder (docs/provenance.md).",
)
@format_options("human", "json")
def build(
    directory: str,
    timeout: float,
    check_reproducible: bool,
    prepare: bool,
    provenance: bool,
    output_format: str,
    as_json: bool,
) -> None:
    """Build a package folder's artifact (WAT with wasmtime, Python with componentize-py), then check it."""
    from engine.authoring.build import BuildError
    from engine.authoring.build import build as build_package
    from engine.report.check import check_failure, check_report
    from engine.verdict.run import check_verdict

    started = datetime.now(UTC)
    try:
        result = build_package(directory, timeout, check_reproducible)
    except BuildError as error:
        fail("plugin", f"plugin build failed: {error}", error.error_kind)
    attested = _provenance(directory, result, started) if provenance else None
    verdict = run_guarded("plugin", lambda: check_verdict(directory))
    # Only what the rules plan is compiled (as a host compiles only planned packages): the check
    # judged the package as if granted what it requests.
    prepared = None
    if prepare:
        planned = any(package.plan is not None for package in verdict.packages)
        prepared = "started" if planned else "skipped: the rules planned nothing"
    if prepared == "started":
        from engine.dev.prepare import spawn

        spawn(Path(directory) / result.artifact)
    reproducibility = result.reproducibility
    if resolve_format(output_format, as_json) == "json":
        emit_json(
            {
                "command": "build",
                "directory": directory,
                "language": result.language,
                "builder": result.builder,
                "artifact": result.artifact,
                "size_bytes": result.size_bytes,
                "sha256": result.sha256,
                "build_record": result.record,
                "build_ms": round(result.build_ms, 1),
                "reproducibility": reproducibility.to_dict() if reproducibility else None,
                "prepare": prepared,
                "provenance": attested,
                "check": check_report(verdict, directory),
            }
        )
    else:
        from engine.report.human import render_check

        # every line escaped: the folder and provenance paths are the user's text
        lines = [
            bound_text(f"plugin build: {directory} [built] language={result.language} builder={result.builder}", 1000),
            bound_text(
                f"artifact: {result.artifact} size={result.size_bytes} bytes "
                f"({result.size_bytes / 1048576:.1f} MiB) build_time={result.build_ms / 1000:.2f} s "
                f"sha256={result.sha256} record={result.record}",
                1000,
            ),
        ]
        if attested is not None:
            lines.append(bound_text(f"provenance: {attested} (beside the folder, never in the package)", 1000))
        if reproducibility is not None:
            lines.append(bound_text(_reproducibility_line(reproducibility), 2000))
        if prepared == "started":
            lines.append("prepare: compiling into the compiled-artifact cache in the background")
        elif prepared:
            lines.append(f"prepare: {prepared}")
        click.echo(human_lines(lines), nl=False)
        click.echo(render_check(verdict, directory), nl=False)
    if reproducibility is not None and not reproducibility.identical:
        fail("plugin", "plugin build is not reproducible: two builds of the same inputs differ", ErrorKind.FAILED)
    outcome, _ = check_failure(verdict, "deny")
    if outcome.failed:
        fail("plugin", "plugin check of the built package failed; see diagnostics above", outcome.error_kind)


def _reproducibility_line(found) -> str:
    if found.identical:
        return f"reproducible: yes (two builds, identical bytes, sha256={found.sha256[0]})"
    return (
        f"reproducible: no (two builds differ: sha256 {found.sha256[0]} vs {found.sha256[1]}, sizes "
        f"{found.size_bytes[0]} vs {found.size_bytes[1]}, first difference at byte {found.first_difference}, "
        f"{found.differing_sections} of {found.sections} top-level sections differ): {found.note}"
    )


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
    from engine.authoring import record

    built = record.read(Path(directory) / result.record) or {}
    stated = built.get("tools")
    tools = {k: v for k, v in stated.items() if isinstance(v, str)} if isinstance(stated, dict) else None
    facts = build_facts(
        package,
        artifact=result.artifact,
        outputs=(result.artifact, result.record),
        language=result.language,
        builder=result.builder,
        started=started,
        finished=datetime.now(UTC),
        tools=tools,
    )
    try:
        return write_provenance(directory, facts)
    except OSError as error:
        reason = error.strerror or "I/O error"
        fail("plugin", f"plugin build: the artifact was built; its provenance was not written: {reason}", ErrorKind.IO)
