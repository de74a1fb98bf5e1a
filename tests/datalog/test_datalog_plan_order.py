"""The near-linear join planner picks exactly the order of the original quadratic one (kept here as
the reference), so generated code, snapshots and proofs do not change."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.datalog import loads
from engine.datalog.ast import Atom, Builtin, Comparison, Const, Negation, Rule, Var, literal_vars
from engine.datalog.joins import _order

ROOT = Path(__file__).resolve().parents[2]
LOC = None


def reference_order(rule: Rule, delta: int | None) -> list[int]:
    """The planner as it was before it became near-linear (verbatim logic, quadratic)."""
    bound: set[str] = set()
    atoms = {i: lit for i, lit in enumerate(rule.body) if isinstance(lit, Atom)}
    positives = list(atoms)
    filters = [i for i in range(len(rule.body)) if i not in atoms]
    order: list[int] = []

    def place_filters() -> None:
        for i in list(filters):
            lit = rule.body[i]
            named = [v.name for v in literal_vars(lit) if not v.anonymous]
            if all(n in bound for n in named):
                order.append(i)
                filters.remove(i)

    def bound_count(i: int) -> tuple[bool, int]:
        atom = atoms[i]
        n = sum(1 for a in atom.args if isinstance(a, Const) or a.name in bound)
        return (n == len(atom.args), n)

    place_filters()
    while positives:
        pick = delta if delta is not None and delta in positives else max(positives, key=lambda i: (bound_count(i), -i))
        positives.remove(pick)
        order.append(pick)
        bound.update(v.name for v in literal_vars(rule.body[pick]))
        place_filters()
    order.extend(filters)
    return order


@st.composite
def bodies(draw, max_literals: int = 30):
    """A random rule body (safe or not: the planner must agree on both) and a delta choice."""
    var_names = [f"V{k}" for k in range(draw(st.integers(1, 10)))]
    anon = iter(range(10_000))

    def term():
        kind = draw(st.sampled_from(["var", "var", "var", "anon", "const"]))
        if kind == "var":
            return Var(draw(st.sampled_from(var_names)), LOC)
        if kind == "anon":
            return Var(f"_{next(anon)}", LOC, anonymous=True)
        return Const(draw(st.sampled_from([0, 1, "a"])), LOC)

    def atom():
        pred = draw(st.sampled_from(["p", "q", "r"]))
        return Atom(pred, tuple(term() for _ in range(draw(st.integers(0, 4)))), LOC)

    body = []
    for _ in range(draw(st.integers(0, max_literals))):
        kind = draw(st.sampled_from(["atom", "atom", "atom", "neg", "cmp", "builtin"]))
        if kind == "atom":
            body.append(atom())
        elif kind == "neg":
            body.append(Negation(atom(), LOC))
        elif kind == "cmp":
            body.append(Comparison(draw(st.sampled_from(["=", "<"])), term(), term(), LOC))
        else:
            body.append(Builtin("startswith", (term(), term()), LOC, negated=draw(st.booleans())))
    rule = Rule(Atom("h", (), LOC), tuple(body), LOC)
    atom_indexes = [i for i, lit in enumerate(body) if isinstance(lit, Atom)]
    delta = draw(st.one_of(st.none(), st.sampled_from(atom_indexes))) if atom_indexes else None
    return rule, delta


@settings(max_examples=500, deadline=None)
@given(bodies())
def test_random_bodies_plan_in_the_reference_order(case):
    rule, delta = case
    assert _order(rule, delta) == reference_order(rule, delta)


@settings(max_examples=20, deadline=None)
@given(bodies(max_literals=300))
def test_long_random_bodies_plan_in_the_reference_order(case):
    rule, delta = case
    assert _order(rule, delta) == reference_order(rule, delta)


def test_the_order_is_a_permutation_with_the_delta_first():
    body = tuple(Atom("e", (Var(f"X{k}", LOC), Var(f"X{k + 1}", LOC)), LOC) for k in range(50))
    rule = Rule(Atom("h", (), LOC), body, LOC)
    order = _order(rule, 30)
    assert order[0] == 30 and sorted(order) == list(range(50))
    assert order == reference_order(rule, 30)


def test_every_builtin_rule_and_each_semi_naive_variant_plans_in_the_reference_order():
    text = "\n".join(path.read_text() for path in sorted((ROOT / "rules").glob("*.rules")))
    program = loads(text, "builtin.rules")
    checked = 0
    for rule in program.rules:
        for delta in [None] + [i for i, lit in enumerate(rule.body) if isinstance(lit, Atom)]:
            assert _order(rule, delta) == reference_order(rule, delta), str(rule)
            checked += 1
    assert checked > 100
