"""Run the pipeline's decision step: subjects -> graph -> facts -> rules -> Evaluation.

The rule program (built-in rules/ plus any policy folders) is loaded once per set of folders
and reused, so a workspace of a thousand packages pays for parsing the rules once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from engine.graph.build import build_graph
from engine.graph.facts import export_facts
from engine.graph.inputs import Subject
from engine.resources import rules_dir


@lru_cache(maxsize=16)
def load_rules(policy_dirs: tuple[str, ...] = ()):
    """The built-in rules plus the `.rules` files of each policy folder (raises LoadError)."""
    from engine import datalog

    return datalog.load([rules_dir(), *(Path(p) for p in policy_dirs)])


@dataclass(frozen=True)
class Evaluation:
    """Everything one evaluation produced; reports and plans are views over it."""

    subjects: tuple[Subject, ...]
    graph: object
    facts: dict
    result: object

    def subject(self, ref: str) -> Subject | None:
        return next((s for s in self.subjects if s.ref == ref), None)

    def holds(self, predicate: str, *args) -> bool:
        return tuple(args) in self._index(predicate)

    def rows(self, predicate: str, ref: str | None = None) -> list[tuple]:
        rows = self._index(predicate)
        if ref is None:
            return sorted(rows)
        return sorted(row for row in rows if row and row[0] == ref)

    def value(self, predicate: str, ref: str, default=None):
        """Second argument of the first `predicate(ref, X)` row, e.g. status or classification."""
        rows = self.rows(predicate, ref)
        return rows[0][1] if rows else default

    def conclusions(self, ref: str | None = None) -> list:
        found = self.result.conclusions
        if ref is None:
            return list(found)
        return [c for c in found if c.args and c.args[0] == ref]

    def _index(self, predicate: str) -> frozenset:
        cache = self.__dict__.setdefault("_rows", {})
        if predicate not in cache:
            cache[predicate] = frozenset(tuple(r) for r in self.result.facts(predicate))
        return cache[predicate]


def evaluate(subjects: Iterable[Subject], *, policy_dirs: Sequence[str | Path] = (), inspect=None) -> Evaluation:
    subjects = tuple(subjects)
    graph = build_graph(subjects, inspect=inspect)
    facts = export_facts(graph)
    program = load_rules(tuple(str(p) for p in policy_dirs))
    result = program.evaluate(facts)
    return Evaluation(subjects=subjects, graph=graph, facts=facts, result=result)
