"""Reproducible builds and the build record: two builds of each template compared byte for byte.

WAT builds are reproducible: two builds in different folders give the same artifact, the same
record, and pack to one digest. componentize-py 0.25 builds are not (its pre-init snapshot and
stub order; docs/authoring.md): the test proves everything this engine controls is the same (the
record: inputs, tools, options) and that `--check-reproducible` says why the bytes differ. The
Python builds reuse the session's python-instance build (tests/authoring/conftest.py).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from engine import compiled
from engine.authoring import record
from engine.authoring.build import build, build_if_changed
from engine.authoring.new import create
from engine.dev.prepare import prepare, spawn
from engine.authoring.python_build import REPRODUCIBILITY_NOTE
from engine.package.materialize import load_package_path
from engine.runtime.wasi_symbols import WASI_FUNCTIONS
from example_workspace import ROOT, yoi

RECORD = "plugin.component.wasm.build.json"


def assert_portable(text: str, *folders: Path) -> None:
    """A build record names no folder of this machine and no time."""
    for folder in folders:
        assert str(folder) not in text
    assert "/tmp" not in text and os.path.expanduser("~") not in text
    assert not re.search(r"\b(19|20)\d\d-\d\d-\d\d", text)


@pytest.mark.parametrize("template", ["wat-instance", "wat-tool"])
def test_wat_builds_are_byte_identical_and_pack_to_one_digest_from_any_folder(template, tmp_path):
    one, two = tmp_path / "one" / "pkg", tmp_path / "elsewhere" / "deeper" / "pkg"
    for folder in (one, two):
        create(template, str(folder), "acme.same")
        build(str(folder))
    assert (one / "plugin.component.wasm").read_bytes() == (two / "plugin.component.wasm").read_bytes()
    assert (one / RECORD).read_bytes() == (two / RECORD).read_bytes()
    assert_portable((one / RECORD).read_text(), one, two)
    assert load_package_path(one).digest == load_package_path(two).digest
    packed = [json.loads(yoi("plugin", "pack", str(f), "--output", str(f.parent / "p.yoi-plugin"), "--json").stdout)
              for f in (one, two)]
    assert packed[0]["package"]["digest"] == packed[1]["package"]["digest"] == load_package_path(one).digest

    checked = yoi("plugin", "build", str(one), "--check-reproducible", "--json")
    assert checked.returncode == 0, checked.stderr
    found = json.loads(checked.stdout)["reproducibility"]
    assert found["identical"] is True and found["first_difference"] is None and found["differing_sections"] == 0
    assert found["sha256"][0] == found["sha256"][1] == json.loads(checked.stdout)["sha256"]


def test_the_record_says_what_was_built_from_what(tmp_path):
    folder = tmp_path / "w"
    create("wat-tool", str(folder))
    result = build(str(folder))
    document = json.loads((folder / RECORD).read_text())
    wat = (folder / "src/plugin.component.wat").read_bytes()
    artifact = (folder / "plugin.component.wasm").read_bytes()
    assert document == {
        "schema": "yoi-plugin-build-record/1",
        "language": "wat",
        "builder": "wasmtime.wat2wasm",
        "tools": {"wasmtime": compiled.wasmtime_version()},
        "options": [],
        "inputs": {"src/plugin.component.wat": record.sha256_hex(wat)},
        "artifact": {"path": "plugin.component.wasm", "sha256": record.sha256_hex(artifact),
                     "size_bytes": len(artifact)},
        "reproducible_builder": True,
    }
    assert result.record == RECORD and result.sha256 == record.sha256_hex(artifact)
    assert "plugin.component.wasm.build.json" in load_package_path(folder).files  # packed with the artifact


def test_an_artifact_is_rebuilt_only_when_it_is_not_what_the_record_says(tmp_path):
    folder = tmp_path / "w"
    create("wat-tool", str(folder))
    assert build_if_changed(str(folder)).built is True
    assert build_if_changed(str(folder)).built is False  # same inputs, same tools, same artifact
    artifact = folder / "plugin.component.wasm"
    good = artifact.read_bytes()
    for tamper in (
        lambda: artifact.write_bytes(good + b"\0"),  # the artifact is not the one built
        lambda: (folder / "src/plugin.component.wat").write_text(
            (folder / "src/plugin.component.wat").read_text() + "\n;; edit\n"),  # an input changed
        lambda: (folder / RECORD).write_text("{}"),  # the record is not a record
        lambda: (folder / RECORD).unlink(),
    ):
        tamper()
        assert build_if_changed(str(folder)).built is True
        assert build_if_changed(str(folder)).built is False


@pytest.mark.slow
def test_python_builds_record_the_same_inputs_and_say_why_their_bytes_differ(
    python_instance_built, python_tool_reproducibility, tmp_path
):
    """componentize-py 0.25: two builds of the python-instance template (the session's and one more
    in another folder), and `--check-reproducible` on the python-tool template (the session's)."""
    other = tmp_path / "elsewhere" / "python-instance"
    create("python-instance", str(other), "acme.py_counter")  # the session build's id
    build(str(other))
    first, second = (python_instance_built / RECORD).read_text(), (other / RECORD).read_text()
    assert_portable(first, python_instance_built, other)
    without_artifact = [{k: v for k, v in json.loads(t).items() if k != "artifact"} for t in (first, second)]
    assert without_artifact[0] == without_artifact[1]  # the same inputs, tools and options
    assert without_artifact[0]["reproducible_builder"] is False
    inputs = without_artifact[0]["inputs"]
    assert {"src/app.py", "generated:wit/yoi-build-guest.wit", "engine:yoi_pdk/plugin.py"} <= set(inputs)
    assert (python_instance_built / "plugin.component.wasm").read_bytes() != (other / "plugin.component.wasm").read_bytes()

    found = python_tool_reproducibility.reproducibility
    assert found is not None and found.identical is False and found.note == REPRODUCIBILITY_NOTE
    assert found.first_difference is not None and 0 < found.differing_sections <= found.sections


@pytest.mark.slow
def test_the_wasi_wrapper_table_matches_this_componentize_py(python_instance_built):
    """engine/runtime/wasi_symbols.py is what tools/wasi_symbols.py reads from a real build."""
    spec = importlib.util.spec_from_file_location("wasi_symbols_tool", ROOT / "tools" / "wasi_symbols.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    table = tool.libc_table((python_instance_built / "plugin.component.wasm").read_bytes())
    assert table == WASI_FUNCTIONS
    assert table["wall_clock_now"] == "wasi:clocks/wall-clock#now"


def test_prepare_compiles_into_the_cache_once_in_a_child_process(tmp_path, monkeypatch):
    monkeypatch.setenv("YOI_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "w"
    create("wat-instance", str(folder))
    build(str(folder))
    artifact = folder / "plugin.component.wasm"
    sha = record.sha256_hex(artifact.read_bytes())
    cached = compiled.cache_path(compiled.default_folder(), sha, "component")
    assert not cached.exists()
    assert spawn(artifact).wait(timeout=120) == 0  # the child (env inherited) compiles and stores
    assert cached.is_file()
    assert prepare(artifact) == "cached"

    (tmp_path / "not.wasm").write_bytes(b"not wasm")
    assert prepare(tmp_path / "not.wasm") == "not a wasm module or component"
    os.mkfifo(tmp_path / "fifo")
    assert prepare(tmp_path / "fifo").startswith("artifact could not be read")
    shutil.rmtree(tmp_path / "cache")
    monkeypatch.setenv("YOI_CACHE", "off")
    assert prepare(artifact) == "the compiled-artifact cache is off"


def test_build_prepare_compiles_only_what_the_rules_plan(tmp_path):
    folder = tmp_path / "w"
    create("wat-tool", str(folder))
    result = yoi("plugin", "build", str(folder), "--prepare", "--json")
    assert result.returncode == 0 and json.loads(result.stdout)["prepare"] == "started"
    wrong = tmp_path / "x"
    create("wat-instance", str(wrong))
    manifest = wrong / "plugin.toml"  # an instance component declared as a tool: the rules reject it
    text = manifest.read_text()  # (a service or ingress on the tool world would fail the manifest itself)
    text = text[:text.index("[[services]]")]
    manifest.write_text(text.replace("yoi:plugin/instance@1.0.0", "yoi:plugin/tool@1.0.0")
                        .replace('surfaces = ["tool", "service", "ingress"]', 'surfaces = ["tool"]'))
    refused = yoi("plugin", "build", str(wrong), "--prepare", "--json")
    assert refused.returncode == 1 and json.loads(refused.stdout)["check"]["status"] == "rejected"
    assert json.loads(refused.stdout)["prepare"] == "skipped: the rules planned nothing"
