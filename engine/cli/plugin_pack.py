"""`yoi plugin pack DIR [--output FILE]`: write a deterministic `.yoi-plugin` archive (spec §5.6).

Exit 0 packed, 1 when the package fails validation, 2 for usage or I/O errors (a missing or
unreadable input, a file given instead of a folder, an output that cannot be written).
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from engine.cli.common import emit_json, fail, format_options, resolve_format
from engine.diagnostics import DiagnosticError, bound_text, human_lines
from engine.errors import ErrorKind
from engine.report.check import SAFETY, package_report

HUMAN_SAFETY = "safety: deterministic stored .yoi-plugin archive; no Plugin execution; no config mutation"


@click.command("pack")
@click.argument("directory", type=click.Path(path_type=str))
@click.option(
    "--output",
    "output",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    help="Archive to write (default: <DIR name>.yoi-plugin beside DIR).",
)
@format_options("human", "json")
def pack(directory: str, output: str | None, output_format: str, as_json: bool) -> None:
    """Pack a plugin folder into a deterministic stored .yoi-plugin archive."""
    from engine.package.pack import pack_directory

    if os.path.exists(directory) and not os.path.isdir(directory):
        fail(
            "plugin",
            "plugin pack failed: the input is a file, not a package directory "
            "(`yoi plugin check` reads .yoi-plugin archives)",
            ErrorKind.USAGE,
        )
    try:
        written, package = pack_directory(Path(directory), Path(output) if output else None)
    except DiagnosticError as error:
        # Unreadable input and unwritable output are `io` errors (exit 2); a package that fails
        # validation is `rejected` (exit 1), as in `check`.
        fail("plugin", f"plugin pack failed: {error.diagnostics[0].message}", error.error_kind)
    output_path = str(written)
    carried = _carry(directory, output_path)
    if resolve_format(output_format, as_json) == "json":
        emit_json(
            {
                "command": "pack",
                "status": "packed",
                "input_path": directory,
                "output_path": output_path,
                "package": package_report(package, output_path),
                # only when a signature or provenance was beside the folder (docs/provenance.md)
                **({"carried": carried} if carried else {}),
                "safety": SAFETY,
            }
        )
        return
    click.echo(
        human_lines(
            [
                f"plugin pack: {output_path} [packed]",
                bound_text(
                    f"package: {package.identity} version={package.manifest.version} "
                    f"digest={package.digest} entries={len(package.files)}",
                    1000,
                ),
                *(bound_text(f"carried: {path} (beside the archive, for the same digest)", 1000) for path in carried),
                HUMAN_SAFETY,
            ]
        ),
        nl=False,
    )


def _carry(directory: str, archive: str) -> list[str]:
    """The folder's signature and provenance (docs/provenance.md), copied beside the archive:
    both are about the package digest, which the folder and its archive share."""
    from engine.provenance.beside import carry

    try:
        return carry(directory, archive)
    except OSError as error:
        reason = error.strerror or "I/O error"
        fail(
            "plugin", f"plugin pack failed: a signature or provenance file could not be copied: {reason}", ErrorKind.IO
        )
