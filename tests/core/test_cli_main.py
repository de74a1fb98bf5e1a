"""The console script never shows a traceback, even for a bug."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str, env_extra: dict | None = None):
    import os

    env = {**os.environ, **(env_extra or {})}
    env.pop("YOI_DEBUG", None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)


BUG = (
    "import sys, click\n"
    "from engine.cli import main as m\n"
    "@m.cli.command('boom')\n"
    "def boom():\n"
    "    raise RuntimeError('secret=hunter2 went wrong')\n"
    "sys.argv = ['yoi', 'boom']\n"
    "m.main()\n"
)


def test_an_unexpected_exception_is_one_bounded_line_with_exit_2():
    done = _run(BUG)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("yoi: internal error (RuntimeError: secret=<redacted> went wrong)")
    assert "hunter2" not in done.stderr


def test_yoi_debug_shows_the_traceback():
    done = _run(BUG, {"YOI_DEBUG": "1"})
    assert done.returncode != 0 and "Traceback" in done.stderr


def test_usage_errors_keep_click_exit_2():
    done = _run("import sys\nfrom engine.cli.main import main\nsys.argv=['yoi','plugin','nope']\nmain()\n")
    assert done.returncode == 2 and "No such command" in done.stderr
