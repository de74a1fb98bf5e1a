"""Runtime costs on the bundled instance example (examples/instance-counter), issue 9:

(a) call_tool through the registry vs a direct wasmtime call of the same export (target <= 1.3x)
(b) the instance path vs per-call instantiation of the same component (target >= 20x faster), against
    two baselines: ours (compiled once, a new store + instance + `start` per call) and the
    reference's legacy way (spec §6.7 LegacyToolAdapter: a new engine, compile, store and
    instance per call)
(d) ingress deliveries per second through the registry
(e) cold start (compile) vs start from the compiled-artifact cache (target >= 10x faster)
(e) MAC: a cached start with the cache entry's HMAC-SHA256 check vs the same start without it
    (issue 17 point 2), and the check's cost per MiB of compiled artifact
(f) resident memory per started instance, 100 instances in one process

Run: python bench/runtime.py [PYTHON_GUEST.wasm]   (baselines measured in the same run)
PYTHON_GUEST: optional componentize-py guest of the instance world (built with --stub-wasi) for
(b'), the same comparison with a realistic guest.
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from engine.package.materialize import load_package_path
from engine.plan import Plan, PlannedIngress, PlannedService, PlannedTool, RuntimeLimits
from engine.runtime import HostConfig, PluginInstanceRegistry

COUNTER = Path(__file__).resolve().parents[1] / "examples" / "instance-counter"
EVENT = {"kind": "tick", "source": "example", "payload": {}}


def counter_plan(ref: str = "project:example.counter", folder: Path = COUNTER) -> Plan:
    package = load_package_path(folder, source="project")
    runtime = package.manifest.runtime
    artifact = package.files[runtime.artifact_path]
    return Plan(
        ref=ref, source="project", version=package.manifest.version, digest=package.digest,
        package_path=str(folder), classification="instance", runtime_kind=runtime.kind,
        abi_or_world=runtime.world, artifact_path=runtime.artifact_path,
        artifact_sha256=hashlib.sha256(artifact).hexdigest(),
        enabled_surfaces=("tool", "service", "ingress"), authorized_surfaces=("tool", "service", "ingress"),
        tools=(PlannedTool("counter", "", '{"type":"object"}', False),),
        services=(PlannedService("counter-service", "", "host-managed"),),
        ingresses=(PlannedIngress("counter-events", "", ("tick",), ("example",), '{"type":"object"}'),),
        host_apis=(), config_json='{"label":"demo"}',
    )


def rates(*fns, seconds: float = 0.6) -> list[float]:
    """Median per-call seconds of each function, timed in interleaved batches so that load from
    other processes hits every function alike."""
    sizes = []
    for fn in fns:
        fn()
        start, n = time.perf_counter(), 0
        while time.perf_counter() - start < 0.03:
            fn()
            n += 1
        sizes.append(max(5, int(n * seconds / 0.03 / 7 / len(fns))))
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(7):
        for index, fn in enumerate(fns):
            start = time.perf_counter()
            for _ in range(sizes[index]):
                fn()
            samples[index].append((time.perf_counter() - start) / sizes[index])
    return [statistics.median(s) for s in samples]


# A componentize-py guest (18 MB) exceeds the package per-file bound and the 8 MiB artifact bound
# of spec §6.7, so it cannot be packaged; (b') drives it with the hand-written host only.
PYTHON_GUEST_LIMITS = RuntimeLimits(memory_bytes=32 << 20, table_elements=8192, fuel=10**9, timeout_ms=5000)


def direct(data: bytes, limits: RuntimeLimits, cache_dir: Path):
    """A hand-written host for the same component: one engine, one store, per-call fuel and
    deadline, JSON decoding of the result: the floor the registry is compared with. Also the
    per-call alternative: a new store and instance (and its `start`) for every call."""
    import wasmtime
    from wasmtime.component import Component, Linker

    from engine.runtime.wasm import COMPONENT_COUNTS, WasmEngine

    ticks = limits.timeout_ms // 10 + 1
    wasm = WasmEngine(HostConfig(cache_dir=cache_dir))
    component: Component = wasm._from_disk(hashlib.sha256(data).hexdigest(), "component") or \
        wasm._compile_fresh(data, hashlib.sha256(data).hexdigest(), "component")
    linker = Linker(wasm.engine)

    def instantiate():
        store = wasmtime.Store(wasm.engine)
        store.set_limits(memory_size=limits.memory_bytes, table_elements=limits.table_elements, **COMPONENT_COUNTS)
        store.set_fuel(limits.fuel)
        store.set_epoch_deadline(ticks)
        return store, linker.instantiate(store, component)

    store, instance = instantiate()
    instance.get_func(store, "start")(store, "{}")
    handle_tool = instance.get_func(store, "handle-tool")

    def call():
        store.set_fuel(limits.fuel)
        store.set_epoch_deadline(ticks)
        return json.loads(handle_tool(store, "counter", "{}"))

    def per_call_instance():
        fresh_store, fresh = instantiate()
        fresh.get_func(fresh_store, "start")(fresh_store, "{}")
        fresh_store.set_fuel(limits.fuel)
        fresh_store.set_epoch_deadline(ticks)
        return json.loads(fresh.get_func(fresh_store, "handle-tool")(fresh_store, "counter", "{}"))

    def reference_per_call():
        """Spec §6.7's legacy adapter: a fresh engine (fuel on, no epochs), compile, store and
        instance for every call."""
        config = wasmtime.Config()
        config.consume_fuel = True
        config.wasm_component_model = True
        engine = wasmtime.Engine(config)
        fresh_store = wasmtime.Store(engine)
        fresh_store.set_limits(memory_size=limits.memory_bytes, table_elements=limits.table_elements,
                               **COMPONENT_COUNTS)
        fresh_store.set_fuel(limits.fuel)
        fresh = Linker(engine).instantiate(fresh_store, Component(engine, data))
        fresh.get_func(fresh_store, "start")(fresh_store, "{}")
        fresh_store.set_fuel(limits.fuel)
        return json.loads(fresh.get_func(fresh_store, "handle-tool")(fresh_store, "counter", "{}"))

    return wasm, call, per_call_instance, reference_per_call


FRESH = """
import sys, time
sys.path.insert(0, {bench!r})
from pathlib import Path
from runtime import counter_plan
from engine.runtime import HostConfig, PluginInstanceRegistry
plan = counter_plan()
with PluginInstanceRegistry([plan], HostConfig(cache_dir=Path({folder!r}))) as registry:
    registry._engine()  # wasmtime imported, engine made: time the start itself
    start = time.perf_counter()
    registry.start(plan.ref)
    print(time.perf_counter() - start)
