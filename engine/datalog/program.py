"""Loading rule files into a checked, stratified, compiled Program, and evaluating it."""

from __future__ import annotations

import hashlib
import marshal
import os
import pickle
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Union

from engine import diagnostics as diagnostics_module
from engine.datalog.ast import SEVERITIES, Atom, Const, Rule, Value, Var, rule_atoms
from engine.datalog.checks import check_program, sort_diagnostics
from engine.datalog.desugar import RESERVED_ARITIES, check_reserved, conclusion_rules
from engine.datalog.evaluator import CompiledStratum, Relation, evaluate_strata
from engine.datalog.explain import Proof, WhyNot, explain, input_facts, walk_body, why_not
from engine.datalog.facts import normalize_facts
from engine.datalog.joins import compile_rule, make_variant
from engine.datalog.metadata import ConclusionMeta, conclusion_metadata
from engine.datalog.parser import grammar_text, parse_query, parse_text, rule_diagnostic
from engine.datalog.stratify import Stratum, stratify
from engine.datalog.template import render_template
from engine.diagnostics import Diagnostic, DiagnosticError, Location, bounded_message
from engine.errors import ErrorKind
from engine.rule_files import MAX_RULES_FILE_BYTES, RuleFile, list_rule_files
from engine.safe_read import ReadError, read_bounded_text

PathLike = Union[str, "os.PathLike[str]"]
MAX_LOAD_DIAGNOSTICS = 200  # a report a person reads; the first problems are the useful ones


class LoadError(DiagnosticError):
    """Rules that cannot be loaded; `.diagnostics` lists every problem found, in file order."""

    error_kind = ErrorKind.POLICY_LOAD


@dataclass(frozen=True)
class Conclusion:
    """A derived `deny`/`warn`/`info` fact with its rendered message and the rule's location;
    `rule` is the index (in Program.rules) of the rule whose derivation was kept."""

    severity: str
    code: str
    args: tuple
    message: str
    location: Location | None
    rule: int = field(default=-1, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "args": list(self.args),
            "message": self.message,
            "location": asdict(self.location) if self.location else None,
        }


def sort_facts(rows: Iterable[tuple]) -> list[tuple]:
    """Deterministic order; integers sort before strings where a column mixes them."""
    rows = list(rows)
    try:
        return sorted(rows)
    except TypeError:
        return sorted(rows, key=lambda row: tuple((type(v) is str, v) for v in row))


class Program:
    """A loaded program: rules checked, strata ordered, every rule body compiled to a join plan."""

    def __init__(
        self,
        rules: Sequence[Rule],
        strata: Sequence[Stratum],
        files: Sequence[str],
        statements: int | None = None,
        compiled: Sequence[CompiledStratum] | None = None,
    ):
        self.rules = tuple(rules)
        self.statements = len(self.rules) if statements is None else statements  # as written
        self.files = tuple(files)
        self.strata = tuple(strata)
        self.arities: dict[str, int] = {}
        for rule in self.rules:
            for atom in rule_atoms(rule):
                self.arities.setdefault(atom.pred, atom.arity)
        self.derived = frozenset(rule.head.pred for rule in self.rules)
        self.conclusions = frozenset(r.head.pred for r in self.rules if r.is_conclusion)
        # What each conclusion predicate means (engine/datalog/metadata.py); checked when loaded.
        self.metadata: dict[str, ConclusionMeta] = conclusion_metadata(self.rules)[0]
        self._not_input = self.conclusions | set(RESERVED_ARITIES)
        self._compiled = tuple(compiled) if compiled is not None else self._compile_all()

    def snapshot(self) -> bytes:
        """The loaded program as bytes: rules, strata and compiled join code (marshal)."""

        def variant(v):
            return (v.head, v.delta_pred, v.sources, marshal.dumps(v.module), v.consts)

        compiled = [(c.stratum, [variant(v) for v in c.full], [variant(v) for v in c.delta]) for c in self._compiled]
        state = (self.rules, self.strata, self.files, self.statements, compiled)
        return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_snapshot(cls, data: bytes) -> Program:
        """The program a `snapshot()` holds, without parsing, checking or code generation."""
        rules, strata, files, statements, compiled = pickle.loads(data)

        def variant(head, delta_pred, sources, module, consts):
            return make_variant(head, delta_pred, sources, marshal.loads(module), consts)

        stages = [
            CompiledStratum(stratum, tuple(variant(*v) for v in full), tuple(variant(*v) for v in delta))
            for stratum, full, delta in compiled
        ]
        return cls(rules, strata, files, statements, stages)

    def _compile_all(self) -> tuple[CompiledStratum, ...]:
        """Every stratum's variants: each rule once, and in a recursive stratum one semi-naive
        variant per body atom of the same stratum."""
        by_head: dict[str, list[int]] = {}
        for index, rule in enumerate(self.rules):
            if rule.body:
                by_head.setdefault(rule.head.pred, []).append(index)
        out = []
        for stratum in self.strata:
            members = set(stratum.preds)
            indexes = sorted(i for pred in stratum.preds for i in by_head.get(pred, ()))
            full = tuple(compile_rule(self.rules[i], i) for i in indexes)
            delta = tuple(
                compile_rule(self.rules[i], i, d)
                for i in indexes
                if stratum.recursive
                for d, lit in enumerate(self.rules[i].body)
                if isinstance(lit, Atom) and lit.pred in members
            )
            out.append(CompiledStratum(stratum, full, delta))
        return tuple(out)

    def evaluate(self, facts: Mapping[str, Iterable[Any]] | None = None, *, source: str | None = None) -> Result:
        """Evaluate on input facts `{pred: rows}`. Input facts for a predicate the rules also
        define are allowed: the rules add to them (union). Raises FactsError on bad input."""
        inputs = normalize_facts(facts or {}, self.arities, self._not_input, source)
        relations = {pred: Relation(arity) for pred, arity in self.arities.items()}
        for index, rule in enumerate(self.rules):
            if not rule.body:  # a fact: the safety check proved its head holds constants only
                relations[rule.head.pred].add_base(
                    tuple(a.value for a in rule.head.args if isinstance(a, Const)), (index,)
                )
        for pred, rows in inputs.items():
            rel = relations.get(pred)
            if rel is None:
                rel = relations[pred] = Relation(len(rows[0]) if rows else 0)
            facts_map, append = rel.facts, rel.rows.append
            for row in rows:
                if row not in facts_map:
                    facts_map[row] = None
                    append(row)
        evaluate_strata(self._compiled, relations)
        return Result(self, relations)


