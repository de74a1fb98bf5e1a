"""Strata from the predicate dependency graph (networkx condensation + topological order)."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from engine.datalog.ast import Atom, Negation, Rule
from engine.datalog.parser import rule_diagnostic
from engine.diagnostics import Diagnostic


@dataclass(frozen=True)
class Stratum:
    """Predicates evaluated together; `recursive` when one depends on another of them (or itself)."""

    preds: tuple[str, ...]
    recursive: bool


def stratify(rules: list[Rule]) -> tuple[list[Stratum], list[Diagnostic]]:
    """Order the predicates so each is computed after everything it uses, negation strictly after.

    A negative dependency inside a strongly connected component is negation through recursion:
    reported once per offending `not`, naming one cycle through it.
    """
    deps: nx.DiGraph[str] = nx.DiGraph()  # head -> body predicate: "depends on"
    negations: list[tuple[str, Negation]] = []
    for rule in rules:
        deps.add_node(rule.head.pred)
        for lit in rule.body:
            if isinstance(lit, Atom):
                deps.add_edge(rule.head.pred, lit.pred)
            elif isinstance(lit, Negation):
                deps.add_edge(rule.head.pred, lit.atom.pred)
                negations.append((rule.head.pred, lit))
    condensed = nx.condensation(deps)
    component = condensed.graph["mapping"]
    diagnostics = []
    for head, lit in negations:
        body = lit.atom.pred
        if component[head] == component[body]:
            members = condensed.nodes[component[head]]["members"]
            path = nx.shortest_path(deps.subgraph(members), body, head) if body != head else [head]
            cycle = " -> ".join([f"`{head}`", f"not `{body}`"] + [f"`{p}`" for p in path[1:]])
            diagnostics.append(
                rule_diagnostic(
                    "unstratifiable", f"negation inside recursion: {cycle} (each depends on the next)", lit.location
                )
            )
    order = nx.lexicographical_topological_sort(
        condensed.reverse(copy=False), key=lambda n: min(condensed.nodes[n]["members"])
    )
    strata = []
    for node in order:
        members = tuple(sorted(condensed.nodes[node]["members"]))
        recursive = len(members) > 1 or deps.has_edge(members[0], members[0])
        strata.append(Stratum(members, recursive))
    return strata, diagnostics
