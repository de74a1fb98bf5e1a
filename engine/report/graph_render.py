"""Render the evaluation graph (engine/graph/build.py) as Graphviz DOT, Mermaid or JSON.

Output is deterministic (nodes and edges sorted by their string ids) so that a graph can be
diffed and reviewed. Node ids are the node tuples joined as "type:part:part"; attribute values
are made JSON-safe and `bytes` are dropped, so no file content can leak into a rendering.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from engine.diagnostics import escape_text

FORMATS = ("dot", "mermaid", "json")


def _text(value: Any) -> str:
    """Display text of a value; bytes never rendered (the graph must not carry file contents)."""
    if value is None or isinstance(value, (bytes, bytearray, memoryview)):
        return ""
    return str(value)


def node_id(node: Any) -> str:
    """("tool", "builtin:x", "echo") -> "tool:builtin:x:echo"; None (and bytes) parts become ""."""
    if isinstance(node, tuple):
        return ":".join(_text(part) for part in node)
    return _text(node)


_DROP = object()  # marks a bytes value to leave out


def json_safe(value: Any) -> Any:
    """Only JSON types: tuples/lists -> lists, sets sorted, mappings with string keys, bytes
    dropped (None at top level), non-finite floats and other objects -> text."""
    safe = _safe(value)
    return None if safe is _DROP else safe


def _safe(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _DROP
    if isinstance(value, Mapping):
        out = {}
        for key in sorted(value, key=node_id):
            item = _safe(value[key])
            if item is not _DROP:
                out[node_id(key)] = item
        return out
    if isinstance(value, (set, frozenset)):
        items = [_safe(v) for v in value]
        return sorted((v for v in items if v is not _DROP), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, (list, tuple)):
        return [v for v in (_safe(v) for v in value) if v is not _DROP]
    return str(value)


def _attrs(data: Mapping[str, Any]) -> dict[str, Any]:
    safe = json_safe(dict(data))
    return safe if isinstance(safe, dict) else {}


def _ids(graph) -> dict[Any, str]:
    """Node -> unique string id; a clash between two tuples that join alike gets a `#n` suffix."""
    ids: dict[Any, str] = {}
    taken: set[str] = set()
    for node in sorted(graph.nodes, key=lambda n: (node_id(n), repr(n))):
        text, n = node_id(node), 1
        while text in taken:
            n += 1
            text = f"{node_id(node)}#{n}"
        taken.add(text)
        ids[node] = text
    return ids


def _node_type(node: Any, data: Mapping[str, Any]) -> str:
    kind = _text(data.get("type"))
    if not kind and isinstance(node, tuple) and node:
        kind = _text(node[0])
    side = _text(data.get("side"))  # a permission requested vs granted
    return f"{kind or 'node'} ({side})" if side else kind or "node"


def node_name(node: Any, data: Mapping[str, Any]) -> str:
    """A short human name for a node: permission label, ref, name (with interface), id, kind..."""
    for key in ("label_text", "ref"):
        if _text(data.get(key)):
            return _text(data[key])
    name = _text(data.get("name"))
    if name:
        interface = _text(data.get("interface"))
        return f"{interface}#{name}" if interface else name
    for key in ("id", "kind", "path", "host", "root"):
        if _text(data.get(key)):
            return _text(data[key])
    return node_id(node[1:]) if isinstance(node, tuple) else node_id(node)


def _sorted_edges(graph, ids: Mapping[Any, str]) -> list[tuple[str, str, str, dict[str, Any]]]:
    edges = []
    for source, target, key, data in graph.edges(keys=True, data=True):
        edges.append((ids[source], ids[target], _text(data.get("label")), key, data))
    edges.sort(key=lambda e: (e[0], e[1], e[2], node_id(e[3])))
    return [(s, t, label, {**dict(data), "key": key}) for s, t, label, key, data in edges]


def _clusters(graph, ids: Mapping[Any, str]) -> tuple[dict[str, list[Any]], list[Any]]:
    """Package ref -> its nodes (tuples whose second part is the ref), and the shared rest."""
    refs = {n[1] for n in graph.nodes if isinstance(n, tuple) and len(n) >= 2 and n[0] == "package"}
    clusters: dict[str, list[Any]] = {ref: [] for ref in refs}
    shared = []
    for node in sorted(graph.nodes, key=ids.__getitem__):
        if isinstance(node, tuple) and len(node) >= 2 and node[1] in clusters:
            clusters[node[1]].append(node)
        else:
            shared.append(node)
    return {ref: clusters[ref] for ref in sorted(clusters, key=str)}, shared


# --- DOT ----------------------------------------------------------------------------------------


def _node_section(graph, ids, clusters: bool, node_line, cluster) -> list[str]:
    """Node lines in a stable order, grouped per package when `clusters`; `cluster(number, ref)`
    gives a group's opening lines and closing line in the target syntax."""
    if not clusters:
        return [node_line(n, "  ") for n in sorted(graph.nodes, key=ids.__getitem__)]
    grouped, shared = _clusters(graph, ids)
    lines: list[str] = []
    for number, (ref, nodes) in enumerate(grouped.items()):
        opening, closing = cluster(number, ref)
        lines.extend(opening)
        lines.extend(node_line(n, "    ") for n in nodes)
        lines.append(closing)
    lines.extend(node_line(n, "  ") for n in shared)
    return lines


