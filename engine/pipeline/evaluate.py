"""The pipeline's last steps: subjects -> graph -> facts -> rules -> Evaluation.

The rule program (built-in rules/ plus any policy folders) is loaded once per set of folders
and reused, so a workspace of a thousand packages pays for parsing the rules once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from engine.graph.build import build_graph
from engine.graph.facts import export_facts
from engine.graph.inputs import Subject
from engine.pipeline.inputs import RuleFiles, RunInputs, select_targets
from engine.targets.facts import target_facts
from engine.targets.model import TargetProfile

if TYPE_CHECKING:  # the rule engine itself is imported when rules are first loaded
    import networkx as nx

    from engine.datalog.program import Conclusion, Program, Result


def load_rules(policy_dirs: Sequence[str | Path] = ()) -> Program:
    """The built-in rules plus the `.rules` files of each policy folder (raises LoadError).

    Policies fail closed: every rule is checked against the published fact schema, so a body
    predicate that is neither an exported fact nor derived by a loaded rule (a typo such as
    `requets`) or that has the wrong arity is a load error, not a `deny` that never fires; and a
    policy folder without a single `*.rules` file is an error, not an empty policy.

    Loaded programs are reused while the rule files are unchanged: the key holds each file's
    resolved path, size and modification time, so neither another working directory nor an
    edited policy can be served a stale program.
    """
    for folder in map(Path, policy_dirs):
        check_policy_folder(folder)
    folders = RuleFiles.of(policy_dirs).folders
    return _load_rules(tuple(_rule_file_states(folders)), folders)


def check_policy_folder(folder: Path) -> None:
    """A `--policy` folder must hold at least one `*.rules` entry (raises LoadError). An entry that
    is no regular file (a FIFO, a symlink) counts here, so that reading it reports what it is."""
    from engine.datalog import LoadError
    from engine.datalog.parser import rule_diagnostic
    from engine.diagnostics import Location

    try:
        found = folder.is_dir() and any(p.is_symlink() or not p.is_dir() for p in folder.glob("*.rules"))
    except OSError:
        found = False
    if not found and folder.is_dir():
        raise LoadError([rule_diagnostic("io", "policy folder has no *.rules file", Location(str(folder)))])


def _rule_file_states(folders):
    for folder in map(Path, folders):
        yield str(folder), None
        try:
            files = sorted(folder.glob("*.rules")) if folder.is_dir() else [folder]
        except OSError:
            continue
        for file in files:
            try:
                stat = file.stat()
            except OSError:
                continue
            yield str(file), (stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=16)
def _load_rules(states: tuple, folders: tuple[str, ...]) -> Program:
    from engine import datalog
    from engine.graph.facts import schema_arities

    return datalog.load([Path(f) for f in folders], inputs=schema_arities())


@dataclass(frozen=True)
class Evaluation:
    """Everything one evaluation produced; reports and plans are views over it."""

    subjects: tuple[Subject, ...]
    graph: nx.MultiDiGraph
    facts: dict
    result: Result
    protected: tuple = ()  # the host's protected paths of this run (engine/protected.py)
    # The target profiles judged for, in report order (`--target`; the default target when none
    # is asked for). Every verdict input besides the subjects and the rules: part of any key a
    # cached verdict is stored under.
    targets: tuple[TargetProfile, ...] = ()

    @property
    def target_names(self) -> tuple[str, ...]:
        return tuple(profile.name for profile in self.targets)

    def subject(self, ref: str) -> Subject | None:
        if "_subjects" not in self.__dict__:
            self.__dict__["_subjects"] = {s.ref: s for s in self.subjects}
        return self.__dict__["_subjects"].get(ref)

    @property
    def volatile(self) -> bool:
        """Whether a fact of this evaluation depends on more than its inputs (a FACT_SCHEMA entry
        declared `volatile`, such as an inspection stopped by its time bound): its verdict is
        not cached."""
        from engine.graph.facts import FACT_SCHEMA

        return any(self.facts.get(pred) for pred, fact in FACT_SCHEMA.items() if fact.volatile)

    def holds(self, predicate: str, *args) -> bool:
        return self.result.holds(predicate, tuple(args))

    def rows(self, predicate: str, ref: str | None = None) -> list[tuple]:
        """Sorted facts of `predicate`, or only those whose first argument is `ref`."""
        by_ref = self._by_ref(predicate)
        if ref is None:
            return sorted(row for rows in by_ref.values() for row in rows)
        return by_ref.get(ref, [])

    def value(self, predicate: str, ref: str, default=None):
        """Second argument of the first `predicate(ref, X)` row, e.g. status or classification."""
        rows = self.rows(predicate, ref)
        return rows[0][1] if rows else default

    def conclusions(self, ref: str | None = None) -> list[Conclusion]:
        """Every conclusion, or those about the package `ref` (the package its `@about` names)."""
        if ref is None:
            return list(self.result.conclusions)
        return self._conclusions_by_ref().get(ref, [])

    def package_of(self, conclusion: Conclusion) -> object:
        """The package value a conclusion is about (its declared package slot), None for one
        about the whole run. A value that is no ref of this run makes it a whole-run finding."""
        about = self.result.program.metadata[conclusion.code].about
        return about.package.resolve(conclusion.args) if about.package is not None else None

    def _by_ref(self, predicate: str) -> dict:
        """Rows grouped by their first argument, built once per predicate (reports ask per ref)."""
        cache = self.__dict__.setdefault("_rows", {})
        if predicate not in cache:
            grouped: dict = {}
            for row in self.result.facts(predicate):
                grouped.setdefault(row[0] if row else None, []).append(tuple(row))
            cache[predicate] = grouped
        return cache[predicate]

    def _conclusions_by_ref(self) -> dict:
        if "_conclusions" not in self.__dict__:
            grouped: dict = {}
            for conclusion in self.result.conclusions:
                package = self.package_of(conclusion)
                if package is not None:
                    grouped.setdefault(package, []).append(conclusion)
            self.__dict__["_conclusions"] = grouped
        return self.__dict__["_conclusions"]


def evaluate_inputs(inputs: RunInputs, *, inspect: Callable[[bytes], object] | None = None) -> Evaluation:
    """The evaluation of one RunInputs: its subjects under its rule files with its protected
    paths, judged for its targets, nothing else."""
    return evaluate(
        inputs.subjects,
        policy_dirs=inputs.rules.policy_dirs,
        inspect=inspect,
        protected=inputs.protected,
        targets=inputs.targets,
        plugins_feature=inputs.plugins_feature,
    )


def evaluation_facts(
    graph: nx.MultiDiGraph, protected: Sequence, targets: Sequence[TargetProfile]
) -> dict[str, set[tuple]]:
    """The input facts the rules see: the graph's, the host's protected paths and the profiles of
    the targets judged for. The one place they are put together, so `yoi plugin facts` prints
    exactly what an evaluation reads."""
    facts = export_facts(graph, protected)
    facts.update(target_facts(targets))
    return facts


def evaluate(
    subjects: Iterable[Subject],
    *,
    policy_dirs: Sequence[str | Path] = (),
    inspect: Callable[[bytes], object] | None = None,
    protected: tuple | None = None,
    targets: Sequence[TargetProfile] | None = None,
    plugins_feature: str | None = None,
) -> Evaluation:
    """`protected`: the host's protected paths (default: the caches and the policy folders);
    `targets`: the target profiles judged for (default: the default target), whose facts join
    the graph's (docs/targets.md); `plugins_feature`: how the enablement config sets
    `[feature.plugins] enabled`, when there is a config (EnablementConfig.plugins_feature; a fact
    the rules decide on)."""
    from engine.protected import host_protected_paths

    ordered = tuple(subjects)
    if protected is None:
        protected = host_protected_paths(policy_dirs=policy_dirs)
    selected = select_targets() if targets is None else tuple(targets)
    graph = build_graph(ordered, inspect=inspect, plugins_feature=plugins_feature)
    facts = evaluation_facts(graph, protected, selected)
    program = load_rules(policy_dirs)
    result = program.evaluate(facts)
    return Evaluation(subjects=ordered, graph=graph, facts=facts, result=result, protected=protected, targets=selected)
