"""Load `plugin.toml` into a `Manifest` (spec §5.4 steps 2-5, §1.1-§1.8).

Order: size bound, UTF-8, TOML (tomllib), schema (cerberus, every schema error reported at once),
then the reference's `validate_manifest` checks where the first failure wins, step 5 (services
and ingresses need the instance world) included: a manifest that fails it is not a package at
all, so nothing of it resolves, plans or runs (issue 18 point 1).

Nothing from the file reaches a message except bounded key names: a TOML error reports line and
column, never tomllib's text (which quotes the input).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Collection, Mapping
from typing import Any

from engine import api_registry
from engine.diagnostics import (
    MANIFEST_MESSAGE_LIMIT_BYTES,
    Diagnostic,
    DiagnosticError,
    Location,
    bound_bytes,
)
from engine.errors import ErrorKind
from engine.package.ids import has_invisible, is_safe_id, is_semver
from engine.package.limits import DEFAULT_LIMITS, Limits
from engine.package.manifest_locations import LazyLocations, nearest_location
from engine.package.manifest_schema import path_text, permission_from_table, schema_problems
from engine.package.model import (
    COMPONENT_KIND,
    INSTANCE_WORLD,
    RAW_ABI,
    RAW_KIND,
    SCHEMA_VERSION,
    TOOL_WORLD,
    Hook,
    Ingress,
    Manifest,
    Runtime,
    Service,
    Tool,
)
from engine.package.paths import normalize_archive_path
from engine.package.toml_input import toml_error_position, toml_failure_hint, toml_to_json

PHASE = "manifest"
MAX_SCHEMA_DIAGNOSTICS = 32


class ManifestError(DiagnosticError):
    """A manifest that parsed as TOML but failed later. `local_id` is its `id` when that is a safe
    id, so discovery can name the package in its diagnostics (spec §1.3) without parsing again."""

    error_kind = ErrorKind.REJECTED

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic, local_id: str | None):
        super().__init__(diagnostics)
        self.local_id = local_id


def load_manifest(
    data: bytes, entries: Collection[str], *, file: str = "plugin.toml", limits: Limits = DEFAULT_LIMITS
) -> Manifest:
    """Parse and validate manifest bytes; `entries` are the package's normalized paths, against
    which runtime and hook path references are checked. Raises DiagnosticError."""
    if len(data) > limits.max_manifest_size_bytes:
        raise _error("bounds", "plugin.toml exceeds the configured manifest size bound")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _error("malformed", "plugin.toml is not valid UTF-8") from None
    try:
        return _load_text(text, frozenset(entries), file)
    except RecursionError:
        # tomllib (and any walk over its result) recurses once per nesting level.
        raise _error("malformed", "plugin.toml could not be parsed: values are nested too deeply") from None


def _load_text(text: str, entries: frozenset[str], file: str) -> Manifest:
    document = _parse_toml(text, file)
    local_id = document.get("id") if is_safe_id(document.get("id")) else None
    locations = LazyLocations(text, file)
    problems = schema_problems(document)
    if problems:
        raise ManifestError(_schema_diagnostics(problems, locations), local_id)
    manifest = _build(document, locations)
    failure = validate_manifest(manifest, entries)
    if failure is not None:
        raise ManifestError(failure, local_id)
    return manifest


def _error(kind: str, message: str, location: Location | None = None) -> DiagnosticError:
    return DiagnosticError(_diagnostic(kind, message, location), error_kind=ErrorKind.REJECTED)


def _diagnostic(kind: str, message: str, location: Location | None = None) -> Diagnostic:
    return Diagnostic(kind, PHASE, bound_bytes(message, MANIFEST_MESSAGE_LIMIT_BYTES), location=location)


def _parse_toml(text: str, file: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line, column = toml_error_position(error, text)
    raise _error(
        "malformed",
        f"plugin.toml could not be parsed at line {line}, column {column}{toml_failure_hint(text)}",
        Location(file, line, column),
    )


def _schema_diagnostics(problems, locations: Mapping[str, Location]) -> list[Diagnostic]:
    """One diagnostic per schema problem, in file order, capped so a hostile manifest with
    thousands of unknown keys cannot produce a huge report."""
    located = [(nearest_location(locations, path_text(p.path)), p) for p in problems]
    located.sort(key=lambda pair: (pair[0].line, pair[0].column) if pair[0] else (math.inf, 0))
    out = [_diagnostic("malformed", f"plugin.toml: {p.message}", loc) for loc, p in located]
    if len(out) > MAX_SCHEMA_DIAGNOSTICS:
        omitted = len(out) - MAX_SCHEMA_DIAGNOSTICS
        out = out[:MAX_SCHEMA_DIAGNOSTICS]
        out.append(_diagnostic("malformed", f"plugin.toml: {omitted} more schema error(s) omitted"))
    return out


# -- building the model ----------------------------------------------------------------------


def _build(doc: dict[str, Any], locations: Mapping[str, Location]) -> Manifest:
    runtime = doc.get("runtime")
    return Manifest(
        keys=tuple(doc),
        schema_version=doc["schema_version"],
        id=doc["id"],
        name=doc["name"],
        version=doc["version"],
        description=doc.get("description"),
        surfaces=tuple(doc.get("surfaces", ())),
        runtime=Runtime(**runtime) if runtime is not None else None,
        hooks=tuple(Hook(**hook) for hook in doc.get("hooks", ())),
        tools=tuple(
            Tool(t["name"], t["description"], toml_to_json(t["input_schema"]), t.get("external_write", False))
            for t in doc.get("tools", ())
        ),
        services=tuple(
            Service(
                s["name"],
                s["description"],
                s.get("lifecycle", ""),
                toml_to_json(s["status_schema"]) if "status_schema" in s else None,
                tuple(s.get("side_effects", ())),
            )
            for s in doc.get("services", ())
        ),
        ingresses=tuple(
            Ingress(
                i["name"],
                i["description"],
                tuple(i.get("event_kinds", ())),
                toml_to_json(i["input_schema"]) if "input_schema" in i else None,
                tuple(i.get("sources", ())),
                tuple(i.get("side_effects", ())),
            )
            for i in doc.get("ingresses", ())
        ),
        permissions=tuple(permission_from_table(p) for p in doc.get("permissions", ())),
        targets=api_registry.GrantTables.of(
            {
                api.name: tuple(map(api.grant.from_table, doc.get(api.name, ())))
                for api in api_registry.manifest_tables()
            },
        ),
        locations=locations,
    )


def _targets(doc: dict[str, Any]) -> api_registry.GrantTables:
    """The top-level target tables (`[[request]]`, ...) as the registry's records."""
    apis = api_registry.manifest_tables()
    found = {api.name: tuple(map(api.grant.from_table, doc.get(api.name, ()))) for api in apis}
    return api_registry.GrantTables.of(found)


