"""Build one networkx MultiDiGraph from the subjects of an evaluation.

The graph is the engine's single picture of what is being judged: packages with their runtime,
artifact (exports/imports as inspected), declared world (exports/imports from WIT), surfaces,
tools, services, ingresses, requested permissions, and the grant with its permissions and host
allowlists. Nodes are keyed by tuples whose first element is the node type; every node carries a
`type` attribute and every edge a `label`. Nothing here decides anything: facts.py exports the
graph as facts and rules/*.rules decide.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import networkx as nx

from engine import api_registry
from engine.api_registry.url_target import GRANT_SIDE, MANIFEST_SIDE
from engine.graph.inputs import Subject
from engine.graph.worlds import WorldSummary, world_summary
from engine.package.model import Ingress, Package, Service
from engine.provenance.inspect import PackageTrust

NodeKey = tuple[str | int, ...]  # (node type, ...): see the module docstring


def build_graph(
    subjects: Iterable[Subject],
    *,
    inspect: Callable[[bytes], object] | None = None,
    worlds: Callable[[str], WorldSummary | None] = world_summary,
    plugins_feature: str | None = None,
) -> nx.MultiDiGraph:
    """Return the graph for `subjects`. `inspect` defaults to engine.artifact.inspect_artifact;
    `plugins_feature` (how the enablement config sets `[feature.plugins] enabled`, when there is a
    config) adds one `config` node."""
    if inspect is None:
        from engine.artifact import inspect_artifact as inspect
    graph: nx.MultiDiGraph[NodeKey] = nx.MultiDiGraph()
    if plugins_feature is not None:
        graph.add_node(("config",), type="config", plugins_feature=plugins_feature)
    for subject in subjects:
        _add_subject(graph, subject, inspect, worlds)
    return graph


def _add_subject(graph, subject: Subject, inspect, worlds) -> None:
    ref = subject.ref
    pkg_node = ("package", ref)
    package = subject.package
    manifest = package.manifest if package else None
    graph.add_node(
        pkg_node,
        type="package",
        ref=ref,
        mode=subject.mode,
        source=subject.source or (package.source if package else ""),
        local_id=manifest.id if manifest else ref.partition(":")[2],
        version=manifest.version if manifest else "",
        digest=package.digest if package else "",
        configured=subject.configured,
        discovered=subject.discovered,
        resolved=subject.resolved,
        package_present=subject.package_present or subject.discovered,
        path=subject.package_path or (package.path if package else None),
        name=manifest.name if manifest else None,
        description=manifest.description if manifest else None,
        config_keys=config_keys(subject.config),
        manifest_keys=manifest.keys if manifest else (),
        config_table_keys=subject.config_table_keys,
        resolved_plan=subject.resolved_plan,
        **(_package_sizes(package) if package else {}),
    )
    for index, diag in enumerate(subject.diagnostics):
        node = ("diagnostic", ref, index)
        graph.add_node(node, type="diagnostic", kind=diag.kind, phase=diag.phase, message=diag.message)
        graph.add_edge(pkg_node, node, label="reports")
    _add_surfaces(graph, subject)
    if package is not None:
        _add_manifest_items(graph, ref, package)
        _add_runtime(graph, ref, package, inspect, worlds)
        _add_limits(graph, ref, subject.enablement)
    if subject.grants is not None:
        _add_grant(graph, ref, subject.grants, assumed=subject.grants_assumed)
    if package is not None:
        _add_url_targets(graph, ref, package.manifest.targets, subject.grants)
    if subject.trust is not None:
        _add_trust(graph, ref, subject.trust)


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def config_keys(config: object) -> tuple[str, ...]:
    """Every key path of the enablement's `config` table, never a value (it may hold secrets):
    `token`, `db.host`, a key that is no bare TOML key quoted (`db."a.b"`). Arrays are not
    entered. Iterative, so a deeply nested table costs no recursion."""
    out: list[str] = []
    todo: list[tuple[str, object]] = [("", config)]
    while todo:
        prefix, table = todo.pop()
        if not isinstance(table, dict):
            continue
        for key, value in table.items():
            part = key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
            path = f"{prefix}.{part}" if prefix else part
            out.append(path)
            todo.append((path, value))
    return tuple(sorted(out))


# Files at least this large get a `package_file_size` fact: the rules compare them with the
# reference's per-file bound (8 MiB) while the facts stay small (at most 40 per 40 MiB package).
LARGE_FILE_BYTES = 1024 * 1024


def _package_sizes(package: Package) -> dict[str, Any]:
    """The package's stored-archive size and its large files, for the reference-bound warnings."""
    from engine.package.archive import stored_archive_size

    large = tuple(sorted((path, len(data)) for path, data in package.files.items() if len(data) >= LARGE_FILE_BYTES))
    return {"size": stored_archive_size(package.files), "large_files": large}


