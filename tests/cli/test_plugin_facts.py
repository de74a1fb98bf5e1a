"""Policy authors see what the rules see (issue 22 point 4).

`yoi plugin facts` prints a real package's facts ready for `yoi policy eval --facts` (round trip:
the same conclusions as `check`), manifest name and description and the enablement's config keys
are facts, `explain --proof` proves each deny that fired, and `check` without `--grants` says once
when org rules that read grant facts were judged against the package's own requests.
"""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner
from rule_cases import RAW_MANIFEST, write_package
from wasm_builders import core_module

from engine.cli.main import cli
from engine.package.materialize import load_package_path

SECRET = "hunter2-value"
ORG = """\
deny org_no_echo_grant(P, T) "org policy: tool {T} may not be granted" :- grants(P, "tool", T), T = "echo".
warn org_named(P, N) "named {N}" :- package_name(P, N).
deny org_no_debug(P) "debug config is not allowed" :- config_key(P, "debug").
"""


def _config(digest: str) -> str:
    return textwrap.dedent(f"""\
        [[plugins.enabled]]
        id = "project:t.raw"
        digest = "{digest}"
        config = {{ debug = true, api = {{ token = "{SECRET}" }} }}
        [plugins.enabled.grants]
        id = "project:t.raw"
        version = "1.0.0"
        digest = "{digest}"
        permissions = [{{ kind = "surface", surface = "tool" }}, {{ kind = "tool", name = "echo" }}]
        """)


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    manifest = RAW_MANIFEST.replace('version = "1.0.0"\n', 'version = "1.0.0"\ndescription = "Echoes input."\n', 1)
    package = write_package(tmp_path / "pkg", manifest, {"tool.wasm": core_module()})
    (tmp_path / "grants.toml").write_text(_config(load_package_path(package).digest))
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "org.rules").write_text(ORG)
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _conclusions(items) -> set[tuple]:
    return {(c["severity"], c["code"], tuple(c["args"]), c["message"]) for c in items}


def test_facts_then_policy_eval_conclude_what_check_concludes(setup):
    check = run("plugin", "check", "pkg", "--grants", "grants.toml", "--policy", "policy", "--json")
    assert check.exit_code == 1, check.output  # the org rule denies
    expected = _conclusions(json.loads(check.stdout)["conclusions"])
    assert {"org_no_echo_grant", "org_named", "org_no_debug"} <= {code for _, code, _, _ in expected}

    facts = run("plugin", "facts", "pkg", "--grants", "grants.toml")
    assert facts.exit_code == 0, facts.output
    (setup / "facts.json").write_text(facts.stdout)
    evaluated = run("policy", "eval", "--builtin", "policy", "--facts", "facts.json", "--json")
    assert evaluated.exit_code == 1, evaluated.output
    assert _conclusions(json.loads(evaluated.stdout)["conclusions"]) == expected

    datalog = run("plugin", "facts", "pkg", "--grants", "grants.toml", "--format", "datalog")
    assert datalog.exit_code == 0, datalog.output
    (setup / "facts.rules").write_text(datalog.stdout)
    evaluated = run("policy", "eval", "--builtin", "policy", "facts.rules", "--json")
    assert _conclusions(json.loads(evaluated.stdout)["conclusions"]) == expected


def test_datalog_facts_escape_bidi_and_c1_characters_and_still_round_trip(tmp_path, monkeypatch):
    """A manifest description with U+202E, U+2028 and a C1 CSI (U+009B) must not reach the terminal
    raw through `--format datalog` (JSON quoting leaves them raw); the escapes parse back."""
    monkeypatch.chdir(tmp_path)
    hostile = "a\u202eb\u2028c\u009b31md"
    manifest = RAW_MANIFEST.replace('version = "1.0.0"\n', f'version = "1.0.0"\ndescription = "{hostile}"\n', 1)
    write_package(tmp_path / "pkg", manifest, {"tool.wasm": core_module()})
    datalog = run("plugin", "facts", "pkg", "--format", "datalog")
    assert datalog.exit_code == 0, datalog.output
    assert not {"\u202e", "\u2028", "\u009b"} & set(datalog.stdout)
    (tmp_path / "facts.rules").write_text(datalog.stdout)
    (tmp_path / "q.rules").write_text('warn described(P, D) "{D}" :- package_description(P, D).\n')
    evaluated = run("policy", "eval", "facts.rules", "q.rules", "--json")
    assert [c["args"] for c in json.loads(evaluated.stdout)["conclusions"]] == [["project:t.raw", hostile]]


