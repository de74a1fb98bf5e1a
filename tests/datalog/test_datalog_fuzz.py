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
