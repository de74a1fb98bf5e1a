"""Join ordering and compilation of rule bodies into Python functions, once, at load time.

A rule (or, in a recursive stratum, one semi-naive variant of it: one body atom reads only the
last round's new facts) becomes a join order: positive atoms in a greedy order (most bound argument
positions first), each filter (`not`, comparison, builtin) as soon as its variables are bound.
The order is then generated as straight-line nested loops and compiled with `exec`: no per-tuple
interpretation, no per-tuple dicts. Generated code names only generated identifiers; every
constant of the program is passed in as a default argument, never pasted into source text.

At run time each atom reads one `Source`: the delta list, all rows, a hash index on its bound
positions (built lazily by the relation), or the fact dict for a membership test.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType

from engine.datalog.ast import Atom, Builtin, Comparison, Const, Literal, Negation, Rule, Term, Var, literal_vars
from engine.datalog.builtins import FUNCTIONS


@dataclass(frozen=True)
class Source:
    """How a compiled variant reads one literal: `kind` is delta | rows | index | facts."""

    pred: str
    kind: str
    positions: tuple[int, ...] = ()


@dataclass(frozen=True)
class Variant:
    """One compiled way to evaluate a rule: `run(*sources, D, NEW)` adds new `head` facts.

    `delta_pred` is the predicate whose last-round facts it reads (None: it reads all facts).
    `module` and `consts` are what `run` is made of, kept so a snapshot can store them.
    """

    head: str
    delta_pred: str | None
    sources: tuple[Source, ...]
    module: CodeType
    consts: tuple
    run: Callable


def make_variant(
    head: str, delta_pred: str | None, sources: tuple[Source, ...], module: CodeType, consts: tuple
) -> Variant:
    """A Variant with `run` linked: the compiled module executed with its constants and builtins."""
    namespace: dict[str, object] = {f"K{i}": v for i, v in enumerate(consts)}
    namespace.update({f"B_{n}": f for n, f in FUNCTIONS.items()})
    exec(module, namespace)
    run = namespace["run"]
    if not callable(run):
        raise TypeError("a compiled rule module must define the function `run`")
    return Variant(head, delta_pred, sources, module, consts, run)


def _order(rule: Rule, delta: int | None) -> list[int]:
    """Body indexes in evaluation order: delta atom first, then greedily the most bound atom
    (all argument positions bound first, then most bound positions, then the earliest), filters as
    soon as all their named variables are bound, in body order.

    Near-linear in body size: each atom keeps its count of bound positions, and binding a variable
    updates only the atoms and filters that mention it; a heap with stale entries skipped on pop
    yields the best atom. Constants count as bound; variables are matched by name (anonymous
    occurrences too, as the parser renames them apart).
    """
    body = rule.body
    arity: dict[int, int] = {}
    bound_positions: dict[int, int] = {}
    atoms_of: dict[str, list[int]] = {}  # variable -> atoms with a position holding it (once per position)
    filters_of: dict[str, list[int]] = {}  # variable -> filters that name it (once per filter)
    unbound_names: dict[int, int] = {}  # filter -> how many distinct named variables are still unbound
    ready: list[int] = []  # filters whose variables are all bound, not yet placed
    for i, lit in enumerate(body):
        if isinstance(lit, Atom):
            arity[i] = len(lit.args)
            bound_positions[i] = sum(1 for a in lit.args if isinstance(a, Const))
            for a in lit.args:
                if isinstance(a, Var):
                    atoms_of.setdefault(a.name, []).append(i)
        else:
            names = {v.name for v in literal_vars(lit) if not v.anonymous}
            unbound_names[i] = len(names)
            for name in names:
                filters_of.setdefault(name, []).append(i)
            if not names:
                ready.append(i)

    def entry(i: int) -> tuple[bool, int, int]:  # heap order = old max((full, n), -i) order
        n = bound_positions[i]
        return (n != arity[i], -n, i)

    heap = [entry(i) for i in arity]
    heapq.heapify(heap)
    placed: set[int] = set()
    bound: set[str] = set()
    order: list[int] = sorted(ready)
    ready.clear()
    while len(placed) < len(arity):
        if delta is not None and delta in arity and delta not in placed:
            pick = delta
        else:
            while True:
                top = heapq.heappop(heap)
                pick = top[2]
                if pick not in placed and top == entry(pick):
                    break
        placed.add(pick)
        order.append(pick)
        for var in literal_vars(body[pick]):
            if var.name in bound:
                continue
            bound.add(var.name)
            for i in atoms_of.get(var.name, ()):
                bound_positions[i] += 1
                if i not in placed:
                    heapq.heappush(heap, entry(i))
            for i in filters_of.get(var.name, ()):
                unbound_names[i] -= 1
                if unbound_names[i] == 0:
                    ready.append(i)
        order.extend(sorted(ready))
        ready.clear()
    placed_filters = set(order) - placed
    order.extend(i for i in unbound_names if i not in placed_filters)  # only for unsafe rules
    return order


# CPython refuses more than 20 nested `for` blocks and 100 levels of indentation in a function.
MAX_LOOPS = 16  # nested `for`s per generated function
MAX_DEPTH = 48  # nested `for`s and `if`s per generated function
_CALL_ARGS = "\0"  # stands for the sources, D and NEW in a continuation call until all are known


class _Gen:
    """Emits the source of one variant.

    Each atom is a `for` (or a membership `if`), each filter an `if` around the rest of the body.
    Where the nesting would pass MAX_LOOPS or MAX_DEPTH, the rest of the body moves into a
    continuation function `C<n>` called with every name bound so far, so a rule of any length
    compiles, and a rule of ordinary length is one function.
    """

    def __init__(self, rule: Rule, rule_index: int, delta: int | None):
        self.rule, self.rule_index, self.delta = rule, rule_index, delta
        delta_atom = None if delta is None else rule.body[delta]
        if delta_atom is not None and not isinstance(delta_atom, Atom):
            raise ValueError(f"semi-naive delta {delta} is not a positive body atom")
        self.delta_pred = None if delta_atom is None else delta_atom.pred
        self.functions: list[tuple[list[str], list[str]]] = [([], [])]  # (bound on entry, lines)
        self.depth = 1
        self.loops = 0  # `for` loops open in the current function
        self.bound: list[str] = []  # generated names bound so far (row tuples and variables)
        self.vars: dict[str, str] = {}
        self.consts: list[object] = []
        self.sources: list[Source] = []
        self.params: list[str] = []

    def emit(self, line: str) -> None:
        self.functions[-1][1].append("    " * self.depth + line)

    def _continue_in_new_function(self) -> None:
        name = f"C{len(self.functions)}"
        self.emit(f"{name}({', '.join(self.bound + [_CALL_ARGS])})")
        self.functions.append((list(self.bound), []))
        self.depth, self.loops = 1, 0

    def loop(self, target: str, iterable: str) -> None:
        if self.loops == MAX_LOOPS or self.depth >= MAX_DEPTH:
            self._continue_in_new_function()
        self.emit(f"for {target} in {iterable}:")
        self.depth += 1
        self.loops += 1
        self.bound.append(target)

    def guard(self, condition: str) -> None:
        """Go on only when `condition` holds."""
        if self.depth >= MAX_DEPTH:
            self._continue_in_new_function()
        self.emit(f"if {condition}:")
        self.depth += 1

    def assign(self, name: str, expr: str) -> None:
        self.emit(f"{name} = {expr}")
        self.bound.append(name)

    def const(self, value: object) -> str:
        self.consts.append(value)
        return f"K{len(self.consts) - 1}"

    def expr(self, term: Term) -> str:
        if isinstance(term, Const):
            return self.const(term.value)
        return self.vars[term.name]

    def source(self, src: Source) -> str:
        self.sources.append(src)
        name = f"S{len(self.sources) - 1}"
        self.params.append(name)
        return name

    def tuple_expr(self, exprs: list[str]) -> str:
        if len(exprs) == 1:
            return f"({exprs[0]},)"
        return f"({', '.join(exprs)})"

    def key_expr(self, exprs: list[str]) -> str:
        return exprs[0] if len(exprs) == 1 else f"({', '.join(exprs)})"

    def positive(self, index: int, atom: Atom) -> None:
        t = f"t{index}"
        bound_pos = [p for p, a in enumerate(atom.args) if isinstance(a, Const) or a.name in self.vars]
        if index == self.delta:
            self.loop(t, self.source(Source(atom.pred, "delta")))
            checks = [f"{t}[{p}] == {self.expr(atom.args[p])}" for p in bound_pos]
            if checks:
                self.guard(" and ".join(checks))
        elif len(bound_pos) == len(atom.args):
            src = self.source(Source(atom.pred, "facts"))
            self.assign(t, self.tuple_expr([self.expr(a) for a in atom.args]))
            self.guard(f"{t} in {src}")
        elif bound_pos:
            src = self.source(Source(atom.pred, "index", tuple(bound_pos)))
            key = self.key_expr([self.expr(atom.args[p]) for p in bound_pos])
            self.loop(t, f"{src}.get({key}, ())")
        else:
            self.loop(t, self.source(Source(atom.pred, "rows")))
        repeats = []
        for p, arg in enumerate(atom.args):
            if p in bound_pos or not isinstance(arg, Var):  # constants are always bound
                continue
            if arg.name in self.vars:
                repeats.append(f"{t}[{p}] == {self.vars[arg.name]}")
            else:
                self.vars[arg.name] = f"v{len(self.vars)}"
                self.assign(self.vars[arg.name], f"{t}[{p}]")
        if repeats:
            self.guard(" and ".join(repeats))

    def negation(self, lit: Negation) -> None:
        atom = lit.atom
        named = [p for p, a in enumerate(atom.args) if not (isinstance(a, Var) and a.anonymous)]
        exprs = [self.expr(atom.args[p]) for p in named]
        if len(named) == len(atom.args):
            src = self.source(Source(atom.pred, "facts"))
            self.guard(f"{self.tuple_expr(exprs) if exprs else '()'} not in {src}")
        else:
            src = self.source(Source(atom.pred, "index", tuple(named)))
            key = self.key_expr(exprs) if exprs else "()"
            self.guard(f"{key} not in {src}")

    def comparison(self, lit: Comparison) -> None:
        left, right = self.expr(lit.left), self.expr(lit.right)
        same = f"type({left}) is type({right})"
        if lit.op == "=":
            self.guard(f"{same} and {left} == {right}")
        elif lit.op == "!=":
            self.guard(f"not ({same} and {left} == {right})")
        else:
            self.guard(f"{same} and {left} {lit.op} {right}")

    def builtin(self, lit: Builtin) -> None:
        call = f"B_{lit.name}({', '.join(self.expr(a) for a in lit.args)})"
        self.guard(f"{'not ' if lit.negated else ''}{call}")

    def head(self) -> None:
        head = self.rule.head
        h = "()" if not head.args else self.tuple_expr([self.expr(a) for a in head.args])
        for i, lit in enumerate(self.rule.body):  # reuse a body tuple that equals the head
            if not isinstance(lit, Atom):
                continue
            names = [a.name for a in lit.args if isinstance(a, Var)]
            if (
                head.args
                and len(names) == len(lit.args) == len(set(names))
                and names == [a.name if isinstance(a, Var) else None for a in head.args]
            ):
                h = f"t{i}"
                break
        body = [f"t{i}" for i, lit in enumerate(self.rule.body) if isinstance(lit, Atom)]
        self.assign("h", h)
        self.guard("h not in D")
        self.emit(f"D[h] = ({', '.join([str(self.rule_index)] + body)},)")
        self.emit("NEW.append(h)")

    def build(self) -> Variant:
        for i in _order(self.rule, self.delta):
            lit: Literal = self.rule.body[i]
            if isinstance(lit, Atom):
                self.positive(i, lit)
            elif isinstance(lit, Negation):
                self.negation(lit)
            elif isinstance(lit, Comparison):
                self.comparison(lit)
            else:
                self.builtin(lit)
        self.head()
        shared = self.params + ["D", "NEW"]
        defaults = [f"K{i}=K{i}" for i in range(len(self.consts))]
        defaults += [f"B_{n}=B_{n}" for n in FUNCTIONS]
        code = ""
        for number, (entry, lines) in enumerate(self.functions):
            name = f"C{number}" if number else "run"
            body = "\n".join(lines).replace(_CALL_ARGS, ", ".join(shared))
            code += f"def {name}({', '.join(entry + shared + defaults)}):\n{body}\n"
        module = compile(code, f"<rule {self.rule.location}>", "exec")
        return make_variant(self.rule.head.pred, self.delta_pred, tuple(self.sources), module, tuple(self.consts))


def compile_rule(rule: Rule, rule_index: int, delta: int | None = None) -> Variant:
    """Plan and compile `rule`; with `delta`, body atom `delta` reads only new facts."""
    return _Gen(rule, rule_index, delta).build()
