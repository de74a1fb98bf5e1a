"""The wasmtime side of a registry: one Engine, one epoch ticker, the compiled-artifact cache, and
running one guest call under its own fuel budget and wall-clock deadline.

This is the only module that imports wasmtime, and it does so when a registry first needs an
engine, so `import engine.runtime` stays cheap for commands that never run wasm.

Settings (engine/compiled.py, with the compiled-artifact cache): fuel metering and epoch
interruption on; the component model on; max wasm stack 2 MiB.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine import compiled as compiled_cache
from engine.compiled import ENGINE_SETTINGS, MAX_WASM_STACK, wasmtime_version  # noqa: F401 (re-exported)
from engine.plan import DEFAULT_LIMITS, RuntimeLimits
from engine.runtime.compiler import Cancel, compile_into_cache
from engine.runtime.config import HostConfig
from engine.runtime.errors import RuntimeFault
from engine.runtime.hostlink import enter_guest_call, leave_guest_call
from engine.runtime.traps import classify, host_errno_of, host_failure, last_line

if TYPE_CHECKING:
    from engine.runtime.precompile import Precompiler

# The reference allows 8 MiB (spec §6.7, §6.8); a componentize-py Python guest is about 18 MiB, so
# artifacts may be as large as a package file may be (engine/package/limits.py).
MAX_ARTIFACT_BYTES = 32 * 1024 * 1024
# Store limits on the number of core instances, memories and tables (measured, docs/runtime.md):
# a raw module is exactly one of each. A component is a tree of core instances: the bundled
# examples have 1, a libc+main component 2, a componentize-py 0.25 guest 38 instances with one
# memory and 2 tables. So a component may have up to 64 core instances and 2 tables, and still
# only one memory; memory_bytes and table_elements bound each memory and table.
RAW_COUNTS = {"instances": 1, "memories": 1, "tables": 1}
COMPONENT_COUNTS = {"instances": 64, "memories": 1, "tables": 2}


class WasmEngine:
    """One wasmtime Engine (fuel + epoch), its epoch ticker thread, and compiled artifacts."""

    def __init__(self, host: HostConfig, precompiler: Precompiler | None = None) -> None:
        import wasmtime
        import wasmtime.component

        self.wasmtime = wasmtime
        self.engine = compiled_cache.new_engine()
        self.tick_ms = max(1, int(host.epoch_tick_ms))
        self._cache_folder = host.compiled_folder()
        self._compiled: dict[tuple[str, str], Any] = {}
        self._compiling: dict[tuple[str, str], threading.Lock] = {}
        # a background compile's fault, kept for the packages it was for: (fault, refs not yet told)
        self._failed: dict[tuple[str, str], tuple[RuntimeFault, set[str]]] = {}
        self._cancels: set[Cancel] = set()  # the compiles starts are running now
        self._halted = False
        self._lock = threading.Lock()
        self._precompiler = precompiler  # the registry's background compiles, which loads wait for
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="yoi-epoch-ticker", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(self.tick_ms / 1000):
            self.engine.increment_epoch()

    def halt_compiles(self) -> None:
        """Every compile of this engine ends now (its worker killed, `stopped`) and none starts:
        the host is shutting down, and nothing may wait for or be left writing a compile."""
        with self._lock:
            self._halted = True
            cancels = list(self._cancels)
        for cancel in cancels:
            cancel.cancel()

    def close(self) -> None:
        self.halt_compiles()
        self._stop.set()
        if self._ticker.is_alive() and self._ticker is not threading.current_thread():
            self._ticker.join(timeout=1)

    # ---- compiling -----------------------------------------------------------------------------

    def compile(self, data: bytes, kind: str, budget_ms: int | None = None, owner: str | None = None) -> Any:
        """A compiled Component (`kind` "component") or Module ("module"): `load(...)[0]`."""
        return self.load(data, kind, budget_ms, owner)[0]

    def load(self, data: bytes, kind: str, budget_ms: int | None = None, owner: str | None = None) -> tuple[Any, str]:
        """(compiled artifact, where it came from: `memory`, `cache` or `compile`), from memory,
        the disk cache, or a fresh compile in a worker process within `budget_ms`
        (engine/runtime/compiler.py), which is then cached. One artifact is compiled once at a
        time; a background compile of it (engine/runtime/precompile.py) is waited for, and its
        fault, if it failed, is the fault of the next load by each package (`owner`) it was for."""
        if len(data) > MAX_ARTIFACT_BYTES:
            what = "WASM component runtime artifact" if kind == "component" else "WASM runtime module"
            raise RuntimeFault("load", f"{what} exceeds {MAX_ARTIFACT_BYTES} bytes")
        sha = hashlib.sha256(data).hexdigest()
        key = (kind, sha)
        with self._lock:
            found = self._compiled.get(key)
        if found is not None:
            return found, "memory"
        if self._precompiler is not None:
            self._precompiler.wait_for(key)
        with self._busy(key):
            with self._lock:
                found = self._compiled.get(key)
            if found is not None:
                return found, "memory"
            found, source = self._from_disk(sha, kind), "cache"
            if found is None:
                self._raise_kept_failure(key, owner)
                found, source = self._compile_fresh(data, sha, kind, budget_ms), "compile"
            with self._lock:
                self._compiled[key] = found
        return found, source

    def _busy(self, key: tuple[str, str]) -> threading.Lock:
        """The lock held while artifact `key` is compiled (or looked up on disk)."""
        with self._lock:
            return self._compiling.setdefault(key, threading.Lock())

    def _raise_kept_failure(self, key: tuple[str, str], owner: str | None) -> None:
        with self._lock:
            kept = self._failed.get(key)
            if kept is None or owner not in kept[1]:
                return
            kept[1].discard(owner)
        raise kept[0]

    def has_compiled(self, sha: str, kind: str) -> bool:
        """Whether the artifact is compiled already: in memory, or in the cache (its MAC checked,
        never while this process writes that entry)."""
        with self._busy((kind, sha)):
            return self._has_compiled(sha, kind)

    def _has_compiled(self, sha: str, kind: str) -> bool:
        with self._lock:
            if (kind, sha) in self._compiled:
                return True
        return compiled_cache.is_cached(self._cache_folder, sha, kind)

    def precompile(self, data: bytes, sha: str, kind: str, budget_ms: int, owners: list[str], cancel: Cancel) -> bool:
        """Compile `data` into the cache (into memory when there is no cache) unless it is there
        already: True when compiled now. A fault other than `stopped` is kept for `owners`."""
        key = (kind, sha)
        with self._busy(key):
            if self._has_compiled(sha, kind):
                return False
            try:
                if self._cache_folder is None:
                    found = self._compile_fresh(data, sha, kind, budget_ms, cancel)
                    with self._lock:
                        self._compiled[key] = found
                else:
                    with self._tracked(cancel) as tracked:
                        compile_into_cache(data, sha, kind, budget_ms, self._cache_folder, tracked)
            except RuntimeFault as fault:
                if fault.kind != "stopped":
                    with self._lock:
                        self._failed[key] = (fault, set(owners))
                raise
        return True

    def _cache_path(self, sha: str, kind: str) -> Path | None:
        return None if self._cache_folder is None else compiled_cache.cache_path(self._cache_folder, sha, kind)

    def _from_disk(self, sha: str, kind: str) -> Any:
        return compiled_cache.load(self.engine, self._cache_folder, sha, kind)

    @contextmanager
    def _tracked(self, cancel: Cancel | None = None) -> Iterator[Cancel]:
        """A Cancel for one compile (`cancel`, or a new one) that `halt_compiles` cancels: at
        once when compiles are halted already."""
        cancel = cancel or Cancel()
        with self._lock:
            self._cancels.add(cancel)
            halted = self._halted
        if halted:
            cancel.cancel()
        try:
            yield cancel
        finally:
            with self._lock:
                self._cancels.discard(cancel)

    def _compile_fresh(
        self, data: bytes, sha: str, kind: str, budget_ms: int | None = None, cancel: Cancel | None = None
    ) -> Any:
        """Compile in a worker under the budget, cache the native code, load it here."""
        budget = DEFAULT_LIMITS.compile_ms if budget_ms is None else budget_ms
        with self._tracked(cancel) as tracked:
            serialized = compile_into_cache(data, sha, kind, budget, self._cache_folder, tracked)
        loader = self.wasmtime.component.Component if kind == "component" else self.wasmtime.Module
        try:
            return loader.deserialize(self.engine, serialized)
        except self.wasmtime.WasmtimeError as error:
            raise host_failure(f"loading the compiled {kind}", host_errno_of(error) or 0, last_line(error)) from None

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
            raise RuntimeFault("trap", f"{what}: {last_line(error)}") from None
        except (MemoryError, OSError) as error:  # the host ran out of something: not the guest's fault
            raise host_failure(what, host_errno_of(error) or 0, last_line(error)) from None
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
        val_t, call_c, delete = (
            ffi.wasmtime_component_val_t,
            ffi.wasmtime_component_func_call,
            ffi.wasmtime_component_val_delete,
        )
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
