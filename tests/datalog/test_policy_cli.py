"""`yoi policy lint|eval|test`: output shapes, exit codes (0 ok, 1 deny/failed, 2 bad input)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli.policy import policy

RULES = """\
path(X, Y) :- edge(X, Y).
path(X, Z) :- path(X, Y), edge(Y, Z).
ok(X) :- path("a", X), not blocked(X).
deny reach_blocked(X) "node {X} is blocked but reachable" :- path("a", X), blocked(X).
warn long(X) "long path to {X}" :- path("a", X), X = "d".
"""


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "graph.rules").write_text(RULES)
    # `blocked: []` declares an input with no facts: the facts file names every input (issue 8).
    (tmp_path / "facts.json").write_text(json.dumps({"edge": [["a", "b"], ["b", "c"], ["c", "d"]], "blocked": []}))
    (tmp_path / "blocked.json").write_text(json.dumps({"edge": [["a", "b"]], "blocked": [["b"]]}))
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(policy, [str(a) for a in args])


def test_lint_clean(work):
    done = run("lint", work / "rules")
    assert done.exit_code == 0, done.output
    assert done.stdout == "ok: 5 statement(s) in 1 file(s)\n"
    done = run("lint", work / "rules", "--json")
    assert json.loads(done.stdout) == {"ok": True, "files": [str(work / "rules" / "graph.rules")],
                                       "rules": 5, "diagnostics": []}


def test_lint_reports_every_error_with_position(work):
    bad = work / "bad.rules"
    bad.write_text("p(X :- q.\nr(Y) :- s(X).\n")
    done = run("lint", bad)
    assert done.exit_code == 2
    assert done.stdout.splitlines() == [
        f"{bad}:1:5: error: unexpected `:-`; expected `)`, `,` [rules.syntax]",
        f"{bad}:2:3: error: head variable `Y` does not appear in a positive atom of the body "
        "[rules.unsafe-variable]",
        "2 error(s)",
    ]
    data = json.loads(run("lint", bad, "--format", "json").stdout)
    assert data["ok"] is False
    assert [(d["code"], d["location"]["line"], d["location"]["column"]) for d in data["diagnostics"]] == [
        ("rules.syntax", 1, 5), ("rules.unsafe-variable", 2, 3)]


def test_lint_missing_path_is_exit_2(work):
    done = run("lint", work / "nope")
    assert done.exit_code == 2 and "rules.io" in done.stdout


def test_paths_without_rules_files_are_a_usage_error(work):
    empty = work / "empty"
    empty.mkdir()
    for command in ("lint", "eval"):
        done = run(command, empty)
        assert done.exit_code == 2 and done.stdout == ""
        assert done.stderr == f"yoi policy: no *.rules files in {empty}\n"


def test_eval_json_shape_and_no_deny_exit_0(work):
    done = run("eval", work / "rules", "--facts", work / "facts.json", "--json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert set(data) == {"facts", "conclusions", "explanation"}
    assert data["facts"]["ok"] == [["b"], ["c"], ["d"]]
    assert "edge" not in data["facts"]  # only derived predicates without --query
    assert data["conclusions"] == [{
        "severity": "warn", "code": "long", "args": ["d"], "message": "long path to d",
        "location": {"file": str(work / "rules" / "graph.rules"), "line": 5, "column": 1}}]
    assert data["explanation"] is None


def test_eval_deny_exits_1_and_human_output(work):
    done = run("eval", work / "rules", "--facts", work / "blocked.json")
    assert done.exit_code == 1
    lines = done.stdout.splitlines()
    assert 'path("a", "b").' in lines
    assert f'deny reach_blocked("b"): node b is blocked but reachable  [{work / "rules" / "graph.rules"}:4:1]' in lines
    assert lines[-1] == "1 deny, 0 warn, 0 info"


def test_eval_query_explain_and_why_not(work):
    done = run("eval", work / "rules", "--facts", work / "facts.json", "--query", "ok", "--query", "edge",
               "--explain", 'ok("c")', "--why-not", 'ok("z")', "--json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["facts"] == {"ok": [["b"], ["c"], ["d"]], "edge": [["a", "b"], ["b", "c"], ["c", "d"]]}
    (proof,) = data["explanation"]["explain"]
    assert proof["fact"] == 'ok("c")' and proof["holds"] is True
    assert proof["steps"][0]["conditions"] == ['not blocked("c")']
    (why,) = data["explanation"]["why_not"]
    assert why["holds"] is False
    assert why["rules"][0]["reason"] == 'no fact matches `path("a", "z")`'
    human = run("eval", work / "rules", "--facts", work / "facts.json", "--query", "ok",
                "--explain", 'ok("c")', "--why-not", 'ok("z")')
    assert 'explain ok("c"):' in human.stdout and 'why not ok("z"):' in human.stdout
    rules = work / "rules" / "graph.rules"
    assert f'      no fact matches `path("a", "z")` (at {rules}:3:10)' in human.stdout.splitlines()


@pytest.mark.parametrize("content,needle", [
    ("{not json", "invalid JSON at line 1 column 2"),
    ('{"edge": [["a", true]], "blocked": []}', "a boolean"),
    ('{"edge": [["a"]], "blocked": []}', "rules.facts-arity"),
    ('["edge"]', "rules.facts-shape"),
])
def test_eval_bad_facts_file_is_exit_2(work, content, needle):
    (work / "bad.json").write_text(content)
    done = run("eval", work / "rules", "--facts", work / "bad.json")
    assert done.exit_code == 2
    assert done.stdout == ""
    assert done.stderr.startswith("yoi policy: ") and needle in done.stderr


def test_eval_usage_errors_are_exit_2(work):
    for args, needle in [
        (["--facts", work / "missing.json"], "cannot read"),
        (["--explain", "ok(X)"], "takes values only"),
        (["--why-not", "ok("], "unexpected end of input"),
        (["--query", "nothing_here"], "no rule and no input fact"),
        (["--explain", 'ok("a", "b")'], "`ok` takes 1 argument(s), not 2"),
    ]:
        done = run("eval", work / "rules", *args)
        assert done.exit_code == 2, (args, done.output)
        assert needle in done.stderr and done.stdout == ""


def test_eval_bad_rules_is_exit_2_with_positions_on_stderr(work):
    (work / "rules" / "zz.rules").write_text("p(X) :- q(X), not p(X).\n")
    done = run("eval", work / "rules", "--facts", work / "facts.json")
    assert done.exit_code == 2 and done.stdout == ""
    assert f"yoi policy: {work / 'rules' / 'zz.rules'}:1:15: error: negation inside recursion" in done.stderr


TESTS = """\
[[case]]
name = "reachable"
rules = ["rules"]
facts = { edge = [["a", "b"], ["b", "c"]] }
expect_facts = { ok = [["b"], ["c"]] }
expect_no_facts = { ok = [["a"]] }
expect_no_conclusions = [{ code = "reach_blocked" }]

