"""Bottom-up evaluation: stratum by stratum, semi-naive inside recursive strata.

Relations keep three views of the same facts: `facts` (fact -> derivation, for membership tests
and explanations; a derivation is `(rule index, body facts...)`, `None` for an input fact),
`rows` (insertion order, for scans; grows only between rounds so scans never see a half-finished
round) and lazily built hash indexes keyed by bound argument positions.

Every evaluation step iterates lists and dicts in insertion order, so the same program on the same
input derives the same facts with the same kept derivations, run after run.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from operator import itemgetter

from engine.datalog.joins import Variant
from engine.datalog.stratify import Stratum

KeyOf = Callable[[tuple], Hashable]  # a row's index key: its values at the bound positions
Index = dict[Hashable, list[tuple]]


def _no_key(row: tuple) -> tuple[()]:
    return ()


class Relation:
    """All facts of one predicate."""

    __slots__ = ("arity", "facts", "indexes", "rows")

    def __init__(self, arity: int):
        self.arity = arity
        self.facts: dict[tuple, tuple | None] = {}
        self.rows: list[tuple] = []
        self.indexes: dict[tuple[int, ...], tuple[KeyOf, Index]] = {}

    def index(self, positions: tuple[int, ...]) -> Index:
        """Rows keyed by their values at `positions` (a bare value for one position)."""
        entry = self.indexes.get(positions)
        if entry is None:
            getter: KeyOf = itemgetter(*positions) if positions else _no_key
            entry = (getter, {})
            self.indexes[positions] = entry
            self._add_to_index(entry, self.rows)
        return entry[1]

    @staticmethod
    def _add_to_index(entry: tuple[KeyOf, Index], rows: list[tuple]) -> None:
        getter, index = entry
        get = index.get
        for row in rows:
            key = getter(row)
            bucket = get(key)
            if bucket is None:
                index[key] = [row]
            else:
                bucket.append(row)

    def commit(self, new: list[tuple]) -> None:
        """Make facts derived in the last round visible to scans and indexes."""
        self.rows.extend(new)
        for entry in self.indexes.values():
            self._add_to_index(entry, new)

    def add_base(self, fact: tuple, derivation: tuple | None) -> None:
        if fact not in self.facts:
            self.facts[fact] = derivation
            self.rows.append(fact)
            for entry in self.indexes.values():
                self._add_to_index(entry, [fact])


@dataclass(frozen=True)
class CompiledStratum:
    stratum: Stratum
    full: tuple[Variant, ...]  # every rule once, all atoms reading all facts
    delta: tuple[Variant, ...]  # recursive strata: one variant per recursive body atom


def _run(
    variant: Variant, relations: dict[str, Relation], delta: dict[str, list[tuple]], new: dict[str, list[tuple]]
) -> None:
    args: list[list[tuple] | Index | dict[tuple, tuple | None]] = []
    for src in variant.sources:
        rel = relations[src.pred]
        if src.kind == "delta":
            args.append(delta[src.pred])
        elif src.kind == "rows":
            args.append(rel.rows)
        elif src.kind == "index":
            args.append(rel.index(src.positions))
        else:
            args.append(rel.facts)
    variant.run(*args, relations[variant.head].facts, new[variant.head])


def evaluate_strata(strata: tuple[CompiledStratum, ...], relations: dict[str, Relation]) -> None:
    """Run every stratum to its fixpoint, in order; `relations` already holds the base facts."""
    for compiled in strata:
        preds = compiled.stratum.preds
        new: dict[str, list[tuple]] = {p: [] for p in preds}
        for variant in compiled.full:
            _run(variant, relations, {}, new)
        for p in preds:
            relations[p].commit(new[p])
        if not compiled.stratum.recursive:
            continue
        delta = new
        while any(delta.values()):
            new = {p: [] for p in preds}
            for variant in compiled.delta:
                # a variant without a delta predicate reads all facts: running it is always sound
                if variant.delta_pred is None or delta[variant.delta_pred]:
                    _run(variant, relations, delta, new)
            for p in preds:
                relations[p].commit(new[p])
            delta = new
