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


def serve(workspace, *extra, cwd=ROOT):
    return subprocess.Popen(
        [sys.executable, "-c", "from engine.cli.main import main; main()", "plugin", "serve",
         "--workspace", str(workspace), *extra],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=dict(os.environ))


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


class Responses:
    """Every response line of a serve process, read by a thread into a queue: for clients that
    send several requests before reading (a buffered `readline` after a selector would miss lines
    already buffered)."""

    def __init__(self, process) -> None:
        import queue
        import threading

        self._lines: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(process.stdout,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in iter(stream.readline, b""):
            self._lines.put(line)
        self._lines.put(None)

    def next(self) -> dict:
        line = self._lines.get(timeout=SAFETY_TIMEOUT)
        assert line is not None, "serve closed stdout"
        return json.loads(line)
