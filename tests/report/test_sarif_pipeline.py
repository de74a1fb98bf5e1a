"""SARIF from the real pipeline: package folder -> rules -> check report -> SARIF log -> schema."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from engine.pipeline.evaluate import evaluate
from rule_cases import check_report_of
from engine.report.sarif import sarif_log
from engine.pipeline.subjects import check_subject

from .test_sarif import assert_github_shape, assert_valid

ORG_RULE = 'warn org_legacy(P)\n    "legacy raw wasm; prefer a component" :-\n    classification(P, "legacy-raw-tool").\n'


def _workspace(tmp_path, project_root):
    """A repo with a raw package whose tool permission is missing, a broken one, and a policy."""
    shutil.copytree(project_root / "examples" / "raw-echo", tmp_path / "plugins" / "echo")
    manifest = tmp_path / "plugins" / "echo" / "plugin.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('  { kind = "tool", name = "raw_echo" },\n', ""),
                        encoding="utf-8")
    (tmp_path / "plugins" / "broken").mkdir()
    (tmp_path / "plugins" / "broken" / "plugin.toml").write_text("id = [\n", encoding="utf-8")
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "org.rules").write_text(ORG_RULE, encoding="utf-8")


def _check(path: str, policy=()):
    return check_report_of(evaluate([check_subject(path)], policy_dirs=policy), path)


def test_real_reports_give_a_valid_log(tmp_path, monkeypatch, project_root):
    _workspace(tmp_path, project_root)
    monkeypatch.chdir(tmp_path)
    reports = [_check("plugins/echo", policy=["policy"]), _check("plugins/broken")]
    assert [r["status"] for r in reports] == ["rejected", "rejected"]
    log = sarif_log(reports, tool_version="0.1.0")
    assert_valid(log)
    assert_github_shape(log)
    by_rule = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    denial = by_rule["yoi/item_not_requested"]
    location = denial["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "plugins/echo/plugin.toml"
    lines = (tmp_path / "plugins" / "echo" / "plugin.toml").read_text(encoding="utf-8").splitlines()
    assert lines[location["region"]["startLine"] - 1] == "[[tools]]"  # the real line of the tool
    assert denial["level"] == "error"
    org = by_rule["yoi/org_legacy"]
    assert org["level"] == "warning"
    assert org["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "policy/org.rules"
    unreadable = [r for r in log["runs"][0]["results"] if r["ruleId"].startswith("yoi/package_unreadable_")]
    assert len(unreadable) == 1
    assert unreadable[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "plugins/broken/plugin.toml"


def test_check_command_sarif_output(tmp_path, monkeypatch, project_root):
    from engine.cli.plugin_check import check

    _workspace(tmp_path, project_root)
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(check, ["plugins/echo", "--format", "sarif"])
    assert done.exit_code == 1, done.output
    log = json.loads(done.stdout)
    assert_valid(log)
    assert_github_shape(log)
    assert {r["ruleId"] for r in log["runs"][0]["results"]} >= {"yoi/item_not_requested"}
