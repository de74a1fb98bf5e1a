"""Explanations: proofs down to input facts, and why-not answers per rule."""

from __future__ import annotations

import json

from engine.datalog import loads
from engine.diagnostics import Location

POLICY = """\
surface_ok(P, S) :- requests(P, "surface", S), grants(P, "surface", S).
grants_tool(P, T) :- grants(P, "tool", T).
grants_tool(P, T) :- tool(P, T), grants(P, "tool_namespace", N), N != "", startswith(T, N).
tool_ok(P, T) :-
    tool(P, T), surface_ok(P, "tool"), grants_tool(P, T), not revoked(P, T).
enabled("p").
"""

FACTS = {
    "requests": [("p", "surface", "tool")],
    "grants": [("p", "surface", "tool"), ("p", "tool_namespace", "fs_")],
    "tool": [("p", "fs_read"), ("p", "net_get")],
    "revoked": [],
}


def result():
    return loads(POLICY, "policy.rules").evaluate(FACTS)


def test_explain_gives_the_proof_tree_down_to_input_facts():
    proof = result().explain("tool_ok", ("p", "fs_read"))
    root = proof.steps[0]
    assert root.fact == 'tool_ok("p", "fs_read")'
    assert root.source == "rule" and root.location == Location("policy.rules", 4, 1)
    assert root.conditions == ('not revoked("p", "fs_read")',)
    premises = [proof.steps[i].fact for i in root.premises]
    assert premises == ['tool("p", "fs_read")', 'surface_ok("p", "tool")', 'grants_tool("p", "fs_read")']
    grants_tool = proof.steps[root.premises[2]]
    assert grants_tool.location == Location("policy.rules", 3, 1)
    assert grants_tool.conditions == ('"fs_" != ""', 'startswith("fs_read", "fs_")')
    leaves = [s for s in proof.steps if not s.premises]
    assert all(s.source == "input" for s in leaves)
    assert {s.fact for s in leaves} == {
        'tool("p", "fs_read")', 'requests("p", "surface", "tool")', 'grants("p", "surface", "tool")',
        'grants("p", "tool_namespace", "fs_")'}
    assert proof.steps.count(proof.steps[root.premises[0]]) == 1  # tool("p", "fs_read") shared, once


def test_explain_renders_a_readable_tree_and_json():
    proof = result().explain("tool_ok", ("p", "fs_read"))
    text = "\n".join(proof.render())
    assert text.splitlines()[0] == 'tool_ok("p", "fs_read")  [by rule at policy.rules:4:1]'
    assert '  holds: not revoked("p", "fs_read")' in text
    assert 'tool("p", "fs_read")  (shown above)' in text
    data = json.loads(json.dumps(proof.to_dict()))
    assert data["fact"] == 'tool_ok("p", "fs_read")' and data["holds"] is True
    assert data["steps"][0]["location"] == {"file": "policy.rules", "line": 4, "column": 1}


def test_explain_stated_fact_and_missing_fact():
    res = result()
    stated = res.explain("enabled", ("p",))
    assert stated.steps[0].source == "stated" and stated.steps[0].location == Location("policy.rules", 6, 1)
    assert res.explain("tool_ok", ("p", "net_get")) is None
    assert res.explain("nonexistent", ()) is None


def test_explain_a_long_chain_without_recursion_limits():
    text = "path(X, Y) :- edge(X, Y).\npath(X, Z) :- path(X, Y), edge(Y, Z).\n"
    res = loads(text).evaluate({"edge": [(i, i + 1) for i in range(3000)]}).explain("path", (0, 3000))
    assert len(res.steps) == 3000 * 2  # 3000 path steps and 3000 edge facts
    assert len(res.render(max_depth=10_000, max_steps=10_000)) > 3000


def test_why_not_names_the_first_failing_literal_per_rule():
    answer = result().why_not("tool_ok", ("p", "net_get"))
    assert not answer.holds and answer.fact == 'tool_ok("p", "net_get")'
    (miss,) = answer.rules
    assert miss.location == Location("policy.rules", 4, 1)
    assert miss.literal == 'grants_tool("p", "net_get")'
    assert miss.literal_location == Location("policy.rules", 5, 40)
    assert miss.reason == 'no fact matches `grants_tool("p", "net_get")`'
    inner = result().why_not("grants_tool", ("p", "net_get"))
    assert [m.reason for m in inner.rules] == [
        'no fact matches `grants("p", "tool", "net_get")`',
        '`startswith("net_get", "fs_")` is false',
    ]


def test_why_not_failed_negation_and_head_mismatch():
    text = 'ok(X) :- item(X), not banned(X).\nok("always") :- item(_).\n'
    res = loads(text).evaluate({"item": [("a",)], "banned": [("a",)]})
    answer = res.why_not("ok", ("a",))
    assert [m.reason for m in answer.rules] == [
        '`not banned("a")` fails: banned("a") holds',
        'the head `ok("always")` cannot produce ok("a")',
    ]
    assert answer.rules[0].literal_location == Location("<string>", 1, 19)


def test_why_not_defers_a_filter_until_its_variables_are_bound():
    text = "big(X) :- X > 10, n(X).\n"
    answer = loads(text).evaluate({"n": [(5,)]}).why_not("big", (5,))
    assert answer.rules[0].reason == "`5 > 10` is false"


def test_why_not_for_a_fact_that_holds_and_for_an_input_only_predicate():
    res = result()
    assert res.why_not("tool_ok", ("p", "fs_read")).holds
    answer = res.why_not("tool", ("p", "zzz"))
    assert answer.note == "no rule derives `tool` and it is not an input fact" and answer.rules == ()
    data = answer.to_dict()
    assert data == {"fact": 'tool("p", "zzz")', "holds": False,
                    "note": "no rule derives `tool` and it is not an input fact", "rules": []}


def test_explain_is_the_same_on_every_run():
    first = [s.to_dict() for s in result().explain("tool_ok", ("p", "fs_read")).steps]
    assert first == [s.to_dict() for s in result().explain("tool_ok", ("p", "fs_read")).steps]


def test_kept_derivations_do_not_depend_on_string_hashing():
    """Evaluation iterates insertion-ordered lists and dicts only, so another hash seed (another
    process) keeps the same proofs."""
    import subprocess
    import sys

    script = (
        "import json; from engine.datalog import loads\n"
        "text = 'p(X, Y) :- e(X, Y).\\np(X, Z) :- p(X, Y), e(Y, Z).\\n'\n"
        "edges = [(f'n{i}', f'n{(i * 7 + j) % 40}') for i in range(40) for j in (1, 3, 5)]\n"
        "r = loads(text).evaluate({'e': edges})\n"
        "print(json.dumps([r.explain('p', ('n0', f'n{i}')).to_dict() for i in range(40)]))\n"
    )
    outputs = {
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                       env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1
