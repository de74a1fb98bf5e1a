"""Integration: real `.yoi-plugin` files in real stores -> discover -> config -> resolve."""

from __future__ import annotations

from pathlib import Path

from engine.grants.config import load_config
from engine.grants.resolve import resolve
from engine.package.digest import package_digest
from engine.package.discovery import discover
from engine.resources import examples_dir
from package_files import manifest_text, write_package_archive

HOOK = '\n[[hooks]]\nid = "summarize"\nfile = "hooks/summarize.md"\n'


def store_package(store: Path, file_name: str, local_id: str, version: str = "1.0.0", extra: str = "") -> str:
    manifest = manifest_text(local_id, version, name=local_id, extra=extra + HOOK)
    files = write_package_archive(store / file_name, manifest, {"hooks/summarize.md": "# summarize\n"})
    return package_digest(files)


def test_discover_then_resolve_real_packages(tmp_path):
    data, workspace = tmp_path / "data", tmp_path / "ws"
    user_digest = store_package(data / "yoi" / "plugins", "u.yoi-plugin", "user_one")
    project_digest = store_package(workspace / ".yoi" / "plugins", "p.yoi-plugin", "project_one", version="2.0.0")
    store_package(workspace / ".yoi" / "plugins", "d1.yoi-plugin", "dup")
    store_package(workspace / ".yoi" / "plugins", "d2.yoi-plugin", "dup", extra='description = "other"')
    config_path = workspace / ".yoi" / "config.toml"
    config_path.write_text(
        f'[[plugins.enabled]]\nid = "user:user_one"\ndigest = "{user_digest}"\n'
        f'[plugins.enabled.grants]\nid = "user:user_one"\nversion = "1.0.0"\ndigest = "{user_digest}"\n'
        'permissions = [{ kind = "surface", surface = "hook" }]\n'
        '[[plugins.enabled]]\nid = "project:project_one"\nversion = "2.0.0"\n'
        '[[plugins.enabled]]\nid = "project:dup"\n'
        '[[plugins.enabled]]\nid = "dup"\n'
        '[[plugins.enabled]]\nid = "project:user_one"\n'
        '[[plugins.enabled]]\nid = "project:project_one"\ndigest = "sha256:0000"\n',
        encoding="utf-8",
    )
    discovery = discover(workspace, user_data_home=data)
    assert [(d.kind, d.subject.ref) for d in discovery.diagnostics] == [("duplicate", "project:dup")]

    resolution = resolve(load_config(config_path).enabled, discovery.packages)
    assert [(r.ref, r.digest, r.enabled_surfaces) for r in resolution.records] == [
        ("user:user_one", user_digest, ("hook",)),
        ("project:project_one", project_digest, ("hook",)),
    ]
    # each at the key it is about (issue 22): `id` for the identity, `digest` for the pin
    assert [(d.kind, d.location.line) for d in resolution.diagnostics] == [
        ("duplicate", 13), ("ambiguous", 15), ("missing", 17), ("digest", 20),
    ]


def test_discovery_only_does_not_activate_packages(tmp_path):
    store_package(tmp_path / ".yoi" / "plugins", "p.yoi-plugin", "example")
    discovery = discover(tmp_path, user_data_home=None)
    assert len(discovery.packages) == 1
    resolution = resolve([], discovery.packages)
    assert resolution.records == () and resolution.diagnostics == ()


def test_bundled_example_workspace_resolves_cleanly():
    workspace = examples_dir() / "workspace"
    config = load_config(workspace / ".yoi" / "config.toml")
    discovery = discover(workspace, user_data_home=None)
    resolution = resolve(config.enabled, discovery.packages)
    assert resolution.diagnostics == ()
    assert {r.ref for r in resolution.records} == {
        "project:example.raw-echo", "project:example.component-echo", "project:example.counter",
    }
    counter = next(r for r in resolution.records if r.ref == "project:example.counter")
    assert counter.enabled_surfaces == ("tool", "service", "ingress")
    assert counter.config == {"label": "demo"}
