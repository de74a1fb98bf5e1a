"""Per-package views over an Evaluation: inspection object, conclusions, locations.

These are renderings of what the rules concluded; no decision is taken here. The shapes extend
the reference's static inspection object (spec §4.1) with classification, eligibility per
surface and the rule conclusions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine import api_registry
from engine.diagnostics import Location, bound_text
from engine.package.model import Ingress, Package, Service, Tool

ITEM_SURFACES = ("tool", "service", "ingress")
_PLURAL = {"tool": "tools", "service": "services", "ingress": "ingresses"}
ABI_PREFIXES = ("component_", "raw_", "artifact_", "core_", "host_import_")
RUNTIME_PREFIXES = ABI_PREFIXES + ("runtime_",)
# Warnings about broad allowlist entries (rules/hostapi.rules) belong to their host API.
GRANT_WARNING_PREFIXES = {f"{api}_grant_": api for api in api_registry.names()}
LIMIT_PREFIX = "limit_"


def conclusion_item(conclusion, package: Package | None) -> tuple[str, str] | None:
    """(surface, name) of the manifest item a conclusion is about, if it is about one."""
    args, code = conclusion.args, conclusion.code
    for prefix, api in GRANT_WARNING_PREFIXES.items():
        if code.startswith(prefix):
            return "host_api", api
    if code.startswith(LIMIT_PREFIX):
        return None  # about the enablement's limits, even when a limit name equals an item name
    if len(args) >= 3 and args[1] in ITEM_SURFACES:
        return args[1], args[2]
    if len(args) >= 2:
        for surface in ITEM_SURFACES:
            if code.startswith(surface + "_") or (surface == "tool" and code.startswith("external_write_")):
                return surface, args[1]
        if code.startswith("host_api_"):
            return "host_api", args[1]
    if package is not None and len(args) >= 2 and not code.startswith(RUNTIME_PREFIXES):
        # An org rule about a manifest item; an artifact's import or export that happens to
        # share a tool's name is not about that tool.
        manifest = package.manifest
        names = {("tool", t.name) for t in manifest.tools} | {("service", s.name) for s in manifest.services}
        names |= {("ingress", i.name) for i in manifest.ingresses}
        for arg in args[1:]:
            for surface in ITEM_SURFACES:
                if (surface, arg) in names:
                    return surface, arg
    return None


def conclusion_location(conclusion, package: Package | None, subject=None) -> Location | None:
    """Where in plugin.toml (or the grants config) a reviewer should look for a conclusion."""
    if package is None:
        return None
    if (
        conclusion.code.startswith(tuple(GRANT_WARNING_PREFIXES))
        and subject is not None
        and subject.enablement is not None
    ):
        return subject.enablement.location  # the grant is written there, not in plugin.toml
    manifest = package.manifest
    item = conclusion_item(conclusion, package)
    key = None
    if item and item[0] in _PLURAL:
        by_kind: dict[str, Sequence[Tool | Service | Ingress]] = {
            "tool": manifest.tools,
            "service": manifest.services,
            "ingress": manifest.ingresses,
        }
        items = by_kind[item[0]]
        index = next((i for i, it in enumerate(items) if it.name == item[1]), None)
        key = f"{_PLURAL[item[0]]}[{index}]" if index is not None else None
    elif item and item[0] == "host_api":
        index = next(
            (i for i, p in enumerate(manifest.permissions) if p.kind == "host_api" and p.value == item[1]), None
        )
        key = f"permissions[{index}]" if index is not None else "permissions"
    elif (
        conclusion.code.startswith(("binding_", LIMIT_PREFIX))
        and subject is not None
        and subject.enablement is not None
    ):
        return subject.enablement.location
    elif conclusion.code.startswith(RUNTIME_PREFIXES):
        key = "runtime"
    elif conclusion.code.startswith("permission_names_undeclared_"):
        value = conclusion.args[1] if len(conclusion.args) > 1 else None
        index = next((i for i, p in enumerate(manifest.permissions) if p.value == value), None)
        key = f"permissions[{index}]" if index is not None else "permissions"
    elif conclusion.code.startswith(("surface_", "declarations_")):
        key = "surfaces"
    location = manifest.location(key) if key else None
    if location is None:
        location = manifest.location("id")
    if location is not None and location.file is None:
        location = Location("plugin.toml", location.line, location.column)
    return location


def qualified_message(conclusion, package: Package | None) -> str:
    """The message, prefixed with the item it concerns when the message does not name it
    (spec §4.2 writes service/ingress diagnostics as ``service `name`: reason``)."""
    item = conclusion_item(conclusion, package)
    if item is None or item[0] == "host_api" or f"`{item[1]}`" in conclusion.message:
        return conclusion.message
    return f"{item[0]} `{item[1]}`: {conclusion.message}"


def conclusion_dict(conclusion, package: Package | None, subject=None) -> dict[str, Any]:
    location = conclusion_location(conclusion, package, subject)
    rule = conclusion.location
    return {
        "severity": conclusion.severity,
        "code": conclusion.code,
        "message": bound_text(qualified_message(conclusion, package)),
        "args": list(conclusion.args),
        "location": _location_dict(location),
        "rule": _location_dict(rule),
    }


def _location_dict(location) -> dict[str, Any] | None:
    if location is None:
        return None
    return {"file": str(location.file) if location.file else None, "line": location.line, "column": location.column}


def _messages(conclusions, severity: str = "deny") -> str | None:
    texts = [c.message for c in conclusions if c.severity == severity]
    return bound_text("; ".join(texts)) if texts else None


def inspection(evaluation, ref: str) -> dict[str, Any] | None:
    """The static inspection object of spec §4.1, extended; None when there is no package."""
    subject = evaluation.subject(ref)
    if subject is None or subject.package is None:
        return None
    package = subject.package
    manifest = package.manifest
    conclusions = evaluation.conclusions(ref)
    by_item: dict[tuple[str, str], list] = {}
    package_level = []
    for conclusion in conclusions:
        item = conclusion_item(conclusion, package)
        if item is None:
            package_level.append(conclusion)
        else:
            by_item.setdefault(item, []).append(conclusion)
    enabled = set(subject.enabled_surfaces)
    requested = {(k, v) for (_, k, v) in evaluation.rows("requests", ref)}
    granted = {(k, v) for (_, k, v) in evaluation.rows("grants", ref)}

    def item_entry(surface: str, name: str, **extra: Any) -> dict[str, Any]:
        """Spec §4.1 field order; `extra` (a tool's external_write) goes before `diagnostic`."""
        return {
            "name": name,
            "permission": f"{surface}.{name}",
            "requested": (surface, name) in requested,
            "granted": (surface, name) in granted,
            "eligible": evaluation.holds("eligible", ref, surface, name),
            **extra,
            "diagnostic": _messages(by_item.get((surface, name), [])),
        }

    # The runtime is ineligible when a denial blocks the whole package (rules: `blocking`); such
    # a denial may still name an item, e.g. an org rule about one tool.
    blocking = {code for (_, code) in evaluation.rows("blocking", ref)}
    runtime_diag = _messages([c for c in conclusions if c.code in blocking])
    tools = []
    if "tool" in enabled:
        for tool in manifest.tools:
            tools.append(item_entry("tool", tool.name, external_write=tool.external_write))
    services = [item_entry("service", s.name) for s in manifest.services] if "service" in enabled else []
    ingresses = [item_entry("ingress", i.name) for i in manifest.ingresses] if "ingress" in enabled else []
    host_apis = []
    for api in api_registry.names():
        if ("host_api", api) in requested or ("host_api", api) in granted:
            diag = _messages(by_item.get(("host_api", api), []))
            needs = [c.message for c in by_item.get(("host_api", api), []) if c.severity == "info"]
            host_apis.append(
                {
                    "permission": f"host_api.{api}",
                    "requested": ("host_api", api) in requested,
                    "granted": ("host_api", api) in granted,
                    "eligible": evaluation.holds("host_api_eligible", ref, api),
                    "diagnostic": diag,
                    "note": bound_text(needs[0]) if needs else None,
                }
            )
    return {
        "classification": evaluation.value("classification", ref),
        "runtime": {
            "eligible": evaluation.holds("runtime_eligible", ref),
            "status": evaluation.value("runtime_status", ref, "none"),
            "classification": evaluation.value("classification", ref),
            "diagnostic": runtime_diag,
        },
        "host_apis": host_apis,
        "tools": tools,
        "services": services,
        "ingresses": ingresses,
        "abi": [conclusion_dict(c, package, subject) for c in conclusions if c.code.startswith(ABI_PREFIXES)],
    }


def limits_view(evaluation, ref: str) -> dict[str, Any] | None:
    """Effective runtime limits and restart policy (what a plan carries), with the limits the
    rules found raised or capped; None when there is no package."""
    subject = evaluation.subject(ref)
    if subject is None or subject.package is None:
        return None
    return {
        "effective": {name: value for (_, name, value) in evaluation.rows("limit", ref)},
        "raised": {name: value for (_, name, value) in evaluation.rows("limit_raised", ref)},
        "capped": {
            name: {"requested": requested, "maximum": maximum}
            for (_, name, requested, maximum) in evaluation.rows("limit_capped", ref)
        },
        "restart": {name: value for (_, name, value) in evaluation.rows("restart", ref)},
    }


def limits_line(limits: dict[str, Any] | None) -> str | None:
    """`fuel=20000000 (capped from 10^11)`-style text of the raised limits, for human reports."""
    if not limits or not limits["raised"]:
        return None
    parts = []
    for name, value in limits["raised"].items():
        capped = limits["capped"].get(name)
        parts.append(f"{name}={value}" + (f" (capped from {capped['requested']})" if capped else ""))
    return ", ".join(parts)
