"""Guests that loop, trap, grow, lie or fail to start: each fault has its kind and a bounded
diagnostic, marks only its own instance, and the registry keeps serving the others."""

from __future__ import annotations

import time

import pytest
import wasmtime
from runtime_guests import (
    COUNT, SPIN, TOOL_OK, TRAP, build, fault_of, grow_memory, grow_table, instance_wat, loop, package_plan,
    tool_wat, when_name_is,
)

from engine.plan import RestartPolicy, RuntimeLimits

SLOW = RuntimeLimits(fuel=10**10, timeout_ms=100)
FAULTS = {
    "timeout": (instance_wat(tool=(SPIN, TOOL_OK)), SLOW, "timed out after 0.1s", "Failed"),
    "trap": (instance_wat(tool=(TRAP, TOOL_OK)), None, "wasm `unreachable` instruction executed", "Failed"),
    "fuel": (instance_wat(tool=(SPIN, TOOL_OK)), None, "ran out of fuel (5000000 units)", "Failed"),
    "memory": (instance_wat(tool=(grow_memory(40), TOOL_OK)), None, "unreachable", "Failed"),
    "table": (instance_wat(tool=(grow_table(300), TOOL_OK)), None, "unreachable", "Failed"),
    "oversize": (instance_wat(tool=("", '{"summary":"' + "x" * 3000 + '"}')), RuntimeLimits(max_output_bytes=2048),
                 "guest output exceeds 2048 bytes", "Started"),
    "invalid": (instance_wat(tool=("", "not json")), None, "guest output is not valid JSON", "Started"),
    "extra key": (instance_wat(tool=("", '{"summary":"s","error":1}')), None,
                  "guest output contains unsupported key `error`", "Started"),
}
KINDS = {"timeout": "timeout", "trap": "trap", "fuel": "fuel", "memory": "trap", "table": "trap",
         "oversize": "invalid_output", "invalid": "invalid_output", "extra key": "invalid_output"}


@pytest.fixture
def healthy(tmp_path):
    return package_plan(tmp_path / "healthy", build(instance_wat()))


@pytest.mark.parametrize("case", sorted(FAULTS))
def test_a_faulting_guest_is_diagnosed_and_others_keep_working(case, make_registry, tmp_path, healthy):
    wat, limits, words, lifecycle = FAULTS[case]
    plan = package_plan(tmp_path / "bad", build(wat), limits=limits)
    registry = make_registry([plan, healthy])
    assert registry.call_tool(healthy.ref, "count", {})["summary"] == "count 1"
    fault = fault_of(registry.call_tool, plan.ref, "count", {})
    assert fault.kind == KINDS[case]
    assert words in fault.message and fault.message.startswith("plugin tool `count` from `project:bad`")
    assert len(fault.message.encode()) <= 512 + 3
    status = registry.status(plan.ref)
    assert status["lifecycle"] == lifecycle
    assert words in status["diagnostics"][-1]["message"]
    assert registry.call_tool(healthy.ref, "count", {})["summary"] == "count 2"
    if lifecycle == "Failed":
        refused = fault_of(registry.call_tool, plan.ref, "count", {})
        assert refused.kind == "failed" and "restart 1/3 in" in refused.message and words in refused.message


def test_raised_limits_are_honoured(make_registry, tmp_path):
    wat = instance_wat(tool=(" ".join((grow_memory(40), grow_table(300), loop(1_000_000), COUNT)), TOOL_OK))
    tight = package_plan(tmp_path / "tight", build(wat))
    raised = package_plan(tmp_path / "raised", build(wat),
                          limits=RuntimeLimits(memory_bytes=4 << 20, table_elements=512, fuel=10**8))
    registry = make_registry([tight, raised])
    assert registry.call_tool(raised.ref, "count", {})["summary"] == "count 1"
    assert registry.status(raised.ref)["limits"]["memory_bytes"] == 4 << 20
    assert fault_of(registry.call_tool, tight.ref, "count", {}).kind == "trap"


