"""The cerberus schema of `plugin.toml` (spec §1.1-§1.6) and its error texts.

Every table level rejects unknown keys, like the reference's `deny_unknown_fields`. Permission
objects are tagged by `kind`, so they are checked in a second step, each against the schema of
its kind. Error texts name the key path (`runtime.foo`, `tools[0].name`) but never echo a value
from the file: manifests are untrusted and reports must not leak their content.
"""

from __future__ import annotations

import json
import re
from typing import Any

import cerberus
from cerberus import errors as cerberus_errors

from engine import api_registry
from engine.package.model import HOST_APIS, SERVICE_LIFECYCLES, SURFACES, Permission
from engine.schemas import TYPE_WORDS, SchemaProblem, cached_validator, leaf_errors

U32_MAX = 2**32 - 1
KEY_TEXT_LIMIT = 64  # characters of one untrusted key name shown in a message

Path = tuple  # document path: str keys and int indexes


def _string(required: bool = False, description: str = "") -> dict:
    return _described({"type": "string", "required": required}, description)


def _described(rules: dict, description: str) -> dict:
    """`rules` with a description for editors (engine/json_schema.py); cerberus ignores `meta`."""
    return rules | {"meta": {"description": description}} if description else rules


def _strings(description: str) -> dict:
    return _described({"type": "list", "schema": {"type": "string"}}, description)


def _any(description: str, required: bool = False) -> dict:
    return _described({"required": True} if required else {}, description)


def _table_list(schema: dict, description: str = "") -> dict:
    return _described({"type": "list", "schema": {"type": "dict", "schema": schema}}, description)


RUNTIME_SCHEMA = {
    "kind": _string(
        required=True, description="`wasm` (a legacy raw core module) or `wasm-component` (a WebAssembly component)."
    ),
    "entry": _string(description="wasm only: path of the core module in the package."),
    "abi": _string(description="wasm only: the raw tool ABI, `yoi-plugin-wasm-1`."),
    "component": _string(description="wasm-component only: path of the component in the package."),
    "world": _string(
        description="wasm-component only: the world it targets, `yoi:plugin/tool@1.0.0` (tools) or "
        "`yoi:plugin/instance@1.0.0` (tools, a service and ingresses)."
    ),
}
HOOK_SCHEMA = {
    "id": _string(required=True, description="Hook id (a safe id)."),
    "file": _string(required=True, description="Path of the hook's file in the package."),
}
TOOL_SCHEMA = {
    "name": _string(
        required=True,
        description="Tool name: 1-128 bytes, no whitespace, control, bidi or zero-width characters; unique "
        "in the package.",
    ),
    "description": _string(required=True, description="What the tool does, shown to the model."),
    "input_schema": _any("JSON Schema of the tool's input (a restricted subset; its root is an object).", True),
    "external_write": _described(
        {"type": "boolean"},
        "The tool writes outside the host (needs an `external_write` permission and grant). Default false.",
    ),
}
SERVICE_SCHEMA = {
    "name": _string(required=True, description="Service name (a safe id)."),
    "description": _string(required=True, description="What the service does."),
    "lifecycle": _described(
        {"type": "string", "allowed": list(SERVICE_LIFECYCLES)},
        "How the service runs: `host-managed` (started and stopped with the instance); the default.",
    ),
    "status_schema": _any("JSON Schema of the service's status value (carried, not enforced)."),
    "side_effects": _strings("Side effects the service may have (carried for reviewers)."),
}
INGRESS_SCHEMA = {
    "name": _string(required=True, description="Ingress name (a safe id)."),
    "description": _string(required=True, description="What the ingress receives."),
    "event_kinds": _strings("Event kinds the ingress accepts; an event of another kind is refused."),
    "input_schema": _any("JSON Schema of an event's payload."),
    "sources": _strings("Where events come from (carried for reviewers)."),
    "side_effects": _strings("Side effects delivering an event may have (carried for reviewers)."),
}
MANIFEST_SCHEMA = {
    "schema_version": _described(
        {"type": "integer", "required": True, "min": 0, "max": U32_MAX},
        "Manifest schema version; this engine supports 1.",
    ),
    "id": _string(required=True, description="Local id of the package (a safe id)."),
    "name": _string(required=True, description="Human-readable name."),
    "version": _string(required=True, description="Package version, SemVer 2.0.0 (e.g. 0.1.0)."),
    "description": _string(description="What the package is for."),
    "surfaces": _described(
        {"type": "list", "schema": {"type": "string", "allowed": list(SURFACES)}},
        "Surfaces the package declares (each also needs a `surface` permission).",
    ),
    "runtime": _described(
        {"type": "dict", "schema": RUNTIME_SCHEMA}, "The artifact and how it runs; absent for a hook-only package."
    ),
    "hooks": _table_list(HOOK_SCHEMA, "Hooks (metadata only)."),
    "tools": _table_list(TOOL_SCHEMA, "Tools the package exposes."),
    "services": _table_list(SERVICE_SCHEMA, "Services (instance world only)."),
    "ingresses": _table_list(INGRESS_SCHEMA, "Ingresses that receive events (instance world only)."),
    # Only the tag here; the rest of each object is checked against PERMISSION_SCHEMAS[kind].
    "permissions": _described(
        {
            "type": "list",
            "schema": {
                "type": "dict",
                "allow_unknown": True,
                "schema": {"kind": _string(required=True, description="What the permission is for.")},
            },
        },
        "What the package requests; the enablement config grants it.",
    ),
    # `[[request]]`, `[[websocket]]`: the targets of the host APIs that declare them (the registry).
    **api_registry.manifest_tables_schema(),
}

