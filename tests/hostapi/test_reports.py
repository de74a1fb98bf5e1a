"""check, show and explain list every https and fs allowlist entry a plan carries, and the built-in
rules warn about broad ones (rules/hostapi.rules)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from wasm_builders import TOOL_WORLD_EXPORTS, component

from engine.cli.main import cli
from engine.graph.facts import broad_root_reason
from engine.package.archive import write_archive
from engine.package.materialize import load_package_path

MANIFEST = """\
schema_version = 1
id = "example.fetch"
name = "Fetch"
version = "1.0.0"
surfaces = ["tool"]
permissions = [
  { kind = "surface", surface = "tool" },
  { kind = "tool", name = "fetch" },
  { kind = "host_api", api = "https" },
  { kind = "host_api", api = "fs" },
]

[runtime]
kind = "wasm-component"
component = "plugin.wasm"
world = "yoi:plugin/tool@1.0.0"

[[tools]]
name = "fetch"
description = "Fetch."
input_schema = { type = "object" }
"""


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", "/home/alice")
    root = tmp_path / "ws"
    store = root / ".yoi" / "plugins"
    store.mkdir(parents=True)
    archive = store / "fetch.yoi-plugin"
    archive.write_bytes(write_archive({"plugin.toml": MANIFEST.encode(), "plugin.wasm": component(TOOL_WORLD_EXPORTS)}))
    package = load_package_path(archive)
    data = tmp_path / "data"
    data.mkdir()
    config = root / ".yoi" / "config.toml"
    config.write_text(f"""\
[[plugins.enabled]]
id = "project:example.fetch"
[plugins.enabled.grants]
id = "project:example.fetch"
version = "1.0.0"
digest = "{package.digest}"
permissions = [
  {{ kind = "surface", surface = "tool" }}, {{ kind = "tool", name = "fetch" }},
  {{ kind = "host_api", api = "https" }}, {{ kind = "host_api", api = "fs" }},
]
https = [
  {{ host = "api.example.com", methods = ["GET"], path_prefixes = ["/v1/"] }},
  {{ host = "files.example.com", methods = ["GET", "POST"] }},
]
fs = [
  {{ root = "{data}", operations = ["read", "list"] }},
  {{ root = "/", operations = ["read"] }},
  {{ root = "/home/alice", operations = ["read", "write"] }},
]
""")
    return root, config, data


def run(*args):
    result = CliRunner().invoke(cli, ["plugin", *args])
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def expected_labels(data):
    return [
        "https_allowlist: api.example.com GET /v1/",
        "https_allowlist: files.example.com GET,POST *",
        f"fs_allowlist: {data} read,list",
        "fs_allowlist: / read",
        "fs_allowlist: /home/alice read,write",
    ]


WARNINGS = [
    "https grant lets the plugin send GET requests to `files.example.com` on any path (no path_prefixes)",
    "https grant lets the plugin send POST requests to `files.example.com` on any path (no path_prefixes)",
    "fs grant root `/` is the filesystem root: the plugin can reach everything under it",
    "fs grant root `/home/alice` is a home folder: the plugin can reach everything under it",
    "fs grant lets the plugin write files under `/home/alice`",
]


def test_show_lists_each_allowlist_entry_and_the_broad_ones_are_warned(workspace):
    root, config, data = workspace
    shown = json.loads(run("show", "project:example.fetch", "--workspace", str(root), "--json"))
    assert shown["status"] == "active"
    plan = shown["plan"]
    assert plan["https_allowlist"] == [
        {"host": "api.example.com", "methods": ["GET"], "path_prefixes": ["/v1/"]},
        {"host": "files.example.com", "methods": ["GET", "POST"], "path_prefixes": []},
    ]
    assert [e["root"] for e in plan["fs_allowlist"]] == [str(data), "/", "/home/alice"]
    warnings = sorted(c["message"] for c in shown["conclusions"] if c["severity"] == "warn")
    assert warnings == sorted(WARNINGS)
    # each warning points at the grant entry it is about (issue 22 point 3), not the entry's header
    lines = config.read_text().splitlines()
    located = {
        c["message"]: lines[c["location"]["line"] - 1].strip()
        for c in shown["conclusions"]
        if c["code"].startswith(("https_grant_", "fs_grant_")) and c["location"]["file"] == str(config)
    }
    assert located == {
        WARNINGS[0]: '{ host = "files.example.com", methods = ["GET", "POST"] },',
        WARNINGS[1]: '{ host = "files.example.com", methods = ["GET", "POST"] },',
        WARNINGS[2]: '{ root = "/", operations = ["read"] },',
        WARNINGS[3]: '{ root = "/home/alice", operations = ["read", "write"] },',
        WARNINGS[4]: '{ root = "/home/alice", operations = ["read", "write"] },',
    }
    human = run("show", "project:example.fetch", "--workspace", str(root)).splitlines()
    assert [line.strip() for line in human if "_allowlist: " in line] == expected_labels(data)


def test_explain_lists_the_allowlists_and_puts_warnings_under_their_host_api(workspace):
    root, _, data = workspace
    report = json.loads(run("explain", "project:example.fetch", "--workspace", str(root), "--json"))
    assert [e["host"] for e in report["plan_allowlists"]["https_allowlist"]] == ["api.example.com",
                                                                                 "files.example.com"]
    fs_item = next(i for i in report["items"] if (i["surface"], i["name"]) == ("host_api", "fs"))
    assert {r["code"] for r in fs_item["reasons"]} == {"fs_grant_broad_root", "fs_grant_allows_write"}
    human = run("explain", "project:example.fetch", "--workspace", str(root)).splitlines()
    assert [line.strip() for line in human if "_allowlist: " in line] == expected_labels(data)
    assert any("warn: fs grant root `/` is the filesystem root" in line for line in human)


def test_check_with_grants_lists_the_allowlists(workspace):
    root, config, data = workspace
    archive = root / ".yoi" / "plugins" / "fetch.yoi-plugin"
    report = json.loads(run("check", "--grants", str(config), str(archive), "--json"))
    assert [e["host"] for e in report["plan"]["https_allowlist"]] == ["api.example.com", "files.example.com"]
    human = run("check", "--grants", str(config), str(archive)).splitlines()
    assert [line for line in human if "_allowlist: " in line] == expected_labels(data)


@pytest.mark.parametrize("root, why", [
    ("/", "the filesystem root"), ("//", "the filesystem root"), ("/./", "the filesystem root"),
    ("/home/alice", "a home folder"), ("/home/alice/", "a home folder"), ("/root", "a home folder"),
    ("/Users/bob", "a home folder"), ("/home", "a folder holding home folders"),
    ("/home/alice/projects/data", None), ("/srv/data", None), ("relative", None),
    ("/home/alice/..", "a folder holding home folders"),
])
def test_broad_roots(root, why, monkeypatch):
    monkeypatch.setenv("HOME", "/home/alice")
    assert broad_root_reason(root) == why


def test_the_startup_gate_hands_the_configured_ca_bundle_to_the_runtime(tmp_path, monkeypatch):
    from engine.host.startup import start_plans

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    root = tmp_path / "ws"
    (root / ".yoi").mkdir(parents=True)
    (root / ".yoi" / "config.toml").write_text('[plugins.host]\nhttps_ca_bundle = "certs/ca.pem"\n')
    report = start_plans(root)
    try:
        assert report.registry.host.https_ca_bundle == root / ".yoi" / "certs" / "ca.pem"
    finally:
        report.registry.close()