# -- semantic validation (§1.8, first failure wins) ------------------------------------------


def validate_manifest(manifest: Manifest, entries: Collection[str]) -> Diagnostic | None:
    """The reference's `validate_manifest` order (§1.8): the first failure."""
    at = manifest.location
    if manifest.schema_version != SCHEMA_VERSION:
        return _diagnostic("api", "plugin schema/API version is unsupported", at("schema_version"))
    if not is_safe_id(manifest.id):
        return _diagnostic("malformed", "plugin manifest id is not a safe local id", at("id"))
    for key in ("name", "version"):
        if not getattr(manifest, key).strip():
            return _diagnostic("malformed", "plugin manifest name and version are required", at(key))
    if not is_semver(manifest.version):  # a departure: the reference takes any non-blank text
        return _diagnostic("version", "plugin manifest version is not a SemVer 2.0.0 version", at("version"))
    for index, permission in enumerate(manifest.permissions):
        if has_invisible(permission.value):
            return _diagnostic(
                "malformed",
                "plugin permission name contains bidi or zero-width characters",
                at(f"permissions[{index}]") or at("permissions"),
            )
    if manifest.runtime is not None:
        failure = _runtime_failure(manifest.runtime, entries)
        if failure is not None:
            kind, message, key = failure
            return _diagnostic(kind, message, at(key) or at("runtime"))
    if (manifest.services or manifest.ingresses) and not _instance_runtime(manifest.runtime):
        key = "services[0]" if manifest.services else "ingresses[0]"
        return _diagnostic("surface", INSTANCE_ONLY_DECLARATIONS, at(key) or at("runtime"))
    for label, names, what in (
        ("services", [service.name for service in manifest.services], "plugin service name is not safe"),
        ("ingresses", [ingress.name for ingress in manifest.ingresses], "plugin ingress name is not safe"),
    ):
        for index, name in enumerate(names):
            if not is_safe_id(name):
                return _diagnostic("malformed", what, at(f"{label}[{index}].name") or at(f"{label}[{index}]"))
    for index, hook in enumerate(manifest.hooks):
        where = at(f"hooks[{index}].id") or at(f"hooks[{index}]")
        if not is_safe_id(hook.id):
            return _diagnostic("malformed", "plugin hook id is not safe", where)
        path_failure = _path_failure(hook.file, entries)
        if path_failure is not None:
            return _diagnostic(*path_failure, at(f"hooks[{index}].file") or where)
    return None


INSTANCE_ONLY_DECLARATIONS = "plugin service/ingress declarations require the yoi:plugin/instance@1.0.0 component world"


def _instance_runtime(runtime: Runtime | None) -> bool:
    """§1.8 step 5: only the declaration arrays need it (`surfaces = ["service"]` alone does not)."""
    return runtime is not None and runtime.kind == COMPONENT_KIND and runtime.world == INSTANCE_WORLD


def _runtime_failure(runtime: Runtime, entries: Collection[str]) -> tuple[str, str, str] | None:
    """§1.3 in order: (kind, message, location key) of the first failure, or None."""
    if runtime.kind == RAW_KIND:
        if runtime.abi != RAW_ABI:
            return "api", "plugin WASM ABI is unsupported", "runtime.abi"
        if runtime.entry is None:
            return "missing", "plugin WASM runtime entry is required", "runtime"
        if runtime.component is not None or runtime.world is not None:
            key = "runtime.component" if runtime.component is not None else "runtime.world"
            return "malformed", "plugin WASM runtime must not declare component metadata", key
        failure = _path_failure(runtime.entry, entries)
        return (*failure, "runtime.entry") if failure else None
    if runtime.kind == COMPONENT_KIND:
        if runtime.abi is not None or runtime.entry is not None:
            key = "runtime.abi" if runtime.abi is not None else "runtime.entry"
            return "malformed", "plugin component runtime must not declare raw WASM ABI metadata", key
        if runtime.world not in (TOOL_WORLD, INSTANCE_WORLD):
            return "api", "plugin component world is unsupported", "runtime.world"
        if runtime.component is None:
            return "missing", "plugin component runtime artifact is required", "runtime"
        failure = _path_failure(runtime.component, entries)
        return (*failure, "runtime.component") if failure else None
    return "api", "plugin runtime kind is unsupported", "runtime.kind"


def _path_failure(path: str, entries: Collection[str]) -> tuple[str, str] | None:
    """§1.7: a manifest path reference must be safe and name a file of the package."""
    normalized = normalize_archive_path(path)
    if normalized is None:
        return "traversal", "plugin manifest references a path outside the package root"
    if normalized not in entries:
        return "missing", "plugin manifest references a path not present in the package"
    return None
