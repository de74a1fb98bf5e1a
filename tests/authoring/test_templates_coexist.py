"""Packages made from templates live side by side: their tool, service and ingress names come from
their ids, and each README's enablement (grants included) names what the manifest declares."""

from __future__ import annotations

import json
import tomllib

import pytest

from engine.authoring.new import create
from engine.authoring.templates import ITEM_NAME_MAX_BYTES, TEMPLATES, item_name
from engine.package.ids import is_safe_id
from example_workspace import write_config, yoi


def readme_enablement(folder, digest: str) -> str:
    readme = (folder / "README.md").read_text()
    block = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    return block.replace("sha256:<digest printed by pack>", digest)


def manifest_names(folder) -> set[str]:
    manifest = tomllib.loads((folder / "plugin.toml").read_text())
    return {item["name"] for table in ("tools", "services", "ingresses") for item in manifest.get(table, [])}


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_item_names_follow_the_id_everywhere_they_are_written(template, tmp_path):
    folder = tmp_path / "p"
    create(template, str(folder), "acme.renamed-1")
    names = manifest_names(folder)
    assert names and all(name.startswith("acme_renamed-1_") for name in names)
    manifest = tomllib.loads((folder / "plugin.toml").read_text())
    requested = {p["name"] for p in manifest["permissions"] if "name" in p}
    assert requested == names
    readme = (folder / "README.md").read_text()
    enabled = tomllib.loads(readme_enablement(folder, "sha256:" + "0" * 64))["plugins"]["enabled"][0]
    assert {p["name"] for p in enabled["grants"]["permissions"] if "name" in p} == names
    serve_lines = [json.loads(line) for line in readme.splitlines() if line.strip().startswith('{"id"')]
    assert {r.get("tool") or r.get("ingress") for r in serve_lines} - {None} <= names
    source = (folder / ("src/app.py" if template.startswith("python") else "src/plugin.component.wat")).read_text()
    assert "__TOOL_NAME__" not in source and "example_" not in source
    tool = next((n for n in names if n.endswith(("_count", "_echo"))), None)
    if template.startswith("python") and tool:  # the guest dispatches on the very name the manifest declares
        assert f'"{tool}"' in source


def test_names_are_model_safe_and_bounded_for_every_id():
    for plugin_id in ("a", "acme.counter", "a-b_c.d", "x" * 128, "A.B.C"):
        assert is_safe_id(plugin_id)
        for suffix in ("count", "service", "events", "echo"):
            name = item_name(plugin_id, suffix)
            assert len(name) <= ITEM_NAME_MAX_BYTES and name.endswith(f"_{suffix}")
            assert all(c.isascii() and (c.isalnum() or c in "_-") for c in name)
            assert is_safe_id(name)  # services and ingresses obey the safe-id rule
    assert item_name("x" * 128, "count") != item_name("x" * 127 + "y", "count")  # cut, but still distinct


def test_two_template_packages_run_side_by_side_in_one_workspace(tmp_path, user_home):
    workspace = tmp_path / "ws"
    folders = {}
    tables = []
    for template, plugin_id in (("wat-instance", "acme.one"), ("wat-instance", "acme.two"), ("wat-tool", "acme.three")):
        folder = folders[plugin_id] = tmp_path / plugin_id
        create(template, str(folder), plugin_id)
        assert yoi("plugin", "build", str(folder)).returncode == 0
        archive = workspace / ".yoi" / "plugins" / f"{plugin_id}.yoi-plugin"
        packed = yoi("plugin", "pack", str(folder), "--output", str(archive), "--json")
        tables.append(readme_enablement(folder, json.loads(packed.stdout)["package"]["digest"]))
    write_config(workspace, "\n".join(tables))
    listed = json.loads(yoi("plugin", "list", "--workspace", str(workspace), "--json", "--fail-on", "warn").stdout)
    ours = {i["reference"]: i for i in listed["items"] if i["configured"]}
    assert set(ours) == {"project:acme.one", "project:acme.two", "project:acme.three"}
    assert all(i["status"] == "active" and not i["diagnostics"] for i in ours.values()), ours
    assert not [c for i in ours.values() for c in i["conclusions"] if c["severity"] in ("deny", "warn")]

    requests = [
        {"id": 1, "op": "call", "plugin": "acme.one", "tool": "acme_one_count", "input": {}},
        {"id": 2, "op": "call", "plugin": "acme.two", "tool": "acme_two_count", "input": {}},
        {"id": 3, "op": "call", "plugin": "acme.one", "tool": "acme_one_count", "input": {}},
        {"id": 4, "op": "call", "plugin": "acme.three", "tool": "acme_three_echo", "input": {"text": "hi"}},
    ]
    served = yoi("plugin", "serve", "--workspace", str(workspace), "-q",
                 stdin="".join(json.dumps(r) + "\n" for r in requests))
    answers = sorted((json.loads(line) for line in served.stdout.splitlines()), key=lambda a: a["id"])  # any order
    assert [a["result"]["summary"] for a in answers] == [
        "counter is at 1", "counter is at 1", "counter is at 2", "component echo from acme_three_echo"]


def test_ids_that_differ_only_by_dot_and_underscore_collide_loudly(tmp_path, user_home):
    """The one documented edge: `acme.x` and `acme_x` give the same names; the rules say so."""
    workspace = tmp_path / "ws"
    tables = []
    for plugin_id in ("acme.x", "acme_x"):
        folder = tmp_path / plugin_id
        create("wat-tool", str(folder), plugin_id)
        yoi("plugin", "build", str(folder))
        archive = workspace / ".yoi" / "plugins" / f"{plugin_id}.yoi-plugin"
        packed = yoi("plugin", "pack", str(folder), "--output", str(archive), "--json")
        tables.append(readme_enablement(folder, json.loads(packed.stdout)["package"]["digest"]))
    write_config(workspace, "\n".join(tables))
    listed = json.loads(yoi("plugin", "list", "--workspace", str(workspace), "--json").stdout)
    codes = {c["code"] for i in listed["items"] for c in i["conclusions"]}
    assert "tool_name_collision" in codes
