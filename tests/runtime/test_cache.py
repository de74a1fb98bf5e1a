"""Compiled artifacts are cached on disk in a private folder and loaded only when nobody else
could have written them and their MAC verifies (a deserialized artifact is trusted native code)."""

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


def test_a_private_entry_without_a_valid_mac_is_discarded_not_loaded(make_registry, tmp_path):
    """Issue 17 point 2: owner checks alone trusted any owner-only file at a key (on main this
    returned "planted"); now the planted native code is discarded and the artifact compiled again."""
    plan = package_plan(tmp_path / "p", build(instance_wat()))
    folder = tmp_path / "compiled"
    path = _plant(folder, plan, instance_wat(tool=("", '{"summary":"planted"}')))
    os.chmod(path, 0o600)
    registry = make_registry([plan], host=HostConfig(cache_dir=folder))
    assert registry.call_tool(plan.ref, "count", {})["summary"] == "count 1"
    fresh = make_registry([plan], host=HostConfig(cache_dir=folder))  # the rebuilt entry is valid
    assert fresh.call_tool(plan.ref, "count", {})["summary"] == "count 1"


def test_swapping_another_entrys_valid_file_and_mac_in_is_refused(make_registry, tmp_path):
    """The issue's attack: two artifacts compiled and cached with valid MACs; the entry (and its
    MAC sidecar) of one is copied over the other's key. The MAC covers the key material, so the
    swapped entry is discarded and rebuilt, never run."""
    good = package_plan(tmp_path / "good", build(instance_wat()))
    evil = package_plan(tmp_path / "evil", build(instance_wat(tool=("", '{"summary":"swapped"}'))))
    folder = tmp_path / "compiled"
    registry = make_registry([good, evil], host=HostConfig(cache_dir=folder))
    assert registry.call_tool(evil.ref, "count", {})["summary"] == "swapped"
    registry.start(good.ref)
    engine = WasmEngine(HostConfig(cache_dir=folder))
    good_path, evil_path = (engine._cache_path(p.artifact_sha256, "component") for p in (good, evil))
    engine.close()
    for suffix in ("", ".mac"):
        os.replace(f"{evil_path}{suffix}", f"{good_path}{suffix}")
    fresh = make_registry([good], host=HostConfig(cache_dir=folder))
    assert fresh.call_tool(good.ref, "count", {})["summary"] == "count 1"
    assert good_path.read_bytes() != b"" and os.path.exists(f"{good_path}.mac")  # rebuilt with a new MAC
    again = make_registry([good], host=HostConfig(cache_dir=folder))
    assert again.call_tool(good.ref, "count", {})["summary"] == "count 1"


def test_the_mac_key_is_private_and_a_shared_key_disables_the_cache(make_registry, tmp_path):
    from engine import cache

    plan = package_plan(tmp_path / "p", build(instance_wat()))
    folder = tmp_path / "compiled"
    make_registry([plan], host=HostConfig(cache_dir=folder)).start(plan.ref)
    key = folder / cache.MAC_KEY_FILE
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600 and len(key.read_bytes()) == 32
    os.chmod(key, 0o640)  # readable by the group: refused, so nothing is read or written
    (entry,) = cached_files(folder)
    before = entry.stat().st_mtime_ns
    assert cache.mac_key(folder) is None
    registry = make_registry([plan], host=HostConfig(cache_dir=folder))
    assert registry.call_tool(plan.ref, "count", {})["summary"] == "count 1"
    assert entry.stat().st_mtime_ns == before and stat.S_IMODE(os.stat(key).st_mode) == 0o640


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