"""


def fresh_process_start(folder: Path) -> float:
    """Seconds for the first `start` (load and digest, compile or cache, instantiate, start) in a
    new Python process, after wasmtime is imported."""
    code = FRESH.format(bench=str(Path(__file__).parent), folder=str(folder))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def mac_costs(plan: Plan, tmp: Path) -> tuple[float, float, float, float]:
    """Median cached start with the MAC check and with it replaced by a plain open (same run,
    interleaved), then the check alone on a 32 MiB entry against reading the same file."""
    from engine import cache, compiled

    def unchecked(path: Path, material: str) -> int | None:
        return os.open(path, os.O_RDONLY)

    checked = cache.open_verified
    folder = tmp / "mac"
    with PluginInstanceRegistry([plan], HostConfig(cache_dir=folder)) as registry:
        registry.start(plan.ref)  # compiled once, cached with its MAC
    on, off = [], []
    for _ in range(15):
        for opener, bucket in ((checked, on), (unchecked, off)):
            compiled.cache.open_verified = opener
            try:
                with PluginInstanceRegistry([plan], HostConfig(cache_dir=folder)) as registry:
                    registry._engine()
                    start = time.perf_counter()
                    registry.start(plan.ref)
                    bucket.append(time.perf_counter() - start)
            finally:
                compiled.cache.open_verified = checked
    big = tmp / "mac-big" / "entry.cwasm"
    big.parent.mkdir(mode=0o700)
    cache.write_raw(big, os.urandom(32 << 20), "bench")
    verify, read = [], []
    for _ in range(5):
        start = time.perf_counter()
        fd = cache.open_verified(big, "bench")
        verify.append(time.perf_counter() - start)
        os.close(fd)
        start = time.perf_counter()
        big.read_bytes()
        read.append(time.perf_counter() - start)
    return statistics.median(on), statistics.median(off), statistics.median(verify), statistics.median(read)


def rss_kib() -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main(python_guest: Path | None = None) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="yoi-bench-runtime-"))
    plan = counter_plan()
    rows = []
    with PluginInstanceRegistry([plan], HostConfig(cache_dir=tmp / "a")) as registry:
        registry.start(plan.ref)
        artifact = (Path(plan.package_path) / plan.artifact_path).read_bytes()
        wasm, direct_call, per_call_instance, reference_per_call = direct(artifact, plan.limits, tmp / "a")
        via_registry, floor, per_call, ingress, reference = rates(
            lambda: registry.call_tool(plan.ref, "counter", "{}"), direct_call, per_call_instance,
            lambda: registry.deliver_ingress(plan.ref, "counter-events", EVENT), reference_per_call)
        rows.append(("(a) call_tool via registry vs direct wasmtime call", via_registry, floor,
                     f"{via_registry / floor:.2f}x the direct call (target <= 1.3x)"))
        rows.append(("(b) ours: cached compile, new store+instance per call", per_call, via_registry,
                     f"instance path {per_call / via_registry:.1f}x faster (target >= 20x)"))
        rows.append(("(b) reference: new engine+compile+instance per call", reference, via_registry,
                     f"instance path {reference / via_registry:.1f}x faster (target >= 20x)"))
        rows.append(("(d) ingress delivery via registry", ingress, via_registry,
                     f"{1 / ingress:,.0f} deliveries/s"))
        wasm.close()
    if python_guest is not None:
        wasm, instance_call, per_call_instance, _ = direct(python_guest.read_bytes(), PYTHON_GUEST_LIMITS, tmp / "a")
        instance_path, per_call = rates(instance_call, per_call_instance, seconds=3)
        rows.append(("(b') same, componentize-py guest, direct host", per_call, instance_path,
                     f"instance path {per_call / instance_path:.1f}x faster"))
        wasm.close()

    from engine.runtime.artifact import load_artifact

    cold, warm, digest = [], [], []
    for index in range(7):
        for folder, bucket in ((tmp / f"cold{index}", cold), (tmp / "warm", warm)):
            with PluginInstanceRegistry([plan], HostConfig(cache_dir=folder)) as registry:
                registry._engine()  # engine and ticker exist already: measure the start only
                start = time.perf_counter()
                registry.start(plan.ref)
                bucket.append(time.perf_counter() - start)
        start = time.perf_counter()
        load_artifact(plan)
        digest.append(time.perf_counter() - start)
    cold_s, warm_s, digest_s = statistics.median(cold), statistics.median(warm[1:]), statistics.median(digest)
    rows.append(("(e) start: cold compile vs compiled-artifact cache", cold_s, warm_s,
                 f"cached start {cold_s / warm_s:.1f}x faster (target >= 10x)"))
    rows.append(("(e) of each start: package re-read + digest check", digest_s, warm_s,
                 f"without it the cached start is {(cold_s - digest_s) / (warm_s - digest_s):.1f}x faster"))
    mac_on, mac_off, verify_big, read_big = mac_costs(plan, tmp)
    rows.append(("(e) cached start: with MAC check vs without", mac_on, mac_off,
                 f"the MAC check makes a cached start {mac_on / mac_off:.2f}x as long"))
    rows.append(("(e) MAC check of a 32 MiB entry vs reading it", verify_big, read_big,
                 f"{verify_big / 32 * 1e3:.2f} ms per MiB ({verify_big / read_big:.1f}x a plain read)"))
    fresh_cold, fresh_warm = [], []
    for index in range(5):
        fresh_cold.append(fresh_process_start(tmp / f"fresh-cold{index}"))
        fresh_warm.append(fresh_process_start(tmp / "fresh-warm"))
    cold_s, warm_s = statistics.median(fresh_cold), statistics.median(fresh_warm[1:])
    rows.append(("(e) same, first start in a fresh process", cold_s, warm_s,
                 f"cached start {cold_s / warm_s:.1f}x faster (target >= 10x)"))

    plans = [replace(plan, ref=f"project:example.counter-{i}") for i in range(100)]
    with PluginInstanceRegistry(plans, HostConfig(cache_dir=tmp / "a")) as registry:
        registry.start(plans[0].ref)
        before = rss_kib()
        for p in plans[1:]:
            registry.start(p.ref)
        per_instance = (rss_kib() - before) / 99
        rows.append(("(f) resident memory per started instance (100)", per_instance, 0.0,
                     f"{per_instance:,.0f} KiB per instance"))

    print(f"{'measurement':<56} {'value':>12} {'baseline':>12}  result")
    for label, value, base, note in rows:
        unit = "KiB" if label.startswith("(f)") else "us"
        scale = 1 if unit == "KiB" else 1e6
        print(f"{label:<56} {value * scale:>10.1f}{unit:>2} {base * scale:>10.1f}{unit:>2}  {note}")
    print(f"wasmtime {__import__('importlib.metadata').metadata.version('wasmtime')}, pid {os.getpid()}")


if __name__ == "__main__":
    # optional: a componentize-py instance-world guest built with --stub-wasi, for (b')
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