# Permission kind -> (value field or None, schema of the whole object). Spec §1.6.
PERMISSION_FIELDS: dict[str, str | None] = {
    "surface": "surface",
    "tool": "name",
    "tool_namespace": "namespace",
    "service": "name",
    "ingress": "name",
    "external_write": None,
    "host_api": "api",
}
_VALUE_RULES = {"surface": {"allowed": list(SURFACES)}, "host_api": {"allowed": list(HOST_APIS)}}
_VALUE_DESCRIPTIONS = {
    "surface": "The surface: hook, tool, service, ingress or wasm.",
    "tool": "The tool's name.",
    "tool_namespace": "A tool name prefix: every tool whose name starts with it.",
    "service": "The service's name.",
    "ingress": "The ingress's name.",
    "host_api": "The host API: " + ", ".join(HOST_APIS[:-1]) + " or " + HOST_APIS[-1] + ".",
}
PERMISSION_SCHEMAS = {
    kind: {"kind": _string(required=True, description=f"`{kind}`.")}
    | (
        {
            field: _described(
                {"type": "string", "required": True} | _VALUE_RULES.get(kind, {}), _VALUE_DESCRIPTIONS[kind]
            )
        }
        if field
        else {}
    )
    for kind, field in PERMISSION_FIELDS.items()
}


def permission_from_table(item: dict) -> Permission:
    """A schema-valid permission object (manifest or grant, spec §1.6) as a `Permission`."""
    field = PERMISSION_FIELDS[item["kind"]]
    return Permission(item["kind"], item.get(field) if field else None)


class _StrictValidator(cerberus.Validator):
    """Cerberus counts `True` as an integer (bool subclasses int); TOML does not."""

    types_mapping = cerberus.Validator.types_mapping.copy()
    types_mapping["integer"] = cerberus.TypeDefinition("integer", (int,), (bool,))


def _validator(schema: dict) -> cerberus.Validator:
    return cached_validator(schema, _StrictValidator, allow_unknown=False)


def schema_problems(document: dict[str, Any]) -> list[SchemaProblem]:
    """All schema violations of a parsed manifest, top level first, then permission objects."""
    validator = _validator(MANIFEST_SCHEMA)
    problems: list[SchemaProblem] = []
    if not validator.validate(document, normalize=False):
        problems.extend(_flatten(validator._errors))
    permissions = document.get("permissions")
    if isinstance(permissions, list):
        for index, item in enumerate(permissions):
            if isinstance(item, dict) and isinstance(item.get("kind"), str):
                problems.extend(_permission_problems(item, ("permissions", index)))
    return problems


def _permission_problems(item: dict, path: Path) -> list[SchemaProblem]:
    kind = item["kind"]
    if kind not in PERMISSION_SCHEMAS:
        return [SchemaProblem(path + ("kind",), f"unknown permission kind {quote_key(kind)} in {format_path(path)}")]
    validator = _validator(PERMISSION_SCHEMAS[kind])
    if validator.validate(item, normalize=False):
        return []
    return _flatten(validator._errors, prefix=path)


def _flatten(errors, prefix: Path = ()) -> list[SchemaProblem]:
    """Leaf problems with their paths under `prefix` (the permission object's own path)."""
    out: list[SchemaProblem] = []
    for error in leaf_errors(errors):
        path = prefix + tuple(error.document_path)
        out.append(SchemaProblem(path, _describe(error, format_path(path))))
    return out


def _describe(error, where: str) -> str:
    code = error.code
    if code == cerberus_errors.UNKNOWN_FIELD.code:
        return f"unknown key {where}"
    if code == cerberus_errors.REQUIRED_FIELD.code:
        return f"missing required key {where}"
    if code == cerberus_errors.BAD_TYPE.code:
        return f"{where} must be {TYPE_WORDS.get(error.constraint, error.constraint)}"
    if code == cerberus_errors.UNALLOWED_VALUE.code:
        return f"{where} must be one of {', '.join(error.constraint)}"
    if code in (cerberus_errors.MIN_VALUE.code, cerberus_errors.MAX_VALUE.code):
        rules = _rules_at(MANIFEST_SCHEMA, tuple(error.schema_path)[:-1])
        return f"{where} must be between {rules.get('min', 0)} and {rules.get('max', U32_MAX)}"
    return f"{where} is invalid"


def _rules_at(schema: dict, path: tuple) -> dict:
    """The rule set at cerberus schema path `path` of `schema` ({} when the path leaves it)."""
    node: Any = schema
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return {}
        node = node[part]
    return node if isinstance(node, dict) else {}


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def key_text(key: Any) -> str:
    """A key name from the file, made safe to show: bounded, no control characters, and
    quoted TOML-style when it is not a bare key (so `a.b` and "a.b" stay distinguishable)."""
    if isinstance(key, int):
        return f"[{key}]"
    text = str(key)
    if len(text) > KEY_TEXT_LIMIT:
        text = text[:KEY_TEXT_LIMIT] + "\u2026"
    if _BARE_KEY.fullmatch(text):
        return text
    return json.dumps(_CONTROL.sub("?", text), ensure_ascii=False)


def format_path(path: Path) -> str:
    """`('tools', 0, 'name')` -> "`tools[0].name`" for messages."""
    return quote_key_text(path_text(path, render=key_text))


def path_text(path: Path, render=str) -> str:
    """Join a document path as `tools[0].name`; `render` formats each string key."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + render(part)
    return out


def quote_key(key: str) -> str:
    return quote_key_text(key_text(key))


def quote_key_text(text: str) -> str:
    return f"`{text}`"
