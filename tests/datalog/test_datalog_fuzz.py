"""Malformed rule text never raises anything but LoadError (and what loads also evaluates)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.datalog import LoadError, loads, parse_atom

VALID = '''# policy
p("a", 1). q(X) :- p(X, _), not r(X), X != "b", startswith(X, "a").
deny d(X) "bad {X}" :- q(X), regex(X, "^a").
z. w :- z, 1 < 2.
'''
TOKENS = ["p", "q", "X", "_", "(", ")", ",", ".", ":-", "not", "deny", "warn", "info", '"s"', '"{X}"',
          "1", "-2", "=", "!=", "<", ">=", "#", "\n", " ", '"', "\\", "startswith", "regex", "99999999999999999999999"]


def check(text: str) -> None:
    try:
        program = loads(text, "fuzz.rules")
    except LoadError as err:
        assert err.diagnostics and all(d.code.startswith("rules.") for d in err.diagnostics)
        assert all(d.location.file == "fuzz.rules" for d in err.diagnostics)
        return
    program.evaluate({})


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text(text):
    check(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_random_token_soup(tokens):
    check(" ".join(tokens))
    check("".join(tokens))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(VALID)), st.integers(0, 8), st.text(max_size=4))
def test_mutated_valid_program(at, cut, insert):
    check(VALID[:at] + insert + VALID[at + cut:])


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(st.sampled_from(TOKENS), max_size=12).map("".join)))
def test_random_atoms(text):
    try:
        pred, args = parse_atom(text)
    except LoadError:
        return
    assert isinstance(pred, str) and isinstance(args, tuple)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=2)),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["p", "q", "d", "conclusion", "Bad", "x"]), json_values, max_size=4))
def test_random_input_facts_only_raise_facts_error(facts):
    from engine.datalog import FactsError

    program = loads('q(X) :- p(X, _).\ndeny d(X) "x" :- q(X).\n')
    try:
        result = program.evaluate(facts)
    except FactsError as err:
        assert err.diagnostics and all(d.code.startswith("rules.facts-") for d in err.diagnostics)
        return
    assert all(isinstance(row, tuple) for row in result.facts("q"))
