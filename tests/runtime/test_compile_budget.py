"""Issue 17 point 4: compiling is bounded. A compile the cache cannot answer runs in a worker
process under the plan's `compile_ms` of wall clock, and the worker is killed (and reaped) at the
limit: the fault names the budget, nothing reaches the cache, and the next compile works. A cached
start pays for no child process at all."""

from __future__ import annotations

from dataclasses import replace

from runtime_guests import build, fault_of, instance_wat, package_plan
from slow_compile import compile_workers_of, slow_raw_module

from engine.runtime import HostConfig
from engine.runtime.compiler import close_idle


def test_a_slow_compile_is_stopped_at_its_budget(make_registry, tmp_path):
    close_idle()  # a clean slate: the worker this test starts is the only one
    slow = package_plan(tmp_path / "slow", slow_raw_module(), runtime="raw")
    slow = replace(slow, limits=replace(slow.limits, compile_ms=200))
    folder = tmp_path / "compiled"
    registry = make_registry([slow], host=HostConfig(cache_dir=folder))
    fault = fault_of(registry.start, slow.ref)
    assert fault.kind == "timeout"
    assert "exceeded its compile budget of 200 ms (`[plugins.enabled.limits] compile_ms`)" in fault.message
    assert "the compiler process was stopped" in fault.message
    assert compile_workers_of() == []  # killed and reaped, not left compiling in the background
    assert not list(folder.glob("*.cwasm"))  # nothing of it reached the cache
    status = registry.status(slow.ref)
    assert status["lifecycle"] == "Failed" and "compile budget" in status["diagnostics"][-1]["message"]


def test_a_cached_start_starts_no_child_process(make_registry, tmp_path):
    close_idle()
    plan = package_plan(tmp_path / "p", build(instance_wat()))
    folder = tmp_path / "compiled"
    make_registry([plan], host=HostConfig(cache_dir=folder)).start(plan.ref)
    assert len(compile_workers_of()) == 1  # the miss: compiled in a worker, kept for the next miss
    close_idle()
    assert compile_workers_of() == []
    registry = make_registry([plan], host=HostConfig(cache_dir=folder))
    assert registry.call_tool(plan.ref, "count", {})["summary"] == "count 1"
    assert compile_workers_of() == []  # loaded from the cache in process


def test_a_compile_error_in_the_worker_is_a_load_fault(make_registry, tmp_path):
    from example_workspace import uncompilable

    broken = package_plan(tmp_path / "broken", uncompilable(slow_raw_module(ifs=1, functions=1)), runtime="raw")
    fault = fault_of(make_registry([broken]).start, broken.ref)
    assert fault.kind == "load" and "WASM module error" in fault.message
