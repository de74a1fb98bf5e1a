"""The committed example artifacts and workspace digests are exactly what the sources produce."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WORKSPACE_CONFIG = EXAMPLES / "workspace" / ".yoi" / "config.toml"
FOLDERS = {"example.raw-echo": "raw-echo", "example.component-echo": "component-echo", "example.counter": "instance-counter"}


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


build = _load("build")
update_workspace = _load("update_workspace")


def _enablements() -> list[dict]:
    return tomllib.loads(WORKSPACE_CONFIG.read_text(encoding="utf-8"))["plugins"]["enabled"]


def test_every_example_folder_has_a_source_and_an_artifact():
    pairs = build.sources()
    assert {wat.parent.name for wat, _ in pairs} == set(FOLDERS.values())
    for wat, wasm in pairs:
        assert wasm.is_file(), f"{wasm} is not built"


@pytest.mark.parametrize("pair", build.sources(), ids=lambda p: p[0].parent.name)
def test_artifact_is_the_wat_rebuilt(pair):
    wat, wasm = pair
    assert build.build_artifact(wat) == wasm.read_bytes()


def test_manifest_runtime_points_at_the_built_artifact():
    for folder in FOLDERS.values():
        manifest = tomllib.loads((EXAMPLES / folder / "plugin.toml").read_text(encoding="utf-8"))
        runtime = manifest["runtime"]
        artifact = runtime.get("entry") or runtime.get("component")
        assert (EXAMPLES / folder / artifact).with_suffix(".wat").is_file()
        assert (EXAMPLES / folder / artifact).is_file()


def test_workspace_enables_each_example_with_current_digests():
    seen = set()
    for enablement in _enablements():
        local_id = enablement["id"].removeprefix("project:")
        folder = EXAMPLES / FOLDERS[local_id]
        manifest = tomllib.loads((folder / "plugin.toml").read_text(encoding="utf-8"))
        digest = update_workspace.package_digest(update_workspace.folder_files(folder))
        grants = enablement["grants"]
        assert enablement["digest"] == grants["digest"] == digest
        assert enablement["version"] == grants["version"] == manifest["version"]
        assert grants["id"] == enablement["id"] == f"project:{manifest['id']}"
        seen.add(local_id)
    assert seen == set(FOLDERS)


def test_counter_ingress_is_enabled_but_not_granted():
    counter = next(e for e in _enablements() if e["id"] == "project:example.counter")
    assert counter["surfaces"] == ["tool", "service", "ingress"]
    kinds = {(p["kind"], p.get("surface") or p.get("name")) for p in counter["grants"]["permissions"]}
    assert ("tool", "counter") in kinds and ("service", "counter-service") in kinds
    assert not any(kind == "ingress" or value == "ingress" for kind, value in kinds)


def test_workspace_config_is_what_the_script_renders():
    assert update_workspace.render_config() == WORKSPACE_CONFIG.read_text(encoding="utf-8")
    assert build.main(["--check"]) == 0


def test_workspace_store_holds_exactly_the_packed_examples():
    """The example workspace finds its packages in its project store (there is no builtin
    store): each archive is the example folder packed, with the folder's digest."""
    from engine.package.materialize import load_package_path

    store = EXAMPLES / "workspace" / ".yoi" / "plugins"
    archives = update_workspace.render_archives()
    assert sorted(p.name for p in store.iterdir()) == sorted(archives) == sorted(f"{i}.yoi-plugin" for i in FOLDERS)
    for name, data in archives.items():
        assert (store / name).read_bytes() == data
        folder = EXAMPLES / FOLDERS[name.removesuffix(".yoi-plugin")]
        assert load_package_path(store / name).digest == load_package_path(folder).digest


def test_digest_follows_spec_5_7_layout():
    files = {"b": b"2", "a/x": b"", "plugin.toml": b"id"}
    import hashlib

    expected = hashlib.sha256(b"yoi-plugin-package-digest-v1\x00")
    for path in ("a/x", "b", "plugin.toml"):
        data = files[path]
        expected.update(path.encode() + b"\x00" + len(data).to_bytes(8, "big") + hashlib.sha256(data).digest())
    assert update_workspace.package_digest(files) == "sha256:" + expected.hexdigest()


def test_digest_matches_the_package_layer():
    digest_module = pytest.importorskip("engine.package.digest")
    for folder in FOLDERS.values():
        files = update_workspace.folder_files(EXAMPLES / folder)
        assert digest_module.package_digest(files) == update_workspace.package_digest(files)


def test_check_mode_reports_a_stale_artifact(tmp_path):
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy, ignore=shutil.ignore_patterns("__pycache__"))
    fresh = subprocess.run([sys.executable, "-B", str(copy / "build.py"), "--check"], capture_output=True, text=True)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    wat = copy / "raw-echo" / "echo.wat"
    wat.write_text(wat.read_text(encoding="utf-8").replace("echo from ", "ECHO FROM "), encoding="utf-8")
    stale = subprocess.run([sys.executable, "-B", str(copy / "build.py"), "--check"], capture_output=True, text=True)
    assert stale.returncode == 1
    assert "raw-echo/echo.wasm" in stale.stdout and "config.toml" in stale.stdout
    assert "plugins/example.raw-echo.yoi-plugin" in stale.stdout
    rebuilt = subprocess.run([sys.executable, "-B", str(copy / "build.py")], capture_output=True, text=True)
    assert rebuilt.returncode == 0
    again = subprocess.run([sys.executable, "-B", str(copy / "build.py"), "--check"], capture_output=True, text=True)
    assert again.returncode == 0, again.stdout
