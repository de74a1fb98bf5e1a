"""Validate a JSON value against the tool/ingress `input_schema` subset (spec §2.2).

engine.package.input_schema checks that a *schema* is in the subset; this checks an *instance*
against such a schema. The subset is small (type, properties, required, additionalProperties,
items, enum), so a few lines suffice and no general JSON-Schema library is pulled into the runtime.
The recursion follows the schema (bounded when the manifest is validated), never the value alone.
"""

from __future__ import annotations

from typing import Any

from engine.package.input_schema import json_equal

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def schema_error(schema: Any, value: Any, path: str = "$") -> str | None:
    """The first mismatch as `<path>: <why>`, or None when `value` satisfies `schema`."""
    if not isinstance(schema, dict):
        return None
    wanted = schema.get("type")
    check = _TYPES.get(wanted) if isinstance(wanted, str) else None
    if check is not None and not check(value):
        return f"{path}: expected {wanted}"
    if "enum" in schema and isinstance(schema["enum"], list):
        if not any(json_equal(value, option) for option in schema["enum"]):
            return f"{path}: value is not one of the enum values"
    if isinstance(value, dict):
        return _object_error(schema, value, path)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            if (error := schema_error(schema["items"], item, f"{path}[{index}]")) is not None:
                return error
    return None


def _object_error(schema: dict, value: dict, path: str) -> str | None:
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    for name in schema.get("required", ()) if isinstance(schema.get("required"), list) else ():
        if name not in value:
            return f"{path}: missing required property `{name}`"
    additional = schema.get("additionalProperties", True)
    for key in sorted(value):
        child = f"{path}.{key}"
        if key in properties:
            error = schema_error(properties[key], value[key], child)
        elif additional is False:
            error = f"{path}: property `{key}` is not allowed"
        else:
            error = schema_error(additional, value[key], child) if isinstance(additional, dict) else None
        if error is not None:
            return error
    return None
