"""Issue 18 point 2 (spec §6.2): host-managed services start when the host starts. `serve` and
`start_plans` start every planned package with an authorized Service, in parallel across
packages, and report a failed start per package without stopping the others; tool-only packages
stay lazy."""

from __future__ import annotations

import threading

import pytest

from engine.host.services import start_services
from engine.host.startup import start_plans
from engine.runtime import HostConfig, PluginInstanceRegistry
from runtime_guests import build, instance_wat, package_plan
from serve_client import send, serve

COUNTER = "project:example.counter"


def test_serve_runs_the_service_before_any_request(workspace):
    process = serve(workspace)
    try:
        status = send(process, {"id": 1, "op": "status", "plugin": COUNTER})["result"]
        assert status["lifecycle"] == "Started"
        assert status["services"] == [{"name": "counter-service", "lifecycle": "host-managed", "state": "running"}]
        assert status["component_status"]["state"] == "ready"  # the guest's `start` ran
        lazy = send(process, {"id": 2, "op": "status", "plugin": "example.raw-echo"})["result"]
        assert lazy["lifecycle"] == "Ready"  # tool-only: started on first use
    finally:
        process.stdin.close()
        assert process.wait(timeout=120) == 0
    assert f"  started {COUNTER} services=counter-service lifecycle=Started" in process.stderr.read().decode()


def test_start_plans_starts_services_and_reports_them(workspace):
    report = start_plans(workspace)
    with report.registry as registry:
        assert report.service_starts == (
            {"ref": COUNTER, "ok": True, "lifecycle": "Started", "services": ["counter-service"]},)
        assert report.to_dict()["service_starts"] == [dict(report.service_starts[0])]
        assert registry.status(COUNTER)["lifecycle"] == "Started"
        assert registry.status("project:example.component-echo")["lifecycle"] == "Ready"
    lazy = start_plans(workspace, start_services=False)
    with lazy.registry as registry:
        assert lazy.service_starts == () and registry.status(COUNTER)["lifecycle"] == "Ready"


def test_a_failed_service_start_is_reported_for_its_package_only(tmp_path):
    bad = package_plan(tmp_path / "bad", build(instance_wat(start=("", '{"error":{"message":"no config"}}'))),
                       services=("svc",))
    good = package_plan(tmp_path / "good", build(instance_wat()), services=("svc",))
    tool_only = package_plan(tmp_path / "tools", build(instance_wat()))
    with PluginInstanceRegistry([bad, good, tool_only], host=HostConfig(cache_dir=tmp_path / "cache")) as registry:
        results = start_services(registry, [bad, good, tool_only])
        assert [r["ref"] for r in results] == ["project:bad", "project:good"]
        failed, started = results
        assert failed["ok"] is False and failed["error"]["kind"] == "failed"
        assert 'plugin component start returned error: {"message":"no config"}' in failed["error"]["message"]
        assert started == {"ref": "project:good", "ok": True, "lifecycle": "Started", "services": ["svc"]}
        assert registry.status("project:tools")["lifecycle"] == "Ready"
        assert registry.call_tool("project:good", "count", {})["summary"] == "count 1"


class _MeetingRegistry:
    """Each start waits for all the others at a barrier: it passes only if the starts run at the
    same time (one after another, the first start would wait alone until the barrier breaks)."""

    def __init__(self, count: int):
        self.barrier = threading.Barrier(count, timeout=60)
        self.threads: set[str] = set()

    def start(self, ref: str) -> dict:
        self.threads.add(threading.current_thread().name)
        self.barrier.wait()
        return {"lifecycle": "Started", "services": [{"name": "svc"}]}


def test_services_of_different_packages_start_in_parallel(tmp_path):
    plans = [package_plan(tmp_path / f"p{i}", b"\0asm", services=("svc",)) for i in range(4)]
    registry = _MeetingRegistry(len(plans))
    results = start_services(registry, plans)
    assert [r["ok"] for r in results] == [True] * 4
    assert len(registry.threads) == 4


@pytest.mark.parametrize("count", [0, 1])
def test_nothing_to_start_needs_no_thread(tmp_path, count):
    plans = [package_plan(tmp_path / f"p{i}", b"\0asm") for i in range(count)]  # tool-only
    assert start_services(object(), plans) == ()