[[case]]
name = "blocked from a file"
rules = ["rules/graph.rules"]
facts = "blocked.json"
expect_conclusions = [{ code = "reach_blocked", args = ["b"], severity = "deny" }]
"""


def test_policy_test_all_pass(work):
    (work / "graph.test.toml").write_text(TESTS)
    done = run("test", work)
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines() == [
        f"PASS {work / 'graph.test.toml'}::reachable",
        f"PASS {work / 'graph.test.toml'}::blocked from a file",
        "2 passed, 0 failed",
    ]


def test_policy_test_failures_are_explained_and_exit_1(work):
    (work / "t.test.toml").write_text("""\
[[case]]
name = "wrong"
rules = ["rules"]
facts = { edge = [["a", "b"]] }
expect_facts = { ok = [["z"]] }
expect_no_facts = { ok = [["b"]] }
expect_conclusions = [{ code = "reach_blocked" }]

[[case]]
name = "typo"
rules = ["rules"]
facts = {}
expect_fact = { ok = [["b"]] }

[[case]]
name = "no facts source"
rules = ["rules"]

[[case]]
name = "bad rules"
rules = ["missing.rules"]
facts = {}

[[case]]
name = "bool fact"
rules = ["rules"]
facts = { edge = [["a", true]] }
""")
    done = run("test", work / "t.test.toml", "--json")
    assert done.exit_code == 1
    data = json.loads(done.stdout)
    assert (data["passed"], data["failed"]) == (0, 5)
    failures = {c["name"]: c["failures"] for c in data["cases"]}
    assert failures["wrong"] == [
        'expected fact ok("z") does not hold',
        'fact ok("b") holds but must not',
        "expected conclusion reach_blocked(...) is missing",
    ]
    assert failures["typo"] == ["error: unknown key `expect_fact`"]
    assert failures["no facts source"][0].startswith("error: a case needs exactly one of `facts`")
    assert failures["bad rules"][0].startswith("rules do not load: ")
    assert failures["bool fact"][0].startswith("bad facts: `edge` row 0: a boolean")
    human = run("test", work / "t.test.toml")
    assert human.stdout.splitlines()[-1] == "0 passed, 5 failed"
    assert human.stdout.startswith(f"FAIL {work / 't.test.toml'}::wrong: expected fact")


def test_policy_test_typos_in_expectations_are_errors_not_passes(work):
    (work / "t.test.toml").write_text("""\
