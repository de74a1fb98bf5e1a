"""Issue 18 point 6: the runtime's states, shapes and messages as the reference writes them
(spec §6.3-§6.6, §6.12): lifecycle names, the legacy adapter, status failures, error categories,
refusals, the tool timeout, and the order of the tool call's checks."""

from __future__ import annotations

import pytest
from runtime_guests import (
    COUNT, SPIN, TOOL_OK, TRAP, build, fault_of, instance_wat, package_plan,
)

from engine.plan import RuntimeLimits

STATUS_FAILURES = {
    "trap": ((TRAP, "{}"), "WASM execution error: guest call `status`: "),
    "not JSON": (("", "not json"), "WASM output error: plugin component status output is not JSON: "),
    "too large": (("", '{"state":"ready","data":"' + "x" * 3000 + '"}'),
                  "WASM output error: plugin component status output exceeds 2048 bytes"),
    "error": (("", '{"error":"sick"}'), 'WASM execution error: plugin component status returned error: "sick"'),
}


@pytest.mark.parametrize("case", sorted(STATUS_FAILURES))
def test_any_status_failure_marks_the_instance_failed_with_the_reference_words(case, make_registry, tmp_path):
    status_export, words = STATUS_FAILURES[case]
    plan = package_plan(tmp_path / "p", build(instance_wat(status=status_export)),
                        limits=RuntimeLimits(max_output_bytes=2048))
    registry = make_registry([plan])
    assert registry.start(plan.ref)["lifecycle"] == "Started"
    status = registry.status(plan.ref)  # returns the status either way (spec §6.4)
    assert status["lifecycle"] == "Failed"
    last = status["diagnostics"][-1]
    assert last["state"] == "Failed"
    assert last["message"].startswith("plugin component status failed: " + words), last
    assert len(last["message"].encode()) <= 512 + 3  # bounded


def test_tool_failures_carry_the_category_prefix(make_registry, tmp_path):
    trapping = package_plan(tmp_path / "trap", build(instance_wat(tool=(TRAP, TOOL_OK))))
    lying = package_plan(tmp_path / "lie", build(instance_wat(tool=("", "not json"))))
    registry = make_registry([trapping, lying])
    trap = fault_of(registry.call_tool, trapping.ref, "count", {})
    assert trap.message.startswith(
        f"plugin tool `count` from `{trapping.ref}` (digest {trapping.digest}) failed closed: WASM execution error: ")
    output = fault_of(registry.call_tool, lying.ref, "count", {})
    assert output.message.startswith(
        f"plugin tool `count` from `{lying.ref}` (digest {lying.digest}) failed closed: WASM output error: "
        "guest output is not valid JSON")


def test_a_tool_timeout_is_worded_as_the_reference_and_fails_the_instance(make_registry, tmp_path):
    plan = package_plan(tmp_path / "p", build(instance_wat(tool=(SPIN, TOOL_OK))),
                        limits=RuntimeLimits(fuel=10**10, timeout_ms=1000))
    registry = make_registry([plan])
    fault = fault_of(registry.call_tool, plan.ref, "count", {})
    assert (fault.kind, fault.message) == (
        "timeout", f"plugin tool `count` from `{plan.ref}` (digest {plan.digest}) timed out after 1s")
    status = registry.status(plan.ref)
    assert status["lifecycle"] == "Failed"
    assert status["diagnostics"][-1] == {"state": "Failed", "message": "plugin tool timed out after 1s"}


def test_input_size_and_json_are_checked_before_anything_else(make_registry, tmp_path):
    """Spec §6.5: steps 1-2 come before the tool surface and the tool itself are looked at."""
    plan = package_plan(tmp_path / "p", build(instance_wat()), tools=("count",), surfaces=("service",),
                        services=("svc",))
    registry = make_registry([plan])
    big = fault_of(registry.call_tool, plan.ref, "nope", '"' + "x" * 70000 + '"')
    assert (big.kind, big.message) == ("invalid_input", "plugin tool `nope` input exceeds 65536 bytes")
    broken = fault_of(registry.call_tool, plan.ref, "nope", "{")
    assert broken.kind == "invalid_input" and broken.message.startswith("plugin tool `nope` input is not valid JSON")
    off = fault_of(registry.call_tool, plan.ref, "count", {})
    assert off.message.endswith("failed closed: plugin tool surface is not enabled")


