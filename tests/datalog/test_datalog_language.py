"""Every language feature, through the public API (load/loads/evaluate/facts/conclusions)."""

from __future__ import annotations

import pytest

from engine.datalog import Conclusion, LoadError, load, loads, parse_atom
from engine.diagnostics import Location


def facts_of(text: str, pred: str, facts=None) -> list[tuple]:
    return loads(text).evaluate(facts or {}).facts(pred)


def test_stated_facts_rules_comments_and_sorted_output():
    text = """
    # a comment
    p("b", 2).   # trailing comment
    p("a", 1).
    q(X) :- p(X, _).
    """
    assert facts_of(text, "q") == [("a",), ("b",)]
    assert facts_of(text, "p") == [("a", 1), ("b", 2)]


def test_json_string_escapes_and_negative_integers():
    text = r'p("tab\there", "quote\"", "\u00e9", "slash\/", -42). q(X) :- p(X, _, _, _, N), N < 0.'
    assert facts_of(text, "p") == [("tab\there", 'quote"', "\u00e9", "slash/", -42)]
    assert facts_of(text, "q") == [("tab\there",)]


def test_zero_arity_atoms_in_heads_bodies_and_negation():
    text = "ready. go :- ready, not stop. halted :- stop."
    result = loads(text).evaluate({})
    assert result.facts("go") == [()]
    assert result.facts("halted") == []
    assert loads(text).evaluate({"stop": [()]}).facts("go") == []


def test_anonymous_variables_are_distinct():
    text = "pair(X) :- e(X, _, _). loop(X) :- e(X, Y, Y)."
    facts = {"e": [("a", 1, 2), ("b", 3, 3)]}
    result = loads(text).evaluate(facts)
    assert result.facts("pair") == [("a",), ("b",)]
    assert result.facts("loop") == [("b",)]


def test_anonymous_variable_in_negation_means_no_fact_at_all():
    text = "lonely(X) :- node(X), not edge(X, _)."
    facts = {"node": [("a",), ("b",)], "edge": [("a", "b")]}
    assert facts_of(text, "lonely", facts) == [("b",)]


def test_repeated_variable_joins_within_an_atom():
    assert facts_of("self(X) :- e(X, X).", "self", {"e": [(1, 1), (1, 2)]}) == [(1,)]


def test_constants_in_body_and_head():
    text = 'tool_surface(P, "tool") :- surface(P, "tool"), on(P, 1).'
    facts = {"surface": [("p", "tool"), ("q", "tool"), ("p", "svc")], "on": [("p", 1), ("q", 2)]}
    assert facts_of(text, "tool_surface", facts) == [("p", "tool")]


VALUES = [1, 2, "a", "b"]
EQUAL = [(1, 1), (2, 2), ("a", "a"), ("b", "b")]


@pytest.mark.parametrize("op,expected", [
    ("=", EQUAL),
    ("!=", [(x, y) for x in VALUES for y in VALUES if (x, y) not in EQUAL]),  # 1 != "1"-like pairs hold
    ("<", [(1, 2), ("a", "b")]),
    ("<=", [(1, 1), (1, 2), (2, 2), ("a", "a"), ("a", "b"), ("b", "b")]),
    (">", [(2, 1), ("b", "a")]),
    (">=", [(1, 1), (2, 1), (2, 2), ("a", "a"), ("b", "a"), ("b", "b")]),
])
def test_comparisons_numeric_lexicographic_and_mixed_types(op, expected):
    """Ints compare as numbers, strings as strings; an int and a string are never ordered or equal."""
    text = f"r(X, Y) :- a(X), b(Y), X {op} Y."
    facts = {"a": [(v,) for v in VALUES], "b": [(v,) for v in VALUES]}
    assert sorted(facts_of(text, "r", facts), key=repr) == sorted(expected, key=repr)
    assert len(expected) == {"!=": 12}.get(op, len(expected))


