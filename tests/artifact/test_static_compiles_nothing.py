"""Static inspection compiles nothing (issue 17 point 4): reading a component's types writes
nothing to the compiled-artifact cache and loads no wasmtime; the runtime compiles what it runs,
once, and keeps that in the cache as before."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from wasm_builders import INSTANCE_WORLD_EXPORTS, TOOL_WORLD_EXPORTS, component, core_module

from engine import compiled
from engine.artifact import clear_cache, inspect_artifact
from engine.runtime import HostConfig
from engine.runtime.wasm import WasmEngine

PROJECT = Path(__file__).resolve().parents[2]
DATA = component(TOOL_WORLD_EXPORTS)


@pytest.fixture
def cache_root(tmp_path, monkeypatch):
    """A fresh private cache (YOI_CACHE) and no in-process inspection results."""
    monkeypatch.setenv("YOI_CACHE", str(tmp_path / "cache"))
    clear_cache()
    yield tmp_path / "cache"
    clear_cache()


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_inspection_writes_nothing_to_the_compiled_artifact_cache(cache_root):
    assert [e.name for e in inspect_artifact(DATA).exports] == ["call"]
    assert inspect_artifact(component(INSTANCE_WORLD_EXPORTS)).form == "component"
    assert inspect_artifact(core_module()).form == "core"
    assert files_under(cache_root / compiled.FOLDER_NAME) == []


def test_the_runtime_compiles_once_and_caches_as_before(cache_root):
    inspect_artifact(DATA)
    engine = WasmEngine(HostConfig())
    try:
        engine.compile(DATA, "component")
    finally:
        engine.close()
    folder = cache_root / compiled.FOLDER_NAME
    path = compiled.cache_path(folder, hashlib.sha256(DATA).hexdigest(), "component")
    with_mac = sorted([path, Path(f"{path}.mac"), folder / "mac.key"])  # the entry, its MAC, the key
    assert files_under(folder) == with_mac
    before = path.stat().st_mtime_ns
    clear_cache()
    inspect_artifact(DATA)
    assert path.stat().st_mtime_ns == before and files_under(folder) == with_mac


def test_component_inspection_does_not_load_wasmtime():
    code = (
        "import sys, engine.artifact as a\n"
        f"info = a.inspect_artifact({bytes(DATA)!r})\n"
        "assert info.form == 'component' and info.exports[0].name == 'call', info\n"
        "assert 'wasmtime' not in sys.modules, 'wasmtime was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT, check=False)
    assert result.returncode == 0, result.stderr
