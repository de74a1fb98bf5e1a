"""The README's first command (issue 22 point 7): `yoi plugin list` ends with a one-line summary
(packages, statuses, what to run next) and, on a terminal, wraps its long rows; piped, each item
stays the reference's one line (spec §4.3), so scripts read it as before."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
YOI = Path(sys.executable).parent / "yoi"
BIN = [str(YOI)] if YOI.exists() else [sys.executable, "-m", "engine.cli.main"]


def _readme_first_command() -> list[str]:
    text = (ROOT / "README.md").read_text()
    line = re.search(r"```sh\n(.*?)\n", text).group(1)
    command = line.split("&& .venv/bin/")[-1]
    assert command.startswith("yoi plugin list"), command
    return command.split()[1:]


def test_piped_list_keeps_one_line_per_item_and_ends_with_the_summary():
    args = _readme_first_command()
    done = subprocess.run([*BIN, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "3 package(s): 2 active, 1 partial; next: yoi plugin show project:example.counter (why partial)"
    rows = [line for line in lines if line.startswith("- ")]
    assert len(rows) == 3 and all(" digest=sha256:" in row and "classification=" in row for row in rows)


def test_on_a_terminal_long_rows_wrap_at_its_width():
    args = _readme_first_command()
    leader, follower = os.openpty()
    env = {**os.environ, "COLUMNS": "90", "LINES": "40"}
    with subprocess.Popen([*BIN, *args], cwd=ROOT, stdout=follower, stderr=subprocess.DEVNULL, env=env) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closes when the process exits
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait(timeout=300) == 0
    os.close(leader)
    lines = b"".join(chunks).decode().replace("\r\n", "\n").splitlines()
    assert lines[-1].startswith("3 package(s): 2 active, 1 partial; next: yoi plugin show project:example.counter")
    # every line fits, except a single field longer than the terminal (a digest is never cut)
    for line in lines[1:-2]:
        assert len(line) <= 89 or " " not in line.strip(), line
    rows = [i for i, line in enumerate(lines) if line.startswith("- ")]
    assert len(rows) == 3
    assert all(lines[i + 1].startswith("      ") for i in rows)  # continuation lines, indented
    joined = " ".join(line.strip() for line in lines[rows[0]:rows[1]] if not line.startswith("    diagnostic"))
    assert "enabled_surfaces=tool tools=1 diagnostics=0 classification=legacy-component-tool" in joined
