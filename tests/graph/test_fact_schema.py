"""The fact schema is public: the code, the docs and the exported facts agree."""

from __future__ import annotations

import re
from pathlib import Path

from engine.graph.build import build_graph
from engine.graph.facts import FACT_SCHEMA, export_facts
from engine.pipeline.subjects import check_subject

ROOT = Path(__file__).resolve().parents[2]


def _documented() -> dict[str, tuple[tuple[str, ...], str]]:
    text = (ROOT / "docs" / "rules.md").read_text()
    section = text[text.index("## Fact schema"):]
    table = section[:section.index("Predicates the built-in rules derive")]
    rows = re.findall(r"^\| `(\w+)` \| `([^`]*)` \| (\w+) \|", table, re.M)
    return {name: (tuple(a.strip() for a in args.split(",")), origin) for name, args, origin in rows}


def test_docs_list_exactly_the_exported_predicates_with_their_arguments():
    assert _documented() == {name: (fact.args, fact.origin) for name, fact in FACT_SCHEMA.items()}


def test_every_fact_declares_a_known_origin_and_a_valid_about():
    from engine.datalog.metadata import ABOUT_FORMS, ORIGINS

    for name, fact in FACT_SCHEMA.items():
        assert fact.origin in ORIGINS, name
        if fact.about is not None:
            form, positions = fact.about
            assert fact.origin == "manifest", name  # only manifest facts need a part of plugin.toml
            assert len(positions) == len(ABOUT_FORMS[form].params) and max(positions) < len(fact.args), name


def test_exported_facts_match_the_schema_arity_and_types():
    graph = build_graph([check_subject(ROOT / "examples" / "instance-counter")])
    facts = export_facts(graph)
    assert set(facts) == set(FACT_SCHEMA)
    for predicate, rows in facts.items():
        for row in rows:
            assert len(row) == len(FACT_SCHEMA[predicate].args), predicate
            assert all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in row), (predicate, row)
    ref = "project:example.counter"
    assert ("project:example.counter", "wasm-component", "yoi:plugin/instance@1.0.0") in facts["runtime"]
    assert (ref, "component") in facts["artifact"]
    assert (ref, "", "handle-tool", "func", "func(name: string, input-json: string) -> string") in facts["artifact_export"]
    assert ("yoi:plugin/instance@1.0.0", "", "stop", "func() -> string") in facts["world_export"]
    assert (ref, "ingress", "counter-events") in facts["requests"]
    assert (ref, "counter-events", "tick") in facts["ingress_event_kind"]
    assert (ref,) in facts["grant_assumed"]


def test_graph_has_typed_nodes_and_labelled_edges():
    graph = build_graph([check_subject(ROOT / "examples" / "instance-counter")])
    types = {attrs["type"] for _, attrs in graph.nodes(data=True)}
    assert {"package", "runtime", "world", "world_function", "interface", "surface", "tool", "service",
            "ingress", "permission", "grant", "artifact", "artifact_export"} <= types
    labels = {label for _, _, label in graph.edges(data="label")}
    assert {"declares", "requests", "grants", "runs", "targets", "loads", "exports", "imports", "implements",
            "granted"} <= labels
    ref = "project:example.counter"
    export = ("artifact_export", ref, "", "start")
    assert any(graph.nodes[v]["type"] == "world_function" for _, v in graph.out_edges(export))