def test_fuel_is_a_per_call_budget(make_registry, tmp_path):
    # ~8 fuel per iteration: 400,000 iterations fit a 5,000,000 budget once, and again next call
    plan = package_plan(tmp_path / "p", build(instance_wat(tool=(loop(400_000) + COUNT, TOOL_OK))))
    registry = make_registry([plan])
    for expected in (1, 2, 3):
        assert registry.call_tool(plan.ref, "count", {})["summary"] == f"count {expected}"


def test_initial_memory_beyond_the_limit_fails_instantiation_as_a_limit(make_registry, tmp_path):
    plan = package_plan(tmp_path / "big", build(instance_wat(memory_pages=40)))
    registry = make_registry([plan])
    fault = fault_of(registry.start, plan.ref)
    assert fault.kind == "limit" and "exceeds memory limits" in fault.message
    assert registry.status(plan.ref)["lifecycle"] == "Failed"


@pytest.mark.parametrize("reply, words", [
    ('{"error":{"message":"bad config"}}', 'plugin component start returned error: {"message":"bad config"}'),
    ('{"state":"failed","data":1}', "plugin component start returned failed status"),
    ("[not json", "plugin component start output is not JSON"),
])
def test_a_start_that_fails_leaves_the_instance_failed(reply, words, make_registry, tmp_path, healthy):
    plan = package_plan(tmp_path / "bad", build(instance_wat(start=("", reply))))
    registry = make_registry([plan, healthy])
    fault = fault_of(registry.start, plan.ref)
    assert words in fault.message and "startup failed closed" in fault.message
    status = registry.status(plan.ref)
    assert status["lifecycle"] == "Failed" and words in status["diagnostics"][-1]["message"]
    assert status["services"] == [] and status["component_status"] is None
    assert registry.call_tool(healthy.ref, "count", {})["summary"] == "count 1"


def test_a_status_that_returns_an_error_fails_the_instance(make_registry, tmp_path):
    plan = package_plan(tmp_path / "p", build(instance_wat(status=("", '{"error":"sick"}'))))
    registry = make_registry([plan])
    registry.start(plan.ref)
    status = registry.status(plan.ref)
    assert status["lifecycle"] == "Failed"
    assert 'plugin component status returned error: "sick"' in status["diagnostics"][-1]["message"]


def test_restart_with_exponential_backoff_up_to_the_maximum(make_registry, tmp_path):
    wat = instance_wat(tool=(when_name_is("boom", TRAP) + COUNT, TOOL_OK))
    policy = RestartPolicy(max_restarts=2, backoff_ms=40, backoff_max_ms=1000)
    plan = package_plan(tmp_path / "p", build(wat), tools=("count", "boom"), restart=policy)
    registry = make_registry([plan])
    assert registry.call_tool(plan.ref, "count", {})["summary"] == "count 1"
    for restart in (1, 2):
        assert fault_of(registry.call_tool, plan.ref, "boom", {}).kind == "trap"
        waiting = registry.status(plan.ref)["restarts"]
        assert waiting["count"] == restart - 1 and 0 < waiting["next_attempt_in_ms"] <= 40 * 2 ** (restart - 1)
        early = fault_of(registry.call_tool, plan.ref, "count", {})
        assert early.kind == "failed" and f"restart {restart}/2 in" in early.message
        time.sleep(waiting["next_attempt_in_ms"] / 1000 + 0.02)
        # a fresh store: the counter starts again from zero
        assert registry.call_tool(plan.ref, "count", {})["summary"] == "count 1"
        assert registry.status(plan.ref)["restarts"]["count"] == restart
    assert fault_of(registry.call_tool, plan.ref, "boom", {}).kind == "trap"
    final = fault_of(registry.call_tool, plan.ref, "count", {})
    assert final.kind == "failed" and "not restarted again (2/2 restarts used)" in final.message
    assert registry.status(plan.ref)["restarts"] == {"count": 2, "max": 2, "backoff_ms": 40, "backoff_max_ms": 1000,
                                                     "reset_after_ms": 60_000, "next_attempt_in_ms": None}


