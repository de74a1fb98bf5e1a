"""`yoi plugin build` writes the build provenance beside the folder; check, sign, pack and verify
read it. Built from the WAT template with the real builder (wasmtime's wat2wasm)."""

from __future__ import annotations

import hashlib
import json

import pytest
from example_workspace import yoi
from signing import check_path, trusted

from engine.package.digest import package_digest
from engine.package.materialize import load_package_path, read_directory
from engine.provenance.build import world_sha256


@pytest.fixture
def built(tmp_path):
    folder = tmp_path / "acme-tool"
    assert yoi("plugin", "new", "wat-tool", str(folder), "--id", "acme.tool").returncode == 0
    run = yoi("plugin", "build", str(folder), "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["provenance"] == str(tmp_path / "acme-tool.intoto.json")
    return folder


def test_the_provenance_states_the_build(built):
    statement = json.loads(built.with_name("acme-tool.intoto.json").read_text())
    package = load_package_path(built)
    artifact = package.manifest.runtime.artifact_path
    assert statement["predicateType"] == "https://slsa.dev/provenance/v1"
    assert statement["subject"] == [
        {"name": "acme.tool@0.1.0", "digest": {"sha256": package.digest.removeprefix("sha256:")}},
        {"name": artifact, "digest": {"sha256": hashlib.sha256(package.files[artifact]).hexdigest()}},
    ]
    outputs = {artifact, artifact + ".build.json"}  # the artifact and its build record (engine/authoring/record.py)
    sources = {k: v for k, v in read_directory(built).items() if k not in outputs}
    assert set(read_directory(built)) >= outputs
    definition = statement["predicate"]["buildDefinition"]
    assert definition["externalParameters"] == {
        "source": {"digest": {"sha256": package_digest(sources).removeprefix("sha256:")}}, "template": "wat"}
    world = package.manifest.runtime.world
    assert definition["resolvedDependencies"] == [{"name": world, "digest": {"sha256": world_sha256(world)}}]
    versions = statement["predicate"]["runDetails"]["builder"]["version"]
    assert set(versions) == {"yoi-plugin-engine", "wasmtime"}
    report = check_path(built)
    assert report["provenance"]["status"] == "matches"
    assert report["provenance"]["build"]["template"] == "wat"
    assert not [p for p in built.rglob("*") if "intoto" in p.name]  # never inside the package


def test_the_world_hash_is_the_surface_of_the_world():
    tool, instance = world_sha256("yoi:plugin/tool@1.0.0"), world_sha256("yoi:plugin/instance@1.0.0")
    assert tool != instance and tool == world_sha256("yoi:plugin/tool@1.0.0") and len(tool) == 64


def test_a_package_changed_after_the_build_no_longer_matches(built):
    (built / "README.md").write_text("changed after the build\n")
    report = check_path(built)
    assert report["provenance"]["status"] == "wrong_digest" and report["provenance"]["build"] is None
    warnings = [c["code"] for c in report["conclusions"] if c["severity"] == "warn"]
    assert "provenance_unusable" in warnings


def test_sign_signs_the_provenance_and_pack_carries_both(built, keys, workspace):
    run = yoi("plugin", "sign", str(built), "--key", str(keys["new"].private_path), "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["provenance"]["signatures"] == 1
    envelope = json.loads(built.with_name("acme-tool.intoto.json").read_text())
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    config = workspace.config(trusted(keys["new"]), require=False)
    report = check_path(built, config)
    assert report["provenance"]["status"] == "matches"
    assert [(s["key_id"], s["status"]) for s in report["provenance"]["signatures"]] == [(keys["new"].key_id, "valid")]
    packed = yoi("plugin", "pack", str(built), "--json")
    archive = built.with_name("acme-tool.yoi-plugin")
    assert json.loads(packed.stdout)["carried"] == [f"{archive}.sig", f"{archive}.intoto.json"]
    assert check_path(archive, config)["provenance"]["status"] == "matches"


def test_sign_refuses_a_provenance_about_another_package(built, keys):
    (built / "README.md").write_text("changed after the build\n")
    run = yoi("plugin", "sign", str(built), "--key", str(keys["new"].private_path))
    assert run.returncode == 2 and "is not about this package" in run.stderr
    assert not built.with_name("acme-tool.sig").exists()  # nothing written
    assert yoi("plugin", "sign", str(built), "--key", str(keys["new"].private_path), "--no-provenance").returncode == 0


def test_no_provenance_writes_nothing(tmp_path):
    folder = tmp_path / "quiet"
    assert yoi("plugin", "new", "wat-tool", str(folder), "--id", "acme.quiet").returncode == 0
    assert yoi("plugin", "build", str(folder), "--no-provenance").returncode == 0
    assert not (tmp_path / "quiet.intoto.json").exists()


def test_reports_with_signatures_and_provenance_have_the_documented_shape(built, keys, workspace):
    """docs/reports.md's schema (the one tests/report/test_report_shapes.py reads) over the check,
    show and explain reports of a signed, built package."""
    import re
    from pathlib import Path

    import jsonschema

    text = (Path(__file__).resolve().parents[2] / "docs" / "reports.md").read_text()
    schema = json.loads(re.search(r"^```json\n(.*?)^```$", text[text.index("## Schema"):], re.M | re.S).group(1))
    assert yoi("plugin", "sign", str(built), "--key", str(keys["new"].private_path)).returncode == 0
    config = workspace.config(trusted(keys["new"], name="release"))
    run = yoi("plugin", "check", str(built), "--grants", str(config), "--json")
    report = json.loads(run.stdout)
    assert report["signatures"]["signatures"][0]["status"] == "valid" and report["provenance"]["build"]
    document = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema, "$ref": "#/$defs/check_report"}
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in jsonschema.Draft202012Validator(document).iter_errors(report)]
    assert errors == []
