"""The wasmtime side of a registry: one Engine, one epoch ticker, the compiled-artifact cache, and
running one guest call under its own fuel budget and wall-clock deadline.

This is the only module that imports wasmtime, and it does so when a registry first needs an
engine, so `import engine.runtime` stays cheap for commands that never run wasm.

Settings: fuel metering and epoch interruption on; the component model on; max wasm stack 2 MiB.
The reference uses 8 MiB, but wasmtime-py 50 aborts the whole process when max_wasm_stack exceeds
its (not configurable) 2 MiB async stack, so 2 MiB is the largest safe value.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
    """Part of the cache key. Read from the name of the installed wheel's dist-info folder:
    importlib.metadata parses the METADATA file as e-mail, which cost 1-2 ms of the first start
    in a process (more than the rest of a cached start); it stays the fallback."""
    import wasmtime

    site = os.path.dirname(os.path.dirname(os.path.abspath(wasmtime.__file__)))
    try:
        found = [name for name in os.listdir(site) if name.startswith("wasmtime-") and name.endswith(".dist-info")]
    except OSError:
        found = []
    if len(found) == 1:
        return found[0][len("wasmtime-"):-len(".dist-info")]
    from importlib.metadata import version

    return version("wasmtime")


@functools.lru_cache(maxsize=1)
def _key_suffix() -> str:
    """What besides the artifact names a compiled artifact: wasmtime, engine settings, machine."""
    return f"{wasmtime_version()}\0{ENGINE_SETTINGS}\0{os.uname().machine}"


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
        key = hashlib.sha256(f"{sha}\0{kind}\0{_key_suffix()}".encode()).hexdigest()[:40]
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
            with contextlib.suppress(wasmtime.WasmtimeError):
                cache.write_file(path, compiled.serialize())
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


def bind_string_func(func: Any, store: Any) -> Callable[..., Any]:
    """`func(store, *args)` for a component function of strings to a string, with its types read
    once. wasmtime-py 50's `Func.__call__` asks the engine for the function's type and converts
    every parameter type to Python on each call (about a third of a small call); a guest's
    export types never change, so they are read when the function is first looked up. Any other
    signature, or a wasmtime-py without these internals, takes the ordinary call."""
    def plain(*args: Any) -> Any:
        return func(store, *args)

    try:
        from ctypes import byref, pointer

        from wasmtime import _ffi as ffi
        from wasmtime.component._enter import enter_wasm
        from wasmtime.component._types import String

        func_type = func.type(store)
        param_types = [ty for _name, ty in func_type.params]
        result_type = func_type.result
        val_t, call_c, delete = ffi.wasmtime_component_val_t, ffi.wasmtime_component_func_call, \
            ffi.wasmtime_component_val_delete
    except (ImportError, AttributeError):
        return plain
    if not isinstance(result_type, String) or not all(isinstance(ty, String) for ty in param_types):
        return plain
    count, raw_func = len(param_types), func._func

    def call(*args: Any) -> Any:
        if len(args) != count:
            raise TypeError(f"wrong number of parameters provided: given {len(args)}, expected {count}")
        params = (val_t * count)()
        converted = 0
        try:
            for ty, value in zip(param_types, args, strict=True):  # the count is checked above
                ty.convert_to_c(store, value, pointer(params[converted]))
                converted += 1
            result = val_t()
            enter_wasm(lambda: call_c(byref(raw_func), store._context(), params, converted, byref(result), 1))
            return result_type.convert_from_c(result)
        finally:
            for index in range(converted):
                delete(byref(params[index]))

    return call


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
