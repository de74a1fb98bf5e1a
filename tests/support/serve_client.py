"""A client for `yoi plugin serve` as a real subprocess: start it, send one request line, read
one response line (bounded wait, so a hung server fails a test instead of hanging the suite)."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys

from example_workspace import ROOT

SAFETY_TIMEOUT = 120


def serve(workspace, *extra):
    return subprocess.Popen(
        [sys.executable, "-c", "from engine.cli.main import main; main()", "plugin", "serve",
         "--workspace", str(workspace), *extra],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=dict(os.environ))


def read_line(process) -> dict:
    """One response line, waiting at most SAFETY_TIMEOUT (the server must flush per response)."""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        assert selector.select(SAFETY_TIMEOUT), "no response from serve"
    return json.loads(process.stdout.readline())


def send(process, request) -> dict:
    line = request if isinstance(request, (bytes, str)) else json.dumps(request)
    process.stdin.write((line.encode() if isinstance(line, str) else line) + b"\n")
    process.stdin.flush()
    return read_line(process)
