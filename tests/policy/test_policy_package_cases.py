"""`yoi policy test` cases that name a package (issue 5): the bundled org policy and failures."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from engine.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]


def run(*args):
    return CliRunner().invoke(cli, ["policy", "test", *map(str, args)])


def test_bundled_org_policy_cases_pass():
    result = run(ROOT / "policy")
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "7 passed, 0 failed"


def _case_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "cases.test.toml"
    path.write_text(body.replace("EXAMPLES", str(ROOT / "examples")))
    return path


def test_wrong_expected_status_fails_the_case(tmp_path):
    path = _case_file(tmp_path, '[[case]]\nname = "x"\npackage = "EXAMPLES/raw-echo"\nexpect_status = "rejected"\n')
    result = run(path)
    assert result.exit_code == 1
    assert "expected status rejected, got active" in result.output
    assert result.output.strip().splitlines()[-1] == "0 passed, 1 failed"


def test_package_case_sees_builtin_rule_conclusions(tmp_path):
    grants = tmp_path / "grants.toml"
    grants.write_text('[[plugins.enabled]]\nid = "project:example.counter"\nsurfaces = ["tool"]\n')
    path = _case_file(tmp_path, (
        '[[case]]\nname = "tool only, no grants"\npackage = "EXAMPLES/instance-counter"\ngrants = "grants.toml"\n'
        'expect_status = "rejected"\n'
        'expect_conclusions = [{ code = "surface_not_granted", severity = "deny", '
        'args = ["project:example.counter", "tool", "counter"] }]\n'
        'expect_no_conclusions = [{ code = "surface_not_requested" }, { code = "item_not_granted" }]\n'
    ))
    result = run(path)
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "1 passed, 0 failed"


def test_missing_package_and_unknown_key_are_case_errors(tmp_path):
    path = _case_file(tmp_path, (
        '[[case]]\nname = "missing"\npackage = "nope"\nexpect_status = "active"\n'
        '[[case]]\nname = "typo"\npackage = "EXAMPLES/raw-echo"\nexpect_stauts = "active"\n'
        '[[case]]\nname = "status without package"\nfacts = {}\nrules = []\nexpect_status = "active"\n'
    ))
    result = run(path)
    assert result.exit_code == 1
    assert "package `nope` does not exist" in result.output
    assert "unknown key `expect_stauts`" in result.output
    assert result.output.strip().splitlines()[-1] == "0 passed, 3 failed"


def test_package_cases_judge_for_targets(tmp_path):
    """`targets` picks what a case judges for; `expect_target_status` checks each (issue 19)."""
    path = _case_file(tmp_path, (
        '[[case]]\nname = "raw module per target"\npackage = "EXAMPLES/raw-echo"\ntargets = ["all"]\n'
        'expect_check_status = "rejected"\n'
        'expect_target_status = { engine = "active", "yoi@43c9216e" = "active", yoi-current = "x" }\n'
        '[[case]]\nname = "right"\npackage = "EXAMPLES/raw-echo"\ntargets = ["yoi@b12e0785", "engine"]\n'
        'expect_target_status = { engine = "active", "yoi@b12e0785" = "rejected" }\n'
        'expect_conclusions = [{ code = "target_runtime_retired", severity = "deny" }]\n'
        '[[case]]\nname = "default target"\npackage = "EXAMPLES/raw-echo"\nexpect_check_status = "active"\n'
        'expect_target_status = { "yoi@b12e0785" = "rejected" }\n'
        '[[case]]\nname = "unknown target"\npackage = "EXAMPLES/raw-echo"\ntargets = ["yoi@0000000"]\n'
        'expect_check_status = "active"\n'
    ))
    result = run(path)
    assert result.exit_code == 1
    out = result.output
    # an alias is not a target name in the expectation: the case names targets as reports do
    assert "`expect_target_status`: `yoi-current` is not a target this case judges for" in out
    assert "PASS" in out and "::right" in out
    assert "`expect_target_status`: `yoi@b12e0785` is not a target this case judges for" in out
    assert "`targets`: unknown target `yoi@0000000`" in out
    assert out.strip().splitlines()[-1] == "1 passed, 3 failed"
