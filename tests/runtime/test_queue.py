"""Calls to one instance are serialized through a bounded queue; other instances run meanwhile."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from runtime_guests import COUNT, TOOL_OK, build, instance_wat, loop, package_plan, when_name_is

from engine.plan import RuntimeLimits
from engine.runtime import RuntimeFault

SLOW_TOOL = instance_wat(tool=(when_name_is("slow", loop(400_000_000)) + COUNT, TOOL_OK))
ROOMY = RuntimeLimits(fuel=10**10, timeout_ms=30_000)


def call(registry, ref, tool):
    try:
        return registry.call_tool(ref, tool, {})
    except RuntimeFault as fault:
        return fault


def test_eight_threads_on_one_instance_get_every_call_answered_exactly_once(make_registry, tmp_path):
    plan = package_plan(tmp_path / "p", build(instance_wat()))
    registry = make_registry([plan])
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: call(registry, plan.ref, "count"), range(400)))
    counts = sorted(int(r["summary"].split()[-1]) for r in results)
    assert counts == list(range(1, 401))  # serialized: no lost or doubled increment
    assert registry.status(plan.ref)["calls"]["tool"] == 400


@pytest.mark.slow
def test_a_full_queue_refuses_with_busy_and_other_instances_keep_running(make_registry, tmp_path):
    plan = package_plan(tmp_path / "p", build(SLOW_TOOL), tools=("count", "slow"), limits=ROOMY)
    other = package_plan(tmp_path / "other", build(instance_wat()))
    registry = make_registry([plan, other], queue_limit=2)
    registry.start(plan.ref)
    slow = threading.Thread(target=call, args=(registry, plan.ref, "slow"))
    slow.start()
    while not registry.status(plan.ref)["queue"]["running"]:
        time.sleep(0.001)
    # another instance is not held up by the busy one
    assert registry.call_tool(other.ref, "count", {})["summary"] == "count 1"
    assert registry.status(plan.ref)["queue"]["running"]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: call(registry, plan.ref, "count"), range(8)))
    slow.join()
    busy = [r for r in results if isinstance(r, RuntimeFault)]
    answered = [r for r in results if isinstance(r, dict)]
    assert len(busy) + len(answered) == 8 and {f.kind for f in busy} == {"busy"}
    assert len(answered) >= 2 and len(busy) >= 1
    status = registry.status(plan.ref)
    assert status["queue"]["busy_refusals"] == len(busy)
    assert status["component_status"]["data"]["count"] == 1 + len(answered)
    assert "queue limit 2" in busy[0].message