@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_explanations_compare_like_compiled_rules(op):
    """`builtins.compare` (what explanations re-check) agrees with the compiled comparison."""
    from engine.datalog.builtins import compare

    text = f"r(X, Y) :- a(X), b(Y), X {op} Y."
    facts = {"a": [(v,) for v in VALUES], "b": [(v,) for v in VALUES]}
    compiled = set(facts_of(text, "r", facts))
    assert {(x, y) for x in VALUES for y in VALUES if compare(op, x, y)} == compiled


def test_comparison_between_constants_and_variables():
    text = 'r(X) :- a(X), X >= 2, "b" > "a", X != 3.'
    assert facts_of(text, "r", {"a": [(1,), (2,), (3,), (4,), ("z",)]}) == [(2,), (4,)]


def test_numbers_compare_numerically_not_as_text():
    assert facts_of("big(X) :- n(X), X > 9.", "big", {"n": [(10,), (9,), (100,)]}) == [(10,), (100,)]


@pytest.mark.parametrize("call,expected", [
    ('startswith(S, "ab")', ["abc"]),
    ('endswith(S, "bc")', ["abc"]),
    ('contains(S, "B")', ["aBc"]),
    ('glob(S, "a?c")', ["aBc", "abc"]),
    ('glob(S, "A*")', []),  # case sensitive
    ('regex(S, "^a[A-Z]")', ["aBc"]),
    ('not startswith(S, "ab")', ["aBc", "xyz"]),
])
def test_builtins(call, expected):
    text = f"hit(S) :- s(S), {call}."
    facts = {"s": [("abc",), ("aBc",), ("xyz",), (5,)]}
    got = [row[0] for row in facts_of(text, "hit", facts)]
    if call.startswith("not"):
        expected = expected + [5]  # a type mismatch is false, so its negation holds
    assert sorted(got, key=str) == sorted(expected, key=str)


def test_builtin_with_bound_pattern_variable_and_bad_runtime_pattern():
    text = "m(S, P) :- s(S), pat(P), regex(S, P). g(S, P) :- s(S), pat(P), glob(S, P)."
    facts = {"s": [("abc",)], "pat": [("b",), ("(",), ("a*",)]}
    result = loads(text).evaluate(facts)
    assert result.facts("m") == [("abc", "a*"), ("abc", "b")]  # "(" does not compile: no match
    assert result.facts("g") == [("abc", "a*")]


def test_conclusions_render_messages_and_also_derive_facts():
    text = '''
    deny tool_not_granted(P, T) "granted tool permission for `{T}` is missing ({{literal}})" :-
        tool(P, T), not grants(P, "tool", T).
    warn old(P) "{P} is old" :- version(P, V), V < 2.
    info note(P) "fyi" :- version(P, _).
    flagged(P) :- tool_not_granted(P, _).
    '''
    result = loads(text, "policy.rules").evaluate(
        {"tool": [("p", "echo"), ("p", "ok")], "grants": [("p", "tool", "ok")], "version": [("p", 1)]})
    assert result.conclusions == [
        Conclusion("deny", "tool_not_granted", ("p", "echo"),
                   "granted tool permission for `echo` is missing ({literal})", Location("policy.rules", 2, 5)),
        Conclusion("warn", "old", ("p",), "p is old", Location("policy.rules", 4, 5)),
        Conclusion("info", "note", ("p",), "fyi", Location("policy.rules", 5, 5)),
    ]
    assert result.facts("flagged") == [("p",)]
    assert result.facts("conclusion") == [("p", "deny", "tool_not_granted"), ("p", "info", "note"),
                                          ("p", "warn", "old")]


def test_input_facts_union_with_rule_derived_facts():
    text = 'p(X) :- q(X). p("stated").'
    assert facts_of(text, "p", {"p": [("given",)], "q": [("derived",)]}) == [
        ("derived",), ("given",), ("stated",)]


def test_duplicates_are_removed_and_output_is_deterministic():
    text = "r(X) :- a(X, _). r(X) :- b(X)."
    facts = {"a": [("x", 1), ("x", 2), ("y", 1)], "b": [("x",), ("x",)]}
    assert facts_of(text, "r", facts) == [("x",), ("y",)]
    assert loads(text).evaluate(facts).facts("r") == facts_of(text, "r", facts)


