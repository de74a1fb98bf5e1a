"""Artifact inspection cost: the pure-Python section reader vs wasmtime for core modules, and
wasmtime component type introspection (cold compile vs in-process cache).

Run: python bench/artifact_inspect.py   (prints numbers; baselines measured in the same run)
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

os.environ["YOI_CACHE"] = "off"  # "cold" means a compile each time, not a compiled-artifact cache load

from wasmtime import Config, Engine, Module, wat2wasm

from engine.artifact import clear_cache, inspect_artifact
from engine.artifact.component_types import inspect_component
from engine.artifact.sections import read_core

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def per_call(fn, repeat: int) -> float:
    """Median seconds per call over a few batches."""
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        samples.append((time.perf_counter() - start) / repeat)
    return statistics.median(samples)


def big_core_module(functions: int) -> bytes:
    body = "\n".join(
        f'(func (export "f{i}") (param i32 i64) (result i32) (i32.add (local.get 0) (i32.const {i})))'
        for i in range(functions)
    )
    imports = "\n".join(f'(import "env" "h{i}" (func (param i32) (result i32)))' for i in range(50))
    return bytes(wat2wasm(f"(module {imports} {body})"))


def main() -> None:
    engine = Engine()
    no_opt = Config()
    no_opt.cranelift_opt_level = "none"
    print("== core modules: section reader vs wasmtime Module (compile) + imports/exports ==")
    for label, data in (
        ("raw-echo example", (EXAMPLES / "raw-echo" / "echo.wasm").read_bytes()),
        ("2000-function module", big_core_module(2000)),
    ):
        reader = per_call(lambda: read_core(data), 200 if len(data) < 10_000 else 5)
        validate = per_call(lambda: Module.validate(engine, data), 200 if len(data) < 10_000 else 5)

        def wasmtime_types():
            module = Module(engine, data)
            return module.imports, module.exports

        compile_ = per_call(wasmtime_types, 20 if len(data) < 10_000 else 1)
        print(
            f"  {label:<22} {len(data):>7} B: reader {reader * 1e3:8.3f} ms | "
            f"Module.validate {validate * 1e3:8.3f} ms | Module()+types {compile_ * 1e3:8.2f} ms "
            f"(reader is {compile_ / reader:,.0f}x faster than compiling)"
        )

    print("== components: wasmtime Component(...).type (compile, no instantiation) ==")
    for label, path in (
        ("component-echo", EXAMPLES / "component-echo" / "echo.component.wasm"),
        ("instance-counter", EXAMPLES / "instance-counter" / "counter.component.wasm"),
    ):
        data = path.read_bytes()
        inspect_component(data)  # warm the engine once
        cold = per_call(lambda: inspect_component(data), 20)
        clear_cache()
        inspect_artifact(data)
        cached = per_call(lambda: inspect_artifact(data), 2000)
        print(
            f"  {label:<22} {len(data):>7} B: cold {cold * 1e3:7.2f} ms | cached {cached * 1e6:7.1f} us "
            f"(cache {cold / cached:,.0f}x)"
        )


if __name__ == "__main__":
    main()
