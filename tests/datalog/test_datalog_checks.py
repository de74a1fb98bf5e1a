"""Every load-time error, each with its code and file:line:column, all reported together."""

from __future__ import annotations

import pytest

from engine.datalog import LoadError, load, loads
from engine.diagnostics import Location


def errors(text: str, file: str = "t.rules", **kw) -> list[tuple[str, int, int]]:
    with pytest.raises(LoadError) as err:
        loads(text, file, **kw)
    for diag in err.value.diagnostics:
        assert diag.kind == "rule" and diag.phase == "rules" and diag.severity == "error"
        assert diag.location.file == file
    return [(d.code, d.location.line, d.location.column) for d in err.value.diagnostics]


def message(text: str) -> str:
    with pytest.raises(LoadError) as err:
        loads(text)
    return err.value.diagnostics[0].message


@pytest.mark.parametrize("text,expected", [
    ("p(X :- q(X).", [("rules.syntax", 1, 5)]),
    ("p(a).", [("rules.syntax", 1, 3)]),  # lowercase is not a term
    ('p("unterminated).', [("rules.syntax", 1, 3)]),
    ("p(X) :- q(X)", [("rules.syntax", 1, 13)]),  # missing final dot: end of input
    ("p(X) :- .", [("rules.syntax", 1, 9)]),
    ("deny d(X) :- q(X).", [("rules.syntax", 1, 11)]),  # conclusion without message
    ("p(1.5).", [("rules.syntax", 1, 4)]),
    ("p(X) :- q(X), X == 1.", [("rules.syntax", 1, 18)]),
    ("p(99999999999999999999).", [("rules.int-range", 1, 3)]),
    ('p("\\ud800").', [("rules.bad-string", 1, 3)]),
])
def test_syntax_errors_point_at_the_offending_token(text, expected):
    assert errors(text) == expected


def test_syntax_error_message_says_what_was_expected():
    assert message("p(X :- q(X).") == "unexpected `:-`; expected `)`, `,`"
    assert "unexpected end of input" in message("p(X) :- q(X)")


def test_syntax_errors_after_many_statements_keep_their_file_positions():
    good = "".join(f"p{i}(1).\n" for i in range(2000))
    text = good + 'ok(1). bad(X :- q(X).\n  q(1). r(1 "x").\nw(X) :- q(Y).\n'
    assert errors(text) == [("rules.syntax", 2001, 14), ("rules.syntax", 2002, 13),
                            ("rules.unsafe-variable", 2003, 3)]


def test_every_syntax_error_of_a_file_is_reported_and_good_statements_are_still_checked():
    text = "p(X :- q(X).\nok(X) :- q(X).\nr(X) :- q(X), .\nbad(Y) :- q(X).\n"
    assert errors(text) == [("rules.syntax", 1, 5), ("rules.syntax", 3, 15), ("rules.unsafe-variable", 4, 5)]


def test_arity_mismatch_names_the_first_use():
    text = "p(1, 2).\nq(X) :- p(X).\n"
    assert errors(text) == [("rules.arity", 2, 9)]
    assert message(text) == "`p` has 1 argument(s) here but 2 at <string>:1:1"


def test_arity_against_an_input_schema():
    assert errors("q(X) :- tool(X).", inputs={"tool": 2}) == [("rules.arity", 1, 9)]


def test_unknown_predicate_against_an_input_schema():
    assert errors("q(X) :- tool(X), toool(X).", inputs={"tool": 1}) == [("rules.unknown-predicate", 1, 18)]


@pytest.mark.parametrize("text,expected", [
    ("p(X, Y) :- q(X).", [("rules.unsafe-variable", 1, 6)]),
    ("p(_) :- q(X).", [("rules.unsafe-variable", 1, 3)]),
    ("p(X) :- q(X), not r(Y).", [("rules.unsafe-variable", 1, 21)]),
    ("p(X) :- q(X), X < Y.", [("rules.unsafe-variable", 1, 19)]),
    ("p(X) :- q(X), _ = X.", [("rules.unsafe-variable", 1, 15)]),
    ('p(X) :- q(X), startswith(Y, "a").', [("rules.unsafe-variable", 1, 26)]),
    ("p(X) :- not q(X).", [("rules.unsafe-variable", 1, 3), ("rules.unsafe-variable", 1, 15)]),
    ("p(X).", [("rules.unsafe-variable", 1, 3)]),
])
def test_unsafe_variables(text, expected):
    assert errors(text) == expected


def test_negation_with_anonymous_variable_is_safe():
    assert loads("p(X) :- q(X), not r(X, _).").evaluate({"q": [(1,)]}).facts("p") == [(1,)]


def test_template_must_name_head_variables():
    text = 'deny d(X) "{X} and {Y} and {lower}" :- q(X, Y).'
    assert errors(text) == [("rules.template-variable", 1, 1), ("rules.template-variable", 1, 1)]
    assert "`{Y}`" in message(text)


