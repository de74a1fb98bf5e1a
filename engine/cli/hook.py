"""`yoi hook ...`: the commands behind .pre-commit-hooks.yaml and action.yml.

pre-commit passes the changed files; these commands map them to what the real commands check
(a plugin.toml to its package folder, a .wit file to the folder it resolves in, a .rules file
to its rules folder and the policy cases beside it) and run those commands unchanged, so a hook
and a manual `yoi plugin check` can never disagree. Exit code: the worst of the runs.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from engine.cli.common import EXIT_OK, EXIT_POLICY, EXIT_USAGE, emit_json, fail, format_options, resolve_format
from engine.cli.lazy import LazyGroup
from engine.cli.options import fail_on_option, grants_option, policy_option, target_option

MANIFEST = "plugin.toml"
ARCHIVE_SUFFIX = ".yoi-plugin"
MAX_ANCESTORS = 64  # a changed file deeper than this below its package is not looked up
MAX_TARGETS = 10_000
MAX_DIRS = 100_000  # folders walked looking for packages under one given folder
SKIP_DIRS = {".git", ".venv", "node_modules", "__pycache__"}


def _bounded(found: Iterable[Path]) -> list[Path]:
    """`found` without repeats, in first-seen order, failing past MAX_TARGETS (a dict, not a list
    scan: 10,000 targets cost 10 s of pairwise comparisons that way)."""
    out: dict[Path, None] = {}
    for path in found:
        out[path] = None
        if len(out) > MAX_TARGETS:
            fail("hook", f"more than {MAX_TARGETS} targets; pass fewer paths")
    return list(out)


def _manifests_under(folder: Path) -> Iterable[Path]:
    """Package folders below `folder` (its own first), skipping VCS and virtualenv folders."""
    stack, visited = [folder], 0
    while stack:
        current = stack.pop()
        visited += 1
        if visited > MAX_DIRS:
            fail("hook", f"more than {MAX_DIRS} folders under `{folder}`; pass the package folders")
        if (current / MANIFEST).is_file():
            yield current
            continue  # a package does not nest packages
        try:
            children = sorted((p for p in current.iterdir() if p.is_dir() and not p.is_symlink()), reverse=True)
        except OSError:
            continue
        stack.extend(p for p in children if p.name not in SKIP_DIRS)


def _targets_of(path: Path) -> Iterable[Path]:
    # os.path: False, not OSError, for a name too long to be a path
    if path.suffix == ARCHIVE_SUFFIX and os.path.isfile(path):
        yield path
    elif os.path.isdir(path):
        yield from _manifests_under(path)
    else:
        for parent in list(path.parents)[:MAX_ANCESTORS]:
            if os.path.isfile(parent / MANIFEST):
                yield parent
                break


def package_targets(paths: Iterable[str], unmatched: list[str] | None = None) -> list[Path]:
    """The package folders or archives that changed files belong to: a plugin.toml's folder, an
    archive itself, a folder's packages, or the nearest ancestor with a plugin.toml. Paths that
    lead to no package are appended to `unmatched` when it is given."""

    def each() -> Iterable[Path]:
        for text in paths:
            found = False
            for target in _targets_of(Path(text)):
                found = True
                yield target
            if not found and unmatched is not None:
                unmatched.append(text)

    return _bounded(each())


def wit_roots(paths: Iterable[str]) -> list[Path]:
    """The folder each .wit file resolves in: its own, or the one holding the `deps/` it is in."""

    def each() -> Iterable[Path]:
        for text in paths:
            path = Path(text)
            parts = path.parent.parts
            yield Path(*parts[: parts.index("deps")]) if "deps" in parts else path.parent

    return _bounded(each())


def _run(ctx: click.Context, command: click.Command, capture: bool = False, **params: Any) -> tuple[int, str]:
    """Invoke a yoi command in this process with its own defaults; (exit code, captured stdout).

    When capturing, the command's stderr is held back too: its "failed; see ..." line speaks of
    an output the hook does not print. Only an input error's message (exit 2) is passed on."""
    out, err = io.StringIO(), io.StringIO()
    redirect = contextlib.ExitStack()
    if capture:
        redirect.enter_context(contextlib.redirect_stdout(out))
        redirect.enter_context(contextlib.redirect_stderr(err))
    code: Any = EXIT_OK
    with redirect:
        try:
            ctx.invoke(command, **params)
        except SystemExit as stop:
            code = stop.code
        except click.exceptions.Exit as stop:
            code = stop.exit_code
    code = code if isinstance(code, int) else EXIT_USAGE
    if code >= EXIT_USAGE:
        click.echo(err.getvalue(), err=True, nl=False)
    return code, out.getvalue()


@click.group(cls=LazyGroup, lazy_commands={"workspace-check": "engine.cli.hook_workspace:workspace_check"})
def hook() -> None:
    """Run checks on the files pre-commit (or CI) names: each maps them to what to check
    (`workspace-check` checks the whole workspace on any change)."""


