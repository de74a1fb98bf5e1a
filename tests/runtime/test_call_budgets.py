"""Every guest call kind (start, handle-tool, handle-ingress, status, stop, and the legacy
runtimes' instantiation and call) runs under its own fuel budget and wall-clock deadline
(issue 9 item 2): a budget spent by one call is never charged to the next, and a guest that
spins in any export is stopped with a diagnostic naming that export."""

from __future__ import annotations

import time

import pytest
import wasmtime
from runtime_guests import (
    COUNT, INGRESS_OK, LIFECYCLE_OK, SPIN, TOOL_OK, build, fault_of, instance_wat, loop, package_plan,
)

from engine.plan import RuntimeLimits

# ~8 fuel per iteration: one of these fits the default 5,000,000 budget, two do not
BURN = loop(400_000)
EVENT = {"kind": "tick", "source": "s", "payload": 1}
SLOW = RuntimeLimits(fuel=10**10, timeout_ms=200)


def test_each_instance_call_kind_gets_a_fresh_fuel_budget(make_registry, tmp_path):
    wat = instance_wat(start=(BURN, LIFECYCLE_OK), tool=(BURN + COUNT, TOOL_OK), ingress=(BURN + COUNT, INGRESS_OK),
                       status=(BURN, LIFECYCLE_OK), stop=(BURN, '{"state":"stopped"}'))
    plan = package_plan(tmp_path / "p", build(wat), ingresses=("events",))
    registry = make_registry([plan])
    assert registry.start(plan.ref)["lifecycle"] == "Started"
    for round_ in (1, 2):
        assert registry.call_tool(plan.ref, "count", {})["summary"] == f"count {2 * round_ - 1}"
        assert registry.deliver_ingress(plan.ref, "events", EVENT)["output"]["count"] == 2 * round_
        status = registry.status(plan.ref)
        assert status["lifecycle"] == "Started" and status["calls"]["faults"] == 0, status["diagnostics"]
    stopped = registry.stop(plan.ref)
    assert stopped["component_status"] == {"state": "stopped"}
    assert not [d for d in stopped["diagnostics"] if "fuel" in d["message"]]


def _spinning(export: str) -> str:
    exports = {"start": ("", LIFECYCLE_OK), "tool": (COUNT, TOOL_OK), "ingress": (COUNT, INGRESS_OK),
               "status": ("", LIFECYCLE_OK), "stop": ("", '{"state":"stopped"}')}
    key = {"handle-tool": "tool", "handle-ingress": "ingress"}.get(export, export)
    exports[key] = (SPIN, exports[key][1])
    return instance_wat(**exports)


@pytest.mark.parametrize("export", ["start", "handle-tool", "handle-ingress", "status", "stop"])
def test_a_guest_spinning_in_any_export_is_stopped_by_its_deadline(export, make_registry, tmp_path):
    plan = package_plan(tmp_path / "p", build(_spinning(export)), ingresses=("events",), services=("svc",),
                        limits=SLOW)
    registry = make_registry([plan])
    # a tool call's timeout is worded as the reference's (spec §6.5): its only timed call
    words = "timed out after 0.2s" if export == "handle-tool" else f"guest call `{export}` timed out after 200 ms"
    if export == "start":
        fault = fault_of(registry.start, plan.ref)
    elif export == "handle-tool":
        fault = fault_of(registry.call_tool, plan.ref, "count", {})
    elif export == "handle-ingress":
        fault = fault_of(registry.deliver_ingress, plan.ref, "events", EVENT)
    else:
        registry.start(plan.ref)
        fault = None
        status = registry.status(plan.ref) if export == "status" else registry.stop(plan.ref)
    if fault is not None:
        assert fault.kind == "timeout" and words in fault.message, fault.message
        status = registry.status(plan.ref)
    assert words in status["diagnostics"][-1 if export != "stop" else -2]["message"], status["diagnostics"]
    expected = "stopped" if export == "stop" else "failed"
    assert status["lifecycle"] == expected.capitalize()  # spec §6.4 names
    assert status["services"] == [{"name": "svc", "lifecycle": "host-managed", "state": expected}]


def test_the_deadline_is_set_per_call_not_per_instance(make_registry, tmp_path):
    """Time spent outside the guest between calls is never charged to the next call."""
    plan = package_plan(tmp_path / "p", build(instance_wat()), ingresses=("events",), limits=SLOW)
    registry = make_registry([plan])
    registry.start(plan.ref)
    for expected in (1, 2):
        time.sleep(0.3)  # longer than the 200 ms deadline, between calls
        assert registry.call_tool(plan.ref, "count", {})["summary"] == f"count {expected}"
    time.sleep(0.3)
    assert registry.deliver_ingress(plan.ref, "events", EVENT)["accepted"] is True
    time.sleep(0.3)
    assert registry.status(plan.ref)["lifecycle"] == "Started"
    time.sleep(0.3)
    assert registry.stop(plan.ref)["component_status"]["state"] == "stopped"


RAW = """(module
  (import "yoi:tool" "output_write" (func $out (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "{{\\"summary\\":\\"ok\\"}}")
  (global $i (mut i32) (i32.const 0))
  (func $init {init})
  (start $init)
  (func (export "yoi_tool_call") {call} (drop (call $out (i32.const 64) (i32.const 16)))))"""


def test_a_raw_modules_instantiation_and_call_each_get_their_own_budget(make_registry, tmp_path):
    module = wasmtime.wat2wasm(RAW.format(init=BURN, call=BURN))
    plan = package_plan(tmp_path / "raw", module, runtime="raw")
    registry = make_registry([plan])
    for _ in range(2):
        assert registry.call_tool(plan.ref, "count", {}) == {"summary": "ok"}


def test_a_raw_start_function_that_spins_is_stopped_by_the_deadline(make_registry, tmp_path):
    module = wasmtime.wat2wasm(RAW.format(init=SPIN, call=""))
    plan = package_plan(tmp_path / "raw", module, runtime="raw", limits=SLOW)
    fault = fault_of(make_registry([plan]).call_tool, plan.ref, "count", {})
    assert fault.kind == "timeout" and fault.message.endswith("timed out after 0.2s")  # inside the tool call