class Result:
    """The facts of one evaluation, its conclusions, and explanations of both."""

    def __init__(self, program: Program, relations: dict[str, Relation]):
        self.program = program
        self._relations = relations
        self._sorted: dict[str, list[tuple]] = {}

    def predicates(self) -> list[str]:
        """Every predicate known to the program or given as input."""
        return sorted(self._relations)

    def facts(self, pred: str) -> list[tuple]:
        """The facts of `pred`, sorted; empty for a predicate nobody mentions."""
        if pred not in self._sorted:
            rel = self._relations.get(pred)
            self._sorted[pred] = sort_facts(rel.rows) if rel else []
        return list(self._sorted[pred])

    def holds(self, pred: str, args: tuple) -> bool:
        rel = self._relations.get(pred)
        return rel is not None and tuple(args) in rel.facts

    @cached_property
    def conclusions(self) -> list[Conclusion]:
        """Sorted by severity (deny, warn, info), then code, then arguments."""
        out = []
        for pred in sorted(self.program.conclusions):
            for args in self.facts(pred):
                derivation = self._relations[pred].facts[args]
                assert derivation is not None, "conclusions are never input facts (normalize_facts refuses them)"
                rule = self.program.rules[derivation[0]]
                assert rule.severity is not None, "only conclusion rules derive a conclusion (conclusion-conflict)"
                values = {a.name: v for a, v in zip(rule.head.args, args, strict=True) if isinstance(a, Var)}
                message = bounded_message(render_template(rule.message or "", values))
                out.append(Conclusion(rule.severity, pred, args, message, rule.location, derivation[0]))
        rank = {s: i for i, s in enumerate(SEVERITIES)}
        out.sort(key=lambda c: rank[c.severity])  # stable: code and args order is kept
        return out

    def explain(self, pred: str, args: Iterable[Value]) -> Proof | None:
        return explain(self.program.rules, self._relations, pred, tuple(args))

    def why_not(self, pred: str, args: Iterable[Value]) -> WhyNot:
        return why_not(self.program.rules, self._relations, pred, tuple(args))

    def input_facts(
        self, pred: str, args: Iterable[Value], limit: int = 256, breadth_first: bool = False
    ) -> Iterator[tuple[str, tuple]]:
        """The input facts the kept derivation of `pred(args)` rests on, depth first in body order
        (breadth first: the rule's own premises first; at most `limit` facts visited): where a
        conclusion's premises were written."""
        return input_facts(self.program.rules, self._relations, pred, tuple(args), limit, breadth_first)

    def satisfied_literals(self, rule: Rule) -> frozenset[int]:
        """Positions of the body literals of `rule` that at least one binding reached and
        satisfied, the body walked in source order over this evaluation's facts (`policy test
        --coverage`); all of them when the rule derived its head."""
        return frozenset(step.index for step in walk_body(rule, {}, self._relations) if step.after)


def _read(path: Path, label: str, diagnostics: list[Diagnostic], follow_symlinks: bool = True) -> str | None:
    try:
        return read_bounded_text(path, MAX_RULES_FILE_BYTES, follow_symlinks=follow_symlinks)
    except ReadError as err:
        code = "encoding" if err.kind == "encoding" else "io"
        message = err.reason if code == "encoding" else f"cannot read: {err.reason}"
        diagnostics.append(rule_diagnostic(code, message, Location(label)))
        return None


def rule_file_labels(paths: Iterable[PathLike]) -> list[str]:
    """The labels `load(paths)` gives the rule files of `paths` (their rules' `location.file`), so
    a caller can tell the rules of some paths from those of others loaded in the same program."""
    return [file.label for file in list_rule_files(paths)[0]]