def test_mixed_int_and_string_columns_sort_ints_first():
    assert facts_of("v(X) :- in(X).", "v", {"in": [("b",), (3,), ("a",), (-1,)]}) == [
        (-1,), (3,), ("a",), ("b",)]


def test_load_files_and_folders_sorted_and_together(tmp_path):
    base = tmp_path / "rules"
    base.mkdir()
    (base / "b.rules").write_text("q(X) :- p(X).\n")
    (base / "a.rules").write_text('p("a").\n')
    (base / "ignored.txt").write_text("this is not rules\n")
    policy = tmp_path / "org.rules"
    policy.write_text("deny bad(X) \"{X}\" :- q(X).\n")
    program = load([base, policy])
    assert program.files == (str(base / "a.rules"), str(base / "b.rules"), str(policy))
    assert program.evaluate({}).conclusions[0].location == Location(str(policy), 1, 1)
    assert load(str(base)).evaluate({}).facts("q") == [("a",)]


def test_same_file_twice_is_loaded_once(tmp_path):
    path = tmp_path / "a.rules"
    path.write_text('deny d(X) "x" :- p(X). p("a").\n')
    assert len(load([path, tmp_path]).evaluate({}).conclusions) == 1


def test_missing_path_is_a_load_error(tmp_path):
    with pytest.raises(LoadError) as err:
        load([tmp_path / "nope.rules"])
    assert err.value.diagnostics[0].code == "rules.io"


def test_not_utf8_file_is_a_load_error(tmp_path):
    path = tmp_path / "a.rules"
    path.write_bytes(b"p(\"\xff\").\n")
    with pytest.raises(LoadError) as err:
        load(path)
    assert err.value.diagnostics[0].code == "rules.encoding"


def test_parse_atom():
    assert parse_atom('tool_ok("project:echo", "echo")') == ("tool_ok", ("project:echo", "echo"))
    assert parse_atom("ready") == ("ready", ())
    assert parse_atom("n(-3)") == ("n", (-3,))
    for bad in ("tool_ok(X)", "tool_ok(", "Tool", ""):
        with pytest.raises(LoadError):
            parse_atom(bad)


def test_reserved_words_are_not_predicate_names():
    with pytest.raises(LoadError) as err:
        loads("q(X) :- p(X), info(X).")
    assert err.value.diagnostics[0].code == "rules.reserved-name"


@pytest.mark.parametrize("length", [1, 20, 21, 60, 150])
def test_long_rule_bodies_load_and_join(length):
    """A body of many joined atoms (each its own nested loop), filters and negations in between."""
    body = []
    for i in range(length):
        body += [f"e(X{i}, X{i + 1})", f"X{i + 1} > X{i}", f"not cut(X{i + 1})"]
    text = f"chain(X0, X{length}) :- {', '.join(body)}.\nrec(X, Y) :- chain(X, Y).\nrec(X, Z) :- rec(X, Y), chain(Y, Z).\n"
    nodes = length * 2 + 3
    edges = [(i, i + 1) for i in range(nodes)]
    result = loads(text).evaluate({"e": edges, "cut": [(nodes + 1,)]})
    assert result.facts("chain") == [(i, i + length) for i in range(nodes - length + 1)]
    assert ((0, length) in result.facts("rec")) and result.explain("chain", (0, length)) is not None
    blocked = loads(text).evaluate({"e": edges, "cut": [(length,)]})
    assert blocked.facts("chain") == [(i, i + length) for i in range(length, nodes - length + 1)]


@pytest.mark.parametrize("count", [40, 45, 46, 47, 100])
def test_a_rule_with_many_filters_loads_and_filters(count):
    """Every nesting depth around the point where generated code moves into a helper function."""
    filters = ", ".join(f"X != {i}, not r(X)" for i in range(count))
    program = loads(f"p(X) :- q(X), {filters}.\nw(X) :- q(X), {filters.replace(', not r(X)', '')}.")
    result = program.evaluate({"q": [(500,), (3,), (7,)], "r": [(7,)]})
    assert result.facts("p") == result.facts("w") == [(500,)]
