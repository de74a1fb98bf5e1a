"""Static inspection and the runtime share one engine configuration and one compiled-artifact cache
(engine/compiled.py): a component `check` compiled starts without compiling again, and one the
runtime compiled is inspected without compiling; a cache entry anyone else could have written is
never loaded by either."""

from __future__ import annotations

import hashlib
import os
import stat

import pytest
from wasm_builders import INSTANCE_WORLD_EXPORTS, TOOL_WORLD_EXPORTS, S, component

from engine import compiled
from engine.artifact import clear_cache, inspect_artifact
from engine.runtime import HostConfig
from engine.runtime.wasm import WasmEngine

DATA = component(TOOL_WORLD_EXPORTS)
OTHER = component({"other": ([("x", S)], S)})


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    """A fresh private cache (YOI_CACHE) and no in-process inspection results."""
    monkeypatch.setenv("YOI_CACHE", str(tmp_path / "cache"))
    clear_cache()
    yield tmp_path / "cache" / compiled.FOLDER_NAME
    clear_cache()


def entry(folder, data: bytes):
    return compiled.cache_path(folder, hashlib.sha256(data).hexdigest(), "component")


def runtime_compile(data: bytes) -> None:
    engine = WasmEngine(HostConfig())
    try:
        engine.compile(data, "component")
    finally:
        engine.close()


def exports(data: bytes) -> list[str]:
    return [e.name for e in inspect_artifact(data).exports]


def test_inspection_stores_what_the_runtime_loads(cache_folder):
    assert exports(DATA) == ["call"]
    path = entry(cache_folder, DATA)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    before = path.stat().st_mtime_ns
    runtime_compile(DATA)
    assert path.stat().st_mtime_ns == before  # loaded, not compiled and written again
    assert sorted(p.name for p in cache_folder.iterdir()) == sorted([path.name, path.name + ".mac", "mac.key"])


def test_inspection_loads_what_the_runtime_stored(cache_folder):
    data = component(INSTANCE_WORLD_EXPORTS)
    runtime_compile(data)
    path = entry(cache_folder, data)
    before = path.stat().st_mtime_ns
    assert exports(data) == list(INSTANCE_WORLD_EXPORTS)
    assert path.stat().st_mtime_ns == before


def test_an_entry_others_could_write_is_not_loaded_by_inspection(cache_folder):
    runtime_compile(OTHER)  # real compiled code of another component...
    planted = entry(cache_folder, DATA)
    entry(cache_folder, OTHER).rename(planted)  # ...under the key of DATA, writable by anyone
    os.chmod(planted, 0o666)
    assert exports(DATA) == ["call"]  # compiled from DATA's own bytes


def test_no_cache_means_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("YOI_CACHE", "off")
    clear_cache()
    assert compiled.default_folder() is None
    assert exports(DATA) == ["call"]
    clear_cache()
