"""`list`, `check`, `hook` and startup never compile a package that no enablement planned
(issue 17 point 4), and so docs/host.md's "no refused artifact reaches the compiled-artifact
cache" holds on every path: with an empty cache, each command runs as a real process over a
workspace whose packages are all refused or unplanned (components among them: the examples
in its project store, which nothing enables, a copy of one in the project store that nothing enables, and one enabled without its
tool grant) and the compiled-artifact cache stays empty. On main, before static inspection read
components in pure Python, every one of these commands compiled every component it saw."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from example_workspace import EXAMPLES, add_raw_package, write_config, yoi
from serve_client import SAFETY_TIMEOUT, serve

from engine import compiled
from engine.host.startup import start_plans
from engine.package.archive import write_archive
from engine.package.digest import package_digest
from engine.runtime import HostConfig


def add_component_package(workspace: Path, local_id: str, tool: str, *, enable: bool) -> tuple[str, str]:
    """A copy of the component-echo example as `project:<local_id>` exposing `tool`; enabled (when
    `enable`) with the surface but without the tool grant, so the rules reject it."""
    source = EXAMPLES / "component-echo"
    manifest = (source / "plugin.toml").read_text().replace('"example.component-echo"', f'"{local_id}"')
    manifest = manifest.replace('"component_echo"', f'"{tool}"')
    files = {"plugin.toml": manifest.encode(), "echo.component.wasm": (source / "echo.component.wasm").read_bytes()}
    store = workspace / ".yoi" / "plugins"
    store.mkdir(parents=True, exist_ok=True)
    (store / f"{local_id}.yoi-plugin").write_bytes(write_archive(files))
    ref, digest = f"project:{local_id}", package_digest(files)
    table = (f'\n[[plugins.enabled]]\nid = "{ref}"\nversion = "0.1.0"\n\n[plugins.enabled.grants]\n'
             f'id = "{ref}"\nversion = "0.1.0"\ndigest = "{digest}"\n'
             'permissions = [{ kind = "surface", surface = "tool" }]\n')
    return ref, table if enable else ""


@pytest.fixture
def refused_workspace(tmp_path, user_home, monkeypatch) -> tuple[Path, Path]:
    """(workspace, cache root): nothing planned, an empty private cache (YOI_CACHE, inherited by
    the subprocesses)."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("YOI_CACHE", str(cache))
    workspace = tmp_path / "ws"
    workspace.mkdir()
    add_component_package(workspace, "acme.unplanned", "unplanned_echo", enable=False)
    _, refused_component = add_component_package(workspace, "acme.refused", "refused_echo", enable=True)
    raw_echo = (EXAMPLES / "raw-echo" / "echo.wasm").read_bytes()  # compilable: a compile would land
    _, refused_raw = add_raw_package(workspace, "acme.raw", "raw_refused", grant_tool=False, artifact=raw_echo)
    write_config(workspace, refused_component, refused_raw)
    return workspace, cache


def compiled_files(*folders: Path) -> list[str]:
    return sorted(str(p) for f in folders if f.exists() for p in f.rglob("*") if p.is_file())


def test_list_check_hook_and_startup_compile_nothing(refused_workspace, tmp_path):
    workspace, cache = refused_workspace
    folder = cache / compiled.FOLDER_NAME

    listed = yoi("plugin", "list", "--workspace", str(workspace), "--json")
    assert listed.returncode == 0, listed.stderr
    statuses = {entry["reference"]: entry["status"] for entry in json.loads(listed.stdout)["items"]}
    assert statuses["project:acme.refused"] == "rejected" and statuses["project:acme.raw"] == "rejected"
    assert "project:acme.unplanned" in statuses and "project:example.counter" in statuses

    for package in (EXAMPLES / "component-echo", EXAMPLES / "instance-counter"):
        checked = yoi("plugin", "check", str(package))
        assert checked.returncode == 0, checked.stdout + checked.stderr
    hooked = yoi("hook", "plugin-check", str(EXAMPLES / "instance-counter" / "plugin.toml"))
    assert hooked.returncode == 0, hooked.stdout + hooked.stderr

    process = serve(workspace)  # the startup gate in a real process; EOF ends it
    _, err = process.communicate(b"", timeout=SAFETY_TIMEOUT)
    assert process.returncode == 0 and b"0 plugin package(s) planned, 2 refused" in err, err

    runtime_cache = tmp_path / "runtime-compiled"
    report = start_plans(workspace, host=HostConfig(cache_dir=runtime_cache))
    with report.registry as registry:
        assert list(registry.refs()) == []
    assert compiled_files(folder, runtime_cache) == []
