"""Whole-run findings at startup (issue 8 point 2 meets issue 9 item 1): a `deny` no package owns
(zero arity, as an org freeze) fails the run closed: every package is refused naming the finding,
nothing reaches the registry or wasmtime, and `call`/`ingress`/`serve` answer `denied`. A
whole-run `warn` is shown in the startup report and blocks nothing. Real policy folders, real
subprocesses."""

from __future__ import annotations

import json

import pytest

from example_workspace import yoi
from engine.host.startup import start_plans
from engine.runtime import HostConfig
from serve_client import send, serve

FREEZE = 'deny org_freeze "org policy: plugin freeze until the release" :- package(_, _, _, _, _).\n'
NOTICE = 'warn org_notice "org policy: audit week, calls are logged" :- package(_, _, _, _, _).\n'
REASON = "whole-run deny finding `org_freeze`: org policy: plugin freeze until the release"
REFS = {"project:example.raw-echo", "project:example.component-echo", "project:example.counter"}


def policy_folder(tmp_path, text: str):
    folder = tmp_path / "org-policy"
    folder.mkdir()
    (folder / "org.rules").write_text(text)
    return folder


def test_a_whole_run_deny_refuses_every_package_and_compiles_nothing(workspace, tmp_path):
    policy = policy_folder(tmp_path, FREEZE + NOTICE)
    cache = tmp_path / "compiled"
    report = start_plans(workspace, None, [policy], host=HostConfig(cache_dir=cache))
    with report.registry as registry:
        assert report.plans == () and registry.refs() == () and registry.tools() == ()
        assert {entry["ref"] for entry in report.refused} == REFS
        assert all(entry["reasons"] == [REASON] for entry in report.refused)
        assert [f.code for f in report.run_denials] == ["org_freeze"]  # typed findings of the verdict
    assert not cache.exists()  # nothing was compiled, not even into the cache
    data = report.to_dict()
    assert data["started"] == [] and {f["code"] for f in data["run_findings"]} == {"org_freeze", "org_notice"}
    assert data["verdict_view"] == "per-surface"  # the report names the view its statuses use (issue 8 point 1)
    assert "; view=per-surface: good surfaces start)" in report.render().splitlines()[0]


@pytest.mark.parametrize("args", [
    ["call", "example.counter", "counter"],
    ["call", "no.such.plugin", "counter"],
    ["ingress", "example.counter", "counter-events", "--event",
     json.dumps({"kind": "tick", "source": "example", "payload": {}})],
])
def test_call_and_ingress_are_denied_by_a_whole_run_deny(workspace, tmp_path, args):
    policy = policy_folder(tmp_path, FREEZE)
    result = yoi("plugin", *args, "--workspace", str(workspace), "--policy", str(policy))
    assert result.returncode == 1, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert f"denied: startup refused every plugin package: {REASON}" in result.stderr
    assert "0 plugin package(s) planned, 3 refused" in result.stderr
    assert "refused project:example.counter [rejected]" in result.stderr and f"reason: {REASON}" in result.stderr
    assert "whole-run findings:" in result.stderr and "code=org_freeze" in result.stderr


def test_serve_answers_every_op_denied_after_a_whole_run_deny(workspace, tmp_path):
    policy = policy_folder(tmp_path, FREEZE)
    process = serve(workspace, "--policy", str(policy))
    try:
        requests = [{"id": 1, "op": "tools"}, {"id": 2, "op": "start", "plugin": "example.counter"},
                    {"id": 3, "op": "status", "plugin": "project:example.counter"},
                    {"id": 4, "op": "call", "plugin": "example.counter", "tool": "counter", "input": {}},
                    {"id": 5, "op": "ingress", "plugin": "example.counter", "ingress": "counter-events",
                     "event": {"kind": "tick", "source": "example", "payload": {}}},
                    {"id": 6, "op": "stop", "plugin": "example.counter"}]
        for request in requests:
            response = send(process, request)
            assert response["id"] == request["id"] and response["ok"] is False
            assert response["error"] == {"kind": "denied",
                                         "message": f"startup refused every plugin package: {REASON}"}
        assert send(process, "[1]")["error"]["kind"] == "invalid_request"  # malformed lines still answered
        process.stdin.close()
        assert process.wait(timeout=60) == 0
        stderr = process.stderr.read().decode()
        assert "0 plugin package(s) planned, 3 refused" in stderr
        assert "startup refused every plugin package" in stderr and "nothing was started" in stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_whole_run_warning_is_reported_and_blocks_nothing(workspace, tmp_path):
    policy = policy_folder(tmp_path, NOTICE)
    result = yoi("plugin", "call", "example.counter", "counter", "--workspace", str(workspace),
                 "--policy", str(policy))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"] == "counter is at 1"
    assert "3 plugin package(s) planned, 0 refused" in result.stderr
    assert "severity=warn code=org_notice" in result.stderr and "message=org policy: audit week" in result.stderr
    assert "startup refused" not in result.stderr


def test_the_startup_report_shows_at_most_sixteen_findings():
    from engine.host.startup import StartupReport
    from engine.verdict.model import About, Finding

    findings = tuple(Finding("warn", f"w{i}", "policy", "rules", f"m{i}", About("run")) for i in range(20))
    text = StartupReport("/ws", (), (), (), run_findings=findings).render()
    assert "  whole-run findings:" in text.splitlines()
    assert "code=w15 " in text and "code=w16 " not in text and "... and 4 more whole-run finding(s)" in text
    assert "startup refused" not in text  # warnings block nothing
