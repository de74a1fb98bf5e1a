"""`yoi plugin schema ... --target T` and `yoi plugin new ... --target T` (issue 19 point 7): a
target's schema accepts what that host reads and refuses what it would fail to parse; a template
written for a target has the shape that host runs, and `new` says how the host judges it."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from engine.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM = ROOT / "tests" / "targets" / "upstream"
OLD, CURRENT, ENGINE = "yoi@43c9216e", "yoi@b12e0785", "engine"


def run(*args, code=None):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    if code is not None:
        assert result.exit_code == code, result.output
    return result


def schema(document: str, target: str | None = None) -> dict:
    args = ["plugin", "schema", document] + (["--target", target] if target else [])
    return json.loads(run(*args, code=0).stdout)


def valid(schema_: dict, document: dict) -> bool:
    return jsonschema.Draft7Validator(schema_).is_valid(document)


def manifest_of(path: Path) -> dict:
    return tomllib.loads(path.read_text())


@pytest.mark.parametrize(("path", "readers"), [
    (UPSTREAM / "b12e0785" / "rust-component-tool" / "plugin.toml", {OLD, CURRENT, ENGINE}),
    (UPSTREAM / "b12e0785" / "rust-component-instance" / "plugin.toml", {CURRENT, ENGINE}),
    (UPSTREAM / "43c9216e" / "rust-component-instance" / "plugin.toml", {OLD, CURRENT, ENGINE}),
    (ROOT / "examples" / "raw-echo" / "plugin.toml", {OLD, ENGINE}),
])
def test_a_targets_manifest_schema_accepts_what_it_reads(path, readers):
    manifest = manifest_of(path)
    assert {t for t in (OLD, CURRENT, ENGINE) if valid(schema("manifest", t), manifest)} == readers
    assert valid(schema("manifest"), manifest)  # the engine's union schema reads them all


def test_a_targets_schema_says_which_target_and_keeps_its_own_id():
    current = schema("manifest", "yoi-current")
    assert current["$id"].endswith("/plugin.yoi@b12e0785.schema.json")
    assert "read by target yoi@b12e0785" in current["title"]
    assert current["properties"]["runtime"]["properties"]["kind"]["enum"] == ["wasm-component"]
    old = schema("manifest", OLD)
    assert "request" not in old["properties"] and "websocket" not in old["properties"]
    assert schema("manifest") == json.loads((ROOT / "schemas" / "plugin.schema.json").read_text())


def test_a_targets_config_schema_refuses_grants_it_does_not_read():
    https = {"plugins": {"enabled": [{"id": "project:a.b", "grants": {
        "https": [{"host": "api.example.com", "methods": ["GET"]}]}}]}}
    request = {"plugins": {"enabled": [{"id": "project:a.b", "grants": {
        "request": [{"scheme": "https", "host": "api.example.com", "methods": ["GET"]}]}}]}}
    limits = {"plugins": {"enabled": [{"id": "project:a.b", "limits": {"memory_bytes": 16777216}}]}}
    assert [valid(schema("config", t), https) for t in (OLD, CURRENT, ENGINE)] == [True, False, True]
    assert [valid(schema("config", t), request) for t in (OLD, CURRENT, ENGINE)] == [False, True, True]
    assert [valid(schema("config", t), limits) for t in (OLD, CURRENT, ENGINE)] == [False, False, True]
    other_tables = {"feature": {"plugins": {"enabled": True}}, **request}  # a yoi config holds more than plugins
    assert valid(schema("config", CURRENT), other_tables)


def test_schema_target_errors_are_usage_errors():
    assert "unknown target `yoi@1`" in run("plugin", "schema", "manifest", "--target", "yoi@1", code=2).stderr
    assert "name one target, not `all`" in run("plugin", "schema", "config", "--target", "all", code=2).stderr


def test_new_for_upstream_head_writes_the_service_shape_and_reports_its_verdict(tmp_path):
    result = run("plugin", "new", "wat-instance", tmp_path / "svc", "--target", "yoi-current", "--json", code=0)
    report = json.loads(result.stdout)
    manifest = manifest_of(tmp_path / "svc" / "plugin.toml")
    assert {"kind": "host_api", "api": "websocket"} in manifest["permissions"]
    assert manifest["websocket"] == [{"scheme": "wss", "host": "example.com", "path_prefixes": ["/socket"]}]
    [ingress] = manifest["ingresses"]
    assert ingress["sources"] == ["websocket:wss://example.com/socket"]
    assert "websocket_text" in ingress["event_kinds"]
    # like upstream's own service template: its check (empty grants) rejects it, for the same reasons
    assert report["target"]["name"] == CURRENT and report["target"]["status"] == "rejected"
    assert [f["message"] for f in report["target"]["findings"] if f["severity"] == "deny"] == [
        "enabled host_api.websocket grants are missing", "missing enabled WebSocket grant for manifest target"]
    assert report["next_steps"][-1] == f"judge the built package for {CURRENT} (its limits, APIs and formats): " \
        f"yoi plugin check {tmp_path / 'svc'} --target {CURRENT}"
    readme = (tmp_path / "svc" / "README.md").read_text()
    assert "Generated by `yoi plugin new wat-instance --target yoi@b12e0785`" in readme
    assert "--grants WS/.yoi/config.toml --target yoi@b12e0785" in readme
    # comments of the template's manifest survive the edit
    assert (tmp_path / "svc" / "plugin.toml").read_text().startswith("# Instance-capable component")


def test_new_for_the_seeds_yoi_keeps_the_template_and_a_python_readme_drops_engine_limits(tmp_path):
    report = json.loads(run("plugin", "new", "python-instance", tmp_path / "old", "--target", OLD, "--json",
                            code=0).stdout)
    manifest = manifest_of(tmp_path / "old" / "plugin.toml")
    assert "websocket" not in manifest and report["target"]["status"] == "partial"
    assert report["target"]["compatible"]
    readme = (tmp_path / "old" / "README.md").read_text()
    assert "[plugins.enabled.limits]" not in readme  # yoi does not read the engine's raised limits
    plain = run("plugin", "new", "python-instance", tmp_path / "plain", code=0)
    assert "target" not in plain.stdout.split("next steps")[0]
    assert "[plugins.enabled.limits]" in (tmp_path / "plain" / "README.md").read_text()
    assert "name one, not `all`" in run("plugin", "new", "wat-tool", tmp_path / "x", "--target", "all", code=2).stderr
    assert not (tmp_path / "x").exists()