def test_the_status_json_names_the_lifecycle_and_keeps_the_engines_fields(make_registry, tmp_path):
    plan = package_plan(tmp_path / "p", build(instance_wat(tool=(COUNT, TOOL_OK))), services=("svc",))
    registry = make_registry([plan])
    assert registry.status(plan.ref)["lifecycle"] == "Ready"
    registry.call_tool(plan.ref, "count", {})
    status = registry.status(plan.ref)
    assert status["lifecycle"] == "Started" and status["diagnostics"][0]["state"] == "Started"
    assert {"plugin_ref", "lifecycle", "component_status", "diagnostics"} <= set(status)  # spec §6.4
    assert {"restarts", "queue", "limits", "services", "calls", "status_update"} <= set(status)  # ours beside
    assert registry.stop(plan.ref)["lifecycle"] == "Stopped"


RECURSIVE_RAW = """(module
  (import "yoi:tool" "output_write" (func $out (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "{{\\"summary\\":\\"deep\\"}}")
  (func $down (param $n i32)
    (if (i32.gt_u (local.get $n) (i32.const 0)) (then (call $down (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "yoi_tool_call") (call $down (i32.const {depth})) (drop (call $out (i32.const 64) (i32.const 18)))))"""


def test_raw_recursion_is_bounded_by_the_wasm_stack_not_64_frames(make_registry, tmp_path):
    """A written departure (docs/reference-differences.md): wasmi stops a raw module at 64 frames;
    wasmtime has no frame-count limit, only the 2 MiB wasm stack (about 43,000 minimal frames), so
    1,000 frames run here, and unbounded recursion still ends in a trap, diagnosed like any other."""
    import wasmtime

    deep = package_plan(tmp_path / "deep", wasmtime.wat2wasm(RECURSIVE_RAW.format(depth=1000)), runtime="raw")
    endless = package_plan(tmp_path / "endless", wasmtime.wat2wasm(RECURSIVE_RAW.format(depth=-1)), runtime="raw")
    registry = make_registry([deep, endless])
    assert registry.call_tool(deep.ref, "count", {}) == {"summary": "deep"}
    fault = fault_of(registry.call_tool, endless.ref, "count", {})
    assert fault.kind == "trap" and "WASM execution error: " in fault.message
    assert "call stack exhausted" in fault.message
    assert registry.call_tool(deep.ref, "count", {}) == {"summary": "deep"}


def test_an_output_of_the_wrong_shape_fails_closed_as_an_output_error(make_registry, tmp_path):
    """Spec §7.2 `schema_mismatch_output_fails_closed`: `summary must be a string`."""
    plan = package_plan(tmp_path / "p", build(instance_wat(tool=("", '{"summary":1}'))))
    registry = make_registry([plan])
    fault = fault_of(registry.call_tool, plan.ref, "count", {})
    assert fault.kind == "invalid_output"
    assert fault.message.endswith("failed closed: WASM output error: guest output summary must be a string")
    assert registry.status(plan.ref)["lifecycle"] == "Started"  # bad output does not fail the instance


def test_a_missing_export_fails_closed_as_a_module_error(make_registry, tmp_path):
    """Spec §7.2 `component_tool_missing_export_fails_closed`: `does not export expected`."""
    from runtime_guests import LIFECYCLE_OK, _component

    lifecycle_only = _component({name: ("", LIFECYCLE_OK) for name in ("start", "status", "stop")})
    plan = package_plan(tmp_path / "p", build(lifecycle_only))
    registry = make_registry([plan])
    fault = fault_of(registry.call_tool, plan.ref, "count", {})
    assert fault.kind == "load" and fault.message.endswith(
        "failed closed: WASM module error: component does not export expected `yoi:plugin/instance@1.0.0` "
        "handle-tool function")
