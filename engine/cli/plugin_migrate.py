"""`yoi plugin migrate PATH [--config F] [--write]`: a yoi 43c9216e package folder and its
enablements in the yoi b12e0785 format (engine/migrate, docs/authoring.md).

Without `--write` the change is a unified diff on stdout (and nothing is written; on a terminal,
control and bidi characters from the files are shown escaped, piped it is a patch as is); with
it, the files are replaced atomically. Notes go to stderr, so the diff stays a clean patch. JSON: one
object with the files, their diffs and the notes. Exit 0 when the result is a b12e0785 package,
1 when something still needs a person (an `action` note: a raw-wasm tool to rebuild, request
targets to declare), 2 for unusable inputs (a missing folder, an archive, invalid TOML, a FIFO).
"""

from __future__ import annotations

import sys

import click

from engine.cli.common import EXIT_OK, EXIT_POLICY, emit_json, fail, format_options, resolve_format
from engine.diagnostics import bound_text, escape_text


def _status(migration) -> str:
    if migration.needs_action:
        return "needs-action"
    return "migrated" if migration.changed else "unchanged"


@click.command("migrate")
@click.argument("path", type=click.Path(path_type=str))
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    help="Config whose [[plugins.enabled]] entries for this package are migrated too (their https grants "
    "become request grants and the manifest's [[request]] targets).",
)
@click.option("--write", "do_write", is_flag=True, help="Replace the files (atomically) instead of printing a diff.")
@format_options("human", "json")
def migrate(path: str, config: str | None, do_write: bool, output_format: str, as_json: bool) -> None:
    """Rewrite a 43c9216e-format package folder (and its enablements) in the current yoi format."""
    from engine.migrate import MigrateError, write
    from engine.migrate import migrate as run_migration

    try:
        migration = run_migration(path, config)
        written = write(migration) if do_write else []
    except MigrateError as error:
        fail("plugin", f"plugin migrate failed: {error}", error.error_kind)
    code = EXIT_POLICY if migration.needs_action else EXIT_OK
    if resolve_format(output_format, as_json) == "json":
        emit_json(
            {
                "command": "migrate",
                "status": _status(migration),
                "written": [str(p) for p in written],
                "files": [{"path": str(f.path), "changed": f.changed, "diff": f.diff()} for f in migration.files],
                "notes": [{"level": n.level, "message": n.message} for n in migration.notes],
            }
        )
        raise SystemExit(code)
    if do_write:
        for path_written in written:
            click.echo(f"plugin migrate: wrote {escape_text(str(path_written))}")
        if not written:
            click.echo("plugin migrate: nothing to change")
    else:
        diff = migration.diff()
        if sys.stdout.isatty():  # a terminal: package text must not drive it
            diff = "".join(escape_text(line) + "\n" for line in diff.splitlines())
        click.echo(diff, nl=False)
    for note in migration.notes:
        click.echo(f"yoi plugin migrate: {note.level}: {escape_text(bound_text(note.message, 2000))}", err=True)
    raise SystemExit(code)