@hook.command("plugin-check")
@click.argument("files", nargs=-1, type=click.Path(path_type=str))
@grants_option("Config with [[plugins.enabled]]: judge each package by its real enablement.")
@policy_option
@target_option
@fail_on_option("deny", "Fail (exit 1) on any conclusion of this severity or worse: `warn` fails on warnings too.")
@format_options("human", "json", "sarif")
@click.pass_context
def plugin_check(
    ctx: click.Context, files, grants_file, policy_dirs, targets, fail_on: str, output_format: str, as_json: bool
) -> None:
    """`yoi plugin check` on the package of each FILE (a plugin.toml, a file inside a package, a
    folder of packages or a .yoi-plugin archive). JSON: a list of reports; SARIF: one log."""
    from engine.cli.plugin_check import check

    output_format = resolve_format(output_format, as_json)
    unmatched: list[str] = []
    found = package_targets(files, unmatched)
    if unmatched:  # a misspelled path must not pass as "no package rejected" (fail closed)
        fail(
            "hook",
            f"`{unmatched[0]}` is not a package, a folder holding packages, or a file in one"
            + ("" if os.path.lexists(unmatched[0]) else " (it does not exist)"),
        )
    codes, reports, failed = [EXIT_OK], [], []
    for target in found:
        code, text = _run(
            ctx,
            check,
            capture=output_format != "human",
            paths=(str(target),),
            grants_file=grants_file,
            policy_dirs=policy_dirs,
            targets=targets,
            fail_on=fail_on,
            output_format="human" if output_format == "human" else "json",
            as_json=False,
        )
        codes.append(code)
        if code == EXIT_POLICY:
            failed.append(str(target))
        if output_format != "human" and text.strip():
            reports.append(json.loads(text))
    if output_format == "json":
        emit_json(reports)
    elif output_format == "sarif":
        from engine import __version__
        from engine.report.sarif import sarif_log

        emit_json(sarif_log(reports, tool_version=__version__))
    if max(codes) == EXIT_POLICY and output_format != "human":  # human: each check said so itself
        shown = ", ".join(failed[:5]) + (f" and {len(failed) - 5} more" if len(failed) > 5 else "")
        where = "the SARIF results" if output_format == "sarif" else "the JSON reports"
        click.echo(
            f"yoi hook: plugin check failed for {len(failed)} of {len(found)} package(s): {shown}; see {where}",
            err=True,
        )
    ctx.exit(max(codes))


@hook.command("wit-check")
@click.argument("files", nargs=-1, type=click.Path(path_type=str))
@format_options("human", "json")
@click.pass_context
def wit_check(ctx: click.Context, files, output_format: str, as_json: bool) -> None:
    """`yoi wit check` on the folder each changed .wit FILE resolves in."""
    from engine.cli.wit import check

    roots = [str(root) for root in wit_roots(files)]
    if roots:
        ctx.exit(_run(ctx, check, paths=tuple(roots), output_format=output_format, as_json=as_json)[0])


def _may_hold_cases(folder: Path) -> bool:
    """Whether `yoi policy test` has something to say about `folder`: case files below it, or a
    tree it cannot walk (too deep, unreadable), which it then reports. The walk is `policy test`'s
    own, iterative and depth-bounded (pathlib's rglob recurses once per level)."""
    from engine.datalog.cases import find_test_files

    found, problems = find_test_files([str(folder)])
    return bool(found or problems)


@hook.command("policy-test")
@click.argument("files", nargs=-1, type=click.Path(path_type=str))
@click.option(
    "--cases",
    "case_paths",
    multiple=True,
    type=click.Path(exists=True, path_type=str),
    help="Policy case files or folders to run on every change (besides those found); repeatable.",
)
@click.option(
    "--schema",
    type=click.Choice(["plugin", "none"]),
    default="plugin",
    show_default=True,
    help="Lint the rules against this fact schema (`plugin`: as `--policy` loads them, so a typo such as "
    "`fs_grants` fails here as it fails `check --policy`); `none` for rule programs over other facts.",
)
@click.pass_context
def policy_test(ctx: click.Context, files, case_paths, schema: str) -> None:
    """`yoi policy lint` on the folder of each changed .rules FILE, then `yoi policy test` on the
    changed *.test.toml files, the cases under those rules folders, and `--cases`, each case once."""
    from engine.cli.policy import lint, test_

    rules_dirs = _bounded(Path(f).parent for f in files if f.endswith(".rules"))
    cases = [
        *case_paths,
        *(f for f in files if f.endswith(".test.toml")),
        *(str(d) for d in rules_dirs if _may_hold_cases(d)),
    ]
    codes = [EXIT_OK]
    if rules_dirs:
        lint_schema = None if schema == "none" else schema
        codes.append(_run(ctx, lint, paths=tuple(str(d) for d in rules_dirs), schema=lint_schema)[0])
    if cases:
        codes.append(_run(ctx, test_, paths=tuple(dict.fromkeys(cases)))[0])
    ctx.exit(max(codes))
