"""Compiled artifacts are cached on disk in a private folder and loaded only when nobody else
could have written them (a deserialized artifact is trusted native code)."""

from __future__ import annotations

import os
import stat

from runtime_guests import TOOL_OK, build, instance_wat, package_plan

from engine.runtime import HostConfig
from engine.runtime.wasm import WasmEngine


def cached_files(folder):
    return sorted(folder.glob("*.cwasm")) if folder.exists() else []


def test_a_compiled_artifact_is_cached_privately_and_reused(make_registry, tmp_path):
    plan = package_plan(tmp_path / "p", build(instance_wat()))
    folder = tmp_path / "compiled"
    make_registry([plan], host=HostConfig(cache_dir=folder)).start(plan.ref)
    (entry,) = cached_files(folder)
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700 and stat.S_IMODE(os.stat(entry).st_mode) == 0o600
    before = entry.stat().st_mtime_ns
    registry = make_registry([plan], host=HostConfig(cache_dir=folder))
    assert registry.call_tool(plan.ref, "count", {})["summary"] == "count 1"
    assert entry.stat().st_mtime_ns == before  # loaded, not compiled and written again


def _plant(folder, plan, wat) -> os.PathLike:
    """Write a valid compiled artifact of *other* code under the key of `plan`'s artifact."""
    engine = WasmEngine(HostConfig(cache_dir=folder))
    try:
        path = engine._cache_path(plan.artifact_sha256, "component")
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.write_bytes(engine.compile(build(wat), "component").serialize())
        return path
    finally:
        engine.close()


def test_a_cache_entry_others_could_write_is_never_loaded(make_registry, tmp_path):
    plan = package_plan(tmp_path / "p", build(instance_wat()))
    folder = tmp_path / "compiled"
    path = _plant(folder, plan, instance_wat(tool=("", '{"summary":"planted"}')))
    os.chmod(path, 0o666)
    registry = make_registry([plan], host=HostConfig(cache_dir=folder))
    assert registry.call_tool(plan.ref, "count", {})["summary"] == "count 1"


def test_a_private_entry_is_trusted_so_the_key_must_name_the_exact_artifact(make_registry, tmp_path):
    # the other side of the test above: what makes the owner/mode check necessary
    plan = package_plan(tmp_path / "p", build(instance_wat()))
    folder = tmp_path / "compiled"
    os.chmod(_plant(folder, plan, instance_wat(tool=("", '{"summary":"planted"}'))), 0o600)
    registry = make_registry([plan], host=HostConfig(cache_dir=folder))
    assert registry.call_tool(plan.ref, "count", {})["summary"] == "planted"


def test_a_corrupt_entry_is_recompiled(make_registry, tmp_path):
    plan = package_plan(tmp_path / "p", build(instance_wat(tool=("", TOOL_OK))))
    folder = tmp_path / "compiled"
    path = _plant(folder, plan, instance_wat())
    path.write_bytes(b"\x7fELF garbage")
    os.chmod(path, 0o600)
    registry = make_registry([plan], host=HostConfig(cache_dir=folder))
    assert registry.call_tool(plan.ref, "count", {})["summary"] == "count 0"
    assert path.read_bytes()[:4] == b"\x7fELF" and len(path.read_bytes()) > 1000


def test_no_cache_when_disabled(make_registry, tmp_path):
    plan = package_plan(tmp_path / "p", build(instance_wat()))
    folder = tmp_path / "compiled"
    make_registry([plan], host=HostConfig(cache_dir=folder, use_cache=False)).start(plan.ref)
    assert cached_files(folder) == []


def test_the_cache_key_names_the_installed_wasmtime_version():
    from importlib.metadata import version

    from engine.runtime.wasm import wasmtime_version

    assert wasmtime_version() == version("wasmtime")
