"""A folder name is the user's text: `new` and `build` print it (and the steps that name it) escaped.

A destination holding U+202E (right-to-left override) and an OSC title sequence reached the
terminal raw in the success lines of `yoi plugin new` and `yoi plugin build` (they bounded the
text but did not escape it); a real process, since the point is what reaches the terminal.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

YOI = Path(sys.executable).parent / "yoi"
HOSTILE = "pkg\u202ex\x1b]0;owned\x07"


def _yoi(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(YOI), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_new_and_build_escape_a_hostile_destination(tmp_path):
    for command in (("plugin", "new", "wat-tool", HOSTILE), ("plugin", "build", "--no-provenance", HOSTILE)):
        done = _yoi(*command, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert not {"\u202e", "\x1b", "\x07"} & set(done.stdout + done.stderr), done.stdout
        assert "pkg\\u202ex" in done.stdout
