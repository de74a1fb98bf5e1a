"""Issue 17 point 7: a host failure is the host's, not the guest's. `yoi plugin serve` runs as a
real child process under an address-space limit (RLIMIT_AS 3 GiB) that leaves room for Python and
wasmtime but not for the 4 GiB reservation wasmtime makes for a linear memory: every
instantiation fails with ENOMEM from mmap. That is kind `internal`, never `trap`, and it spends
none of the guest's restarts (on main it was a `trap` that used one of the three)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

from example_workspace import ROOT, enablement, write_config
from serve_client import send

LIMIT = 3 << 30
RESTART = "\n[plugins.enabled.restart]\nmax_restarts = 1\nbackoff_ms = 20\nbackoff_max_ms = 20\n"


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def test_enomem_at_instantiation_is_internal_and_spends_no_restart(workspace):
    write_config(workspace, enablement("instance-counter", extra=RESTART), enablement("raw-echo"))
    process = subprocess.Popen(
        [sys.executable, "-c", "from engine.cli.main import main; main()", "plugin", "serve", "-q",
         "--workspace", str(workspace)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=dict(os.environ),
        preexec_fn=_limited)
    try:
        # the counter's service was started with the host (issue 18 point 2): that first start
        # failed the same way, spending no restart; each call below comes after the 20 ms backoff
        first = send(process, {"id": "s", "op": "status", "plugin": "example.counter"})["result"]
        assert first["lifecycle"] == "Failed" and first["restarts"]["count"] == 0
        assert "host failure (ENOMEM)" in first["diagnostics"][-1]["message"]
        for attempt in range(3):  # more attempts than the restart budget of one
            time.sleep(0.05)
            answer = send(process, {"id": attempt, "op": "call", "plugin": "example.counter", "tool": "counter"})
            error = answer["error"]
            assert answer["ok"] is False and error["kind"] == "internal", answer
            assert "host failure (ENOMEM)" in error["message"] and "not a guest fault" in error["message"]
            status = send(process, {"id": f"s{attempt}", "op": "status", "plugin": "example.counter"})["result"]
            assert status["lifecycle"] == "Failed" and status["restarts"]["count"] == 0
            assert status["restarts"]["next_attempt_in_ms"] is not None  # it will be tried again
        raw = send(process, {"id": "raw", "op": "call", "plugin": "example.raw-echo", "tool": "raw_echo"})
        assert raw["error"]["kind"] == "internal"
        raw_status = send(process, {"id": "rs", "op": "status", "plugin": "example.raw-echo"})["result"]
        assert raw_status["lifecycle"] == "Ready" and raw_status["restarts"]["count"] == 0  # a legacy adapter
    finally:
        process.stdin.close()
        process.wait(timeout=60)
    assert process.returncode == 0, process.stderr.read()
    assert "Traceback" not in process.stderr.read().decode()


def test_the_same_instance_runs_without_the_limit(workspace):
    """The control: without the address-space limit the same requests succeed."""
    from serve_client import serve

    write_config(workspace, enablement("instance-counter", extra=RESTART))
    process = serve(workspace, "-q")
    try:
        answer = send(process, {"id": 1, "op": "call", "plugin": "example.counter", "tool": "counter"})
        assert answer["ok"] is True and json.loads(answer["result"]["content"]) == {"count": 1}
    finally:
        process.stdin.close()
        process.wait(timeout=60)
