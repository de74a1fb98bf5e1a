"""Classic Datalog programs against answers computed independently in Python."""

from __future__ import annotations

import random

from engine.datalog import loads

CLOSURE = "path(X, Y) :- edge(X, Y).\npath(X, Z) :- path(X, Y), edge(Y, Z).\n"


def python_closure(edges: list[tuple[int, int]]) -> set[tuple[int, int]]:
    succ: dict[int, set[int]] = {}
    for a, b in edges:
        succ.setdefault(a, set()).add(b)
    out = set()
    for start in succ:
        seen, todo = set(), list(succ[start])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(succ.get(node, ()))
        out |= {(start, n) for n in seen}
    return out


def test_transitive_closure_of_a_random_graph_with_cycles():
    rng = random.Random(3)
    edges = sorted({(rng.randrange(60), rng.randrange(60)) for _ in range(120)})
    got = loads(CLOSURE).evaluate({"edge": edges}).facts("path")
    assert got == sorted(python_closure(edges))


def test_nonlinear_closure_gives_the_same_answer():
    rng = random.Random(4)
    edges = sorted({(rng.randrange(40), rng.randrange(40)) for _ in range(70)})
    text = "path(X, Y) :- edge(X, Y).\npath(X, Z) :- path(X, Y), path(Y, Z).\n"
    assert loads(text).evaluate({"edge": edges}).facts("path") == sorted(python_closure(edges))


def test_same_generation():
    #        a
    #      /   \
    #     b     c
    #    / \     \
    #   d   e     f
    parent = [("b", "a"), ("c", "a"), ("d", "b"), ("e", "b"), ("f", "c")]
    text = """
    person(X) :- parent(X, _).
    person(Y) :- parent(_, Y).
    sg(X, X) :- person(X).
    sg(X, Y) :- parent(X, XP), sg(XP, YP), parent(Y, YP).
    """
    got = {pair for pair in loads(text).evaluate({"parent": parent}).facts("sg") if pair[0] < pair[1]}
    assert got == {("b", "c"), ("d", "e"), ("d", "f"), ("e", "f")}


def test_reachable_but_not_blocked():
    text = """
    reach(X) :- start(X).
    reach(Y) :- reach(X), edge(X, Y), not blocked(Y).
    unreached(X) :- node(X), not reach(X).
    """
    facts = {
        "start": [("s",)],
        "edge": [("s", "a"), ("a", "b"), ("s", "x"), ("x", "y"), ("b", "s")],
        "blocked": [("x",)],
        "node": [(n,) for n in "sabxy"],
    }
    result = loads(text).evaluate(facts)
    assert result.facts("reach") == [("a",), ("b",), ("s",)]
    assert result.facts("unreached") == [("x",), ("y",)]


def test_mutual_recursion_even_odd():
    text = """
    even(0).
    even(N) :- succ(M, N), odd(M).
    odd(N) :- succ(M, N), even(M).
    """
    facts = {"succ": [(i, i + 1) for i in range(30)]}
    result = loads(text).evaluate(facts)
    assert result.facts("even") == [(i,) for i in range(0, 31, 2)]
    assert result.facts("odd") == [(i,) for i in range(1, 31, 2)]


def test_three_strata_with_negation_over_recursion():
    text = """
    path(X, Y) :- edge(X, Y).
    path(X, Z) :- path(X, Y), edge(Y, Z).
    cyclic(X) :- path(X, X).
    acyclic_node(X) :- node(X), not cyclic(X).
    deny cycle(X) "node {X} is on a cycle" :- cyclic(X), not allowed(X).
    """
    facts = {"edge": [(1, 2), (2, 1), (2, 3), (3, 4)], "node": [(i,) for i in range(1, 5)],
             "allowed": [(2,)]}
    result = loads(text).evaluate(facts)
    assert result.facts("acyclic_node") == [(3,), (4,)]
    assert [(c.code, c.args, c.message) for c in result.conclusions] == [
        ("cycle", (1,), "node 1 is on a cycle")]