def test_a_stopped_instance_refuses_everything_for_the_run(make_registry, tmp_path):
    plan = package_plan(tmp_path / "p", build(instance_wat()), ingresses=("events",))
    registry = make_registry([plan])
    registry.call_tool(plan.ref, "count", {})
    stopped = registry.stop(plan.ref)
    assert stopped["lifecycle"] == "Stopped" and stopped["component_status"]["state"] == "stopped"
    for call, args in ((registry.call_tool, ("count", {})), (registry.start, ()),
                       (registry.deliver_ingress, ("events", {"kind": "tick", "source": "s", "payload": 1}))):
        fault = fault_of(call, plan.ref, *args)
        assert fault.kind == "stopped" and "is stopped" in fault.message
    assert registry.status(plan.ref)["lifecycle"] == "Stopped"


def test_the_diagnostics_ring_keeps_the_last_64(make_registry, tmp_path):
    plan = package_plan(tmp_path / "p", build(instance_wat(tool=("", "nope"))))
    registry = make_registry([plan])
    for _ in range(70):
        assert fault_of(registry.call_tool, plan.ref, "count", {}).kind == "invalid_output"
    diagnostics = registry.status(plan.ref)["diagnostics"]
    assert len(diagnostics) == 64 and all("not valid JSON" in d["message"] for d in diagnostics)


def test_limits_above_the_host_maxima_are_capped(make_registry, tmp_path):
    huge = RuntimeLimits(fuel=10**15, timeout_ms=10**9, memory_bytes=1 << 40, table_elements=10**9)
    plan = package_plan(tmp_path / "p", build(instance_wat()), limits=huge)
    limits = make_registry([plan]).status(plan.ref)["limits"]
    assert (limits["fuel"], limits["timeout_ms"]) == (10**10, 30_000)
    assert (limits["memory_bytes"], limits["table_elements"]) == (256 << 20, 65536)


def test_legacy_per_call_runs_have_deadlines_and_a_trap_is_only_that_calls_error(make_registry, tmp_path):
    """Issue 17 point 7 (spec §6.4): a per-call runtime keeps no state, so a timeout or trap is the
    error of that call alone: the package stays started and spends no restart (on main each one
    failed the package and spent one of its 3 restarts; four bad inputs disabled it for good)."""
    spin = wasmtime.wat2wasm('(module (memory (export "memory") 1) (func (export "yoi_tool_call") '
                             '(loop $l (br $l))))')
    raw = package_plan(tmp_path / "raw", spin, runtime="raw", limits=SLOW)
    component = package_plan(tmp_path / "tool", build(tool_wat(call=(when_name_is("boom", TRAP) + COUNT, TOOL_OK))),
                             runtime="tool-component", tools=("count", "boom"))
    registry = make_registry([raw, component])
    timeout = fault_of(registry.call_tool, raw.ref, "count", {})
    assert timeout.kind == "timeout" and timeout.message == (
        f"plugin tool `count` from `{raw.ref}` (digest {raw.digest}) timed out after 0.1s")  # spec §6.5
    for _ in range(5):  # more bad inputs than the restart budget: none of them disables the tool
        trap = fault_of(registry.call_tool, component.ref, "boom", {})
        assert trap.kind == "trap" and "failed closed: WASM execution error: guest call `call`" in trap.message
        assert registry.call_tool(component.ref, "count", {})["summary"] == "count 1"  # a fresh store each call
    for plan in (raw, component):
        status = registry.status(plan.ref)
        assert status["lifecycle"] == "Ready" and status["restarts"]["count"] == 0  # legacy adapters stay Ready
        assert status["restarts"]["next_attempt_in_ms"] is None
    assert "timed out" in registry.status(raw.ref)["diagnostics"][-1]["message"]


def test_status_of_an_idle_instance_says_no_call_is_running(make_registry, tmp_path):
    """Issue 17 point 8: on main `status` held the instance's lock itself and reported
    `queue.running: true` for an idle instance."""
    plan = package_plan(tmp_path / "p", build(instance_wat()))
    registry = make_registry([plan])
    assert registry.start(plan.ref)["queue"]["running"] is False
    registry.call_tool(plan.ref, "count", {})
    assert registry.status(plan.ref)["queue"]["running"] is False
    assert registry.stop(plan.ref)["queue"]["running"] is False
