"""Issue 17 point 7: restarts forgive. A kept-alive instance that has run `reset_after_ms` (wall
clock since its last start) without a fault gets its restart count and backoff back, and
`status` shows the count at 0 as soon as the window has passed. Faults are classified by
wasmtime's trap code, for components too (issue 16 point 6)."""

from __future__ import annotations

import time

import wasmtime
from runtime_guests import COUNT, SPIN, TOOL_OK, TRAP, build, fault_of, instance_wat, package_plan, when_name_is

from engine.plan import RestartPolicy, RuntimeLimits
from engine.runtime.traps import classify, trap_code_of

WINDOW_MS = 300


def test_the_restart_budget_replenishes_after_a_healthy_window(make_registry, tmp_path):
    wat = instance_wat(tool=(when_name_is("boom", TRAP) + COUNT, TOOL_OK))
    policy = RestartPolicy(max_restarts=1, backoff_ms=20, backoff_max_ms=1000, reset_after_ms=WINDOW_MS)
    plan = package_plan(tmp_path / "p", build(wat), tools=("count", "boom"), restart=policy)
    registry = make_registry([plan])
    for _round in range(3):  # with a budget of one restart, only forgiveness allows three crashes
        assert fault_of(registry.call_tool, plan.ref, "boom", {}).kind == "trap"
        waiting = registry.status(plan.ref)["restarts"]
        assert waiting["count"] == 0 and 0 < waiting["next_attempt_in_ms"] <= 20  # backoff from zero again
        time.sleep(waiting["next_attempt_in_ms"] / 1000 + 0.02)
        assert registry.call_tool(plan.ref, "count", {})["summary"] == "count 1"
        assert registry.status(plan.ref)["restarts"]["count"] == 1
        time.sleep(WINDOW_MS / 1000 + 0.05)
        restarts = registry.status(plan.ref)["restarts"]  # status alone shows the window has passed
        assert restarts["count"] == 0 and restarts["reset_after_ms"] == WINDOW_MS


def test_a_fault_inside_the_window_still_spends_the_budget(make_registry, tmp_path):
    wat = instance_wat(tool=(when_name_is("boom", TRAP) + COUNT, TOOL_OK))
    policy = RestartPolicy(max_restarts=1, backoff_ms=10, backoff_max_ms=10, reset_after_ms=60_000)
    plan = package_plan(tmp_path / "p", build(wat), tools=("count", "boom"), restart=policy)
    registry = make_registry([plan])
    fault_of(registry.call_tool, plan.ref, "boom", {})
    time.sleep(0.05)
    registry.call_tool(plan.ref, "count", {})
    fault_of(registry.call_tool, plan.ref, "boom", {})
    time.sleep(0.05)
    final = fault_of(registry.call_tool, plan.ref, "count", {})
    assert final.kind == "failed" and "not restarted again (1/1 restarts used)" in final.message


def _component_error(export: str, limits: RuntimeLimits, epoch_after: float | None = None) -> BaseException:
    from engine.compiled import new_engine

    engine = new_engine()
    component = wasmtime.component.Component(engine, build(instance_wat(tool=(SPIN if export == "spin" else TRAP,
                                                                              TOOL_OK))))
    store = wasmtime.Store(engine)
    store.set_fuel(limits.fuel)
    store.set_epoch_deadline(1)
    instance = wasmtime.component.Linker(engine).instantiate(store, component)
    func = instance.get_func(store, "handle-tool")
    if epoch_after is not None:
        import threading

        threading.Timer(epoch_after, engine.increment_epoch).start()
    else:
        store.set_epoch_deadline(10**6)
    try:
        func(store, "count", "{}")
    except wasmtime.WasmtimeError as error:
        return error
    raise AssertionError("the guest did not trap")


def test_component_faults_are_classified_by_trap_code_not_words():
    """A component trap is a plain WasmtimeError in wasmtime-py 50; its trap code is still read."""
    limits = RuntimeLimits(fuel=10**12, timeout_ms=50)
    interrupted = _component_error("spin", limits, epoch_after=0.05)
    assert trap_code_of(interrupted) == wasmtime.TrapCode.INTERRUPT
    assert classify(interrupted, "guest call", limits).kind == "timeout"
    out_of_fuel = _component_error("spin", RuntimeLimits(fuel=10_000))
    assert trap_code_of(out_of_fuel) == wasmtime.TrapCode.OUT_OF_FUEL
    unreachable = _component_error("trap", RuntimeLimits())
    assert trap_code_of(unreachable) == wasmtime.TrapCode.UNREACHABLE
    assert classify(unreachable, "guest call", RuntimeLimits()).kind == "trap"
    # no trap code: an OS error in the cause chain makes it the host's failure
    assert trap_code_of(wasmtime.WasmtimeError("Cannot allocate memory (os error 12)")) is None
    assert classify(wasmtime.WasmtimeError("mmap failed\n\nCaused by:\n    Cannot allocate memory (os error 12)"),
                    "component instantiation", RuntimeLimits()).kind == "internal"
