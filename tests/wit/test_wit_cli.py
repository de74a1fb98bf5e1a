"""`yoi wit check`: JSON shape, human output, exit codes 0/1/2, --feature."""

from __future__ import annotations

import json
import os

import jsonschema
import pytest
from click.testing import CliRunner

from engine.cli.wit import wit
from engine.resources import wit_dir

DIAG = {
    "type": "object",
    "required": ["message", "file", "line", "column"],
    "additionalProperties": False,
    "properties": {
        "message": {"type": "string"}, "file": {"type": ["string", "null"]},
        "line": {"type": ["integer", "null"]}, "column": {"type": ["integer", "null"]},
    },
}
SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["path", "ok", "diagnostics", "packages", "interfaces", "worlds", "host_wit"],
        "properties": {
            "path": {"type": "string"},
            "ok": {"type": "boolean"},
            "diagnostics": {"type": "array", "items": DIAG},
            "packages": {"type": "array", "items": {"type": "string"}},
            "interfaces": {"type": "array", "items": {
                "type": "object", "additionalProperties": False, "required": ["name", "functions", "types"],
                "properties": {"name": {"type": "string"},
                               "functions": {"type": "array", "items": {"type": "string"}},
                               "types": {"type": "array", "items": {"type": "string"}}}}},
            "worlds": {"type": "array", "items": {
                "type": "object", "additionalProperties": False,
                "required": ["name", "imports", "exports", "import_interfaces", "export_interfaces"],
                "properties": {"name": {"type": "string"},
                               "imports": {"type": "array", "items": {"type": "string"}},
                               "exports": {"type": "array", "items": {"type": "string"}},
                               "import_interfaces": {"type": "object", "additionalProperties": {"type": "string"}},
                               "export_interfaces": {"type": "object", "additionalProperties": {"type": "string"}}}}},
            "host_wit": {"oneOf": [{"type": "null"}, {
                "type": "object", "additionalProperties": False, "required": ["interfaces", "variants"],
                "properties": {"interfaces": {"type": "array", "items": {"type": "string"}},
                               "variants": {"type": "array", "items": {"type": "string"}}}}]},
        },
    },
}


def run(*args: str):
    return CliRunner().invoke(wit, ["check", *args])


def test_json_for_bundled_worlds():
    result = run(str(wit_dir()), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    jsonschema.validate(data, SCHEMA)
    (entry,) = data
    assert entry["ok"] is True and entry["diagnostics"] == []
    assert entry["packages"] == ["yoi:host@1.0.0", "yoi:plugin@1.0.0"]
    assert {"name": "yoi:host/fs@1.0.0", "functions": ["read", "list", "write"], "types": []} in entry["interfaces"]
    worlds = {w["name"]: w for w in entry["worlds"]}
    assert worlds["yoi:plugin/instance@1.0.0"]["exports"] == ["start", "handle-tool", "handle-ingress", "status", "stop"]
    assert worlds["yoi:plugin/tool@1.0.0"]["imports"] == [
        "yoi:host/https@1.0.0", "yoi:host/request@1.0.0", "yoi:host/websocket@1.0.0", "yoi:host/fs@1.0.0"]


def test_invalid_wit_exits_1_with_positions(write_wit):
    good = write_wit("package a:b;\ninterface i {}\n", "good.wit")
    bad = write_wit("package a:b;\ninterface i {\n  f: func(x: nope);\n}\n", "bad.wit")
    result = run(str(good), str(bad), "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    jsonschema.validate(data, SCHEMA)
    assert [e["ok"] for e in data] == [True, False]
    assert data[1]["diagnostics"] == [
        {"message": "type `nope` is not defined", "file": str(bad), "line": 3, "column": 14}]
    assert data[1]["packages"] == [] and data[1]["worlds"] == []


def test_human_output(write_wit):
    bad = write_wit("package a:b;\nworld w { import f: func(); import F: func(); }\n")
    result = run(str(bad))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{bad}: invalid (1 problem)",
        f"  {bad}:2:36: import `F` in world `w` conflicts with import `f` (kebab-case identifiers are "
        "case-insensitive)",
    ]
    ok = run(str(wit_dir()))
    assert ok.exit_code == 0
    assert "  world yoi:plugin/tool@1.0.0" in ok.stdout.splitlines()
    assert "    exports: call" in ok.stdout.splitlines()


def test_unreadable_path_exits_2(tmp_path, write_wit):
    good = write_wit("package a:b;\ninterface i {}\n")
    missing = tmp_path / "missing.wit"
    result = run(str(good), str(missing), "--json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    jsonschema.validate(data, SCHEMA)
    assert data[1]["ok"] is False
    assert f"yoi wit: {missing}: path does not exist" in result.stderr


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() == 0, reason="root reads any file")
def test_permission_denied_exits_2(write_wit):
    path = write_wit("package a:b;\ninterface i {}\n")
    path.chmod(0)
    try:
        assert run(str(path)).exit_code == 2
    finally:
        path.chmod(0o600)


def test_unreadable_file_inside_a_folder_exits_2(tmp_path):
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "dangling.wit").symlink_to(tmp_path / "nowhere.wit")
    (folder / "ok.wit").write_text("package a:b;\ninterface i {}\n")
    assert run(str(folder)).exit_code == 2