[[case]]
name = "misspelt predicate"
rules = ["rules"]
facts = {}
expect_no_facts = { okk = [["b"]] }

[[case]]
name = "misspelt code"
rules = ["rules"]
facts = {}
expect_no_conclusions = [{ code = "reach_blockd" }]

[[case]]
name = "wrong arity"
rules = ["rules"]
facts = {}
expect_no_facts = { ok = [["b", "c"]] }

[[case]]
name = "bad severity"
rules = ["rules"]
facts = {}
expect_no_conclusions = [{ code = "reach_blocked", severity = "error" }]
""")
    data = json.loads(run("test", work / "t.test.toml", "--json").stdout)
    assert [c["failures"] for c in data["cases"]] == [
        ["error: `expect_no_facts`: no rule and no input fact mentions `okk`"],
        ["error: `expect_no_conclusions`: `reach_blockd` is not a conclusion of these rules"],
        ["error: `expect_no_facts`: `ok` row 0 has 2 value(s) but the program uses 1"],
        ["error: `expect_no_conclusions`: severity must be one of deny, warn, info"],
    ]


def test_policy_test_bad_files_are_exit_2(work):
    (work / "a.test.toml").write_text("[[case]\n")
    done = run("test", work / "a.test.toml")
    assert done.exit_code == 2 and "invalid TOML" in done.stderr
    (work / "a.test.toml").write_text("other = 1\n")
    assert "only [[case]] tables" in run("test", work / "a.test.toml").stderr
    empty = work / "empty"
    empty.mkdir()
    done = run("test", empty)
    assert done.exit_code == 2 and "no *.test.toml files found" in done.stderr
    assert run("test", work / "nope").exit_code == 2


def test_policy_test_unusable_paths_and_nesting_are_reported_not_raised(work):
    (work / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (work / "t.test.toml").write_text("""\
[[case]]
name = "nul in facts path"
rules = ["rules"]
facts = "a\\u0000b.json"

[[case]]
name = "nul in rules path"
rules = ["r\\u0000.rules"]
facts = {}

[[case]]
name = "facts nested too deeply"
rules = ["rules"]
facts = "deep.json"
""")
    done = run("test", work / "t.test.toml", "--json")
    assert done.exit_code == 1, done.output
    failures = {c["name"]: c["failures"] for c in json.loads(done.stdout)["cases"]}
    assert failures["nul in facts path"][0].startswith("error: facts file `a\x00b.json`: cannot read")
    assert failures["nul in rules path"][0].startswith("rules do not load: ")
    assert failures["facts nested too deeply"] == ["error: facts file `deep.json`: nested too deeply"]
    (work / "deep.test.toml").write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    done = run("test", work / "deep.test.toml")
    assert done.exit_code == 2 and "nested too deeply" in done.stderr
    (work / "long.test.toml").write_text("a = " + "1" * 5000 + "\n")
    done = run("test", work / "long.test.toml")
    assert done.exit_code == 2 and "a number with too many digits" in done.stderr
    (work / "long.json").write_text('{"edge": [["a", ' + "1" * 5000 + "]]}")
    done = run("eval", work / "rules", "--facts", work / "long.json")
    assert done.exit_code == 2 and "a number with too many digits" in done.stderr


def test_fact_provider_registry_is_the_extension_point(work):
    from engine.datalog import cases

    def provider(case, base):
        return cases.CaseInput({"edge": [(case["fixture"], "x")]}, context="ctx")

    def expect_context(value, outcome):
        return [] if outcome.context == value else ["wrong context"]

    cases.register_fact_provider(cases.FactProvider(("fixture", "fixture_options"), provider))
    cases.register_expectation("expect_context", expect_context)
    try:
        (work / "p.test.toml").write_text(
            '[[case]]\nname = "fixture"\nrules = ["rules"]\nfixture = "a"\nfixture_options = 1\n'
            'expect_context = "ctx"\nexpect_facts = { ok = [["x"]] }\n'
            '[[case]]\nname = "two sources"\nrules = ["rules"]\nfixture = "a"\nfacts = {}\n'
            '[[case]]\nname = "wrong context"\nrules = ["rules"]\nfixture = "a"\nexpect_context = "no"\n')
        data = json.loads(run("test", work / "p.test.toml", "--json").stdout)
        assert [c["passed"] for c in data["cases"]] == [True, False, False]
        assert data["cases"][1]["failures"][0].startswith("error: a case needs exactly one of `facts`")
        assert "`fixture`" in data["cases"][1]["failures"][0]
        assert data["cases"][2]["failures"] == ["wrong context"]
    finally:
        del cases.FACT_PROVIDERS["fixture"], cases.EXPECTATIONS["expect_context"]
