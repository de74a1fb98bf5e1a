"""What a guest may import: yoi host interfaces whose API is in the plan, nothing else (no WASI),
for components and raw modules; the raw ABI's return codes and output-error poisoning (§6.8);
the package digest re-check before anything is loaded."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import wasmtime
from runtime_guests import build, fault_of, forwarding_wat, instance_wat, package_plan
from wasm_builders import INSTANCE_WORLD_EXPORTS, component

from engine.package.digest import package_digest
from engine.package.materialize import read_directory

EVENT = {"kind": "tick", "source": "s", "payload": {}}


def test_a_component_importing_wasi_is_refused_before_instantiation(make_registry, tmp_path):
    wasi = component(INSTANCE_WORLD_EXPORTS, imports=[("wasi:cli/environment@0.2.0", "get-arguments", [], "u32")])
    plan = package_plan(tmp_path / "wasi", wasi)
    registry = make_registry([plan])
    fault = fault_of(registry.call_tool, plan.ref, "count", {})
    assert fault.kind == "load"
    assert "unsupported component import `wasi:cli/environment@0.2.0`; no WASI" in fault.message
    assert registry.status(plan.ref)["lifecycle"] == "Failed"


def test_a_host_import_outside_the_plan_is_denied(make_registry, tmp_path):
    plan = package_plan(tmp_path / "https", build(forwarding_wat("yoi:host/https@1.0.0", "request")))
    fault = fault_of(make_registry([plan]).start, plan.ref)
    assert fault.kind == "denied" and "host API `https` is not in the plan" in fault.message


@pytest.mark.parametrize("interface, func, api", [
    ("yoi:host/https@1.0.0", "request", "https"), ("yoi:host/fs@1.0.0", "read", "fs"),
    ("yoi:host/fs@1.0.0", "list", "fs"), ("yoi:host/fs@1.0.0", "write", "fs"),
])
def test_a_granted_host_import_is_linked_and_errors_come_back_as_data(interface, func, api, make_registry,
                                                                      tmp_path):
    plan = package_plan(tmp_path / "fwd", build(forwarding_wat(interface, func)), ingresses=("events",),
                        host_apis=(api,))
    registry = make_registry([plan])
    report = registry.deliver_ingress(plan.ref, "events", EVENT)
    # the descriptor (our envelope) is no valid request for any host API: an error, as JSON data
    assert isinstance(report["output"]["error"]["message"], str)
    assert registry.status(plan.ref)["lifecycle"] == "Started"
    again = registry.deliver_ingress(plan.ref, "events", EVENT)  # the instance was not poisoned
    assert "error" in again["output"]


@pytest.mark.parametrize("func, params, result, words", [
    ("read", [("x", "u32")], "u32", "function `read` has type func(x: u32) -> u32; the host provides "
                                    "func(request-json: string) -> string"),
    ("write", [("a", "string"), ("b", "string")], "string", "function `write` has type func(a: string, b: string)"),
    ("list", [("request-json", "string")], None, "function `list` has type func(request-json: string); the host"),
    ("delete", [("request-json", "string")], "string", "function `delete` is not provided by the host"),
])
def test_host_imports_are_type_checked_at_link_time(func, params, result, words, make_registry, tmp_path):
    """Issue 17 point 8: on main a mistyped host import linked (wasmtime-py's component linker
    takes untyped host functions) and failed only when called."""
    artifact = component(INSTANCE_WORLD_EXPORTS, imports=[("yoi:host/fs@1.0.0", func, params, result)])
    plan = package_plan(tmp_path / "typed", artifact, host_apis=("fs",))
    fault = fault_of(make_registry([plan]).start, plan.ref)
    assert fault.kind == "load" and "component import `yoi:host/fs@1.0.0` " + words in fault.message


def test_a_package_changed_after_planning_is_refused(make_registry, tmp_path):
    plan = package_plan(tmp_path / "p", build(instance_wat()))
    (tmp_path / "p" / "plugin.toml").write_text("# replaced after planning\n")
    registry = make_registry([plan])
    fault = fault_of(registry.start, plan.ref)
    assert fault.kind == "load" and "package/module load error: resolved plugin package digest does not match current package content" in fault.message
    assert plan.digest in fault.message


def test_a_replaced_artifact_is_refused_even_with_an_updated_plan_digest(make_registry, tmp_path):
    plan = package_plan(tmp_path / "p", build(instance_wat()))
    (tmp_path / "p" / plan.artifact_path).write_bytes(build(instance_wat(tool=("unreachable", "{}"))))
    forged = replace(plan, digest=package_digest(read_directory(tmp_path / "p")))
    fault = fault_of(make_registry([forged]).start, forged.ref)
    assert fault.kind == "load" and "artifact sha256 differs" in fault.message


def test_a_missing_package_is_a_load_fault(make_registry, tmp_path):
    plan = package_plan(tmp_path / "p", build(instance_wat()))
    for child in (tmp_path / "p").iterdir():
        child.unlink()
    (tmp_path / "p").rmdir()
    fault = fault_of(make_registry([plan]).call_tool, plan.ref, "count", {})
    assert fault.kind == "load" and "package/module load error" in fault.message


# ---- raw core modules (spec §6.8) -------------------------------------------------------------

RAW_HEAD = """(module
  (import "yoi:tool" "output_write" (func $out (param i32 i32) (result i32)))
  {imports}
  (memory (export "memory") 1)
  (data (i32.const 64) "{{\\"summary\\":\\"ok\\"}}")
  (global $rc (export "rc") (mut i32) (i32.const 0))
  (func (export "yoi_tool_call") {body}))"""
WRITE_OK = "(drop (call $out (i32.const 64) (i32.const 16)))"


def raw(body: str, imports: str = "") -> bytes:
    return wasmtime.wat2wasm(RAW_HEAD.format(imports=imports, body=body))


@pytest.mark.parametrize("imports, kind, words", [
    ('(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))', "load",
     "unsupported import module `wasi_snapshot_preview1`; only `yoi:tool`, `yoi:https`, and `yoi:fs`"),
    ('(import "yoi:tool" "env_read" (func))', "load", "unsupported host import `env_read`"),
    ('(import "yoi:https" "request" (func (param i32 i32) (result i32)))', "denied",
     "host API `https` is not in the plan"),
    ('(import "yoi:fs" "read" (func (param i32 i32) (result i32)))', "denied", "host API `fs` is not in the plan"),
])
def test_raw_imports_are_validated(imports, kind, words, make_registry, tmp_path):
    plan = package_plan(tmp_path / "raw", raw(WRITE_OK, imports), runtime="raw")
    fault = fault_of(make_registry([plan]).call_tool, plan.ref, "count", {})
    assert fault.kind == kind and words in fault.message


@pytest.mark.parametrize("body, words", [
    ("(drop (call $out (i32.const -1) (i32.const 4)))", "guest output pointer/length is invalid"),
    ("(drop (call $out (i32.const 65530) (i32.const 100)))", "guest output memory range is invalid"),
    ("(drop (call $out (i32.const 0) (i32.const 70000)))", "guest output exceeds 65536 bytes"),
])
def test_a_raw_output_error_fails_the_call_even_after_a_valid_write(body, words, make_registry, tmp_path):
    plan = package_plan(tmp_path / "raw", raw(body + WRITE_OK), runtime="raw")
    fault = fault_of(make_registry([plan]).call_tool, plan.ref, "count", {})
    assert fault.kind == "invalid_output" and f"WASM output error: {words}" in fault.message


def test_a_raw_guest_that_never_writes_output_fails(make_registry, tmp_path):
    plan = package_plan(tmp_path / "raw", raw(""), runtime="raw")
    fault = fault_of(make_registry([plan]).call_tool, plan.ref, "count", {})
    assert "guest did not call output_write" in fault.message


def test_raw_host_api_failure_poisons_the_output(make_registry, tmp_path):
    imports = '(import "yoi:https" "request" (func $req (param i32 i32) (result i32)))'
    body = "(global.set $rc (call $req (i32.const 64) (i32.const 16)))" + WRITE_OK
    plan = package_plan(tmp_path / "raw", raw(body, imports), runtime="raw", host_apis=("https",))
    fault = fault_of(make_registry([plan]).call_tool, plan.ref, "count", {})
    assert fault.kind == "invalid_output" and fault.message.count("WASM output error: ") == 1


def test_raw_copy_functions_demand_the_exact_length(make_registry, tmp_path):
    imports = ('(import "yoi:tool" "input_len" (func $len (result i32)))\n'
               '(import "yoi:tool" "input_read" (func $read (param i32 i32) (result i32)))')
    # a short read, a negative pointer and an out-of-bounds read all return -1 (no output error);
    # then write {"summary":"ok"} only if all three did
    body = """(if (i32.and (i32.and
                 (i32.eq (call $read (i32.const 128) (i32.sub (call $len) (i32.const 1))) (i32.const -1))
                 (i32.eq (call $read (i32.const -5) (call $len)) (i32.const -1)))
                 (i32.eq (call $read (i32.const 65535) (call $len)) (i32.const -1)))
              (then (drop (call $out (i32.const 64) (i32.const 16)))))"""
    plan = package_plan(tmp_path / "raw", raw(body, imports), runtime="raw")
    assert make_registry([plan]).call_tool(plan.ref, "count", {"x": 1}) == {"summary": "ok"}


def test_a_raw_module_without_the_entry_point_is_a_load_fault(make_registry, tmp_path):
    module = wasmtime.wat2wasm('(module (memory (export "memory") 1) (func (export "yoi_tool_call") (result i32) '
                               'i32.const 0))')
    plan = package_plan(tmp_path / "raw", module, runtime="raw")
    fault = fault_of(make_registry([plan]).call_tool, plan.ref, "count", {})
    assert fault.kind == "load" and "yoi_tool_call: () -> ()" in fault.message


def test_a_component_artifact_in_a_raw_plan_is_a_load_fault(make_registry, tmp_path):
    plan = package_plan(tmp_path / "raw", build(instance_wat()), runtime="raw")
    fault = fault_of(make_registry([plan]).call_tool, plan.ref, "count", {})
    assert fault.kind == "load" and "WASM module error" in fault.message
    assert json.dumps(fault.to_dict())


def test_an_archive_package_is_digested_like_its_folder_and_rechecked(make_registry, tmp_path):
    from engine.package.archive import write_archive

    plan = package_plan(tmp_path / "p", build(instance_wat()))
    archive = tmp_path / "p.yoi-plugin"
    archive.write_bytes(write_archive(read_directory(tmp_path / "p")))
    packed = replace(plan, package_path=str(archive), ref="project:packed")
    changed = tmp_path / "changed.yoi-plugin"
    changed.write_bytes(write_archive({**read_directory(tmp_path / "p"), "extra.txt": b"x"}))
    registry = make_registry([packed, replace(plan, package_path=str(changed), ref="project:changed")])
    assert registry.call_tool("project:packed", "count", {})["summary"] == "count 1"
    assert fault_of(registry.start, "project:changed").kind == "load"


def test_the_fast_string_call_matches_the_ordinary_call(tmp_path):
    from engine.runtime import HostConfig
    from engine.runtime.wasm import WasmEngine, bind_string_func

    wasm = WasmEngine(HostConfig(cache_dir=tmp_path))
    try:
        compiled = wasm.compile(build(instance_wat()), "component")
        store = wasmtime.Store(wasm.engine)
        store.set_fuel(10**6)
        store.set_epoch_deadline(10**6)
        instance = wasmtime.component.Linker(wasm.engine).instantiate(store, compiled)
        func = instance.get_func(store, "handle-tool")
        fast = bind_string_func(func, store)
        assert fast.__name__ == "call"  # the fast path, not the fallback
        assert fast("count", "{}") == '{"summary":"count 1","content":"{\\"count\\":1}"}'
        assert func(store, "count", "{}") == '{"summary":"count 2","content":"{\\"count\\":2}"}'
        with pytest.raises(TypeError):
            fast("count")
        with pytest.raises(TypeError):
            fast("count", 7)
        assert fast("count", "{}").startswith('{"summary":"count 3"')
        # another signature (here `handle-tool` returning u32) takes wasmtime-py's ordinary call
        exports = {**INSTANCE_WORLD_EXPORTS, "handle-tool": ([("name", "string"), ("input-json", "string")], "u32")}
        other = wasm.compile(component(exports), "component")
        store = wasmtime.Store(wasm.engine)
        store.set_fuel(10**6)
        store.set_epoch_deadline(10**6)
        instance = wasmtime.component.Linker(wasm.engine).instantiate(store, other)
        plain = bind_string_func(instance.get_func(store, "handle-tool"), store)
        assert plain.__name__ == "plain" and plain("count", "{}") == 0
    finally:
        wasm.close()
