"""A path argument longer than the system allows (ENAMETOOLONG) is a usage or input error with
a bounded message, never `yoi: internal error`: pathlib's exists()/is_dir() raise for it in 3.11."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
LONG = "x" * 5000
WS = ["--workspace", str(ROOT / "examples" / "workspace")]


@pytest.mark.parametrize("args", [
    ["plugin", "explain", LONG, *WS], ["plugin", "graph", LONG, *WS], ["plugin", "show", LONG, *WS],
    ["plugin", "list", "--workspace", LONG], ["plugin", "check", LONG], ["plugin", "pack", LONG],
    ["policy", "lint", LONG], ["policy", "test", LONG], ["hook", "plugin-check", LONG],
], ids=lambda args: " ".join(a for a in args[:2]))
def test_a_name_too_long_is_exit_2_with_a_bounded_message(args):
    result = CliRunner().invoke(cli, args)
    assert not isinstance(result.exception, OSError), result.exception
    assert result.exit_code == 2, result.output
    text = result.stdout + result.stderr
    assert "internal error" not in text and "Traceback" not in text
    assert text.strip() and max(len(line) for line in text.splitlines()) < 6000
