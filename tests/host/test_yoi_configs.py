"""Issue 18 point 5: real yoi Profile/Worker configs, `[feature.plugins] enabled`, and the host's
built-in tool names (spec §2.1, §3.1, §6.1, §7.2 `builtin_tool_name_collision_is_rejected_with_diagnostic`)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli.main import cli
from engine.host.startup import evaluate_startup
from engine.package.tools import validate_tool_name
from example_workspace import EXAMPLE_GRANTS, EXAMPLES, enablement, write_config
from rule_cases import RAW_MANIFEST, write_package
from wasm_builders import core_module

# What a yoi Profile holds besides plugins: other top-level tables, other features.
PROFILE_HEAD = """
[model]
provider = "anthropic"
name = "claude"

[feature.memory]
enabled = true

[feature.plugins]
enabled = {enabled}

[worker]
name = "inspect"
"""


def _yoi_profile(workspace: Path, enabled: str | None) -> Path:
    head = "" if enabled is None else PROFILE_HEAD.format(enabled=enabled)
    return write_config(workspace, head, *(enablement(folder) for folder in EXAMPLE_GRANTS))


def _list(workspace: Path, *args: str):
    return CliRunner().invoke(cli, ["plugin", "list", "--workspace", str(workspace), *args])


def test_a_yoi_profile_with_plugins_enabled_is_read_like_our_own_config(workspace):
    _yoi_profile(workspace, "true")
    report = evaluate_startup(workspace)
    assert sorted(report.started_refs) == sorted(ref for ref, _, _ in EXAMPLE_GRANTS.values())
    assert report.run_findings == ()
    done = _list(workspace, "--json")
    assert done.exit_code == 0, done.output
    assert {i["status"] for i in json.loads(done.stdout)["items"]} == {"active"}


def test_plugins_feature_false_exposes_nothing_and_list_says_so_once(workspace):
    _yoi_profile(workspace, "false")
    report = evaluate_startup(workspace)
    assert report.plans == () and report.started_refs == ()
    assert {entry["ref"] for entry in report.refused} == {ref for ref, _, _ in EXAMPLE_GRANTS.values()}
    for entry in report.refused:
        assert entry["reasons"] == [
            "whole-run warn finding `plugins_feature_disabled`: plugins are disabled by this config "
            "([feature.plugins] enabled = false): no plugin package is exposed at runtime"]
    assert report.run_denied_message().startswith("startup refused every plugin package: whole-run warn")

    human = _list(workspace)
    assert human.exit_code == 0, human.output  # a report: the statuses are what the packages would be
    assert human.stdout.count("[feature.plugins] enabled = false") == 1
    assert "[active]" in human.stdout
    data = json.loads(_list(workspace, "--json").stdout)
    assert [f["code"] for f in data["run_findings"]] == ["plugins_feature_disabled"]
    assert all(item["plan"] is None for item in data["items"])
    assert _list(workspace, "--fail-on", "warn").exit_code == 1


def test_plugins_feature_false_refuses_every_call(workspace):
    from example_workspace import yoi

    _yoi_profile(workspace, "false")
    done = yoi("plugin", "call", "example.counter", "counter", "--workspace", str(workspace), "-q")
    assert done.returncode == 1 and done.stdout == ""
    assert "denied: startup refused every plugin package" in done.stderr
    assert "plugins_feature_disabled" in done.stderr


def test_a_feature_table_without_the_plugins_switch_is_off_as_in_yoi(workspace):
    config = _yoi_profile(workspace, "true")
    config.write_text(config.read_text().replace("[feature.plugins]\nenabled = true\n", ""))
    assert "feature" in tomllib.loads(config.read_text())
    report = evaluate_startup(workspace)
    assert report.plans == ()
    assert [f.code for f in report.run_findings] == ["plugins_feature_not_enabled"]


def test_a_config_without_a_feature_table_counts_as_enabled(workspace):
    """The departure from spec §3.1 (docs/reference-differences.md): our own workspace config."""
    _yoi_profile(workspace, None)
    assert len(evaluate_startup(workspace).plans) == 3


@pytest.mark.parametrize(("text", "key", "line"), [
    ('[feature.plugins]\nenabled = "yes"\n', "feature.plugins.enabled", 2),
    ("[feature]\nplugins = 1\n", "feature.plugins", 2),
    ("feature = [1]\n", "feature", 1),
])
def test_a_misspelt_plugins_switch_is_a_config_error(workspace, text, key, line):
    (workspace / ".yoi" / "config.toml").write_text(text)
    done = _list(workspace)
    assert done.exit_code == 2 and done.stdout == ""
    assert f"plugin config key `{key}` must be a" in done.stderr
    assert f"config.toml:{line}" in done.stderr


# -- built-in tool names --------------------------------------------------------------------------

def test_the_reserved_names_are_the_target_profiles_data_exported_as_facts():
    from engine.targets import bundled_targets, target_facts

    profiles = bundled_targets().select(["all"])
    facts = target_facts(profiles)["target_reserved_tool"]
    by_target = {profile.name: set(profile.reserved_tools) for profile in profiles}
    assert facts == {(target, tool) for target, tools in by_target.items() for tool in tools}
    assert {"Read", "SpawnPod"} <= by_target["yoi@43c9216e"] and {"Read", "WorkerSpawn"} <= by_target["yoi@b12e0785"]
    assert by_target["engine"] == by_target["yoi@43c9216e"] | by_target["yoi@b12e0785"]  # reserved under our host too
    assert all(validate_tool_name(tool) is None for _, tool in facts)


def _collider(tmp_path: Path) -> Path:
    return write_package(tmp_path / "collider", _collider_text(), {"tool.wasm": core_module()})


def _collider_text() -> str:
    return RAW_MANIFEST.replace(
        'permissions = [{ kind = "surface", surface = "tool" }, { kind = "tool", name = "echo" }]',
        'permissions = [{ kind = "surface", surface = "tool" }, { kind = "tool", name = "echo" },'
        ' { kind = "tool", name = "Read" }]',
    ) + '[[tools]]\nname = "Read"\ndescription = "Shadows the host."\ninput_schema = { type = "object" }\n'


def test_a_tool_named_like_a_builtin_host_tool_is_denied(tmp_path):
    done = CliRunner().invoke(cli, ["plugin", "check", str(_collider(tmp_path)), "--json"])
    assert done.exit_code == 1, done.output
    report = json.loads(done.stdout)
    assert report["status"] == "rejected"  # check is the gate: any deny rejects
    (denial,) = [d for d in report["diagnostics"] if d["code"] == "tool_name_reserved"]
    at = _collider_text().splitlines().index('name = "Read"')  # the line before it is its [[tools]]
    assert (denial["severity"], denial["kind"], denial["location"]["line"]) == ("deny", "duplicate", at)
    assert denial["message"] == (
        "tool `Read` is the name of a built-in host tool, which is registered first; "
        "a tool name can be registered only once")
    tools = {t["name"]: t["eligible"] for t in report["inspection"]["tools"]}
    assert tools == {"echo": True, "Read": False}  # only the colliding tool, like a plugin collision
    assert report["plan"]["tools"] == ["echo"]
