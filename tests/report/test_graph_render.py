"""Graph rendering: dot, mermaid and JSON from a graph in build_graph's conventions."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess

import networkx as nx
import pytest

from engine.report.graph_render import (
    FORMATS, dot_quote, graph_data, mermaid_text, node_id, render_dot, render_graph, render_json, render_mermaid,
)

REF = "project:example.counter"
ODD = 'say "hi"\nthen [go] {x} <b> #1 \\ end'
WORLD = "yoi:plugin/instance@1.0.0"


def sample_graph(order: list | None = None) -> nx.MultiDiGraph:
    """A small graph shaped like engine/graph/build.py output, nodes added in `order`."""
    nodes = [
        (("package", REF), dict(type="package", ref=REF, version="1.0.0", digest="sha256:00",
                                configured=True, path="/ws/counter")),
        (("tool", REF, "counter"), dict(type="tool", name="counter", index=0, external_write=False)),
        (("tool", REF, ODD), dict(type="tool", name=ODD, index=1, external_write=True)),
        (("permission", REF, "request", "tool", "counter"),
         dict(type="permission", side="request", kind="tool", value="counter", label_text="tool.counter")),
        (("runtime", REF), dict(type="runtime", kind="wasm-component", abi_or_world=WORLD, artifact_path="a.wasm")),
        (("artifact", REF), dict(type="artifact", form="component", path="a.wasm", size=10,
                                 diagnostics=("one", "two"), raw=b"\x00asm RAWBYTES")),
        (("world", WORLD), dict(type="world", id=WORLD, known=True)),
        (("world_function", WORLD, "export", "yoi:plugin/tool@1.0.0", "call"),
         dict(type="world_function", direction="export", interface="yoi:plugin/tool@1.0.0", name="call",
              signature="func(tool-name: string, input-json: string) -> string")),
        (("https_grant", REF, 0), dict(type="https_grant", host="api.example.com", methods=("GET",),
                                       path_prefixes=("/v1",), tags=frozenset({"b", "a"}))),
        (("diagnostic", REF, 0), dict(type="diagnostic", kind="malformed", phase="manifest", message=ODD)),
    ]
    edges = [
        (("package", REF), ("tool", REF, "counter"), "declares"),
        (("package", REF), ("tool", REF, ODD), "declares"),
        (("package", REF), ("permission", REF, "request", "tool", "counter"), "requests"),
        (("package", REF), ("runtime", REF), "runs"),
        (("runtime", REF), ("world", WORLD), "targets"),
        (("runtime", REF), ("artifact", REF), "loads"),
        (("world", WORLD), ("world_function", WORLD, "export", "yoi:plugin/tool@1.0.0", "call"), "exports"),
        (("package", REF), ("https_grant", REF, 0), "allows"),
        (("package", REF), ("https_grant", REF, 0), "allows"),  # parallel edge of a MultiDiGraph
        (("package", REF), ("diagnostic", REF, 0), 'reports "x"\n'),
    ]
    if order is not None:
        nodes = [nodes[i] for i in order]
        edges = [edges[i] for i in order if i < len(edges)] + [e for i, e in enumerate(edges) if i not in order]
    graph = nx.MultiDiGraph()
    for node, attrs in nodes:
        graph.add_node(node, **attrs)
    for source, target, label in edges:
        graph.add_edge(source, target, label=label)
    return graph


DOT_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def dot_unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


def test_node_ids_join_tuple_parts():
    assert node_id(("tool", REF, "counter")) == "tool:project:example.counter:counter"
    assert node_id(("https_grant", REF, 0)) == "https_grant:project:example.counter:0"
    assert node_id(("x", None, b"bytes")) == "x::"


def test_dot_quote_escapes_and_round_trips():
    quoted = dot_quote(ODD)
    assert "\n" not in quoted and quoted.startswith('"') and quoted.endswith('"')
    match = DOT_STRING.fullmatch(quoted)
    assert match is not None and dot_unquote(match.group(1)) == ODD


def test_dot_output_structure():
    graph = sample_graph()
    text = render_dot(graph)
    assert text.startswith('digraph "yoi" {\n') and text.endswith("}\n")
    lines = text.splitlines()
    # Every line has balanced, properly escaped strings: no raw newline or stray quote survives.
    for line in lines:
        assert line.count('"') - line.count('\\"') == 2 * len(DOT_STRING.findall(line))
    statements = {dot_unquote(m) for line in lines for m in DOT_STRING.findall(line)}
    assert node_id(("tool", REF, ODD)) in statements
    assert f"tool\n{ODD}" in statements  # the label: type and name
    assert "permission (request)\ntool.counter" in statements
    assert "world_function\nyoi:plugin/tool@1.0.0#call" in statements
    assert 'reports "x"\n' in statements
    edges = [line for line in lines if " -> " in line]
    assert len(edges) == graph.number_of_edges() == 10
    assert edges == sorted(edges)
    # One cluster for the package; the shared world nodes stay outside it.
    assert text.count("subgraph") == 1 and 'label="package project:example.counter";' in text
    cluster = text.split("subgraph", 1)[1].split("  }\n", 1)[0]
    assert '"world:' not in cluster and '"tool:project:example.counter:counter"' in cluster
    assert "subgraph" not in render_dot(graph, clusters=False)


def test_no_bytes_in_any_rendering():
    graph = sample_graph()
    graph.add_node(("blob", REF, b"\x00secret"), type="blob", name=b"secret-name", data=bytearray(b"secret"))
    graph.add_edge(("package", REF), ("blob", REF, b"\x00secret"), label="holds", payload=b"secret")
    for fmt in FORMATS:
        text = render_graph(graph, fmt)
        assert "secret" not in text and "RAWBYTES" not in text and "\\x00" not in text, fmt


def test_json_is_node_link_data_with_only_json_types():
    graph = sample_graph()
    data = json.loads(render_json(graph))
    assert data["directed"] is True and data["multigraph"] is True
    nodes = {n["id"]: n for n in data["nodes"]}
    assert len(nodes) == graph.number_of_nodes()
    tool = nodes[node_id(("tool", REF, ODD))]
    assert tool["name"] == ODD and tool["node"] == ["tool", REF, ODD] and tool["type"] == "tool"
    artifact = nodes["artifact:" + REF]
    assert artifact["diagnostics"] == ["one", "two"] and "raw" not in artifact
    grant = nodes[node_id(("https_grant", REF, 0))]
    assert grant["methods"] == ["GET"] and grant["tags"] == ["a", "b"] and grant["node"][2] == 0
    world = nodes["world:" + WORLD]
    assert world["attr_id"] == WORLD  # the world's own id does not shadow the node id
    assert len(data["links"]) == 10
    allows = [l for l in data["links"] if l["label"] == "allows"]
    assert sorted(l["key"] for l in allows) == [0, 1]
    for link in data["links"]:
        assert link["source"] in nodes and link["target"] in nodes

    def only_json(value):
        if isinstance(value, dict):
            return all(isinstance(k, str) and only_json(v) for k, v in value.items())
        if isinstance(value, list):
            return all(only_json(v) for v in value)
        return value is None or isinstance(value, (str, int, float, bool))

    assert only_json(graph_data(graph))


def test_json_handles_odd_values():
    graph = nx.MultiDiGraph(name="g", when=float("nan"))
    graph.add_node(("x", 1), type="x", weird=object.__new__(type("Thing", (), {"__str__": lambda s: "thing"})),
                   inf=float("inf"), nested={("a", 1): {2, 1}})
    data = json.loads(render_json(graph))
    node = data["nodes"][0]
    assert node["weird"] == "thing" and node["inf"] == "inf" and node["nested"] == {"a:1": [1, 2]}
    assert data["graph"] == {"name": "g", "when": "nan"}


def test_mermaid_output_is_safe():
    graph = sample_graph()
    text = render_mermaid(graph)
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    node_lines = [l for l in lines if re.fullmatch(r'\s+n\d+\["[^"]*"\]', l)]
    assert len(node_lines) == graph.number_of_nodes()
    edge_lines = [l for l in lines if "-->" in l]
    assert len(edge_lines) == graph.number_of_edges()
    for line in edge_lines:
        assert re.fullmatch(r'  n\d+ -->\|"[^"]*"\| n\d+', line), line
    assert mermaid_text(ODD) in text
    assert "#quot;hi#quot;" in text and "#lt;b#gt;" in text and "#35;1" in text
    assert 'reports #quot;x#quot; ' in text
    assert text.count("subgraph") == 1 and lines.count("  end") == 1


def test_mermaid_text_escapes():
    assert mermaid_text('a"b<c>&d#e`f\ng') == "a#quot;b#lt;c#gt;#amp;d#35;e#96;f g"
    assert mermaid_text("[x](y){z}|w") == "[x](y){z}|w"  # safe inside a quoted label


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_is_deterministic_whatever_the_insertion_order(fmt):
    expected = render_graph(sample_graph(), fmt)
    for seed in range(3):
        order = list(range(10))
        random.Random(seed).shuffle(order)
        assert render_graph(sample_graph(order), fmt) == expected
    assert render_graph(sample_graph(), fmt) == expected


def test_id_clash_gets_a_distinct_id():
    graph = nx.MultiDiGraph()
    graph.add_node(("a", "b:c"), type="a")
    graph.add_node(("a", "b", "c"), type="a")
    data = graph_data(graph)
    assert sorted(n["id"] for n in data["nodes"]) == ["a:b:c", "a:b:c#2"]
    assert render_mermaid(graph).count('["a<br/>') == 2


def test_unknown_format_is_rejected():
    with pytest.raises(ValueError, match="unknown graph format"):
        render_graph(sample_graph(), "svg")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")
def test_graphviz_accepts_the_dot_output():
    done = subprocess.run(["dot", "-Tplain"], input=render_dot(sample_graph()), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\nnode ") == sample_graph().number_of_nodes()
