"""Conclusion metadata in the rule language (issue 16 point 1): `@kind`, `@about`, `@origin` are
checked when loaded, at their file:line:column, and desugared into facts rules can use."""

from __future__ import annotations

import pytest

from engine.datalog import LoadError, loads


def problems(text: str) -> list[tuple[str, int, int, str]]:
    with pytest.raises(LoadError) as error:
        loads(text, "org.rules")
    return [(d.code, d.location.line, d.location.column, d.message) for d in error.value.diagnostics]


@pytest.mark.parametrize(
    ("annotation", "code", "column", "words"),
    [
        ("@kind(abj)", "rules.unknown-kind", 7, "unknown kind `abj` in @kind; expected one of abi, grant"),
        ('@kind("abi")', "rules.syntax", 7, "expected a predicate name"),
        ("@origin(disk)", "rules.unknown-origin", 9, "expected one of manifest, enablement, artifact, policy"),
        ("@about(widget(P))", "rules.unknown-about", 8, "unknown @about form `widget`"),
        ("@about(tool(P))", "rules.about-arity", 8, "takes 2 argument(s) (Package, Tool), not 1"),
        ("@about(tool(P, X))", "rules.about-variable", 16, "names `X`, which is not a variable of the head"),
        ("@about(tool(P, _))", "rules.about-variable", 16, "names `_`"),
        ('@about(tool("project:x", T))', "rules.about-variable", 13, "must be a variable of the head"),
        ("@colour(red)", "rules.unknown-annotation", 1, "unknown annotation `@colour`; expected @kind, @about"),
        ("@kind(abi) @kind(grant)", "rules.duplicate-annotation", 12, "`@kind` is given twice (first at org.rules:1:1"),
    ],
)
def test_invalid_metadata_is_a_load_error_at_its_position(annotation, code, column, words):
    text = f'{annotation}\ndeny bad(P, T) "no {{T}}" :- tool(P, T).\n'
    [(found, line, col, message)] = problems(text)
    assert (found, line, col) == (code, 1, column) and words in message


def test_annotations_describe_conclusions_only():
    [(code, line, column, message)] = problems("@kind(abi)\nok(P) :- tool(P, _).\n")
    assert (code, line, column) == ("rules.annotation-target", 1, 1)
    assert "cannot annotate an ordinary rule" in message


def test_rules_of_one_conclusion_must_not_disagree_about_its_meaning():
    text = (
        '@kind(abi) @about(package(P))\ndeny x(P) "a" :- a(P).\n'
        '@kind(grant) @about(package(Q))\ndeny x(Q) "b" :- b(Q).\n'
        'deny x(R) "c" :- c(R).\n'  # no annotations: takes the annotated rule's meaning
    )
    [(code, line, _, message)] = problems(text)
    assert (code, line) == ("rules.conclusion-metadata", 3)
    assert "another meaning here than at org.rules:2:1" in message
    program = loads(text.replace("@kind(grant)", "@kind(abi)"), "org.rules")
    assert program.metadata["x"].kind == "abi" and program.metadata["x"].declared


def test_the_derived_predicates_are_reserved():
    for text in ('abi_broken("p").\n', 'item_denied(P, "tool", T) :- tool(P, T).\n', 'conclusion_kind("x", "abi").\n'):
        assert [p[0] for p in problems(text)] == ["rules.reserved-name"]
    [(code, *_)] = problems("bad(P) :- item_denied(P, S).\n")
    assert code == "rules.arity"


def test_metadata_derives_kind_about_and_category_facts():
    program = loads(
        """
        @kind(abi) @about(package(P)) @origin(artifact)
        deny broken(P, Why) "cannot run: {Why}" :- problem(P, Why).
        @kind(duplicate) @about(tool(P, T))
        deny taken(P, T, K) "tool `{T}` is {K}'s" :- clash(P, T, K).
        @about(item(P, S, N))
        deny denied_item(P, S, N) "no" :- bad_item(P, S, N).
        @about(host_api(P, "fs"))
        warn broad(P, Root) "fs root {Root}" :- wide(P, Root).
        @about(run)
        deny freeze "freeze" :- frozen.
        deny plain(T, P) "org" :- owns(T, P).
        """,
        "org.rules",
    )
    result = program.evaluate(
        {
            "problem": [("p", "no export")],
            "clash": [("q", "echo", "p")],
            "bad_item": [("q", "service", "svc")],
            "wide": [("q", "/")],
            "frozen": [()],
            "owns": [("t", "r")],
        }
    )
    assert result.facts("abi_broken") == [("p",)]
    assert result.facts("item_denied") == [("q", "service", "svc"), ("q", "tool", "echo")]
    assert ("taken", "duplicate") in result.facts("conclusion_kind")
    assert ("plain", "policy") in result.facts("conclusion_kind")  # no annotations: an org rule
    about = dict(result.facts("conclusion_about"))
    assert about == {"broken": "package", "taken": "item", "denied_item": "item", "broad": "host_api",
                     "freeze": "run", "plain": "package"}
    # conclusion/3 follows the declared package slot; a conclusion about the run has none
    assert sorted(result.facts("conclusion")) == [
        ("p", "deny", "broken"), ("q", "deny", "denied_item"), ("q", "deny", "taken"), ("q", "warn", "broad"),
        ("t", "deny", "plain"),
    ]
    assert not program.metadata["plain"].declared and program.metadata["plain"].origin is None


