"""From template to a running instance: new -> build -> check -> pack -> enable -> serve, with
the real CLI as subprocesses. The Python guest is built with componentize-py (once per session)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from authoring_flow import enable
from engine.authoring.new import create
from example_workspace import ROOT, yoi

SAFETY_TIMEOUT = 300  # a hung server fails the test instead of hanging the suite


def serve(workspace, requests: list[dict]) -> tuple[list[dict], str]:
    """Every request on one `serve` process; the responses in order, and stderr."""
    lines = "".join(json.dumps(r) + "\n" for r in requests).encode()
    process = subprocess.run(
        [sys.executable, "-c", "from engine.cli.main import main; main()", "plugin", "serve", "--workspace",
         str(workspace)], input=lines, capture_output=True, timeout=SAFETY_TIMEOUT, cwd=ROOT, env=dict(os.environ))
    assert process.returncode == 0, process.stderr.decode()[-2000:]
    return [json.loads(line) for line in process.stdout.splitlines()], process.stderr.decode()


def names(ref: str) -> tuple[str, str, str]:
    """The tool, service and ingress names a template derives from the package id."""
    stem = ref.partition(":")[2].replace(".", "_")
    return f"{stem}_count", f"{stem}_service", f"{stem}_events"


def lifecycle_requests(ref: str) -> list[dict]:
    event = {"kind": "example", "source": "e2e", "payload": {"n": 1}}
    tool, _, ingress = names(ref)
    return [
        {"id": 1, "op": "tools"},
        {"id": 2, "op": "call", "plugin": ref, "tool": tool, "input": {}},
        {"id": 3, "op": "call", "plugin": ref, "tool": tool, "input": {}},
        {"id": 4, "op": "ingress", "plugin": ref, "ingress": ingress, "event": event},
        {"id": 5, "op": "status", "plugin": ref},
        {"id": 6, "op": "stop", "plugin": ref},
        {"id": 7, "op": "call", "plugin": ref, "tool": tool, "input": {}},
    ]


def assert_common(responses: list[dict], ref: str) -> dict:
    """What both instance templates must do; returns the status result."""
    by_id = {r["id"]: r for r in responses}
    assert [r["id"] for r in responses] == [1, 2, 3, 4, 5, 6, 7]
    tool_name, service_name, _ = names(ref)
    tool = next(t for t in by_id[1]["result"] if t["name"] == tool_name)
    assert tool["origin"]["plugin_ref"] == ref
    assert all(by_id[i]["ok"] for i in range(1, 7)), responses
    assert by_id[4]["result"]["accepted"] is True
    status = by_id[5]["result"]
    assert status["lifecycle"] == "Started"
    assert [(s["name"], s["state"]) for s in status["services"]] == [(service_name, "running")]
    assert status["calls"] == {"tool": 2, "ingress": 1, "faults": 0}
    assert by_id[6]["result"]["lifecycle"] == "Stopped"
    assert by_id[7]["ok"] is False and by_id[7]["error"]["kind"] == "stopped"
    return status


def test_wat_instance_from_template_to_serve(tmp_path, user_home):
    folder = tmp_path / "wat-instance"
    create("wat-instance", str(folder), "acme.wat_counter")
    built = yoi("plugin", "build", str(folder))
    assert built.returncode == 0, built.stderr
    workspace = tmp_path / "ws"
    ref = enable(folder, workspace, "wat-instance")
    responses, _ = serve(workspace, lifecycle_requests(ref))
    status = assert_common(responses, ref)
    first, second = responses[1]["result"], responses[2]["result"]
    assert (first["summary"], second["summary"]) == ("counter is at 1", "counter is at 2")  # state kept
    assert responses[3]["result"]["output"] == {"accepted": True, "count": 2, "events": 1}  # same instance
    assert status["component_status"]["data"] == {"count": 2, "events": 1}


@pytest.mark.slow
def test_python_instance_from_template_to_serve(python_instance, tmp_path, user_home):
    workspace = tmp_path / "ws"
    ref = enable(python_instance, workspace, "python-instance")
    responses, stderr = serve(workspace, lifecycle_requests(ref))
    status = assert_common(responses, ref)
    first, second = responses[1]["result"], responses[2]["result"]
    assert first["summary"] == "counter is at 1"
    assert json.loads(second["content"]) == {"count": 2, "events": 0, "label": "e2e"}  # state and config kept
    output = responses[3]["result"]["output"]
    assert output["data"] == {"kind": "example", "events": 1}  # the same instance took the event
    assert status["component_status"]["data"]["count"] == 2
    assert status["status_update"] == {"count": 2, "events": 1, "label": "e2e"}  # applied output command
    assert "Traceback" not in stderr
