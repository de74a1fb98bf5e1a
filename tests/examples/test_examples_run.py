"""Run the example artifacts for real with wasmtime: the raw ABI through a `yoi:tool` linker,
the components through wasmtime.component, checking outputs against spec §6.7 and §6.9."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wasmtime import Engine, FuncType, Linker, Module, Store, ValType
from wasmtime.component import Component
from wasmtime.component import Linker as ComponentLinker

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
STORE_MEMORY_LIMIT = 2 * 1024 * 1024  # spec §6.7 / §6.8


def assert_tool_output(text: str) -> dict:
    """Spec §6.9 ToolOutput rules, as the host decoder applies them."""
    assert 0 < len(text.encode("utf-8")) <= 65536
    value = json.loads(text)
    assert isinstance(value, dict) and set(value) <= {"summary", "content"}
    assert isinstance(value["summary"], str) and 0 < len(value["summary"].encode()) <= 1024
    assert value.get("content") is None or isinstance(value["content"], str)
    return value


# ---- raw core-wasm ABI ------------------------------------------------------------------------

@dataclass
class RawCall:
    """Host side of one legacy `yoi:tool` call (spec §6.8): exact-length reads, last write wins."""

    tool_name: bytes
    input: bytes
    outputs: list[bytes] = field(default_factory=list)

    def _read_into(self, source: bytes):
        def read(caller, ptr, length):
            memory = caller.get("memory")
            ptr, length = ptr & 0xFFFFFFFF, length & 0xFFFFFFFF
            if length != len(source) or ptr + length > memory.data_len(caller):
                return -1
            memory.write(caller, source, ptr)
            return length

        return read

    def _write(self, caller, ptr, length):
        memory = caller.get("memory")
        ptr, length = ptr & 0xFFFFFFFF, length & 0xFFFFFFFF
        self.outputs.append(bytes(memory.read(caller, ptr, ptr + length)))
        return length

    def linker(self, engine: Engine) -> Linker:
        i32 = ValType.i32()
        linker = Linker(engine)
        linker.define_func("yoi:tool", "tool_name_len", FuncType([], [i32]), lambda: len(self.tool_name))
        linker.define_func("yoi:tool", "input_len", FuncType([], [i32]), lambda: len(self.input))
        for name, func in (
            ("tool_name_read", self._read_into(self.tool_name)), ("input_read", self._read_into(self.input)),
            ("output_write", self._write),
        ):
            linker.define_func("yoi:tool", name, FuncType([i32, i32], [i32]), func, access_caller=True)
        return linker


@pytest.fixture(scope="module")
def engine():
    # A fixture, not a module global: wasmtime objects alive at interpreter exit warn on delete.
    return Engine()


@pytest.fixture(scope="module")
def raw_module(engine) -> Module:
    return Module(engine, (EXAMPLES / "raw-echo" / "echo.wasm").read_bytes())


def run_raw(engine: Engine, module: Module, tool: str, input_json: str) -> str:
    call = RawCall(tool.encode(), input_json.encode())
    store = Store(engine)
    store.set_limits(memory_size=STORE_MEMORY_LIMIT, instances=1, tables=1, memories=1)
    instance = call.linker(engine).instantiate(store, module)
    assert instance.exports(store)["yoi_tool_call"](store) is None
    assert len(call.outputs) == 1
    return call.outputs[-1].decode("utf-8")


def test_raw_module_has_the_legacy_abi_shape(raw_module):
    imports = {(i.module, i.name) for i in raw_module.imports}
    assert imports == {("yoi:tool", n) for n in ("tool_name_len", "tool_name_read", "input_len", "input_read", "output_write")}
    exports = {e.name: e.type for e in raw_module.exports}
    assert set(exports) == {"memory", "yoi_tool_call"}
    call_type = exports["yoi_tool_call"]
    assert list(call_type.params) == [] and list(call_type.results) == []  # () -> (), spec §6.8


def test_raw_echo_returns_the_input_as_content(engine, raw_module):
    payload = {"text": 'quote " backslash \\ newline \n tab \t unicode wörld ✓ \u0001'}
    output = assert_tool_output(run_raw(engine, raw_module, "raw_echo", json.dumps(payload, ensure_ascii=False)))
    assert output["summary"] == "echo from raw_echo"
    assert json.loads(output["content"]) == payload


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.text(max_size=8), st.text(max_size=40) | st.integers() | st.booleans(), max_size=4))
def test_raw_echo_content_round_trips(engine, raw_module, payload):
    text = json.dumps(payload, ensure_ascii=False)
    assert assert_tool_output(run_raw(engine, raw_module, "raw_echo", text))["content"] == text


def test_raw_echo_reports_input_too_large_when_memory_cannot_grow(engine, raw_module):
    output = assert_tool_output(run_raw(engine, raw_module, "raw_echo", json.dumps({"text": "x" * 400_000})))
    assert output == {"summary": "echo input too large"}


# ---- components -------------------------------------------------------------------------------

def instantiate(engine: Engine, path: Path):
    component = Component(engine, path.read_bytes())
    store = Store(engine)
    store.set_limits(memory_size=STORE_MEMORY_LIMIT, instances=1, tables=1, memories=1)
    instance = ComponentLinker(engine).instantiate(store, component)

    def call(name: str, *args: str) -> str:
        return instance.get_func(store, name)(store, *args)

    return component, call


def test_component_echo_call_returns_tool_output(engine):
    component, call = instantiate(engine, EXAMPLES / "component-echo" / "echo.component.wasm")
    assert component.type.imports(engine) == {}
    assert set(component.type.exports(engine)) == {"call"}
    payload = {"text": 'héllo "world" \\ \n'}
    output = assert_tool_output(call("call", "component_echo", json.dumps(payload, ensure_ascii=False)))
    assert output["summary"] == "component echo from component_echo"
    assert json.loads(output["content"]) == payload


def test_component_echo_call_types_are_the_tool_world(engine):
    component = Component(engine, (EXAMPLES / "component-echo" / "echo.component.wasm").read_bytes())
    func = component.type.exports(engine)["call"].ty
    assert [name for name, _ in func.params] == ["tool-name", "input-json"]


COUNTER = EXAMPLES / "instance-counter" / "counter.component.wasm"


def test_counter_exports_the_instance_world_and_imports_nothing(engine):
    component = Component(engine, COUNTER.read_bytes())
    assert component.type.imports(engine) == {}
    assert set(component.type.exports(engine)) == {"start", "handle-tool", "handle-ingress", "status", "stop"}


def test_counter_state_lives_in_the_instance(engine):
    _, call = instantiate(engine, COUNTER)
    assert json.loads(call("start", json.dumps({"label": "demo"}))) == {"state": "ready", "data": {"count": 0, "events": 0}}
    first = assert_tool_output(call("handle-tool", "counter", "{}"))
    second = assert_tool_output(call("handle-tool", "counter", "{}"))
    assert first == {"summary": "counter is at 1", "content": '{"count":1}'}
    assert json.loads(second["content"]) == {"count": 2}
    event = json.dumps({"kind": "tick", "source": "example", "payload": {}})
    assert json.loads(call("handle-ingress", "counter-events", event)) == {"accepted": True, "count": 2, "events": 1}
    assert json.loads(call("status")) == {"state": "ready", "data": {"count": 2, "events": 1}}
    assert json.loads(call("stop")) == {"state": "stopped", "data": {"count": 2, "events": 1}}


def test_counter_fresh_store_starts_fresh(engine):
    _, first = instantiate(engine, COUNTER)
    for _ in range(3):
        first("handle-tool", "counter", "{}")
    _, second = instantiate(engine, COUNTER)
    assert json.loads(second("status")) == {"state": "idle", "data": {"count": 0, "events": 0}}
    assert json.loads(assert_tool_output(second("handle-tool", "counter", "{}"))["content"]) == {"count": 1}
    assert json.loads(first("status"))["data"]["count"] == 3


def test_counter_many_calls_do_not_leak_the_per_call_arena(engine):
    _, call = instantiate(engine, COUNTER)
    big = json.dumps({"pad": "x" * 60_000})
    for _ in range(100):  # 6 MB of arguments in total through a 2 MiB store: post-return frees them
        call("handle-tool", "counter", big)
    assert json.loads(call("status"))["data"]["count"] == 100