def _add_surfaces(graph, subject: Subject) -> None:
    manifest = subject.package.manifest if subject.package else None
    listed = set(manifest.surfaces) if manifest else set()
    declared = set(manifest.declared_surfaces()) if manifest else set()
    enabled = set(subject.enabled_surfaces)
    for surface in sorted(listed | declared | enabled):
        node = ("surface", subject.ref, surface)
        graph.add_node(
            node,
            type="surface",
            name=surface,
            listed=surface in listed,
            declared=surface in declared,
            enabled=surface in enabled,
        )
        graph.add_edge(("package", subject.ref), node, label="declares" if surface in declared else "enables")


def _add_manifest_items(graph, ref: str, package: Package) -> None:
    from engine.package.input_schema import validate_input_schema
    from engine.package.tools import duplicate_tool_names, validate_tool_name

    manifest = package.manifest
    pkg_node = ("package", ref)
    duplicates = duplicate_tool_names(manifest)
    for index, tool in enumerate(manifest.tools):
        node: NodeKey = ("tool", ref, tool.name)
        graph.add_node(
            node,
            type="tool",
            name=tool.name,
            index=index,
            external_write=tool.external_write,
            name_error=validate_tool_name(tool.name),
            schema_error=validate_input_schema(tool.input_schema),
            duplicate=tool.name in duplicates,
        )
        graph.add_edge(pkg_node, node, label="declares")
    declared: tuple[tuple[str, Sequence[Service | Ingress]], ...] = (
        ("service", manifest.services),
        ("ingress", manifest.ingresses),
    )
    for kind, items in declared:
        for index, item in enumerate(items):
            node = (kind, ref, item.name)
            attrs: dict[str, Any] = {
                "type": kind,
                "name": item.name,
                "index": index,
                "name_error": validate_tool_name(item.name),
            }
            if isinstance(item, Ingress):
                attrs.update(event_kinds=tuple(item.event_kinds), sources=tuple(item.sources))
            graph.add_node(node, **attrs)
            graph.add_edge(pkg_node, node, label="declares")
    for index, permission in enumerate(manifest.permissions):
        _add_permission(graph, pkg_node, ref, "request", permission, index)


def _add_runtime(graph, ref: str, package: Package, inspect, worlds) -> None:
    runtime = package.manifest.runtime
    pkg_node = ("package", ref)
    rt_node = ("runtime", ref)
    if runtime is None:
        graph.add_node(rt_node, type="runtime", kind="none", abi_or_world="", artifact_path=None)
        graph.add_edge(pkg_node, rt_node, label="runs")
        return
    abi_or_world = (runtime.abi if runtime.kind == "wasm" else runtime.world) or ""
    path = runtime.artifact_path
    graph.add_node(rt_node, type="runtime", kind=runtime.kind, abi_or_world=abi_or_world, artifact_path=path)
    graph.add_edge(pkg_node, rt_node, label="runs")
    if runtime.kind == "wasm-component" and runtime.world:
        world_node = _add_world(graph, runtime.world, worlds)
        graph.add_edge(rt_node, world_node, label="targets")
    if path is None:
        return
    art_node = ("artifact", ref)
    data = package.files.get(path)
    if data is None:
        graph.add_node(art_node, type="artifact", form="missing", path=path, placeholder=None, size=0)
        graph.add_edge(rt_node, art_node, label="loads")
        return
    info = inspect(data)
    graph.add_node(
        art_node,
        type="artifact",
        form=info.form,
        path=path,
        placeholder=info.placeholder,
        size=len(data),
        diagnostics=tuple(d.message for d in info.diagnostics),
        inspection_bound_ms=None if info.inspection_bound_s is None else round(info.inspection_bound_s * 1000),
        counts=info.counts,
    )
    graph.add_edge(rt_node, art_node, label="loads")
    for label, items in (("exports", info.exports), ("imports", info.imports)):
        for item in items:
            node = ("artifact_" + label[:-1], ref, item.interface, item.name)
            graph.add_node(
                node,
                type="artifact_" + label[:-1],
                interface=item.interface,
                name=item.name,
                kind=item.kind,
                signature=item.signature or "",
            )
            graph.add_edge(art_node, node, label=label)
            if label == "exports" and runtime.world:
                fn_node = ("world_function", runtime.world, "export", item.interface, item.name)
                if graph.has_node(fn_node):
                    graph.add_edge(node, fn_node, label="implements")


def _add_limits(graph, ref: str, enablement) -> None:
    """What the enablement asks (`limits`, `restart`) and what the plan would carry."""
    from engine.grants.limits import effective_limits, restart_policy

    requested = dict(enablement.limits) if enablement is not None else {}
    restart = dict(enablement.restart) if enablement is not None else {}
    node = ("limits", ref)
    graph.add_node(
        node,
        type="limits",
        requested=requested,
        effective=effective_limits(requested).to_dict(),
        restart=restart_policy(restart).to_dict(),
    )
    graph.add_edge(("package", ref), node, label="limited_by")


def _add_world(graph, world_id: str, worlds) -> tuple:
    node = ("world", world_id)
    if graph.has_node(node):
        return node
    summary = worlds(world_id)
    graph.add_node(node, type="world", id=world_id, known=summary is not None)
    if summary is None:
        return node
    for direction, functions in (("export", summary.exports), ("import", summary.imports)):
        for interface, name, signature in functions:
            fn_node = ("world_function", world_id, direction, interface, name)
            graph.add_node(
                fn_node, type="world_function", direction=direction, interface=interface, name=name, signature=signature
            )
            graph.add_edge(node, fn_node, label=direction + "s")
            if interface:
                iface_node = ("interface", interface)
                graph.add_node(iface_node, type="interface", id=interface)
                graph.add_edge(fn_node, iface_node, label="member_of")
    return node


