"""Issue 17 point 8: `serve` with stdin or stdout closed, or stdout on a full disk, exits 0 (EOF)
or with a one-line error (exit 2: usage, I/O), never `internal error` (on main all three were an internal error)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from example_workspace import ROOT

REQUEST = b'{"id": 1, "op": "tools"}\n'


def _serve(workspace, *extra, preexec=None, stdin=subprocess.PIPE, stdout=subprocess.PIPE):
    return subprocess.Popen(
        [sys.executable, "-c", "from engine.cli.main import main; main()", "plugin", "serve", "-q",
         "--workspace", str(workspace), *extra],
        stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, cwd=ROOT, env=dict(os.environ), preexec_fn=preexec)


@pytest.mark.parametrize("ordered", [(), ("--ordered",)])
def test_closed_stdin_is_eof(workspace, ordered):
    process = _serve(workspace, *ordered, preexec=lambda: os.close(0), stdin=None)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0 and out == b"" and err == b""


@pytest.mark.parametrize("ordered", [(), ("--ordered",)])
def test_closed_stdout_is_a_one_line_error(workspace, ordered):
    process = _serve(workspace, *ordered, preexec=lambda: os.close(1), stdout=None)
    _, err = process.communicate(REQUEST, timeout=120)
    assert process.returncode == 2
    assert err.decode().splitlines() == ["yoi plugin: serve: stdout is closed; responses cannot be written"]


@pytest.mark.parametrize("ordered", [(), ("--ordered",)])
def test_stdout_on_a_full_disk_is_a_one_line_error(workspace, ordered):
    with open("/dev/full", "wb") as full:
        process = _serve(workspace, *ordered, stdout=full)
        _, err = process.communicate(REQUEST * 3, timeout=120)
    assert process.returncode == 2  # an I/O error (engine/cli/exits.py)
    assert err.decode().splitlines() == ["yoi plugin: serve: cannot write a response: No space left on device"]
