"""`yoi plugin ...` in-process for the lock tests: run a command, lock a workspace, list it."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from engine.cli.main import cli


def run(*args: str):
    return CliRunner().invoke(cli, ["plugin", *args])


def lock(workspace: Path, *args: str):
    return run("lock", "--workspace", str(workspace), *args)


def items(workspace: Path) -> dict[str, dict]:
    """`plugin list --json` of the workspace, by reference (the command must succeed)."""
    done = run("list", "--workspace", str(workspace), "--json")
    assert done.exit_code == 0, done.output
    return {item["reference"]: item for item in json.loads(done.stdout)["items"]}
