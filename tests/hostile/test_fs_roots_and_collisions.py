"""Issue 8 items 6 and 7: fs grant roots are canonical before any rule sees them, and tool-name
collisions cost one diagnostic per denied tool (naming the keeper), not one per pair."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.diagnostics import DiagnosticError
from engine.grants.config import parse_config
from engine.grants.schema import canonical_fs_root
from hostile import RAW_ECHO, add_enabled_package, raw_echo_manifest, run_yoi


def fs_config(root: str) -> str:
    return ('[[plugins.enabled]]\nid = "project:p"\n[plugins.enabled.grants]\n'
            f'fs = [{{ root = "{root}", operations = ["read"] }}]\n')


NOT_CANONICAL = "must be an absolute, canonical path (no `.` or `..` segment, no repeated or trailing `/`)"
EMPTY = "is empty: write an absolute path or one relative to the workspace (`./data`)"
TILDE = "starts with `~`, which is not expanded: write an absolute path or one relative to the workspace"


# `etc` and `./etc` were refused here too; they are roots relative to the workspace now (issue 21
# point 7, tests/grants/test_relative_fs_roots.py). `~` and empty roots stay refused.
@pytest.mark.parametrize(("root", "problem"), [
    *((root, NOT_CANONICAL) for root in ["/srv/../etc", "//etc/", "/etc/", "/./etc", "/etc//passwd", "/etc/.",
                                         "/etc/..", "/a\\u0000b", " /etc", "etc ", "a\\u0000b"]),
    ("", EMPTY), ("  ", EMPTY), ("~", TILDE), ("~/data", TILDE), ("~root", TILDE),
])
def test_non_canonical_fs_roots_are_config_errors(root, problem):
    with pytest.raises(DiagnosticError) as info:
        parse_config(fs_config(root), "c.toml")
    (diag,) = info.value.diagnostics
    assert (diag.phase, diag.kind) == ("config", "malformed")
    assert diag.message == f"plugin config key `plugins.enabled[0].grants.fs[0].root` {problem}"


@pytest.mark.parametrize("root", ["/", "/etc", "/srv/data", "/srv/..data", "/srv/.hidden", "/srv/a.b"])
def test_canonical_fs_roots_pass_unchanged(root):
    assert canonical_fs_root(root)
    (enablement,) = parse_config(fs_config(root), "c.toml").enabled
    assert enablement.grants.fs[0].root == root


def test_dotdot_root_cannot_slip_past_an_org_rule_on_etc(tmp_path):
    (tmp_path / "org").mkdir()
    (tmp_path / "org" / "org.rules").write_text(
        'deny no_etc(P) "fs grants must not reach /etc" :- fs_grant(P, R, _), startswith(R, "/etc").\n')
    grants = tmp_path / "grants.toml"
    grants.write_text(fs_config("/srv/../etc").replace("project:p", "project:example.raw-echo"))
    done = run_yoi("plugin", "check", RAW_ECHO, "--grants", grants, "--policy", tmp_path / "org")
    assert done.returncode == 2  # refused before the rules run: they only ever see canonical roots
    assert "must be an absolute, canonical path" in done.stderr


def _colliding_workspace(root: Path, count: int, tools: tuple[str, ...], ungranted_first: bool = False) -> Path:
    config = []
    for i in range(count):
        granted = () if ungranted_first and i == 0 else tools
        config.append(add_enabled_package(root, f"c{i:03d}.yoi-plugin", f"gen.c{i:03d}",
                                          raw_echo_manifest(f"gen.c{i:03d}", tools=tools), granted))
    (root / ".yoi" / "config.toml").write_text("".join(config))
    return root


def _collisions(report: dict) -> dict[str, list[str]]:
    """Each item's collision findings (said once, in its `conclusions`: issue 16 point 7)."""
    return {item["reference"]: sorted(c["message"] for c in item["conclusions"] if c["code"] == "tool_name_collision")
            for item in report["items"] if item["reference"].startswith("project:")}


def test_each_denied_tool_names_the_keeper_once(tmp_path):
    report = json.loads(run_yoi("plugin", "list", "--workspace", _colliding_workspace(tmp_path, 4, ("a", "b")),
                                "--json").stdout)
    keep = "is also exposed by enabled package project:gen.c000, which keeps the name"
    assert _collisions(report) == {
        "project:gen.c000": [],
        **{f"project:gen.c00{i}": [f"tool `a` {keep}; a tool name can be registered only once",
                                   f"tool `b` {keep}; a tool name can be registered only once"]
           for i in (1, 2, 3)},
    }


def test_keeper_is_the_least_ref_that_can_register_the_name(tmp_path):
    workspace = _colliding_workspace(tmp_path, 3, ("a",), ungranted_first=True)
    report = json.loads(run_yoi("plugin", "list", "--workspace", workspace, "--json").stdout)
    assert _collisions(report) == {
        "project:gen.c000": [], "project:gen.c001": [],
        "project:gen.c002": ["tool `a` is also exposed by enabled package project:gen.c001, which keeps the name; "
                             "a tool name can be registered only once"],
    }


def test_list_caps_reasons_per_package_with_an_and_more_line(tmp_path):
    tools = tuple(f"t{i}" for i in range(6))
    done = run_yoi("plugin", "list", "--workspace", _colliding_workspace(tmp_path, 2, tools))
    lines = done.stdout.splitlines()
    at = lines.index(next(line for line in lines if line.startswith("- project:gen.c001 ")))
    assert [line.split(":")[0] for line in lines[at + 1:at + 4]] == ["    diagnostic"] * 3
    assert lines[at + 4] == "    ... and 3 more (yoi plugin show project:gen.c001)"


@pytest.mark.slow
def test_32_packages_sharing_550_tool_names_list_within_a_memory_limit(tmp_path):
    """Pairwise collisions needed 561 MiB here (and 6.8 GiB for 128 packages); linear needs ~170."""
    workspace = _colliding_workspace(tmp_path, 32, tuple(f"tool_{i}" for i in range(550)))
    done = run_yoi("plugin", "list", "--workspace", workspace, "--json", memory_mib=768)
    assert done.returncode in (0, 1), done.stderr
    collisions = _collisions(json.loads(done.stdout))
    assert collisions["project:gen.c000"] == []
    assert all(len(collisions[f"project:gen.c{i:03d}"]) == 550 for i in range(1, 32))
