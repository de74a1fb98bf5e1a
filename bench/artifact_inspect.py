"""Artifact inspection cost. Static inspection reads core modules and components in pure Python;
the baselines, measured in the same run, are what reading them with wasmtime costs (validating
or compiling: a component's types used to be read by compiling it, engine/artifact/wasmtime_oracle.py).

  core modules: the section reader vs Module.validate and vs Module() (compile) + imports/exports
  components:   the component reader, cold (nothing cached), vs compiling with the runtime's engine
                settings (what `check` did before) and with an unoptimized engine; and the
                in-process cache
  --python:     the same for an 18 MB componentize-py guest (built here; needs the `pdk` extra)

Run: python bench/artifact_inspect.py [--python]   (prints numbers; baselines measured in the same run)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from wasmtime import Config, Engine, Module, wat2wasm
from wasmtime.component import Component

from engine import compiled
from engine.artifact import clear_cache, inspect_artifact
from engine.artifact.sections import read_core

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(ROOT / "tests" / "support"))


def per_call(fn, repeat: int, batches: int = 5) -> float:
    """Median seconds per call over a few batches."""
    samples = []
    for _ in range(batches):
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


def cold_read(data: bytes) -> None:
    clear_cache()
    info = inspect_artifact(data)
    assert info.form == "component", info.diagnostics


def components() -> list[tuple[str, bytes]]:
    from component_corpus import VALID, component

    out = [(p.parent.name, p.read_bytes()) for p in sorted(EXAMPLES.glob("*/*.component.wasm"))]
    corpus = dict(VALID)
    for name in ("interface exported through a nested component (wit-component shape)", "imported resources"):
        out.append((name[:22], component(corpus[name])))
    return out


def python_guest() -> tuple[str, bytes]:
    sys.path.insert(0, str(ROOT / "bench"))
    from python_guest import workspace_with_python_guest

    with tempfile.TemporaryDirectory(prefix="yoi-bench-inspect-") as root:
        workspace_with_python_guest(Path(root))
        return "python guest", (Path(root) / "python-instance" / "plugin.component.wasm").read_bytes()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="store_true", help="also an 18 MB componentize-py guest")
    args = parser.parse_args(argv)

    engine = Engine()
    print("== core modules: section reader vs wasmtime Module.validate and Module() (compile) ==")
    for label, data in (
        ("raw-echo example", (EXAMPLES / "raw-echo" / "echo.wasm").read_bytes()),
        ("2000-function module", big_core_module(2000)),
    ):
        small = len(data) < 10_000
        reader = per_call(lambda: read_core(data), 200 if small else 5)
        validate = per_call(lambda: Module.validate(engine, data), 200 if small else 5)

        def wasmtime_types():
            module = Module(engine, data)
            return module.imports, module.exports

        compile_ = per_call(wasmtime_types, 20 if small else 1)
        print(
            f"  {label:<22} {len(data):>9} B: reader {reader * 1e3:8.3f} ms | "
            f"Module.validate {validate * 1e3:8.3f} ms | Module()+types {compile_ * 1e3:8.2f} ms "
            f"(reader is {compile_ / reader:,.0f}x faster than compiling)"
        )

    runtime_engine = compiled.new_engine()
    quick = Config()
    quick.wasm_component_model = True
    quick.cranelift_opt_level = "none"
    quick_engine = Engine(quick)
    print("== components, cold: pure-Python reader vs wasmtime compile (runtime settings / unoptimized) ==")
    items = components()
    if args.python:
        items.append(python_guest())
    for label, data in items:
        big = len(data) > 1_000_000
        reader = per_call(lambda: cold_read(data), 1 if big else 20, 3 if big else 5)
        runtime = per_call(lambda: Component(runtime_engine, data), 1, 1 if big else 5)
        unoptimized = per_call(lambda: Component(quick_engine, data), 1, 1 if big else 5)
        clear_cache()
        inspect_artifact(data)
        cached = per_call(lambda: inspect_artifact(data), 5 if big else 2000)
        print(
            f"  {label:<22} {len(data):>9} B: reader {reader * 1e3:9.2f} ms | compile {runtime * 1e3:9.1f} ms "
            f"({runtime / reader:,.0f}x) | unoptimized {unoptimized * 1e3:9.1f} ms ({unoptimized / reader:,.0f}x)"
            f" | cached {cached * 1e6:8.1f} us"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