def _add_grant(graph, ref: str, grants, *, assumed: bool) -> None:
    grant_node = ("grant", ref)
    graph.add_node(
        grant_node,
        type="grant",
        assumed=assumed,
        id=grants.id,
        version=grants.version,
        digest=grants.digest,
        has_permissions=bool(grants.permissions),
        **{f"has_{api.name}": bool(grants.table(api.name)) for api in api_registry.HOST_APIS},
    )
    graph.add_edge(("package", ref), grant_node, label="granted")
    for index, permission in enumerate(grants.permissions):
        _add_permission(graph, grant_node, ref, "grant", permission, index)
    for api in api_registry.HOST_APIS:  # each grant-table entry, as its registry record describes it
        node_type = api_registry.grant_node_type(api)
        for index, entry in enumerate(grants.table(api.name)):
            node = (node_type, ref, index)
            graph.add_node(node, type=node_type, side=GRANT_SIDE, index=index, **entry.graph_attrs())
            graph.add_edge(grant_node, node, label="allows")


def _add_url_targets(graph, ref: str, targets, grants) -> None:
    """The manifest's declared targets (`[[request]]`, `[[websocket]]`): one `url_target` node
    each, with how it relates to each grant of its API (engine/grants/url_targets.py: intersects,
    grant_covers, target_covers) and a `declares` edge from the package."""
    if not targets:
        return
    from engine.grants.url_targets import covers, intersect

    for api, entries in targets.items:
        granted = grants.table(api) if grants is not None else ()
        for index, target in enumerate(entries):
            relations = tuple(
                (relation, grant_index)
                for grant_index, grant in enumerate(granted)
                for relation, holds in (
                    ("intersects", intersect(target, grant)),
                    ("grant_covers", covers(grant, target)),
                    ("target_covers", covers(target, grant)),
                )
                if holds
            )
            node = ("url_target", ref, api, index)
            graph.add_node(
                node, type="url_target", side=MANIFEST_SIDE, index=index, relations=relations, **target.graph_attrs()
            )
            graph.add_edge(("package", ref), node, label="declares")


def _add_permission(graph: nx.MultiDiGraph, parent: NodeKey, ref: str, side: str, permission, index: int) -> None:
    """One permission node, requested by the manifest or granted by the enablement (`side`)."""
    node: NodeKey = ("permission", ref, side, permission.kind, permission.value or "")
    graph.add_node(
        node,
        type="permission",
        side=side,
        kind=permission.kind,
        value=permission.value or "",
        label_text=permission.label,
        index=index,
    )
    graph.add_edge(parent, node, label="requests" if side == "request" else "grants")


def _text(value: str) -> str:
    """A file path or text as a fact value: a name that is not UTF-8 (its lone surrogates) is
    written with `\\udcXX` escapes, since facts hold only real strings."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def _add_trust(graph, ref: str, trust: PackageTrust) -> None:
    """Signatures (one node each; key id "" for a status about the whole file), the Sigstore
    bundle, the build provenance, and the trusted keys they were checked against (shared nodes)."""
    pkg_node = ("package", ref)
    signature = trust.signature
    for index, result in enumerate(signature.results):
        node: NodeKey = ("signature", ref, index)
        graph.add_node(
            node,
            type="signature",
            file=_text(signature.path),
            key_id=result.key_id,
            status=result.status,
            detail=_text(result.detail),
            required=trust.required,
        )
        graph.add_edge(pkg_node, node, label="signed")
    provenance = trust.provenance
    node = ("provenance", ref)
    graph.add_node(
        node,
        type="provenance",
        file=_text(provenance.path),
        status=provenance.status,
        detail=_text(provenance.detail),
        fields=provenance.build.fields() if provenance.build else (),
        tools=provenance.build.tools if provenance.build else (),
        signatures=tuple((r.key_id, r.status) for r in provenance.signatures),
    )
    graph.add_edge(pkg_node, node, label="built")
    keyless = trust.keyless
    bundle = ("keyless", ref)
    graph.add_node(
        bundle,
        type="keyless",
        file=_text(trust.keyless_path),
        status=keyless.status if keyless else "missing",
        detail=_text(keyless.detail) if keyless else "no Sigstore bundle beside the package",
        identity=_text(keyless.identity) if keyless else "",
        issuer=_text(keyless.issuer) if keyless else "",
        verified=keyless.verified if keyless else False,
    )
    graph.add_edge(pkg_node, bundle, label="signed")
    for key_id, name in trust.keys:
        key_node = ("trusted_key", key_id)
        graph.add_node(key_node, type="trusted_key", key_id=key_id, name=name)
        for index, result in enumerate(signature.results):
            if result.key_id == key_id:
                graph.add_edge(("signature", ref, index), key_node, label="made_with")
