"""docs/grants.md is true: its TOML loads, and its example judged against a real package gives the
verdicts and warnings the page describes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hostapi_guests import component_guest
from runtime_guests import build

from engine.diagnostics import DiagnosticError
from engine.grants.config import parse_config
from engine.package.materialize import load_package_path
from engine.report.check import check_report
from engine.verdict.run import check_verdict

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "grants.md").read_text()
BLOCKS = re.findall(r"^```toml\n(.*?)^```$", DOC, re.M | re.S)
MANIFEST = """schema_version = 1
id = "acme.files"
name = "Files"
version = "1.2.0"
surfaces = ["tool"]
permissions = [
  { kind = "surface", surface = "tool" },
  { kind = "tool", name = "read_notes" },
  { kind = "host_api", api = "fs" },
  { kind = "host_api", api = "https" },
]

[runtime]
kind = "wasm-component"
component = "guest.component.wasm"
world = "yoi:plugin/instance@1.0.0"

[[tools]]
name = "read_notes"
description = "Read notes."
input_schema = { type = "object" }
"""


def test_every_config_block_of_the_page_loads():
    """Whole configs as they are; allowlist snippets inside the enablement they belong to."""
    assert len(BLOCKS) >= 4
    context = '[[plugins.enabled]]\nid = "project:x"\n[plugins.enabled.grants]\n'
    for block in BLOCKS:
        parse_config(context + block if block.startswith("[[plugins.enabled.grants.") else block, "grants.md")


def test_the_request_and_websocket_tables_are_accepted_and_a_websocket_entry_has_no_methods():
    """Issue 20 made them registry entries (they were refused before it)."""
    config = parse_config('[[plugins.enabled]]\nid = "project:a"\n[plugins.enabled.grants]\nrequest = []\n'
                          '[[plugins.enabled.grants.websocket]]\nscheme = "wss"\nhost = "g.test"\n', "c.toml")
    assert [entry.label for entry in config.enabled[0].grants.websocket] == ["wss://g.test * [broad-websocket]"]
    with pytest.raises(DiagnosticError) as caught:
        parse_config('[[plugins.enabled]]\nid = "project:a"\n[[plugins.enabled.grants.websocket]]\nmethods = []\n',
                     "c.toml")
    assert "plugin config key `plugins.enabled[0].grants.websocket[0].methods` is not allowed" in str(
        caught.value.diagnostics[0])


@pytest.fixture
def example(tmp_path):
    """The page's first example, bound to a real package that requests what it grants."""
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "plugin.toml").write_text(MANIFEST)
    (folder / "guest.component.wasm").write_bytes(build(component_guest(("https", "fs"))))
    digest = load_package_path(folder).digest
    config = BLOCKS[0].replace("sha256:<digest printed by pack or check>", digest)

    def judge(text: str, policy: Path | None = None) -> dict:
        path = tmp_path / "config.toml"
        path.write_text(text)
        return check_report(check_verdict(folder, path, [policy] if policy else []), folder)

    return config, judge


def codes(report: dict, severity: str) -> set[str]:
    return {c["code"] for c in report["conclusions"] if c["severity"] == severity}


def test_the_example_is_active_and_warns_about_nothing(example):
    config, judge = example
    report = judge(config)
    assert report["status"] == "active" and codes(report, "warn") == set() and codes(report, "deny") == set()
    assert {a["root"] for a in report["plan"]["fs_allowlist"]} == {"/srv/notes"}


def test_the_warnings_and_denials_the_page_names(example, tmp_path):
    config, judge = example
    broad = judge(config.replace('root = "/srv/notes"', 'root = "/"'))
    assert "fs_grant_broad_root" in codes(broad, "warn") and broad["status"] == "active"
    write = judge(config.replace('operations = ["read", "list"]', 'operations = ["write"]'))
    assert "fs_grant_allows_write" in codes(write, "warn")
    any_path = judge(config.replace('path_prefixes = ["/v1/notes"]\n', ""))
    assert "https_grant_any_path" in codes(any_path, "warn")
    no_fs = judge(config.split("[[plugins.enabled.grants.fs]]")[0] + config.split('operations = ["read", "list"]')[1])
    assert "host_api_allowlist_missing" in codes(no_fs, "deny") and no_fs["status"] == "rejected"
    bad_method = judge(config.replace('methods = ["GET"]', 'methods = ["FETCH"]'))
    assert "host_api_allowlist_missing" in codes(bad_method, "deny")
    unbound = judge(config.replace('version = "1.2.0"\ndigest', 'version = "1.2.1"\ndigest', 1))
    assert unbound["status"] != "active"

    policy = tmp_path / "policy"
    policy.mkdir()
    rule = re.search(r"^```\n(deny no_fs_writes.*?)^```$", DOC, re.M | re.S).group(1)
    (policy / "org.rules").write_text(rule)
    refused = judge(config.replace('operations = ["read", "list"]', 'operations = ["write"]'), policy)
    assert "no_fs_writes" in codes(refused, "deny") and refused["status"] == "rejected"
    assert "no_fs_writes" not in codes(judge(config, policy), "deny")
