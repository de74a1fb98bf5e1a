"""Why a fact holds (its kept proof, down to input facts) and why one does not (per rule, the
first body literal that found no match). Both answer in rule syntax with values filled in, so a
reviewer can follow them without reading the engine.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from engine.datalog.ast import (
    Atom,
    Builtin,
    Comparison,
    Const,
    Literal,
    Negation,
    Rule,
    Term,
    Value,
    Var,
    format_fact,
    literal_vars,
)
from engine.datalog.builtins import FUNCTIONS, compare
from engine.datalog.evaluator import Relation
from engine.diagnostics import Location

MAX_BINDINGS = 10_000  # why_not explores at most this many partial matches per literal
MAX_RENDER_DEPTH = 32  # a rendered proof is at most this many levels deep ...
MAX_RENDER_STEPS = 256  # ... and shows at most this many steps


def _loc(location: Location | None) -> dict | None:
    return asdict(location) if location else None


@dataclass(frozen=True)
class ProofStep:
    """One fact of a proof: how it holds (input, stated in a rules file, or derived by a rule)."""

    fact: str
    source: str  # "input" | "stated" | "rule"
    rule: str | None
    location: Location | None
    premises: tuple[int, ...]  # indexes into Proof.steps
    conditions: tuple[str, ...]  # negations, comparisons and builtins that held, with values

    def to_dict(self) -> dict[str, Any]:
        return {
            "fact": self.fact,
            "source": self.source,
            "rule": self.rule,
            "location": _loc(self.location),
            "premises": list(self.premises),
            "conditions": list(self.conditions),
        }


@dataclass(frozen=True)
class Proof:
    """A proof as a flat list of steps, root first; shared sub-proofs appear once."""

    steps: tuple[ProofStep, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"fact": self.steps[0].fact, "holds": True, "steps": [step.to_dict() for step in self.steps]}

    def render(
        self, max_depth: int = MAX_RENDER_DEPTH, max_steps: int = MAX_RENDER_STEPS, seen: set[str] | None = None
    ) -> list[str]:
        """Indented tree; a step already printed is referred to, not repeated. `seen` carries the
        facts printed by earlier proofs of the same report, so those are referred to as well.

        Bounded for people: premises deeper than `max_depth` levels and steps past `max_steps`
        are cut, with a closing `... N more steps` line (the JSON form keeps every step). A
        5,000-step chain printed in full was 75 MB of indentation."""
        lines: list[str] = []
        shown: set[int] = set()
        seen = set() if seen is None else seen
        cut = False  # a subtree left out for depth; steps merely referred to are not "not shown"
        stack: list[tuple[int, int]] = [(0, 0)]
        while stack and len(shown) < max_steps:
            index, depth = stack.pop()
            step = self.steps[index]
            pad = "  " * depth
            if index in shown or step.fact in seen:
                lines.append(f"{pad}{step.fact}  (shown above)")
                continue
            shown.add(index)
            seen.add(step.fact)
            if step.source == "input":
                lines.append(f"{pad}{step.fact}  [input fact]")
            else:
                what = "stated" if step.source == "stated" else "by rule"
                lines.append(f"{pad}{step.fact}  [{what} at {step.location}]")
            if step.rule and step.source == "rule":
                lines.append(f"{pad}  rule: {step.rule}")
            lines.extend(f"{pad}  holds: {c}" for c in step.conditions)
            if depth + 1 >= max_depth and step.premises:
                lines.append(f"{pad}  ... premises deeper than {max_depth} levels not shown")
                cut = True
                continue
            stack.extend((p, depth + 1) for p in reversed(step.premises))
        hidden = len(self.steps) - len(shown)
        if hidden and (cut or stack):
            lines.append(
                f"... {hidden} more step{'s' if hidden != 1 else ''} not shown (the JSON output has the whole proof)"
            )
        return lines


def _bind(terms: tuple[Term, ...], values: tuple, env: dict[str, Value]) -> bool:
    """Extend `env` so `terms` match `values`; False when a constant or a bound variable differs."""
    for term, value in zip(terms, values, strict=True):  # one arity per predicate
        if isinstance(term, Const):
            if not (type(term.value) is type(value) and term.value == value):
                return False
        elif not term.anonymous:
            seen = env.get(term.name, env)
            if seen is env:
                env[term.name] = value
            elif not (type(seen) is type(value) and seen == value):
                return False
    return True


def _show(lit: Literal | Atom, env: Mapping[str, Value]) -> str:
    """A literal in rule syntax with its bound variables replaced by their values."""

    def term(t: Term) -> Term:
        if isinstance(t, Var) and not t.anonymous and t.name in env:
            return Const(env[t.name], t.location)
        return t

    if isinstance(lit, Negation):
        return str(replace(lit, atom=replace(lit.atom, args=tuple(map(term, lit.atom.args)))))
    if isinstance(lit, Comparison):
        return str(replace(lit, left=term(lit.left), right=term(lit.right)))
    return str(replace(lit, args=tuple(map(term, lit.args))))


def explain(rules: tuple[Rule, ...], relations: Mapping[str, Relation], pred: str, args: tuple) -> Proof | None:
    """The kept proof of `pred(args)`, or None when it does not hold."""
    rel = relations.get(pred)
    if rel is None or args not in rel.facts:
        return None
    steps: list[ProofStep | None] = []
    index: dict[tuple[str, tuple], int] = {}
    todo = [(pred, args)]
    index[(pred, args)] = 0
    steps.append(None)
    while todo:  # explicit stack: proofs of long chains are deep
        p, fact = todo.pop()
        derivation = relations[p].facts[fact]
        if derivation is None:
            steps[index[(p, fact)]] = ProofStep(format_fact(p, fact), "input", None, None, (), ())
            continue
        rule = rules[derivation[0]]
        positives = [lit for lit in rule.body if isinstance(lit, Atom)]
        env: dict[str, Value] = {}
        _bind(rule.head.args, fact, env)
        premises = []
        for lit, body_fact in zip(positives, derivation[1:], strict=True):  # one body fact per positive atom
            _bind(lit.args, body_fact, env)
            key = (lit.pred, body_fact)
            if key not in index:
                index[key] = len(steps)
                steps.append(None)
                todo.append(key)
            premises.append(index[key])
        conditions = tuple(_show(lit, env) for lit in rule.body if not isinstance(lit, Atom))
        steps[index[(p, fact)]] = ProofStep(
            format_fact(p, fact),
            "rule" if rule.body else "stated",
            str(rule),
            rule.location,
            tuple(premises),
            conditions,
        )
    return Proof(tuple(steps))  # type: ignore[arg-type]


def input_facts(
    rules: tuple[Rule, ...],
    relations: Mapping[str, Relation],
    pred: str,
    args: tuple,
    limit: int = 256,
    breadth_first: bool = False,
) -> Iterator[tuple[str, tuple]]:
    """(predicate, fact) of every input fact under the kept derivation of `pred(args)`, depth
    first in body order (breadth first: the rule's own premises before theirs), each once; at
    most `limit` facts are visited (a long chain is cut)."""
    rel = relations.get(pred)
    if rel is None or args not in rel.facts:
        return
    todo = deque([(pred, args)])
    seen: set[tuple[str, tuple]] = set()
    while todo and len(seen) < limit:
        key = todo.popleft() if breadth_first else todo.pop()
        if key in seen:
            continue
        seen.add(key)
        p, fact = key
        derivation = relations[p].facts[fact]
        if derivation is None:
            yield p, fact
            continue
        positives = [lit.pred for lit in rules[derivation[0]].body if isinstance(lit, Atom)]
        premises = list(zip(positives, derivation[1:], strict=True))
        todo.extend(premises if breadth_first else reversed(premises))


@dataclass(frozen=True)
class RuleMiss:
    """Why one rule did not produce the fact: the first literal left without a match."""

    rule: str
    location: Location
    literal: str | None  # with the bindings so far filled in; None when the head did not match
    literal_location: Location | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "location": _loc(self.location),
            "literal": self.literal,
            "literal_location": _loc(self.literal_location),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class WhyNot:
    fact: str
    holds: bool
    rules: tuple[RuleMiss, ...]
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"fact": self.fact, "holds": self.holds, "note": self.note, "rules": [r.to_dict() for r in self.rules]}

    def render(self) -> list[str]:
        if self.holds:
            return [f"{self.fact} holds (use --explain to see why)"]
        lines = [f"{self.fact} does not hold"]
        if self.note:
            lines.append(f"  {self.note}")
        for miss in self.rules:
            lines.append(f"  rule at {miss.location}: {miss.rule}")
            where = f" (at {miss.literal_location})" if miss.literal_location else ""
            lines.append(f"    {miss.reason}{where}")
        return lines


def _holds(lit: Literal, env: Mapping[str, Value], relations: Mapping[str, Relation]) -> bool:
    if isinstance(lit, Comparison):
        return compare(lit.op, *(t.value if isinstance(t, Const) else env[t.name] for t in (lit.left, lit.right)))
    if isinstance(lit, Builtin):
        values = [t.value if isinstance(t, Const) else env[t.name] for t in lit.args]
        return FUNCTIONS[lit.name](*values) != lit.negated
    assert isinstance(lit, Negation)
    return not _matches(lit.atom, env, relations)


def _matches(atom: Atom, env: Mapping[str, Value], relations: Mapping[str, Relation]) -> list[dict]:
    """Extensions of `env` matching `atom` against all facts (at most MAX_BINDINGS)."""
    rel = relations.get(atom.pred)
    if rel is None:
        return []
    positions = tuple(p for p, t in enumerate(atom.args) if isinstance(t, Const) or (not t.anonymous and t.name in env))
    bound = [atom.args[p] for p in positions]
    values = [t.value if isinstance(t, Const) else env[t.name] for t in bound]
    if positions:
        key = values[0] if len(values) == 1 else tuple(values)
        candidates = rel.index(positions).get(key, ())
    else:
        candidates = rel.rows
    out = []
    for row in candidates:
        extended = dict(env)
        if _bind(atom.args, row, extended):
            out.append(extended)
            if len(out) >= MAX_BINDINGS:
                break
    return out


@dataclass(frozen=True)
class BodyStep:
    """One body literal applied during a walk: the partial matches before it and the survivors."""

    index: int  # position in the rule body as written
    literal: Literal
    before: list[dict]
    after: list[dict]


def walk_body(rule: Rule, env: dict[str, Value], relations: Mapping[str, Relation]) -> list[BodyStep]:
    """Apply the body to `env` in source order, keeping every partial match (at most
    MAX_BINDINGS); a filter (negation, comparison, builtin) whose variables are bound only later
    is tried once they are. Stops after the first literal that leaves no match, so the steps are
    the literals reached, and all but possibly the last were satisfied."""
    steps: list[BodyStep] = []
    envs = [env]
    pending: list[tuple[int, Literal]] = []
    for index, lit in enumerate(rule.body):
        if isinstance(lit, Atom):
            before = envs
            envs = [e for current in envs for e in _matches(lit, current, relations)][:MAX_BINDINGS]
            steps.append(BodyStep(index, lit, before, envs))
            if not envs:
                return steps
        else:
            pending.append((index, lit))
        for item in list(pending):
            position, filt = item
            if all(v.anonymous or v.name in envs[0] for v in literal_vars(filt)):
                pending.remove(item)
                before = envs
                envs = [current for current in envs if _holds(filt, current, relations)]
                steps.append(BodyStep(position, filt, before, envs))
                if not envs:
                    return steps
    return steps


def _rule_miss(rule: Rule, args: tuple, relations: Mapping[str, Relation]) -> RuleMiss | None:
    """The literal that leaves no partial match when the body is walked from the head's values."""
    env0: dict[str, Value] = {}
    if not _bind(rule.head.args, args, env0):
        return RuleMiss(
            str(rule),
            rule.location,
            None,
            None,
            f"the head `{rule.head}` cannot produce {format_fact(rule.head.pred, args)}",
        )
    steps = walk_body(rule, env0, relations)
    if not steps or steps[-1].after:
        return None
    last = steps[-1]
    shown = _show(last.literal, last.before[0])
    if isinstance(last.literal, Atom):
        return RuleMiss(str(rule), rule.location, shown, last.literal.location, f"no fact matches `{shown}`")
    reason = (
        f"`{shown}` fails: {_show(last.literal.atom, last.before[0])} holds"
        if isinstance(last.literal, Negation)
        else f"`{shown}` is false"
    )
    return RuleMiss(str(rule), rule.location, shown, last.literal.location, reason)


def why_not(rules: tuple[Rule, ...], relations: Mapping[str, Relation], pred: str, args: tuple) -> WhyNot:
    fact = format_fact(pred, args)
    rel = relations.get(pred)
    if rel is not None and args in rel.facts:
        return WhyNot(fact, True, ())
    defining = [rule for rule in rules if rule.head.pred == pred]
    if not defining:
        return WhyNot(fact, False, (), f"no rule derives `{pred}` and it is not an input fact")
    misses = tuple(m for m in (_rule_miss(rule, args, relations) for rule in defining) if m)
    return WhyNot(fact, False, misses)
