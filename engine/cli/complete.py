"""Shell completion of package references (click's completion; docs in README.md).

Lists refs the cheap way: discovery (read and hash the packages) plus the ids the enablement
config names, without building a graph or evaluating a rule. Any failure completes nothing: a
completion must never print an error into the user's prompt.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import click
from click.shell_completion import CompletionItem

MAX_ITEMS = 500


def workspace_refs(workspace: Path, config_path: Path | None = None) -> list[str]:
    """Every discovered package ref and enabled id of `workspace`, plus unique local ids."""
    from engine.diagnostics import DiagnosticError
    from engine.package.discovery import discover
    from engine.pipeline.workspace import load_workspace_config

    refs = [package.identity for package in discover(workspace).packages]
    with contextlib.suppress(DiagnosticError, OSError):  # a broken config still completes the discovered refs
        refs += [enablement.id for enablement in load_workspace_config(workspace, config_path).enabled]
    locals_ = [ref.partition(":")[2] for ref in refs if ":" in ref]
    unique = [name for name in locals_ if locals_.count(name) == 1]
    return sorted(set(refs) | set(unique))


def complete_refs(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """REF arguments: the workspace's refs starting with what was typed; else file names (the
    commands that also take a package PATH)."""
    try:
        workspace = Path(ctx.params.get("workspace") or ".")
        refs = workspace_refs(workspace, ctx.params.get("config_path"))
    except Exception:  # noqa: BLE001 - see the module docstring
        refs = []
    matches = [CompletionItem(ref) for ref in refs if ref.startswith(incomplete)][:MAX_ITEMS]
    if not matches and param.name == "target":
        return [CompletionItem(incomplete, type="file")]
    return matches