def dot_quote(text: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, newlines as DOT line breaks."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    lines = (escape_text(line).replace("\\", "\\\\").replace('"', '\\"') for line in text.split("\n"))
    return '"' + "\\n".join(lines) + '"'


def render_dot(graph, *, clusters: bool = True, name: str = "yoi") -> str:
    ids = _ids(graph)
    lines = [
        f"digraph {dot_quote(name)} {{",
        "  rankdir=LR;",
        '  node [shape=box, fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]

    def node_line(node, indent: str) -> str:
        data = graph.nodes[node]
        label = f"{_node_type(node, data)}\n{node_name(node, data)}"
        return f"{indent}{dot_quote(ids[node])} [label={dot_quote(label)}];"

    def cluster(number: int, ref) -> tuple[list[str], str]:
        opening = [f"  subgraph {dot_quote(f'cluster_{number}')} {{", f"    label={dot_quote('package ' + str(ref))};"]
        return opening, "  }"

    lines.extend(_node_section(graph, ids, clusters, node_line, cluster))
    for source, target, label, _ in _sorted_edges(graph, ids):
        lines.append(f"  {dot_quote(source)} -> {dot_quote(target)} [label={dot_quote(label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- Mermaid ------------------------------------------------------------------------------------

_MERMAID_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
    "`": "#96;",
    "\n": " ",
    "\r": " ",
    "\t": " ",
}


def mermaid_text(text: str) -> str:
    """Text safe inside a quoted Mermaid label (entity codes; no raw quotes, markup or newlines)."""
    plain = escape_text(str(text).replace("\r", " ").replace("\n", " ").replace("\t", " "))
    return "".join(_MERMAID_ENTITIES.get(ch, ch) for ch in plain)


def render_mermaid(graph, *, clusters: bool = True) -> str:
    ids = _ids(graph)
    safe = {node: f"n{i}" for i, node in enumerate(sorted(graph.nodes, key=ids.__getitem__))}
    lines = ["flowchart LR"]

    def node_line(node, indent: str) -> str:
        data = graph.nodes[node]
        label = f"{mermaid_text(_node_type(node, data))}<br/>{mermaid_text(node_name(node, data))}"
        return f'{indent}{safe[node]}["{label}"]'

    def cluster(number: int, ref) -> tuple[list[str], str]:
        return [f'  subgraph c{number}["{mermaid_text("package " + str(ref))}"]'], "  end"

    lines.extend(_node_section(graph, ids, clusters, node_line, cluster))
    by_id = {ids[n]: safe[n] for n in graph.nodes}
    for source, target, label, _ in _sorted_edges(graph, ids):
        lines.append(f'  {by_id[source]} -->|"{mermaid_text(label)}"| {by_id[target]}')
    return "\n".join(lines) + "\n"


# --- JSON ---------------------------------------------------------------------------------------


def graph_data(graph) -> dict[str, Any]:
    """networkx node-link data ("nodes"/"links"), JSON-safe, sorted, without bytes values."""
    ids = _ids(graph)
    nodes = []
    for node in sorted(graph.nodes, key=ids.__getitem__):
        attrs = _attrs(graph.nodes[node])
        if "id" in attrs:  # a node attribute called "id" (a world's id) must not shadow the node id
            attrs["attr_id"] = attrs.pop("id")
        nodes.append({**attrs, "id": ids[node], "node": json_safe(list(node) if isinstance(node, tuple) else node)})
    links = []
    for source, target, label, data in _sorted_edges(graph, ids):
        links.append({**_attrs(data), "source": source, "target": target, "label": label})
    return {"directed": True, "multigraph": True, "graph": _attrs(graph.graph), "nodes": nodes, "links": links}


def render_json(graph, extra: Mapping[str, Any] | None = None) -> str:
    """The node-link data plus `extra` top-level keys (the CLI adds the whole-run findings)."""
    data = {**graph_data(graph), **_attrs(extra or {})}
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def render_graph(graph, fmt: str, extra: Mapping[str, Any] | None = None) -> str:
    """Render `graph` as `fmt` (one of FORMATS); ValueError for another format. `extra` keys go
    into the JSON form only."""
    if fmt == "dot":
        return render_dot(graph)
    if fmt == "mermaid":
        return render_mermaid(graph)
    if fmt == "json":
        return render_json(graph, extra)
    raise ValueError(f"unknown graph format `{fmt}`; expected one of {', '.join(FORMATS)}")