def test_feature_flag(write_wit):
    path = write_wit("package a:b;\ninterface i { @unstable(feature = x) f: func(); g: func(); }\n")
    without = json.loads(run(str(path), "--json").stdout)
    assert without[0]["interfaces"][0]["functions"] == ["g"]
    with_feature = json.loads(run(str(path), "--feature", "x", "--json").stdout)
    assert with_feature[0]["interfaces"][0]["functions"] == ["f", "g"]


def test_usage_errors_exit_2():
    assert run().exit_code == 2
    assert CliRunner().invoke(wit, ["check", "--bogus", "x"]).exit_code == 2


def test_registered_in_main_cli():
    from engine.cli.main import cli

    result = CliRunner().invoke(cli, ["wit", "check", str(wit_dir()), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["ok"] is True


@pytest.mark.parametrize(("folder", "variants"), [
    # the engine's own WIT links every API of its registry, both formats' included
    ("hosts/yoi@43c9216e", ["yoi@43c9216e", "engine"]),
    ("hosts/yoi@b12e0785", ["yoi@b12e0785", "engine"]),
])
def test_check_says_which_host_wit_a_root_was_built_against(folder, variants):
    """Issue 19 point 4: `yoi:host@1.0.0` changed in place; the imports say which one."""
    result = run(str(wit_dir() / folder), "--json")
    assert result.exit_code == 0, result.output
    [data] = json.loads(result.stdout)
    assert data["host_wit"]["variants"] == variants
    human = run(str(wit_dir() / folder)).stdout
    assert f"built against host WIT: {', '.join(variants)} (host imports: yoi:host/fs@1.0.0, " in human


def test_a_root_that_mixes_both_host_wits_matches_none(tmp_path):
    root = tmp_path / "mixed"
    (root / "deps" / "host").mkdir(parents=True)
    (root / "deps" / "host" / "host.wit").write_text(
        "package yoi:host@1.0.0;\n"
        "interface https { request: func(request-json: string) -> string; }\n"
        "interface request { request: func(request-json: string) -> string; }\n")
    (root / "world.wit").write_text(
        "package acme:guest@0.1.0;\nworld guest { import yoi:host/https@1.0.0; import yoi:host/request@1.0.0; "
        "export call: func(tool-name: string, input-json: string) -> string; }\n")
    [data] = json.loads(run(str(root), "--json").stdout)
    # no upstream host ever shipped both; only this engine links the pair
    assert data["host_wit"] == {"interfaces": ["yoi:host/https@1.0.0", "yoi:host/request@1.0.0"],
                                "variants": ["engine"]}
    (root / "deps" / "host" / "host.wit").write_text(
        "package yoi:host@1.0.0;\n"
        "interface https { request: func(request-json: string) -> string; }\n"
        "interface request { request: func(url: string) -> string; }\n")
    assert "built against host WIT: none of the bundled host WITs" in run(str(root)).stdout
    plain = tmp_path / "plain.wit"
    plain.write_text("package acme:x@0.1.0;\nworld w { export f: func(); }\n")
    assert json.loads(run(str(plain), "--json").stdout)[0]["host_wit"] is None
