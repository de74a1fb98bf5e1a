"""`yoi wit check`: resolve WIT files or folders and report what they define, or why not."""

from __future__ import annotations

from typing import Any

import click

from engine.cli.common import EXIT_OK, emit_json, format_options, resolve_format
from engine.cli.exits import exit_code
from engine.diagnostics import bound_text, escape_text, human_lines
from engine.errors import ErrorKind


@click.group()
def wit() -> None:
    """Check WIT (WebAssembly Interface Types) packages."""


def _check_one(path: str, features: tuple[str, ...]) -> tuple[dict[str, Any], ErrorKind | None]:
    """The path's report, and the kind of its error (`rejected`: invalid WIT; `io`: unreadable)."""
    from engine.wit import WitError, resolve_path, summarize

    result: dict[str, Any] = {
        "path": path,
        "ok": False,
        "diagnostics": [],
        "packages": [],
        "interfaces": [],
        "worlds": [],
        "host_wit": None,
    }
    try:
        resolve = resolve_path(path, features)
    except WitError as exc:
        result["diagnostics"] = [
            {
                "message": d.message,
                "file": d.location.file if d.location else None,
                "line": d.location.line if d.location else None,
                "column": d.location.column if d.location else None,
            }
            for d in exc.diagnostics
        ]
        return result, exc.error_kind
    from engine.wit.built_against import host_variant_report

    result.update(ok=True, **summarize(resolve), host_wit=host_variant_report(resolve))
    return result, None


def _human(result: dict[str, Any]) -> list[str]:
    if not result["ok"]:
        count = len(result["diagnostics"])
        lines = [f"{result['path']}: invalid ({count} problem{'s' if count != 1 else ''})"]
        for d in result["diagnostics"]:
            where = ":".join(str(x) for x in (d["file"], d["line"], d["column"]) if x is not None)
            lines.append(f"  {bound_text(where)}: {bound_text(d['message'])}")
        return lines
    lines = [
        (
            f"{result['path']}: ok ({len(result['packages'])} packages, "
            f"{len(result['interfaces'])} interfaces, {len(result['worlds'])} worlds)"
        )
    ]
    for iface in result["interfaces"]:
        lines.append(f"  interface {iface['name']}: {len(iface['functions'])} functions, {len(iface['types'])} types")
    for world in result["worlds"]:
        lines.append(f"  world {world['name']}")
        for side in ("imports", "exports"):
            labels = world[f"{side[:-1]}_interfaces"]
            names = [f"{n} ({labels[n]})" if n in labels else n for n in world[side]]
            lines.append(f"    {side}: {bound_text(', '.join(names) or '-')}")
    host = result["host_wit"]
    if host is not None:
        variants = ", ".join(host["variants"]) or "none of the bundled host WITs (wit/hosts, the engine's wit/)"
        lines.append(
            f"  built against host WIT: {variants} (host imports: {bound_text(', '.join(host['interfaces']))})"
        )
    return lines


@wit.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--feature",
    "features",
    multiple=True,
    metavar="NAME",
    help="Enable items gated by @unstable(feature = NAME). Repeatable.",
)
@format_options("human", "json")
def check(paths: tuple[str, ...], features: tuple[str, ...], output_format: str, as_json: bool) -> None:
    """Resolve each PATH (a .wit file, or a folder with its deps/) and report it.

    Exit 0 when every path resolves, 1 when any is invalid WIT, 2 when a path cannot be read.
    """
    from engine.cli.progress import Progress

    output_format = resolve_format(output_format, as_json)
    results, codes, unreadable = [], [], []
    with Progress("checking WIT", enabled=output_format == "human") as progress:
        progress.add(len(paths))
        for path in paths:
            result, kind = _check_one(path, features)
            results.append(result)
            codes.append(EXIT_OK if kind is None else exit_code(kind))
            if kind is ErrorKind.IO:
                first = result["diagnostics"][0]["message"] if result["diagnostics"] else "cannot read"
                unreadable.append(f"yoi wit: {escape_text(bound_text(f'{path}: {first}'))}")
            progress.advance(1)
    for line in unreadable:  # after the bar, so the two never interleave
        click.echo(line, err=True)
    if output_format == "json":
        emit_json(results)
    else:
        for result in results:
            click.echo(human_lines(_human(result)), nl=False)
    raise SystemExit(max(codes))
