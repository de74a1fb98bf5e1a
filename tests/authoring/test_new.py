"""`yoi plugin new`: every template, its files and report shapes, and the refusals of spec §5.8."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tomllib

import pytest

from engine.artifact.placeholder import placeholder_kind
from engine.authoring.new import create
from engine.authoring.templates import TEMPLATES
from engine.grants.config import load_config
from engine.resources import wit_dir
from example_workspace import ROOT, yoi


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_is_a_partial_package_until_built(name, tmp_path):
    dest = tmp_path / "new" / name  # missing parents are created
    result = yoi("plugin", "new", name, str(dest), "--id", "acme.thing-1", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["command"] == "new" and report["template"] == name and report["id"] == "acme.thing-1"
    written = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert written == sorted(report["files"])
    assert {"plugin.toml", "README.md", "plugin.component.wasm", "wit/deps/yoi-host/yoi-host-v1.wit"} <= set(written)
    source = "src/app.py" if name.startswith("python") else "src/plugin.component.wat"
    assert source in written
    manifest = tomllib.loads((dest / "plugin.toml").read_text())
    assert manifest["id"] == "acme.thing-1" and "__PLUGIN_ID__" not in (dest / source).read_text()
    world_file = TEMPLATES[name].world_file
    assert (dest / "wit" / world_file).read_bytes() == (wit_dir() / world_file).read_bytes()
    expected = "instance-template" if TEMPLATES[name].instance else "tool-template"
    assert placeholder_kind((dest / "plugin.component.wasm").read_bytes()) == expected
    assert not [p for p in tmp_path.joinpath("new").iterdir() if p.name.startswith(".")]  # no staging left

    check = yoi("plugin", "check", str(dest), "--json")
    assert check.returncode == 0
    checked = json.loads(check.stdout)
    assert checked["status"] == "partial"
    assert any(d["kind"] == "placeholder" for d in checked["diagnostics"])


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_readme_enablement_is_a_valid_config_granting_what_the_manifest_requests(name, tmp_path):
    dest = tmp_path / name
    create(name, str(dest))
    readme = (dest / "README.md").read_text()
    block = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    config = tmp_path / "config.toml"
    config.write_text(block)
    load_config(config)  # the strict enablement schema accepts it (limits table included)
    enabled = tomllib.loads(block)["plugins"]["enabled"][0]
    manifest = tomllib.loads((dest / "plugin.toml").read_text())
    assert enabled["grants"]["permissions"] == manifest["permissions"]
    assert enabled["id"] == enabled["grants"]["id"] == f"project:{manifest['id']}"
    if name.startswith("python"):
        assert enabled["limits"] == {"memory_bytes": 16777216, "table_elements": 8192}
    else:
        assert "limits" not in enabled


def test_human_output_lists_files_safety_and_next_steps(tmp_path):
    result = yoi("plugin", "new", "python-tool", str(tmp_path / "p"))
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"created plugin template `python-tool` at {tmp_path / 'p'}"
    assert "  - src/app.py" in lines and "safety: no network; embedded template only; no secrets generated" in lines
    assert not any("install the Python guest builder" in line for line in lines)  # componentize-py is here


def test_next_steps_say_how_to_install_the_builder_for_this_installation(tmp_path):
    from engine.install import install_command

    hide = "import sys; sys.modules['componentize_py'] = None; from engine.cli.main import main; main()"
    result = subprocess.run([sys.executable, "-c", hide, "plugin", "new", "python-tool", str(tmp_path / "p")],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert f"  - install the Python guest builder: {install_command('pdk')}" in result.stdout.splitlines()


def test_an_existing_empty_folder_is_filled(tmp_path):
    (tmp_path / "empty").mkdir()
    assert yoi("plugin", "new", "wat-tool", str(tmp_path / "empty")).returncode == 0
    assert (tmp_path / "empty" / "plugin.toml").is_file()


def refusal(*args: str) -> str:
    result = yoi("plugin", "new", *args)
    assert result.returncode == 2 and result.stdout == "", result
    assert "Traceback" not in result.stderr
    return result.stderr


def test_refusals_leave_everything_as_it_was(tmp_path):
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    assert "is not empty" in refusal("wat-tool", str(full))
    assert sorted(os.listdir(full)) == ["keep.txt"]

    afile = tmp_path / "afile"
    afile.write_text("x")
    assert "already exists and is not a directory" in refusal("wat-tool", str(afile))

    target = tmp_path / "target"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    assert "is a symlink; refusing to follow it" in refusal("wat-tool", str(link))
    assert os.listdir(target) == []
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    assert "is a symlink" in refusal("wat-tool", str(dangling))
    assert not (tmp_path / "nowhere").exists()

    assert "unsupported plugin template `rust-component-tool`" in refusal("rust-component-tool", str(tmp_path / "r"))
    for bad_id in (".hidden", "a b", "x" * 129, "ünï", "a/b", 'a"b', "end."):
        assert "not a safe local id" in refusal("wat-tool", str(tmp_path / "bad"), "--id", bad_id)
    assert not (tmp_path / "bad").exists() and not (tmp_path / "r").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "dangling", "full", "link", "target"]


def test_python_templates_run_on_the_host_through_the_glue(tmp_path):
    """The generated guests are plain Python over yoi_pdk: their behaviour is testable on the host."""

    def load(name):
        create(name, str(tmp_path / name))
        spec = importlib.util.spec_from_file_location(f"app_{name.replace('-', '_')}", tmp_path / name / "src/app.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.WitWorld()

    instance = load("python-instance")  # default id example.python_instance: its names derive from it
    assert json.loads(instance.start('{"label":"l"}'))["data"] == {"count": 0, "events": 0, "label": "l"}
    instance.handle_tool("example_python_instance_count", "{}")
    second = json.loads(instance.handle_tool("example_python_instance_count", '{"by": 4}'))
    assert second["summary"] == "counter is at 5"
    bad = json.loads(json.loads(instance.handle_tool("example_python_instance_count", '{"by": true}'))["content"])
    assert bad["error"]["code"] == "invalid_input"
    other = json.loads(json.loads(instance.handle_tool("example_instance_tool", "{}"))["content"])
    assert other["error"]["code"] == "unsupported_tool"
    event = json.loads(instance.handle_ingress("example_python_instance_events", '{"kind":"example","source":"s"}'))
    assert event["data"] == {"kind": "example", "events": 1}
    assert json.loads(instance.stop())["state"] == "stopped"

    tool = load("python-tool")
    assert json.loads(tool.call("example_python_tool_echo", '{"text":"hi"}')) == {"summary": "echo: hi", "content": "hi"}
    missing = json.loads(json.loads(tool.call("example_python_tool_echo", "{}"))["content"])
    assert missing["error"]["code"] == "invalid_input"


def test_new_into_the_current_empty_folder_keeps_it(tmp_path):
    """`yoi plugin new wat-tool .` in an empty working directory fills that very folder (a rename
    over it would leave the shell in a deleted directory)."""
    here = tmp_path / "here"
    here.mkdir()
    inode = here.stat().st_ino
    result = subprocess.run([sys.executable, "-c", "from engine.cli.main import main; main()", "plugin", "new",
                             "wat-tool", "."], cwd=here, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert here.stat().st_ino == inode
    assert sorted(os.listdir(here)) == ["README.md", "plugin.component.wasm", "plugin.toml", "src", "wit"]