def test_a_constant_in_a_conclusion_head_still_feeds_every_derived_fact():
    program = loads(
        '@kind(abi)\ndeny broken(P, "a") "a" :- a(P).\n@kind(abi)\ndeny broken(P, "b") "b" :- b(P).\n', "org.rules"
    )
    result = program.evaluate({"a": [("p",)], "b": [("q",)]})
    assert result.facts("abi_broken") == [("p",), ("q",)]
    assert sorted(result.facts("conclusion")) == [("p", "deny", "broken"), ("q", "deny", "broken")]


def test_an_org_deny_about_one_tool_denies_that_tool_only(tmp_path):
    """With `@about(tool(P, T))` an org rule is item-scoped: the package keeps its other tool."""
    from rule_cases import RAW_MANIFEST, judge, write_package
    from wasm_builders import core_module

    from engine.package.materialize import load_package_path
    from engine.verdict.build import build_verdict

    manifest = RAW_MANIFEST.replace(
        '{ kind = "tool", name = "echo" }]', '{ kind = "tool", name = "echo" }, { kind = "tool", name = "other" }]'
    ) + '\n[[tools]]\nname = "other"\ndescription = "Other."\ninput_schema = { type = "object" }\n'
    path = write_package(tmp_path / "pkg", manifest, {"tool.wasm": core_module()})
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "org.rules").write_text(
        '@kind(policy) @about(tool(P, T)) @origin(manifest)\n'
        'deny org_no_other(P, T) "org policy: no tool named {T}" :- tool(P, T), T = "other".\n'
    )
    subject, evaluation = judge(path, policy_dirs=[policy])
    assert evaluation.value("status", subject.ref) == "partial"
    assert evaluation.holds("tool_eligible", subject.ref, "echo")
    assert not evaluation.holds("tool_eligible", subject.ref, "other")
    (package,) = build_verdict(evaluation).packages
    [finding] = package.conclusions
    other = next(i for i in package.items if i.name == "other")
    assert other.findings == (0,) and other.diagnostic == "org policy: no tool named other"
    text = (path / "plugin.toml").read_text().splitlines()
    assert text[finding.location.line - 1] == "[[tools]]" and text[finding.location.line] == 'name = "other"'
    assert load_package_path(path).manifest.tools[1].name == "other"


# ---- @target(T): a conclusion that judges a package for one target host (issue 19) -----------


@pytest.mark.parametrize(
    ("annotation", "code", "column", "words"),
    [
        ("@target(X)", "rules.target-variable", 9, "@target names `X`, which is not a variable of the head"),
        ("@target(_)", "rules.syntax", 9, "expected"),
        ("@target(engine)", "rules.target-variable", 9, "@target names `engine`"),
        ('@target("engine")', "rules.syntax", 9, "expected"),
        ("@target(T) @target(T)", "rules.duplicate-annotation", 12, "`@target` is given twice"),
        ("@kind(T)", "rules.unknown-kind", 7, "unknown kind `T`"),
        ("@about(T)", "rules.unknown-about", 8, "unknown @about form `T`"),
    ],
)
def test_invalid_target_metadata_is_a_load_error_at_its_position(annotation, code, column, words):
    text = f'{annotation}\ndeny bad(P, T) "no {{T}}" :- tool(P, T).\n'
    [(found, line, col, message)] = problems(text)
    assert (found, line, col) == (code, 1, column) and words in message


def test_a_target_conclusion_decides_the_targets_verdict_not_the_packages():
    program = loads(
        """
        @kind(abi) @about(package(P)) @target(T)
        deny too_big(P, T) "too big for {T}" :- size(P, B), cap(T, M), B > M.
        @kind(duplicate) @about(tool(P, Tool)) @target(T)
        deny clash(P, T, Tool) "{Tool} is {T}'s" :- tool(P, Tool), builtin(T, Tool).
        @about(package(P))
        deny own(P) "own" :- bad(P).
        """,
        "org.rules",
    )
    assert program.metadata["too_big"].target.position == 1 and program.metadata["own"].target is None
    result = program.evaluate(
        {"size": [("p", 10)], "cap": [("a", 5), ("b", 50)], "tool": [("p", "Read")], "builtin": [("b", "Read")],
         "bad": [("q",)]}
    )
    assert sorted(result.facts("target_conclusion")) == [
        ("p", "a", "deny", "too_big"), ("p", "b", "deny", "clash")]
    assert result.facts("target_item_denied") == [("p", "b", "tool", "Read")]
    # none of it reaches the package's own verdict
    assert result.facts("conclusion") == [("q", "deny", "own")]
    assert not result.facts("abi_broken") and not result.facts("item_denied")


def test_rules_of_one_conclusion_agree_about_its_target():
    text = '@target(T)\ndeny x(P, T) "a" :- a(P, T).\n@about(package(P))\ndeny x(P, T) "b" :- b(P, T).\n'
    [(code, line, _, message)] = problems(text)
    assert (code, line) == ("rules.conclusion-metadata", 3) and "another meaning" in message


def test_the_target_predicates_are_reserved():
    for text in ('target_conclusion("p", "t", "deny", "x").\n', 'target_item_denied(P, T, "tool", X) :- q(P, T, X).\n'):
        assert [p[0] for p in problems(text)] == ["rules.reserved-name"]
    [(code, *_)] = problems("bad(P) :- target_conclusion(P, T, S).\n")
    assert code == "rules.arity"
