"""Semi-naive evaluation (the engine) equals a straightforward naive fixpoint (written here, with
its own matching and its own stratification by construction) on random programs and facts."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.datalog import loads

VARS = ["X", "Y", "Z", "W", "V", "U"]
CONSTS = [0, 1, 2, "a", "b"]
INPUTS = {"e": 2, "f": 1}
DERIVED = {"p": 2, "q": 1, "r": 2, "s": 1}
LEVEL = {"e": 0, "f": 0, "p": 1, "q": 1, "r": 2, "s": 2}
OPS = ["=", "!=", "<", "<=", ">", ">="]


def show(term) -> str:
    return term if isinstance(term, str) and term in VARS else json.dumps(term)


@st.composite
def rules(draw):
    """A safe rule whose atoms tend to share variables (so rules join, chain and recurse)."""
    head = draw(st.sampled_from(sorted(DERIVED)))
    level = LEVEL[head]
    positive_preds = [p for p in LEVEL if LEVEL[p] <= level]
    negative_preds = [p for p in LEVEL if LEVEL[p] < level]
    arities = {**INPUTS, **DERIVED}
    bound: list[str] = []

    def term(reuse: bool):
        choice = draw(st.sampled_from(["old", "old", "new", "new", "const"] if reuse else ["old", "const"]))
        if choice == "old" and bound:
            return draw(st.sampled_from(bound))
        if choice == "new" or (choice == "old" and reuse):
            return VARS[min(len(bound), len(VARS) - 1)]
        return draw(st.sampled_from(CONSTS))

    body = []
    for _ in range(draw(st.integers(1, 3))):
        pred = draw(st.sampled_from(positive_preds))
        terms = tuple(term(True) for _ in range(arities[pred]))
        bound.extend(t for t in terms if t in VARS and t not in bound)
        body.append(("pos", pred, terms))
    if negative_preds and draw(st.booleans()):
        pred = draw(st.sampled_from(negative_preds))
        body.append(("neg", pred, tuple(term(False) for _ in range(arities[pred]))))
    if draw(st.booleans()):
        body.append(("cmp", draw(st.sampled_from(OPS)), (term(False), term(False))))
    return head, tuple(term(False) for _ in range(DERIVED[head])), body


def render(rule) -> str:
    head, args, body = rule
    lits = []
    for kind, name, terms in body:
        if kind == "cmp":
            lits.append(f"{show(terms[0])} {name} {show(terms[1])}")
        else:
            lits.append(("not " if kind == "neg" else "") + f"{name}({', '.join(show(t) for t in terms)})")
    return f"{head}({', '.join(show(a) for a in args)}) :- {', '.join(lits)}."


def compare(op, a, b) -> bool:
    if op == "=":
        return type(a) is type(b) and a == b
    if op == "!=":
        return not (type(a) is type(b) and a == b)
    if type(a) is not type(b):
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def value(term, env):
    return env[term] if isinstance(term, str) and term in VARS else term


def matches(body, db, env):
    """All environments satisfying the positive atoms, by plain backtracking in source order."""
    if not body:
        yield env
        return
    (_, pred, terms), rest = body[0], body[1:]
    for fact in db[pred]:
        new = dict(env)
        ok = True
        for term, val in zip(terms, fact):
            if isinstance(term, str) and term in VARS:
                if term in new and not (type(new[term]) is type(val) and new[term] == val):
                    ok = False
                    break
                new[term] = val
            elif not (type(term) is type(val) and term == val):
                ok = False
                break
        if ok:
            yield from matches(rest, db, new)


def naive(program, facts):
    db = {p: set() for p in LEVEL}
    for pred, rows in facts.items():
        db[pred] |= set(rows)
    for level in (1, 2):
        changed = True
        while changed:
            changed = False
            for head, args, body in program:
                if LEVEL[head] != level:
                    continue
                positives = [lit for lit in body if lit[0] == "pos"]
                for env in list(matches(positives, db, {})):
                    if any(tuple(value(t, env) for t in lit[2]) in db[lit[1]]
                           for lit in body if lit[0] == "neg"):
                        continue
                    if not all(compare(lit[1], value(lit[2][0], env), value(lit[2][1], env))
                               for lit in body if lit[0] == "cmp"):
                        continue
                    fact = tuple(value(a, env) for a in args)
                    if fact not in db[head]:
                        db[head].add(fact)
                        changed = True
    return db


values = st.sampled_from(CONSTS)
fact_sets = st.fixed_dictionaries({
    "e": st.lists(st.tuples(values, values), max_size=16),
    "f": st.lists(st.tuples(values), max_size=5),
})


@settings(max_examples=150, deadline=None)
@given(st.lists(rules(), min_size=2, max_size=7), fact_sets)
def test_semi_naive_equals_naive(program, facts):
    text = "\n".join(render(rule) for rule in program)
    result = loads(text).evaluate(facts)
    expected = naive(program, facts)
    for pred in DERIVED:
        assert set(result.facts(pred)) == expected[pred], (text, pred)
