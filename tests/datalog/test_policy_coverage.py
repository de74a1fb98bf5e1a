"""`yoi policy test --coverage [--fail-under N]` (issue 22 point 5): exact numbers on a small
policy with one rule never exercised and, in it, one literal never exercised; only the rules under
test count; coverage is printed when cases fail too; `--fail-under` compares the literal coverage.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from engine.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]

RULES = """\
org_exempt(P) :- tool(P, "exempt").
deny org_no_fs_write(P, R) "no fs write under {R}" :- fs_grant(P, R, "write").
warn org_listing(P) "listing granted to {P}" :- fs_grant(P, _, "list"), not org_exempt(P).
org_kind("read").
"""
CASES = """\
[[case]]
name = "write is denied"
rules = ["."]
facts = { fs_grant = [["p", "/srv", "write"]] }
expect_conclusions = [{ code = "org_no_fs_write", args = ["p", "/srv"] }]

[[case]]
name = "an exempt package may list"
rules = ["."]
facts = { fs_grant = [["q", "/srv", "list"]], tool = [["q", "exempt"]] }
expect_no_conclusions = [{ code = "org_listing" }]
"""


def _policy(tmp_path: Path, cases: str = CASES) -> Path:
    folder = tmp_path / "policy"
    folder.mkdir()
    (folder / "org.rules").write_text(RULES)
    (folder / "org.test.toml").write_text(cases)
    return folder


def _run(tmp_path: Path, *args: str):
    """`yoi policy test ARGS` from `tmp_path`, so paths print relative to it."""
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        return CliRunner().invoke(cli, ["policy", "test", *args])
    finally:
        os.chdir(here)


def test_coverage_numbers_are_exact(tmp_path):
    _policy(tmp_path)
    done = _run(tmp_path, "policy", "--coverage")
    assert done.exit_code == 0, done.output
    column = RULES.splitlines()[2].index("not org_exempt") + 1
    assert done.output.splitlines() == [
        "PASS policy/org.test.toml::write is denied",
        "PASS policy/org.test.toml::an exempt package may list",
        "coverage: 2 of 3 rule(s) exercised (66.7%), 3 of 4 body literal(s) (75.0%)",
        "  policy/org.rules:1:1 org_exempt: exercised, 1/1 literal(s)",
        "  policy/org.rules:2:1 org_no_fs_write: exercised, 1/1 literal(s)",
        "  policy/org.rules:3:1 org_listing: NOT exercised, 1/2 literal(s)",
        f"    not exercised: policy/org.rules:3:{column} not org_exempt(P)",
        "2 passed, 0 failed",
    ]
    report = json.loads(_run(tmp_path, "policy", "--coverage", "--json").output)["coverage"]
    assert report["rules"] == {"exercised": 2, "total": 3, "percent": 66.67}
    assert report["literals"] == {"exercised": 3, "total": 4, "percent": 75.0}
    listing = report["per_rule"][2]
    assert (listing["head"], listing["file"], listing["line"], listing["exercised"]) == (
        "org_listing", "policy/org.rules", 3, False)
    assert [(lit["literal"], lit["exercised"]) for lit in listing["literals"]] == [
        ('fs_grant(P, _, "list")', True), ("not org_exempt(P)", False)]


def test_a_literal_counts_only_once_a_binding_satisfies_it(tmp_path):
    """Adding a case where the negation holds exercises the last literal and the rule."""
    _policy(tmp_path, CASES + '\n[[case]]\nname = "listing warns"\nrules = ["."]\n'
                              'facts = { fs_grant = [["r", "/srv", "list"]] }\n'
                              'expect_conclusions = [{ code = "org_listing" }]\n')
    report = json.loads(_run(tmp_path, "policy", "--coverage", "--json").output)["coverage"]
    assert (report["rules"]["percent"], report["literals"]["percent"]) == (100.0, 100.0)


def test_coverage_is_printed_when_cases_fail_and_fail_under_compares_literals(tmp_path):
    _policy(tmp_path, CASES.replace('args = ["p", "/srv"]', 'args = ["p", "/elsewhere"]'))
    done = _run(tmp_path, "policy", "--coverage")
    assert done.exit_code == 1
    assert "coverage: 2 of 3 rule(s) exercised (66.7%), 3 of 4 body literal(s) (75.0%)" in done.output
    assert done.output.splitlines()[-1] == "1 passed, 1 failed"


def test_fail_under(tmp_path):
    _policy(tmp_path)
    assert _run(tmp_path, "policy", "--fail-under", "75").exit_code == 0  # 75.0 is not under 75
    done = _run(tmp_path, "policy", "--fail-under", "75.5")
    assert done.exit_code == 1
    assert "yoi policy: body-literal coverage 75.00% is under --fail-under 75.5" in done.output
    assert "coverage: 2 of 3 rule(s)" in done.output  # --fail-under implies the report
    assert _run(tmp_path, "policy", "--fail-under", "101").exit_code == 2


def test_fail_under_nan_is_a_usage_error_not_a_gate_that_never_fails(tmp_path):
    """Every comparison with NaN is false: FloatRange let `nan` through and coverage was never
    `< nan`, so the gate passed whatever the coverage."""
    _policy(tmp_path)
    for value in ("nan", "NaN", "-nan"):
        done = _run(tmp_path, "policy", "--fail-under", value)
        assert done.exit_code == 2, done.output
        assert "is not a number" in done.output


def test_the_same_file_through_two_paths_is_one_rule_set(tmp_path):
    """A second case file naming the rules as `../policy` counts the same rules, not new ones."""
    _policy(tmp_path)
    other = tmp_path / "policy" / "more"
    other.mkdir()
    (other / "more.test.toml").write_text(
        '[[case]]\nname = "listing warns"\nrules = [".."]\nfacts = { fs_grant = [["r", "/srv", "list"]] }\n'
        'expect_conclusions = [{ code = "org_listing" }]\n')
    report = json.loads(_run(tmp_path, "policy", "--coverage", "--json").output)["coverage"]
    assert report["rules"] == {"exercised": 3, "total": 3, "percent": 100.0}


def test_package_cases_count_only_the_policy_not_the_built_in_rules(tmp_path):
    folder = tmp_path / "policy"
    folder.mkdir()
    (folder / "org.rules").write_text(
        'info org_legacy(P) "legacy" :- classification(P, "legacy-raw-tool").\n'
        'deny org_no_https(P) "no https" :- requests(P, "host_api", "https").\n')
    (folder / "org.test.toml").write_text(
        f'[[case]]\nname = "raw echo is legacy"\npackage = "{ROOT / "examples" / "raw-echo"}"\npolicy = ["."]\n'
        'expect_conclusions = [{ code = "org_legacy" }]\n')
    report = json.loads(_run(tmp_path, "policy", "--coverage", "--json").output)["coverage"]
    assert {rule["file"] for rule in report["per_rule"]} == {"policy/org.rules"}
    assert report["rules"] == {"exercised": 1, "total": 2, "percent": 50.0}
