"""What static inspection reads for store limits (issue 19 point 3 needs it; the targets helper
adds the facts and rules): each core module's memories and tables, and what one instantiation
creates. The numbers are checked against wasmtime itself: instantiating under store limits set
exactly to them succeeds, and one less fails."""

from __future__ import annotations

import pytest
from component_corpus import VALID, component
from wasmtime import Engine, Module, Store, WasmtimeError, wat2wasm
from wasmtime import Linker as CoreLinker
from wasmtime.component import Component, Linker

from engine.artifact import CoreMemory, CoreTable, InstantiationCounts, ModuleShape, clear_cache, inspect_artifact

CORE = wat2wasm("""
(module
  (import "env" "mem" (memory 1 2))
  (import "env" "tab" (table 3 funcref))
  (memory 3 10)
  (memory i64 2)
  (table 5 20 funcref)
  (table 7 externref)
  (func (export "f")))
""")

NESTED = component("""
(component
  (core module $top (memory 2) (table 4 funcref) (func (export "f")))
  (core instance $t (instantiate $top))
  (component $c
    (core module $m (memory (export "mem") 3 5) (table 1 funcref) (func (export "f") (result i32) i32.const 1))
    (core instance $i (instantiate $m))
    (core instance $bag (export "f" (func $i "f")))
    (func (export "f") (result u32) (canon lift (core func $i "f"))))
  (instance $a (instantiate $c))
  (instance $b (instantiate $c))
  (component $never (core module $unused (memory 9)) (core instance (instantiate $unused)))
  (alias export $a "f" (func $fa))
  (export "f" (func $fa))
)""")


def test_core_module_memories_and_tables():
    clear_cache()
    info = inspect_artifact(CORE)
    assert info.modules == (
        ModuleShape(
            memories=(
                CoreMemory(initial_pages=1, max_pages=2, memory64=False, imported=True),
                CoreMemory(initial_pages=3, max_pages=10, memory64=False),
                CoreMemory(initial_pages=2, max_pages=None, memory64=True),
            ),
            tables=(
                CoreTable("funcref", 3, None, imported=True),
                CoreTable("funcref", 5, 20),
                CoreTable("externref", 7, None),
            ),
        ),
    )
    assert info.counts == InstantiationCounts(
        core_instances=1, core_modules=1, memories=2, tables=2, memory_bytes=3 * 65536, table_elements=7
    )
    assert info.modules[0].memories[1].initial_bytes == 3 * 65536


def test_component_counts_follow_instantiation_not_definition():
    clear_cache()
    info = inspect_artifact(NESTED)
    # $top once, $m once per instantiation of $c (twice); $never is defined, never instantiated,
    # so its 9-page memory is no instantiation's largest
    assert info.counts == InstantiationCounts(
        core_instances=3, core_modules=3, memories=3, tables=3, memory_bytes=3 * 65536, table_elements=4
    )
    assert [m.memories[0].initial_pages for m in info.modules] == [2, 3, 9]


def _instantiate_component(data: bytes, **limits) -> str:
    engine = Engine()
    store = Store(engine)
    store.set_limits(**limits)
    try:
        Linker(engine).instantiate(store, Component(engine, data))
    except WasmtimeError as exc:
        return str(exc)
    return "ok"


EXAMPLES_AND_CORPUS = [NESTED, component(dict(VALID)["a component instantiated twice"]),
                       component(dict(VALID)["exported resource defined here"])]


@pytest.mark.parametrize("data", EXAMPLES_AND_CORPUS)
def test_counts_are_what_wasmtime_store_limits_count(data):
    clear_cache()
    counts = inspect_artifact(data).counts
    for limit, value in (("instances", counts.core_instances), ("memories", counts.memories),
                         ("tables", counts.tables)):
        assert _instantiate_component(data, **{limit: value}) == "ok", limit
        if value:
            assert "count too high" in _instantiate_component(data, **{limit: value - 1}), limit


def test_initial_sizes_are_what_wasmtime_store_limits_check():
    clear_cache()
    counts = inspect_artifact(NESTED).counts
    assert _instantiate_component(NESTED, memory_size=counts.memory_bytes) == "ok"
    assert "exceeds memory limits" in _instantiate_component(NESTED, memory_size=counts.memory_bytes - 1)
    assert _instantiate_component(NESTED, table_elements=counts.table_elements) == "ok"
    assert "exceeds table limits" in _instantiate_component(NESTED, table_elements=counts.table_elements - 1)


def test_core_counts_are_what_wasmtime_store_limits_count():
    module = wat2wasm('(module (memory 2) (table 3 funcref) (func (export "f")))')
    counts = inspect_artifact(module).counts
    engine = Engine()
    for limit, value in (("memories", counts.memories), ("tables", counts.tables), ("instances", 1)):
        for allowed, ok in ((value, True), (value - 1, False)):
            store = Store(engine)
            store.set_limits(**{limit: allowed})
            try:
                CoreLinker(engine).instantiate(store, Module(engine, module))
                assert ok, limit
            except WasmtimeError:
                assert not ok, limit


@pytest.mark.slow
def test_the_python_guest_needs_what_yoi_current_does_not_allow(python_guest):
    """The figures issue 19 quotes for the 18 MB Python guest: about 12.4 MiB of initial memory,
    38 core instances, 2 tables, 1 memory; wasmtime agrees at the boundary."""
    data, compiled = python_guest
    clear_cache()
    info = inspect_artifact(data)
    counts = info.counts
    assert (counts.core_instances, counts.core_modules, counts.memories, counts.tables) == (38, 38, 1, 2)
    (memory,) = [m for shape in info.modules for m in shape.memories if not m.imported]
    assert 12 * 2**20 <= memory.initial_bytes == counts.memory_bytes <= 13 * 2**20 and not memory.memory64
    assert counts.table_elements == max(t.initial for s in info.modules for t in s.tables if not t.imported)
    from engine.artifact.wasmtime_oracle import inspection_engine

    engine = inspection_engine()
    limits = (("instances", 38), ("tables", 2), ("memories", 1), ("memory_size", counts.memory_bytes),
              ("table_elements", counts.table_elements))
    for limit, value in limits:
        for allowed, ok in ((value, True), (value - 1, False)):
            store = Store(engine)
            store.set_limits(**{limit: allowed})
            try:
                Linker(engine).instantiate(store, compiled)
                assert ok, limit
            except WasmtimeError as exc:
                assert not ok, (limit, str(exc))
