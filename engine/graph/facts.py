"""Export the graph as facts for the rule engine.

This module is the fact schema: every predicate users can write policy against is produced
here, and docs/rules.md documents the same list. Values are strings or integers only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise

import networkx as nx

from engine import api_registry
from engine.api_registry.facts import fact_schema as registry_fact_schema
from engine.api_registry.facts import grant_exporters, static_facts
from engine.api_registry.fs import broad_root_reason as broad_root_reason  # re-exported for callers
from engine.api_registry.websocket import websocket_source
from engine.limits import DEFAULT_LIMITS, HOST_MAXIMA, RAISABLE_LIMITS
from engine.protected import ProtectedPath, contains
from engine.targets.facts import TARGET_FACT_SCHEMA


@dataclass(frozen=True)
class Fact:
    """One exported predicate: its argument names (the arity is their number), where its facts
    come from (`origin`, a name of engine.datalog.metadata.ORIGINS), and, for a manifest fact,
    which part of plugin.toml it describes: `about` is an @about form over the fact's own
    argument positions (`tool(P, Tool)` is ("tool", (0, 1))). Reports locate a conclusion that
    declares no metadata by the first such fact its derivation rests on (docs/rules.md).
    `key` is the key a fact is written at in its origin file, `{Arg}` filled in from the fact:
    `limits.{Name}` is the enablement's `limits.fuel` for `limit(P, "fuel", V)`; a key ending in
    `[*]` is the entry of that array whose facts include this one (`grants.fs[*]`: the
    `[[...grants.fs]]` table an `fs_grant` fact came from), and may go on into it
    (`grants.fs[*].root`: that entry's `root` key). `volatile`: its facts depend on more
    than the inputs (time), so a verdict resting on one is never cached (engine/verdict/cached.py)."""

    args: tuple[str, ...]
    origin: str
    about: tuple[str, tuple[int, ...]] | None = None
    volatile: bool = False
    key: str | None = None

    def key_of(self, fact: tuple) -> str | None:
        """The key template filled in from `fact` (None: the fact names no key of its own)."""
        if self.key is None:
            return None
        return self.key.format_map(dict(zip(self.args, map(str, fact), strict=True)))


ENTRY = "[*]"  # in a key: the array entry whose facts include this one (Fact.key)


def _registry_schema() -> dict[str, Fact]:
    """The registry's facts: a grant-table entry's facts are written at that entry of the
    enablement (`grants.<api>[*]`), the registry's constants are the host's."""
    keys = {
        predicate: f"grants.{api.name}{ENTRY}"
        + (f".{api.grant.FACT_FIELDS[predicate]}" if predicate in api.grant.FACT_FIELDS else "")
        for api in api_registry.HOST_APIS
        for predicate in api.grant.FACTS
    }
    return {
        predicate: Fact(args, "enablement", key=keys[predicate]) if predicate in keys else Fact(args, "host")
        for predicate, args in registry_fact_schema().items()
    }


# predicate -> Fact; the documented, tested public schema.
FACT_SCHEMA: dict[str, Fact] = {
    "package": Fact(("P", "Source", "LocalId", "Version", "Digest"), "discovery"),
    "mode": Fact(("P", "Mode"), "discovery"),
    "configured": Fact(("P",), "enablement"),
    "discovered": Fact(("P",), "discovery"),
    "resolved": Fact(("P",), "resolution"),
    "package_present": Fact(("P",), "discovery"),
    "package_size": Fact(("P", "Bytes"), "discovery"),
    "package_file_size": Fact(("P", "Path", "Bytes"), "discovery"),
    "package_name": Fact(("P", "Name"), "manifest", ("package", (0,)), key="name"),
    "package_description": Fact(("P", "Description"), "manifest", ("package", (0,)), key="description"),
    "input_diagnostic": Fact(("P", "Kind", "Message"), "resolution"),
    "manifest_surface": Fact(("P", "Surface"), "manifest", ("surface", (0, 1))),
    "declares_surface": Fact(("P", "Surface"), "manifest", ("surface", (0, 1))),
    "enabled_surface": Fact(("P", "Surface"), "enablement", key="surfaces"),
    "runtime": Fact(("P", "Kind", "AbiOrWorld"), "manifest", ("runtime", (0,))),
    "runtime_artifact": Fact(("P", "Path"), "manifest", ("runtime", (0,))),
    "world": Fact(("P", "World"), "manifest", ("runtime", (0,))),
    "world_known": Fact(("World",), "host"),
    "world_export": Fact(("World", "Interface", "Func", "Sig"), "host"),
    "world_import": Fact(("World", "Interface"), "host"),
    "world_import_func": Fact(("World", "Interface", "Func", "Sig"), "host"),
    "artifact": Fact(("P", "Form"), "artifact"),
    "artifact_placeholder": Fact(("P", "Which"), "artifact"),
    "artifact_problem": Fact(("P", "Message"), "artifact"),
    "artifact_inspection_stopped": Fact(("P", "Ms"), "artifact", volatile=True),
    "artifact_size": Fact(("P", "Bytes"), "artifact"),
    "artifact_export": Fact(("P", "Interface", "Func", "Kind", "Sig"), "artifact"),
    "artifact_import": Fact(("P", "Interface", "Func", "Kind", "Sig"), "artifact"),
    "tool": Fact(("P", "Tool"), "manifest", ("tool", (0, 1))),
    "tool_external_write": Fact(("P", "Tool"), "manifest", ("tool", (0, 1))),
    "tool_name_error": Fact(("P", "Tool", "Reason"), "manifest", ("tool", (0, 1))),
    "tool_schema_error": Fact(("P", "Tool", "Reason"), "manifest", ("tool", (0, 1))),
    "tool_duplicate": Fact(("P", "Tool"), "manifest", ("tool", (0, 1))),
    "tool_name_next": Fact(("P", "Tool", "Next"), "manifest", ("tool", (0, 1))),
    "service": Fact(("P", "Service"), "manifest", ("service", (0, 1))),
    "ingress": Fact(("P", "Ingress"), "manifest", ("ingress", (0, 1))),
    "item_name_error": Fact(("P", "Surface", "Name", "Reason"), "manifest", ("item", (0, 1, 2))),
    "ingress_event_kind": Fact(("P", "Ingress", "Kind"), "manifest", ("ingress", (0, 1))),
    "ingress_source": Fact(("P", "Ingress", "Source"), "manifest", ("ingress", (0, 1))),
    "ingress_websocket_source": Fact(("P", "Ingress", "Source", "Url"), "manifest", ("ingress", (0, 1))),
    "requests": Fact(("P", "Kind", "Value"), "manifest", ("permission", (0, 1, 2))),
    "grants": Fact(("P", "Kind", "Value"), "enablement", key=f"grants.permissions{ENTRY}"),
    "grant_present": Fact(("P",), "enablement", key="grants"),
    "grant_assumed": Fact(("P",), "manifest"),
    "grant_binding": Fact(("P", "Field", "Value"), "enablement", key="grants.{Field}"),
    "grant_section": Fact(("P", "Section"), "enablement", key="grants.{Section}"),
    "config_key": Fact(("P", "Key"), "enablement", key="config.{Key}"),
    # The host's own paths no plugin may touch (engine/protected.py, issue 17 point 1), and
    # which fs grant roots (the enablement's) contain one or lie inside one.
    "protected_path": Fact(("Path", "What"), "host"),
    "path_contains": Fact(("Outer", "Inner"), "enablement"),
    "limit": Fact(("P", "Name", "Value"), "enablement", key="limits.{Name}"),
    "limit_requested": Fact(("P", "Name", "Value"), "enablement", key="limits.{Name}"),
    "limit_default": Fact(("Name", "Value"), "host"),
    "limit_maximum": Fact(("Name", "Value"), "host"),
    "restart": Fact(("P", "Name", "Value"), "enablement", key="restart.{Name}"),
    # How the enablement config sets the plugins feature (`[feature.plugins] enabled`).
    "feature_setting": Fact(("Feature", "Value"), "enablement"),
    # What a target host must read and hold (docs/targets.md): the keys as written, the
    # artifact's statically read instantiation, the config's resolved plan.
    "manifest_key": Fact(("P", "Key"), "manifest", key="{Key}"),
    "config_table_key": Fact(("P", "Table", "Key"), "enablement"),
    "resolved_plan_present": Fact(("P",), "enablement"),
    "artifact_memory_min": Fact(("P", "Bytes"), "artifact"),
    "artifact_table_min": Fact(("P", "Elements"), "artifact"),
    "artifact_count": Fact(("P", "Name", "Count"), "artifact"),
    # The upstream host WIT variants (wit/hosts) and the host interfaces their worlds import.
    "host_variant": Fact(("Variant",), "host"),
    "host_variant_interface": Fact(("Variant", "Interface"), "host"),
    # Signatures and build provenance (docs/provenance.md): statuses against [plugins.trust].
    "signature": Fact(("P", "KeyId", "Status"), "signature"),
    "signature_detail": Fact(("P", "KeyId", "Detail"), "signature"),
    "signature_file": Fact(("P", "Path"), "signature"),
    "signature_required": Fact(("P",), "enablement"),
    "trusted_key": Fact(("KeyId", "Name"), "enablement"),
    "sigstore_signature": Fact(("P", "Identity", "Issuer", "Status"), "sigstore"),
    "sigstore_detail": Fact(("P", "Detail"), "sigstore"),
    "sigstore_file": Fact(("P", "Path"), "sigstore"),
    "signed_by": Fact(("P", "Identity"), "sigstore"),
    "provenance_status": Fact(("P", "Status"), "provenance"),
    "provenance_detail": Fact(("P", "Detail"), "provenance"),
    "provenance_file": Fact(("P", "Path"), "provenance"),
    "provenance": Fact(("P", "Field", "Value"), "provenance"),
    "provenance_tool": Fact(("P", "Tool", "Version"), "provenance"),
    "provenance_signature": Fact(("P", "KeyId", "Status"), "provenance"),
    # The host-API registry's facts: its constants (the host's) and each API's grant-entry facts
    # (the enablement's).
    **_registry_schema(),
    # The target profiles judged for (`--target`), engine.targets.target_facts: only the
    # selected ones, added by the pipeline (engine/pipeline/evaluate.py).
    **{predicate: Fact(args, "target") for predicate, args in TARGET_FACT_SCHEMA.items()},
}


def schema_arities() -> dict[str, int]:
    """The schema as load-time inputs (predicate -> arity): rules loaded against it may read
    only these and what some loaded rule derives (engine.datalog.load(..., inputs=...))."""
    return {pred: len(fact.args) for pred, fact in FACT_SCHEMA.items()}


def _bool_facts(out, node_attrs, ref) -> None:
    for flag in ("configured", "discovered", "resolved", "package_present"):
        if node_attrs.get(flag):
            out[flag].add((ref,))


def export_facts(graph: nx.MultiDiGraph, protected: Iterable[ProtectedPath] = ()) -> dict[str, set[tuple]]:
    """Walk the graph once and return {predicate: set of tuples} for every schema predicate;
    `protected` are the host's protected paths of this run (engine/protected.py)."""
    out: dict[str, set[tuple]] = defaultdict(set)
    for node, attrs in graph.nodes(data=True):
        kind = attrs["type"]
        exporter = _EXPORTERS.get(kind)
        if exporter is not None:
            exporter(out, node, attrs)
    _limit_bounds(out)
    _host_variants(out)
    for predicate, rows in static_facts().items():
        out[predicate].update(rows)
    _protected(out, tuple(protected))
    out["tool_name_next"] = _tool_name_chains(out["tool"])
    return {pred: out.get(pred, set()) for pred in FACT_SCHEMA}


def _package(out, node, a):
    ref = a["ref"]
    out["package"].add((ref, a["source"] or "", a["local_id"] or "", a["version"] or "", a["digest"] or ""))
    if a.get("name") is not None:
        out["package_name"].add((ref, a["name"]))
    if a.get("description") is not None:
        out["package_description"].add((ref, a["description"]))
    for key in a.get("config_keys", ()):
        out["config_key"].add((ref, key))
    out["mode"].add((ref, a["mode"]))
    _bool_facts(out, a, ref)
    out["manifest_key"].update((ref, key) for key in a.get("manifest_keys", ()))
    out["config_table_key"].update((ref, table, key) for table, key in a.get("config_table_keys", ()))
    if a.get("resolved_plan"):
        out["resolved_plan_present"].add((ref,))
    if "size" in a:
        out["package_size"].add((ref, a["size"]))
    for path, size in a.get("large_files", ()):
        out["package_file_size"].add((ref, path, size))


def _diagnostic(out, node, a):
    out["input_diagnostic"].add((node[1], a["kind"], a["message"]))


def _surface(out, node, a):
    ref = node[1]
    if a["listed"]:
        out["manifest_surface"].add((ref, a["name"]))
    if a["declared"]:
        out["declares_surface"].add((ref, a["name"]))
    if a["enabled"]:
        out["enabled_surface"].add((ref, a["name"]))


def _tool(out, node, a):
    ref, name = node[1], a["name"]
    out["tool"].add((ref, name))
    if a["external_write"]:
        out["tool_external_write"].add((ref, name))
    if a["name_error"]:
        out["tool_name_error"].add((ref, name, a["name_error"]))
    if a["schema_error"]:
        out["tool_schema_error"].add((ref, name, a["schema_error"]))
    if a["duplicate"]:
        out["tool_duplicate"].add((ref, name))


def _tool_name_chains(tools: set[tuple]) -> set[tuple]:
    """`(P, Tool, Next)`: Next is the next package in ref order after P that declares Tool.

    Only names declared by two or more packages get links, so the facts are linear in the
    number of tools; rules walk the chain to find the package that keeps a shared name."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for ref, name in tools:
        by_name[name].append(ref)
    links: set[tuple[str, str, str]] = set()
    for name, refs in by_name.items():
        if len(refs) > 1:
            refs.sort()
            links.update((a, name, b) for a, b in pairwise(refs))
    return links


def _service_or_ingress(out, node, a):
    ref, name, kind = node[1], a["name"], a["type"]
    out[kind].add((ref, name))
    if a["name_error"]:
        out["item_name_error"].add((ref, kind, name, a["name_error"]))
    for event_kind in a.get("event_kinds", ()):
        out["ingress_event_kind"].add((ref, name, event_kind))
    for source in a.get("sources", ()):
        out["ingress_source"].add((ref, name, source))
        url = websocket_source(source)
        if url is not None:
            out["ingress_websocket_source"].add((ref, name, source, url))


def _permission(out, node, a):
    out["requests" if a["side"] == "request" else "grants"].add((node[1], a["kind"], a["value"]))


def _runtime(out, node, a):
    ref = node[1]
    out["runtime"].add((ref, a["kind"], a["abi_or_world"]))
    if a["artifact_path"]:
        out["runtime_artifact"].add((ref, a["artifact_path"]))
    if a["kind"] == "wasm-component" and a["abi_or_world"]:
        out["world"].add((ref, a["abi_or_world"]))


def _world(out, node, a):
    if a["known"]:
        out["world_known"].add((a["id"],))


def _world_function(out, node, a):
    world = node[1]
    if a["direction"] == "export":
        out["world_export"].add((world, a["interface"], a["name"], a["signature"]))
    else:
        out["world_import"].add((world, a["interface"]))
        out["world_import_func"].add((world, a["interface"], a["name"], a["signature"]))


def _artifact(out, node, a):
    ref = node[1]
    out["artifact"].add((ref, a["form"]))
    if a["form"] != "missing":
        out["artifact_size"].add((ref, a["size"]))
    if a.get("placeholder"):
        out["artifact_placeholder"].add((ref, a["placeholder"]))
    for message in a.get("diagnostics", ()):
        out["artifact_problem"].add((ref, message))
    if a.get("inspection_bound_ms") is not None:
        out["artifact_inspection_stopped"].add((ref, a["inspection_bound_ms"]))
    counts = a.get("counts")
    if counts is not None:
        out["artifact_memory_min"].add((ref, counts.memory_bytes))
        out["artifact_table_min"].add((ref, counts.table_elements))
        for name, value in (
            ("instances", counts.core_instances),
            ("tables", counts.tables),
            ("memories", counts.memories),
        ):
            out["artifact_count"].add((ref, name, value))


def _host_variants(out) -> None:
    """The bundled upstream host WIT variants and the host interfaces their worlds import."""
    from engine.wit.built_against import variant_imports

    for variant, interfaces in variant_imports().items():
        out["host_variant"].add((variant,))
        out["host_variant_interface"].update((variant, interface) for interface in interfaces)


def _artifact_item(pred):
    def export(out, node, a):
        out[pred].add((node[1], a["interface"], a["name"], a["kind"], a["signature"]))

    return export


def _grant(out, node, a):
    ref = node[1]
    out["grant_present"].add((ref,))
    if a["assumed"]:
        out["grant_assumed"].add((ref,))
    for field in ("id", "version", "digest"):
        if a[field] is not None:
            out["grant_binding"].add((ref, field, a[field]))
    for section in ("permissions", *api_registry.names()):
        if a["has_" + section]:
            out["grant_section"].add((ref, section))


def _protected(out, paths: tuple[ProtectedPath, ...]) -> None:
    """The host's protected paths, and which fs grant roots contain one or lie inside one."""
    for entry in paths:
        out["protected_path"].add((entry.path, entry.what))
    roots = {root for (_, root, _) in out["fs_grant"] if root.startswith("/")}
    for root in roots:
        for entry in paths:
            if contains(root, entry.path):
                out["path_contains"].add((root, entry.path))
            if contains(entry.path, root):
                out["path_contains"].add((entry.path, root))


def _limits(out, node, a):
    ref, effective = node[1], a["effective"]
    for name in RAISABLE_LIMITS:
        out["limit"].add((ref, name, effective[name]))
    for name, value in a["requested"].items():
        out["limit_requested"].add((ref, name, value))
    for name, value in a["restart"].items():
        out["restart"].add((ref, name, value))


def _url_target(out, node, a):
    """A manifest's declared target: the same facts as a grant entry of its API, side `manifest`."""
    for predicate, row in api_registry.get(a["api"]).grant.facts(node[1], a):
        out[predicate].add(row)


def _limit_bounds(out) -> None:
    """The host's defaults and maxima, so rules can compare a package's limits with them."""
    for name in RAISABLE_LIMITS:
        out["limit_default"].add((name, getattr(DEFAULT_LIMITS, name)))
        out["limit_maximum"].add((name, getattr(HOST_MAXIMA, name)))


def _config(out, node, a):
    """`[feature.plugins] enabled` as written: true, false, unset (a `[feature]` table without
    it) or absent (no `[feature]` table): the rules decide what each means."""
    out["feature_setting"].add(("plugins", a["plugins_feature"]))


def _signature(out, node, a):
    ref = node[1]
    out["signature"].add((ref, a["key_id"], a["status"]))
    out["signature_detail"].add((ref, a["key_id"], a["detail"]))
    out["signature_file"].add((ref, a["file"]))
    if a["required"]:
        out["signature_required"].add((ref,))


def _keyless(out, node, a):
    ref = node[1]
    out["sigstore_signature"].add((ref, a["identity"], a["issuer"], a["status"]))
    out["sigstore_detail"].add((ref, a["detail"]))
    out["sigstore_file"].add((ref, a["file"]))
    if a["verified"]:
        out["signed_by"].add((ref, a["identity"]))


def _provenance(out, node, a):
    ref = node[1]
    out["provenance_status"].add((ref, a["status"]))
    out["provenance_detail"].add((ref, a["detail"]))
    out["provenance_file"].add((ref, a["file"]))
    for field, value in a["fields"]:
        out["provenance"].add((ref, field, value))
    for tool, version in a["tools"]:
        out["provenance_tool"].add((ref, tool, version))
    for key_id, status in a["signatures"]:
        out["provenance_signature"].add((ref, key_id, status))


def _trusted_key(out, node, a):
    out["trusted_key"].add((a["key_id"], a["name"]))


_EXPORTERS = {
    "config": _config,
    "package": _package,
    "diagnostic": _diagnostic,
    "surface": _surface,
    "tool": _tool,
    "service": _service_or_ingress,
    "ingress": _service_or_ingress,
    "permission": _permission,
    "runtime": _runtime,
    "world": _world,
    "world_function": _world_function,
    "artifact": _artifact,
    "artifact_export": _artifact_item("artifact_export"),
    "artifact_import": _artifact_item("artifact_import"),
    "grant": _grant,
    "limits": _limits,
    "url_target": _url_target,
    "signature": _signature,
    "keyless": _keyless,
    "provenance": _provenance,
    "trusted_key": _trusted_key,
    **grant_exporters(),
}


def facts_about(facts: dict[str, set[tuple]], ref: str) -> dict[str, set[tuple]]:
    """The facts whose package argument `P` is `ref`, and every fact without one (the host's)."""
    out: dict[str, set[tuple]] = {}
    for pred, rows in facts.items():
        args = FACT_SCHEMA[pred].args
        position = args.index("P") if "P" in args else None
        out[pred] = set(rows) if position is None else {row for row in rows if row[position] == ref}
    return out


def facts_as_lists(facts: Mapping[str, Iterable[tuple]]) -> dict[str, list[list]]:
    """JSON-ready facts (sorted), as `yoi policy eval --facts` reads them."""
    return {pred: sorted(list(t) for t in tuples) for pred, tuples in sorted(facts.items())}