def test_unstratifiable_program_names_the_cycle():
    text = "p(X) :- q(X), not r(X).\nr(X) :- s(X).\ns(X) :- p(X).\n"
    assert errors(text) == [("rules.unstratifiable", 1, 15)]
    assert message(text) == ("negation inside recursion: `p` -> not `r` -> `s` -> `p` "
                             "(each depends on the next)")


def test_self_negation_is_unstratifiable():
    assert errors("p(X) :- q(X), not p(X).") == [("rules.unstratifiable", 1, 15)]
    assert "`p` -> not `p`" in message("p(X) :- q(X), not p(X).")


def test_negation_of_a_lower_stratum_is_fine():
    program = loads("r(X) :- s(X), not p(X). p(X) :- q(X). q(X) :- p(X).")
    assert program.evaluate({"s": [(1,)]}).facts("r") == [(1,)]


@pytest.mark.parametrize("text,expected", [
    ('q(X) :- p(X), startwith(X, "a").', [("rules.unknown-builtin", 1, 15)]),
    ('q(X) :- p(X), regexp(X, "a").', [("rules.unknown-builtin", 1, 15)]),
    ('q(X) :- p(X), startswith(X).', [("rules.builtin-arity", 1, 15)]),
    ('startswith("a", "b").', [("rules.builtin-head", 1, 1)]),
    ('q(X) :- p(X), regex(X, "(").', [("rules.bad-regex", 1, 24)]),
])
def test_builtin_errors(text, expected):
    assert errors(text) == expected


def test_unknown_builtin_message_suggests_the_builtin():
    assert message('q(X) :- p(X), startwith(X, "a").') == "unknown builtin `startwith` (did you mean `startswith`?)"


def test_predicate_defined_by_conclusion_and_ordinary_rule():
    text = 'deny d(X) "x" :- q(X).\nd(X) :- r(X).\nd(1).\n'
    assert errors(text) == [("rules.conclusion-conflict", 2, 1), ("rules.conclusion-conflict", 3, 1)]


def test_conclusion_severities_must_agree():
    assert errors('deny d(X) "x" :- q(X).\nwarn d(X) "y" :- r(X).\n') == [("rules.conclusion-severity", 2, 1)]


def test_conclusion_predicate_is_reserved():
    assert errors("conclusion(X, Y, Z) :- q(X, Y, Z).") == [("rules.reserved-name", 1, 1)]
    assert errors("p(X) :- conclusion(X).") == [("rules.arity", 1, 9)]


def test_all_problems_of_all_files_are_reported_together_in_file_order(tmp_path):
    (tmp_path / "a.rules").write_text("p(X :- q.\np(X, Y) :- q(X).\n")
    (tmp_path / "b.rules").write_text('q(X) :- p(X), startwith(X, "a").\nr(X) :- q(X), not r(X).\n')
    with pytest.raises(LoadError) as err:
        load(tmp_path)
    got = [(d.code, d.location) for d in err.value.diagnostics]
    a, b = str(tmp_path / "a.rules"), str(tmp_path / "b.rules")
    assert got == [
        ("rules.syntax", Location(a, 1, 5)),
        ("rules.unsafe-variable", Location(a, 2, 6)),
        ("rules.arity", Location(b, 1, 9)),
        ("rules.unknown-builtin", Location(b, 1, 15)),
        ("rules.unstratifiable", Location(b, 2, 15)),
    ]


def test_a_flood_of_problems_is_capped_with_a_count():
    text = "".join(f"p{i}(X) :- q(Y).\n" for i in range(300))
    with pytest.raises(LoadError) as err:
        loads(text)
    diags = err.value.diagnostics
    assert len(diags) == 201
    assert diags[-1].code == "rules.too-many" and diags[-1].message == "100 more problem(s) not shown"


def test_a_body_longer_than_the_bound_is_refused_before_any_planning():
    """Planning is quadratic in the body length: 20,000 atoms (240 KB) took minutes and gigabytes.
    The bound is checked first, so the refusal costs a parse."""
    from engine.datalog.checks import MAX_BODY_LITERALS

    body = ", ".join(f"q{i}(X)" for i in range(2_000))
    assert errors(f"p(X) :- {body}.") == [("rules.body-too-long", 1, 1)]
    assert "2000 literals; at most 512" in message(f"p(X) :- {body}.")
    at_bound = ", ".join(f"q{i}(X)" for i in range(MAX_BODY_LITERALS))
    assert loads(f"p(X) :- {at_bound}.").statements == 1


def test_the_grammar_is_built_once():
    from engine.datalog import parser

    loads("p(1).")
    assert parser._parser() is parser._parser()
    assert parser._parser.cache_info().currsize == 1
