"""The wasmtime engine configuration and the compiled-artifact cache of the runtime
(engine/runtime/wasm.py). Static inspection compiles nothing (engine/artifact reads types in
pure Python), so only the runtime compiles, and only what a plan names.

Compiling an 18 MB componentize-py guest takes seconds: the first start compiles it (in a
worker process under the plan's compile budget, engine/runtime/compiler.py) and stores the native
code, later starts deserialize it. A cached entry is keyed by the artifact's sha256, its kind, the
wasmtime version, the engine settings and the machine; it is native code that is trusted when
loaded, so it is read only from a private folder (engine.cache), only when its MAC (HMAC-SHA256
over that key material and the entry's exact bytes, in a sidecar file) verifies, and it is loaded
through the very descriptor whose bytes were verified: a compiled file swapped in from another
key, or after the check, is discarded and compiled again, never loaded.

wasmtime is imported inside the functions only: importing this module costs nothing.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import Any

from engine import cache

# The reference uses 8 MiB, but wasmtime-py 50 aborts the whole process when max_wasm_stack exceeds
# its (not configurable) 2 MiB async stack, so 2 MiB is the largest safe value.
MAX_WASM_STACK = 2 * 1024 * 1024
ENGINE_SETTINGS = f"fuel=1;epoch=1;component-model=1;max-wasm-stack={MAX_WASM_STACK}"
FOLDER_NAME = "compiled-wasm"
KINDS = ("component", "module")


def new_engine() -> Any:
    """A wasmtime Engine with the runtime's settings (fuel metering, epoch interruption, component
    model, 2 MiB stack): artifacts it compiles can be run by any other engine made here."""
    import wasmtime

    config = wasmtime.Config()
    config.consume_fuel = True
    config.epoch_interruption = True
    config.wasm_component_model = True
    config.max_wasm_stack = MAX_WASM_STACK
    return wasmtime.Engine(config)


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
        return found[0][len("wasmtime-") : -len(".dist-info")]
    from importlib.metadata import version

    return version("wasmtime")


@functools.lru_cache(maxsize=1)
def _key_suffix() -> str:
    """What besides the artifact names a compiled artifact: wasmtime, engine settings, machine."""
    return f"{wasmtime_version()}\0{ENGINE_SETTINGS}\0{os.uname().machine}"


def default_folder() -> Path | None:
    """The compiled-artifact folder inside the user's private cache, or None when caching is off."""
    folder = cache.cache_dir()
    return None if folder is None else folder / FOLDER_NAME


def key_material(sha256: str, kind: str) -> str:
    """Everything a compiled entry is the compiled form of: what its name hashes and its MAC covers."""
    return f"{sha256}\0{kind}\0{_key_suffix()}"


def cache_path(folder: Path, sha256: str, kind: str) -> Path:
    """Where the compiled form of the artifact with this sha256 lives in `folder`."""
    key = hashlib.sha256(key_material(sha256, kind).encode()).hexdigest()[:40]
    return folder / f"{key}.{kind}.cwasm"


def _loader(kind: str) -> Any:
    import wasmtime
    import wasmtime.component

    return wasmtime.component.Component if kind == "component" else wasmtime.Module


def load(engine: Any, folder: Path | None, sha256: str, kind: str) -> Any:
    """The cached compiled artifact, or None (no folder, absent, not private, MAC mismatch, stale
    or corrupt; a MAC mismatch also discards the entry)."""
    import wasmtime

    if folder is None:
        return None
    fd = cache.open_verified(cache_path(folder, sha256, kind), key_material(sha256, kind))
    if fd is None:
        return None
    try:
        proc = f"/proc/self/fd/{fd}"
        if os.path.exists(proc):  # mmap the verified file itself, whatever its path names now
            return _loader(kind).deserialize_file(engine, proc)
        with os.fdopen(os.dup(fd), "rb") as handle:
            return _loader(kind).deserialize(engine, handle.read())
    except (wasmtime.WasmtimeError, OSError, ValueError):
        return None  # stale or corrupt: the caller compiles again and overwrites it
    finally:
        os.close(fd)


def is_cached(folder: Path | None, sha256: str, kind: str) -> bool:
    """Whether the cache holds a usable compiled form of the artifact: its entry's MAC verifies
    (a hash of the file, no wasmtime and no deserializing; an entry that fails is discarded)."""
    if folder is None:
        return False
    fd = cache.open_verified(cache_path(folder, sha256, kind), key_material(sha256, kind))
    if fd is None:
        return False
    os.close(fd)
    return True


def store(folder: Path | None, sha256: str, kind: str, serialized: bytes) -> None:
    """Put a serialized compiled artifact in the cache, behind its MAC."""
    if folder is not None:
        cache.write_raw(cache_path(folder, sha256, kind), serialized, key_material(sha256, kind))
