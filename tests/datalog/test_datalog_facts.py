"""Input facts that do not fit the program are rejected with diagnostics, never guessed at."""

from __future__ import annotations

import pytest

from engine.datalog import FactsError, loads

PROGRAM = loads('q(X) :- p(X, _).\ndeny d(X) "x" :- q(X).\n')


def codes(facts) -> list[str]:
    with pytest.raises(FactsError) as err:
        PROGRAM.evaluate(facts, source="facts.json")
    for diag in err.value.diagnostics:
        assert diag.phase == "rules" and diag.location.file == "facts.json"
    return [d.code for d in err.value.diagnostics]


@pytest.mark.parametrize("facts,code", [
    ({"p": [["a", True]]}, "rules.facts-value"),
    ({"p": [["a", 1.5]]}, "rules.facts-value"),
    ({"p": [["a", None]]}, "rules.facts-value"),
    ({"p": [["a", 2**70]]}, "rules.facts-value"),
    ({"p": [["a", "\ud800"]]}, "rules.facts-value"),
    ({"p": [["a"]]}, "rules.facts-arity"),
    ({"other": [["a"], ["a", "b"]]}, "rules.facts-arity"),
    ({"d": [["a"]]}, "rules.facts-conclusion"),
    ({"conclusion": [["a", "deny", "d"]]}, "rules.facts-conclusion"),
    ({"Bad-Name": [["a"]]}, "rules.facts-predicate"),
    ({"p": "ab"}, "rules.facts-shape"),
    ({"p": ["ab"]}, "rules.facts-shape"),
    ({"p": [{"a": 1}]}, "rules.facts-shape"),
])
def test_bad_input_facts(facts, code):
    assert codes(facts) == [code]


def test_not_a_mapping():
    assert codes([("p", "a")]) == ["rules.facts-shape"]


def test_many_problems_are_capped():
    facts = {f"p{i}": [[True]] for i in range(100)}
    assert codes(facts) == ["rules.facts-value"] * 20


def test_json_lists_tuples_and_extra_predicates_are_accepted():
    result = PROGRAM.evaluate({"p": [["a", 1], ("b", -2)], "unused": [[1, "x"]]})
    assert result.facts("q") == [("a",), ("b",)]
    assert result.facts("unused") == [(1, "x")]
