"""`yoi plugin lock [--workspace W] [--config F] [--check]`: write the resolved plan (spec §3.7).

Startup, list, show and explain then use the plan's records as they are (a package that is gone
or whose digest changed is refused, never resolved again). `--check` writes nothing and exits 1
when the plan in the config differs from a fresh resolution (for CI). Exit 2 for a config that
is missing, unreadable or does not parse, or that cannot take the plan without being rewritten.
"""

from __future__ import annotations

from pathlib import Path

import click

from engine.cli.common import emit_json, fail, format_options, resolve_format
from engine.cli.options import config_option, workspace_option
from engine.cli.run import run_guarded
from engine.diagnostics import bound_text, human_lines
from engine.errors import ErrorKind


def _summary(lock) -> dict:
    """What a report may show of a plan: never a record's `config` (it may hold secrets)."""
    return {
        "resolved": [
            {
                "reference": r.ref,
                "version": r.version,
                "digest": r.digest,
                "package_path": r.package_path,
                "enabled_surfaces": list(r.enabled_surfaces),
            }
            for r in lock.records
        ],
        "diagnostics": [{"kind": d.kind, "phase": d.phase, "message": d.message} for d in lock.diagnostics],
    }


def _lines(status: str, path: Path, lock) -> list[str]:
    lines = [f"plugin lock: {path} [{status}] resolved={len(lock.records)} diagnostics={len(lock.diagnostics)}"]
    lines += [
        bound_text(f"  locked {r.ref} version={r.version} digest={r.digest} path={r.package_path}", 1000)
        for r in lock.records
    ]
    lines += [f"  diagnostic: [{d.kind}] {bound_text(d.message)}" for d in lock.diagnostics]
    return lines


@click.command("lock")
@workspace_option
@config_option("Config to lock (default <workspace>/.yoi/config.toml).")
@click.option("--check", "check_only", is_flag=True, help="Write nothing; exit 1 when the plan in the config is stale.")
@format_options("human", "json")
def lock(workspace: Path, config_path: Path | None, check_only: bool, output_format: str, as_json: bool) -> None:
    """Resolve the workspace and write the resolved plan into its config."""
    from engine.grants.lock_file import LockError, prepare, write_atomically

    try:
        run = run_guarded("plugin", lambda: prepare(workspace, config_path))
        if check_only:
            status = "stale" if run.stale else "current"
        else:
            text = run.new_text()
            status = "unchanged" if text == run.original else "written"
            if status == "written":
                write_atomically(run.path, run.original, text)
    except LockError as error:
        fail("plugin", f"plugin lock failed: {error}", error.error_kind)
    except OSError as error:
        fail("plugin", f"plugin lock failed: {error.strerror or error}", ErrorKind.IO)
    if resolve_format(output_format, as_json) == "json":
        emit_json({"command": "lock", "status": status, "config": str(run.path), **_summary(run.fresh)})
    else:
        click.echo(human_lines(_lines(status, run.path, run.fresh)), nl=False)
    if status == "stale":
        fail("plugin", f"the resolved plan in {run.path} is stale; run `yoi plugin lock`", ErrorKind.REJECTED)
