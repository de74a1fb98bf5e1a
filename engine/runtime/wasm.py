"""The wasmtime side of a registry: one Engine, one epoch ticker, the compiled-artifact cache, and
running one guest call under its own fuel budget and wall-clock deadline.

This is the only module that imports wasmtime, and it does so when a registry first needs an
engine, so `import engine.runtime` stays cheap for commands that never run wasm.

Settings: fuel metering and epoch interruption on; the component model on; max wasm stack 2 MiB.
The reference uses 8 MiB, but wasmtime-py 50 aborts the whole process when max_wasm_stack exceeds
its (not configurable) 2 MiB async stack, so 2 MiB is the largest safe value.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from pathlib import Path
from typing import Any, Callable

from engine import cache
from engine.plan import RuntimeLimits
from engine.runtime.config import HostConfig
from engine.runtime.errors import RuntimeFault
from engine.runtime.hostlink import enter_guest_call, leave_guest_call

MAX_WASM_STACK = 2 * 1024 * 1024
# The reference allows 8 MiB (spec §6.7, §6.8); a componentize-py Python guest is about 18 MiB, so
# artifacts may be as large as a package file may be (engine/package/limits.py).
MAX_ARTIFACT_BYTES = 32 * 1024 * 1024
ENGINE_SETTINGS = f"fuel=1;epoch=1;component-model=1;max-wasm-stack={MAX_WASM_STACK}"
# Store limits on the number of core instances, memories and tables (measured, docs/runtime.md):
# a raw module is exactly one of each. A component is a tree of core instances: the bundled
# examples have 1, a libc+main component 2, a componentize-py 0.25 guest 38 instances with one
# memory and 2 tables. So a component may have up to 64 core instances and 2 tables, and still
# only one memory; memory_bytes and table_elements bound each memory and table.
RAW_COUNTS = {"instances": 1, "memories": 1, "tables": 1}
COMPONENT_COUNTS = {"instances": 64, "memories": 1, "tables": 2}

_LIMIT_WORDS = ("exceeds memory limits", "exceeds table limits", "resource limit exceeded", "growing memory",
                "growing table", "minimum size of")


@functools.lru_cache(maxsize=1)
def wasmtime_version() -> str:
    """Part of the cache key (reading package metadata costs about a millisecond: once)."""
    from importlib.metadata import version

    return version("wasmtime")


class WasmEngine:
    """One wasmtime Engine (fuel + epoch), its epoch ticker thread, and compiled artifacts."""

    def __init__(self, host: HostConfig) -> None:
        import wasmtime
        import wasmtime.component

        self.wasmtime = wasmtime
        config = wasmtime.Config()
        config.consume_fuel = True
        config.epoch_interruption = True
        config.wasm_component_model = True
        config.max_wasm_stack = MAX_WASM_STACK
        self.engine = wasmtime.Engine(config)
        self.tick_ms = max(1, int(host.epoch_tick_ms))
        self._cache_folder = _cache_folder(host)
        self._compiled: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="yoi-epoch-ticker", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(self.tick_ms / 1000):
            self.engine.increment_epoch()

    def close(self) -> None:
        self._stop.set()
        if self._ticker.is_alive() and self._ticker is not threading.current_thread():
            self._ticker.join(timeout=1)

    # ---- compiling -----------------------------------------------------------------------------

    def compile(self, data: bytes, kind: str) -> Any:
        """A compiled Component (`kind` "component") or Module ("module"), from memory, the disk
        cache, or a fresh compile (which is then cached)."""
        if len(data) > MAX_ARTIFACT_BYTES:
            what = "WASM component runtime artifact" if kind == "component" else "WASM runtime module"
            raise RuntimeFault("load", f"{what} exceeds {MAX_ARTIFACT_BYTES} bytes")
        sha = hashlib.sha256(data).hexdigest()
        with self._lock:
            found = self._compiled.get((kind, sha))
        if found is not None:
            return found
        compiled = self._from_disk(sha, kind) or self._compile_fresh(data, sha, kind)
        with self._lock:
            self._compiled[(kind, sha)] = compiled
        return compiled

    def _loader(self, kind: str) -> Any:
        return self.wasmtime.component.Component if kind == "component" else self.wasmtime.Module

    def _cache_path(self, sha: str, kind: str) -> Path | None:
        if self._cache_folder is None:
            return None
        key = hashlib.sha256(f"{sha}\0{kind}\0{wasmtime_version()}\0{ENGINE_SETTINGS}\0{os.uname().machine}"
                             .encode()).hexdigest()[:40]
        return self._cache_folder / f"{key}.{kind}.cwasm"

    def _from_disk(self, sha: str, kind: str) -> Any:
        path = self._cache_path(sha, kind)
        if path is None or not cache.is_private_file(path):
            return None
        try:
            return self._loader(kind).deserialize_file(self.engine, str(path))
        except (self.wasmtime.WasmtimeError, OSError, ValueError):
            return None  # stale or corrupt: compile again and overwrite

    def _compile_fresh(self, data: bytes, sha: str, kind: str) -> Any:
        wasmtime = self.wasmtime
        try:
            compiled = self._loader(kind)(self.engine, data)
        except (wasmtime.WasmtimeError, ValueError, TypeError) as error:
            what = "component is incompatible" if kind == "component" else "WASM module error"
            raise RuntimeFault("load", f"{what}: {last_line(error)}") from None
        path = self._cache_path(sha, kind)
        if path is not None:
            try:
                cache.write_file(path, compiled.serialize())
            except wasmtime.WasmtimeError:
                pass
        return compiled

    # ---- running -------------------------------------------------------------------------------

    def new_store(self, limits: RuntimeLimits, counts: dict[str, int]) -> Any:
        store = self.wasmtime.Store(self.engine)
        store.set_limits(memory_size=limits.memory_bytes, table_elements=limits.table_elements, **counts)
        return store

    def run(self, store: Any, limits: RuntimeLimits, what: str, call: Callable[[], Any]) -> Any:
        """Run `call` (which enters the guest) with a fresh fuel budget and wall-clock deadline;
        any wasmtime failure becomes a classified RuntimeFault. Host API calls the guest makes
        get the same deadline (and a cap on their number) through hostlink's call budget."""
        store.set_fuel(limits.fuel)
        store.set_epoch_deadline(-(-limits.timeout_ms // self.tick_ms) + 1)  # ceil, then the partial tick
        previous = enter_guest_call(limits.timeout_ms)
        try:
            return call()
        except RuntimeFault:
            raise
        except (self.wasmtime.Trap, self.wasmtime.WasmtimeError) as error:
            raise classify(error, what, limits) from None
        except (TypeError, ValueError, UnicodeError) as error:  # lift/lower type errors, bad strings
            raise RuntimeFault("trap", f"WASM execution error: {what}: {last_line(error)}") from None
        finally:
            leave_guest_call(previous)


def last_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


def classify(error: BaseException, what: str, limits: RuntimeLimits) -> RuntimeFault:
    """Map a wasmtime error to a fault kind by trap code or, for components (no trap code), by
    the last line of the message, which is stable across wasmtime-py 50's error types."""
    text = last_line(error)
    lowered = str(error).lower()
    if "all fuel consumed" in lowered:
        return RuntimeFault("fuel", f"{what} ran out of fuel ({limits.fuel} units)")
    if "wasm trap: interrupt" in lowered:
        return RuntimeFault("timeout", f"{what} timed out after {limits.timeout_ms} ms")
    if any(word in lowered for word in _LIMIT_WORDS):
        return RuntimeFault("limit", f"{what} exceeded the store limits: {text}")
    if "unknown import" in lowered or "matching implementation was not found" in lowered \
            or "incompatible import type" in lowered or "incompatible type" in lowered:
        return RuntimeFault("load", f"{what} could not be linked: {text}")
    return RuntimeFault("trap", f"WASM execution error: {what}: {text}")


def _cache_folder(host: HostConfig) -> Path | None:
    if not host.use_cache:
        return None
    if host.cache_dir is not None:
        return Path(host.cache_dir)
    folder = cache.cache_dir()
    return None if folder is None else folder / "compiled-wasm"
