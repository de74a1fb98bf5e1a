"""The python-service template end to end, with the real CLI as subprocesses: new -> build (one
componentize-py build per session) -> pack -> enable as the README says -> `serve`; the host opens
the template's WebSocket source at startup (here a real `websockets` server on loopback), a text
the server sends reaches the guest as a `websocket_text` event, and the guest's `websocket_send`
output command reaches the server on the same connection (yoi-current-spec.md §6.16, §6.17)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time

import pytest
from authoring_flow import enable
from example_workspace import ROOT, yoi
from ws_server import WsServer

SAFETY_TIMEOUT = 300


@pytest.fixture
def socket_server():
    server = WsServer()
    server.on_text = lambda connection, text: None  # record only (an echo would loop with the guest)
    server.start()
    yield server
    server.stop()


def point_at(folder, server) -> None:
    """The template's `wss://example.com/socket`, in its ingress source and its target, becomes
    the test server's URL (plugin.toml only: the built artifact does not name it)."""
    manifest = folder / "plugin.toml"
    text = manifest.read_text()
    for old, new in (("websocket:wss://example.com/socket", f"websocket:{server.url()}"),
                     ('scheme = "wss"', 'scheme = "ws"'), ('host = "example.com"', 'host = "127.0.0.1"')):
        assert old in text
        text = text.replace(old, new)
    manifest.write_text(text)


@pytest.mark.slow
def test_python_service_answers_its_host_owned_websocket(python_service_built, socket_server, tmp_path, user_home):
    folder = tmp_path / "python-service"
    shutil.copytree(python_service_built, folder)
    point_at(folder, socket_server)
    checked = json.loads(yoi("plugin", "check", str(folder), "--json").stdout)
    assert checked["status"] == "active"
    workspace = tmp_path / "ws"
    ref = enable(folder, workspace, "python-service")
    process = subprocess.Popen(
        [sys.executable, "-c", "from engine.cli.main import main; main()", "plugin", "serve", "--workspace",
         str(workspace)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
        env=dict(os.environ))
    killer = threading.Timer(SAFETY_TIMEOUT, process.kill)
    killer.start()
    try:
        # the service starts with the host and opens the socket before any request
        assert socket_server.wait_for(lambda: len(socket_server.clients) == 1, timeout=SAFETY_TIMEOUT)
        socket_server.push("ping")
        assert socket_server.wait_for(lambda: socket_server.received == ["echo: ping"], timeout=60)
        for attempt in range(100):  # the reply went out; the dispatch records it right after
            process.stdin.write((json.dumps({"id": attempt, "op": "status", "plugin": ref}) + "\n").encode())
            process.stdin.flush()
            status = json.loads(process.stdout.readline())["result"]
            if status["output_command_results"]:
                break
            time.sleep(0.05)
        out, err = process.communicate(timeout=SAFETY_TIMEOUT)
    finally:
        killer.cancel()
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0 and out == b"", err.decode()[-2000:]
    assert status["lifecycle"] == "Running"
    assert status["component_status"]["data"] == {"received": 1, "closed": 0}
    (connection,) = status["websocket_connections"]
    assert (connection["state"], connection["received_text_frames"], connection["sent_text_frames"]) == (
        "Connected", 1, 1)
    (result,) = status["output_command_results"]
    assert (result["kind"], result["status"], result["command_id"]) == ("websocket_send", "Recorded", "reply-1")
    assert status["dispatch_counters"]["dispatched"] == 1 and status["last_error"] is None
    assert "Traceback" not in err.decode()
