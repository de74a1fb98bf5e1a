"""The restricted JSON-Schema subset allowed for tool `input_schema` (spec §2.2).

Tool schemas become model-visible, so only a small, well-understood subset is accepted; anything
else (`$ref`, `oneOf`, `default`, ...) is rejected with a `$.path` that says where. Checks run in
the reference's order and the first failure wins. Object keys are visited in sorted order, as the
reference (serde_json's default ordered map) does, so the first error is the same for both.
"""

from __future__ import annotations

from typing import Any

SUPPORTED_KEYWORDS = frozenset(
    {"type", "title", "description", "properties", "required", "additionalProperties", "items", "enum"}
)
SUPPORTED_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})


class _SchemaError(Exception):
    """Internal early exit carrying the first error text."""


def validate_input_schema(schema: Any) -> str | None:
    """Return the first error text for `schema` (e.g. `$.properties.q: schema node must be a
    JSON object`), or None when it is a valid tool input schema."""
    try:
        root_type = _node(schema, "$", root=True)
    except _SchemaError as error:
        return str(error)
    if root_type != "object":
        return "root schema type must be `object`"
    return None


def _node(schema: Any, path: str, *, root: bool = False) -> str:
    """Validate one schema node (and its children); return its declared type."""
    if not isinstance(schema, dict):
        raise _SchemaError(f"{path}: schema node must be a JSON object")
    for key in sorted(schema, key=str):
        if key not in SUPPORTED_KEYWORDS:
            raise _SchemaError(f"{path}: unsupported schema keyword `{key}`")

    if "type" not in schema:
        problem = "root schema must declare type = `object`" if root else f"{path}: schema node must declare type"
        raise _SchemaError(problem)
    node_type = schema["type"]
    if not isinstance(node_type, str):
        raise _SchemaError(f"{path}: type must be a string")
    if node_type not in SUPPORTED_TYPES:
        raise _SchemaError(f"{path}: unsupported schema type `{node_type}`")

    for key in ("title", "description"):
        if key in schema and not isinstance(schema[key], str):
            raise _SchemaError(f"{path}: {key} must be a string")

    properties = schema.get("properties")
    if "properties" in schema:
        _only_for(node_type, "object", path, "properties")
        if not isinstance(properties, dict):
            raise _SchemaError(f"{path}: properties must be a JSON object")
        for name in sorted(properties, key=str):
            _node(properties[name], f"{path}.properties.{name}")

    if "required" in schema:
        _only_for(node_type, "object", path, "required")
        _required(schema["required"], properties if isinstance(properties, dict) else None, path)

    if "additionalProperties" in schema:
        _only_for(node_type, "object", path, "additionalProperties")
        additional = schema["additionalProperties"]
        if isinstance(additional, dict):
            _node(additional, f"{path}.additionalProperties")
        elif not isinstance(additional, bool):
            raise _SchemaError(f"{path}: additionalProperties must be boolean or schema object")

    if "items" in schema:
        if node_type != "array":
            raise _SchemaError(f"{path}: items is only supported for array schemas")
        _node(schema["items"], f"{path}.items")

    if "enum" in schema:
        _enum(schema["enum"], path)
    return node_type


def _only_for(node_type: str, wanted: str, path: str, keyword: str) -> None:
    if node_type != wanted:
        raise _SchemaError(f"{path}: {keyword} is only supported for {wanted} schemas")


def _required(required: Any, properties: dict | None, path: str) -> None:
    if not isinstance(required, list):
        raise _SchemaError(f"{path}: required must be an array")
    seen: set[str] = set()
    for entry in required:
        if not isinstance(entry, str):
            raise _SchemaError(f"{path}: required entries must be strings")
        if entry in seen:
            raise _SchemaError(f"{path}: required entries must be unique")
        seen.add(entry)
        if properties is not None and entry not in properties:
            raise _SchemaError(f"{path}: required entry `{entry}` is not declared in properties")


def _enum(values: Any, path: str) -> None:
    if not isinstance(values, list):
        raise _SchemaError(f"{path}: enum must be an array")
    if not values:
        raise _SchemaError(f"{path}: enum must not be empty")
    for index, value in enumerate(values):
        if any(json_equal(value, other) for other in values[index + 1 :]):
            raise _SchemaError(f"{path}: enum entries must be unique")


def json_equal(left: Any, right: Any) -> bool:
    """JSON value equality: unlike Python's `==`, `true` != `1` and `1` != `1.0` (serde_json
    keeps integers and floats apart, and so must the uniqueness check)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(json_equal(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(json_equal(a, b) for a, b in zip(left, right, strict=True))
    return left == right