def test_name_description_and_config_keys_are_facts_but_config_values_are_not(setup):
    facts = json.loads(run("plugin", "facts", "pkg", "--grants", "grants.toml").stdout)
    ref = "project:t.raw"
    assert facts["package_name"] == [[ref, "Raw"]]
    assert facts["package_description"] == [[ref, "Echoes input."]]
    assert facts["config_key"] == [[ref, "api"], [ref, "api.token"], [ref, "debug"]]
    assert SECRET not in json.dumps(facts)


def test_a_workspace_ref_prints_the_facts_of_that_package(tmp_path, monkeypatch):
    from engine.package.pack import pack_directory

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "no-user-store"))
    store = tmp_path / "ws" / ".yoi" / "plugins"
    store.mkdir(parents=True)
    source = write_package(tmp_path / "src", RAW_MANIFEST, {"tool.wasm": core_module()})
    _, package = pack_directory(source, store / "echo.yoi-plugin")
    (tmp_path / "ws" / ".yoi" / "config.toml").write_text(_config(package.digest))
    facts = json.loads(run("plugin", "facts", "t.raw", "--workspace", tmp_path / "ws").stdout)
    refs = {row[0] for row in facts["package"]}
    assert refs == {"project:t.raw"}
    assert facts["limit_default"] and facts["host_variant"]  # facts about no package stay
    assert facts["grants"] == [["project:t.raw", "surface", "tool"], ["project:t.raw", "tool", "echo"]]
    missing = run("plugin", "facts", "nope", "--workspace", tmp_path / "ws")
    assert missing.exit_code == 2 and "no plugin package in the workspace" in missing.output


def test_explain_proof_proves_each_deny_that_fired(setup):
    args = ("plugin", "explain", "pkg", "--grants", "grants.toml", "--policy", "policy")
    human = run(*args, "--proof")
    assert "proofs of the denials that fired:" in human.stdout
    assert 'deny org_no_debug: debug config is not allowed' in human.stdout
    assert 'config_key("project:t.raw", "debug")  [input fact]' in human.stdout
    report = json.loads(run(*args, "--json").stdout)
    proofs = {entry["code"]: entry for entry in report["deny_proofs"]}
    assert set(proofs) == {"org_no_echo_grant", "org_no_debug"}
    steps = proofs["org_no_echo_grant"]["proof"]["steps"]
    assert steps[0]["fact"] == 'org_no_echo_grant("project:t.raw", "echo")'
    assert 'grants("project:t.raw", "tool", "echo")' in {step["fact"] for step in steps}


GRANT_READERS = {
    "direct": ('deny org_direct(P) "no fs grants" :- grants(P, "host_api", "fs").', ["org_direct"]),
    # item_authorized is derived by the built-in rules from grant facts: judged on assumed grants too
    "derived": ('warn org_derived(P, T) "authorized {T}" :- item_authorized(P, "tool", T).', ["org_derived"]),
    "manifest only": ('warn org_tools(P, T) "tool {T}" :- tool(P, T).', []),
}


@pytest.mark.parametrize("case", GRANT_READERS)
def test_check_without_grants_says_once_which_org_rules_read_grant_facts(setup, case):
    rule, codes = GRANT_READERS[case]
    (setup / "policy" / "org.rules").write_text(rule + "\n")
    report = json.loads(run("plugin", "check", "pkg", "--policy", "policy", "--json").stdout)
    assert report["grants"] == "assumed" and report["assumed_grant_rules"] == codes
    human = run("plugin", "check", "pkg", "--policy", "policy").stdout
    notes = [line for line in human.splitlines() if "read grant facts" in line]
    assert len(notes) == (1 if codes else 0)
    if codes:
        assert notes[0].startswith("note: org rule(s) `") and "judged against the permissions the package requests" in notes[0]
        sarif = json.loads(run("plugin", "check", "pkg", "--policy", "policy", "--format", "sarif").stdout)
        assert sarif["runs"][0]["properties"]["yoi/assumedGrantRules"] == codes
    # with the real grants there is nothing to say
    real = json.loads(run("plugin", "check", "pkg", "--grants", "grants.toml", "--policy", "policy", "--json").stdout)
    assert real["assumed_grant_rules"] == []