def _rule_files(paths: Iterable[PathLike], diagnostics: list[Diagnostic]) -> list[RuleFile]:
    """The files of `paths` (engine/rule_files.py); a path that does not exist is a diagnostic."""
    files, missing = list_rule_files(paths)
    diagnostics.extend(rule_diagnostic("io", "no such file or folder", Location(path)) for path in missing)
    return files


def _build(
    sources: Iterable[tuple[str, str]], diagnostics: list[Diagnostic], inputs: Mapping[str, int | None] | None
) -> Program:
    rules: list[Rule] = []
    files = []
    for text, label in sources:
        files.append(label)
        parsed, problems = parse_text(text, label)
        rules.extend(parsed)
        diagnostics.extend(problems)
    diagnostics.extend(check_reserved(rules))
    metadata, problems = conclusion_metadata(rules)
    diagnostics.extend(problems)
    statements = len(rules)
    rules.extend(conclusion_rules(rules, metadata))
    diagnostics.extend(check_program(rules, inputs))
    strata, problems = stratify(rules)
    diagnostics.extend(problems)
    if diagnostics:
        found = sort_diagnostics(diagnostics)
        if len(found) > MAX_LOAD_DIAGNOSTICS:
            more = len(found) - MAX_LOAD_DIAGNOSTICS
            found = found[:MAX_LOAD_DIAGNOSTICS] + [
                rule_diagnostic("too-many", f"{more} more problem(s) not shown", found[MAX_LOAD_DIAGNOSTICS].location)
            ]
        raise LoadError(found)
    return Program(rules, strata, files, statements)


def load(paths: PathLike | Iterable[PathLike], *, inputs: Mapping[str, int | None] | None = None) -> Program:
    """Load rule files and folders (several at once) into one program; raises LoadError with all
    problems. `inputs` (predicate -> arity, None for any), when given, also rejects unknown body
    predicates and input predicates used with another arity."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    diagnostics: list[Diagnostic] = []
    sources = []
    for file in _rule_files(paths, diagnostics):
        text = _read(file.path, file.label, diagnostics, follow_symlinks=not file.in_folder)
        if text is not None:
            sources.append((text, file.label))
    if diagnostics:  # unreadable paths: report them with every other problem, cache nothing
        return _build(sources, diagnostics, inputs)
    return _cached_program(sources, inputs)


def _cached_program(sources: list[tuple[str, str]], inputs: Mapping[str, int | None] | None) -> Program:
    """The program of `sources`, restored from the user's private cache (engine/cache.py) when
    it holds one, else built (and stored there).

    Building the grammar, parsing, checking and generating join code for the built-in rules is
    most of a `check` process's own time. A snapshot of a program that loaded cleanly is keyed by
    every source's label and text, `inputs`, the grammar and the engine code a snapshot holds, so
    an edit to either is never missed; a corrupt entry is ignored and rebuilt. With the cache off,
    no key or snapshot is computed.
    """
    from engine.cache import cache_dir, cache_key, read_private, write_private

    if cache_dir() is None:
        return _build(sources, [], inputs)
    parts = [_engine_source(), grammar_text(), repr(sorted((inputs or {}).items()))]
    parts += [f"{label}\0{text}" for text, label in sources]
    name = f"program-{cache_key('datalog-program', *parts)}.pickle"
    cached = read_private(name)
    if cached is not None:
        try:
            return Program.from_snapshot(cached)
        except Exception:  # noqa: BLE001 - unpickling damaged bytes can raise almost anything: rebuild
            pass
    program = _build(sources, [], inputs)
    write_private(name, program.snapshot())
    return program


@cache
def _engine_source() -> str:
    """A digest of the code a snapshot is made of (this package's classes and generated join code,
    and the Location in every node), so an edited engine never reads what an older one wrote,
    version bump or not."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")) + [Path(diagnostics_module.__file__)]:
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"?")
    return digest.hexdigest()


def loads(text: str, file: str = "<string>", *, inputs: Mapping[str, int | None] | None = None) -> Program:
    """Load a program from text (tests, embedding)."""
    return _build([(text, file)], [], inputs)


def parse_atom(text: str) -> tuple[str, tuple]:
    """A ground atom in rule syntax, e.g. `tool_ok("project:echo", "echo")` -> (pred, args)."""
    atom, diagnostics = parse_query(text)
    if atom is not None:
        bad = [v for v in atom.args if isinstance(v, Var)]
        if bad:
            diagnostics = [
                rule_diagnostic(
                    "not-ground", f"an atom to look up takes values only, not the variable `{bad[0]}`", bad[0].location
                )
            ]
    if diagnostics or atom is None:  # parse_query gives an atom or diagnostics
        raise LoadError(diagnostics)
    return atom.pred, tuple(a.value for a in atom.args if isinstance(a, Const))


__all__ = ["Conclusion", "LoadError", "Program", "Result", "load", "loads", "parse_atom", "sort_facts"]