def test_built_in_rules_alone_never_trigger_the_note(setup):
    report = json.loads(run("plugin", "check", "pkg", "--json").stdout)
    assert report["assumed_grant_rules"] == []
    assert "read grant facts" not in run("plugin", "check", "pkg").stdout


TARGET_ORG = """\
warn org_small_fuel(P, T, F) "{T} gives only {F} fuel per call" :- package(P, _, _, _, _), target_limit(T, "fuel", F), F < 10000000.
"""


def test_facts_target_exports_the_profile_facts_of_the_selected_targets_only(setup):
    facts = json.loads(run("plugin", "facts", "pkg", "--target", "yoi@43c9216e").stdout)
    assert facts["target"] == [["yoi@43c9216e"]]
    assert ["yoi@43c9216e", "max_artifact_bytes", 8388608] in facts["target_limit"]
    profile_rows = [row for pred, rows in facts.items() if pred.startswith("target") for row in rows]
    assert profile_rows and {row[0] for row in profile_rows} == {"yoi@43c9216e"}  # nothing of engine's
    default = json.loads(run("plugin", "facts", "pkg").stdout)  # check's default: the engine target
    assert default["target"] == [["engine"]] and default["target_default"] == [["engine"]]
    assert ["engine", "max_artifact_bytes", 33554432] in default["target_limit"]
    every = json.loads(run("plugin", "facts", "pkg", "--target", "all").stdout)
    assert [row[0] for row in every["target"]] == ["engine", "yoi@43c9216e", "yoi@b12e0785"]
    both = json.loads(run("plugin", "facts", "pkg", "--target", "yoi@b12e0785", "--target", "engine").stdout)
    assert both["target"] == [["engine"], ["yoi@b12e0785"]]


SELECTIONS = {  # --target values -> the targets whose fuel the org rule finds small
    "yoi@43c9216e": (["yoi@43c9216e"], {"yoi@43c9216e"}),
    "alias": (["yoi-current"], {"yoi@b12e0785"}),
    "engine": (["engine"], set()),
    "default": ([], set()),
    "all": (["all"], {"yoi@43c9216e", "yoi@b12e0785"}),
}


def _check_findings(report: dict) -> set[tuple]:
    """Every conclusion `check` reports: the package's and each target's."""
    targets = [finding for verdict in report["targets"].values() for finding in verdict["findings"]]
    return _conclusions(report["conclusions"] + targets)


@pytest.mark.parametrize("selection", SELECTIONS)
def test_policy_eval_over_facts_for_a_target_concludes_what_check_does(setup, selection):
    names, small = SELECTIONS[selection]
    (setup / "policy" / "org.rules").write_text(TARGET_ORG)
    options = [arg for name in names for arg in ("--target", name)]
    check = run("plugin", "check", "pkg", "--grants", "grants.toml", "--policy", "policy", *options, "--json")
    expected = _check_findings(json.loads(check.stdout))
    assert {args[1] for _, code, args, _ in expected if code == "org_small_fuel"} == small
    facts = run("plugin", "facts", "pkg", "--grants", "grants.toml", *options)
    assert facts.exit_code == 0, facts.output
    (setup / "facts.json").write_text(facts.stdout)
    evaluated = run("policy", "eval", "--builtin", "policy", "--facts", "facts.json", "--json")
    assert evaluated.exit_code == check.exit_code, evaluated.output
    assert _conclusions(json.loads(evaluated.stdout)["conclusions"]) == expected


def test_facts_with_an_unknown_target_is_a_usage_error(setup):
    result = run("plugin", "facts", "pkg", "--target", "yoi@nope")
    assert result.exit_code == 2
    assert "unknown target `yoi@nope`; known: engine, yoi@43c9216e, yoi@b12e0785" in result.output
    assert result.stdout == "" or not result.stdout.lstrip().startswith("{")
