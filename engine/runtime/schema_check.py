"""Validate a JSON value against the tool/ingress `input_schema` subset (spec §2.2).

engine.package.input_schema checks that a *schema* is in the subset; this checks an *instance*
against such a schema. The subset is small (type, properties, required, additionalProperties,
items, enum), so a few lines suffice and no general JSON-Schema library is pulled into the runtime.

`compile_schema` turns a schema into a validator once per plan (the runtime checks every call
against it); the recursion follows the schema, bounded by MAX_SCHEMA_DEPTH, never the value alone.
The JSON path of a mismatch is only built when there is one, so a passing check allocates nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from engine.diagnostics import bound_text
from engine.package.input_schema import json_equal

MAX_SCHEMA_DEPTH = 64  # manifests are validated with a lower bound; a hand-made plan must not recurse deeper
MAX_KEY_CHARS = 64  # of an object key in a reported path (keys come from the caller's input)

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}

# A mismatch: (why, path segments innermost first); None when the value satisfies the schema.
Mismatch = tuple[str, list[str]]
Check = Callable[[Any], "Mismatch | None"]
Validator = Callable[[Any, str], "str | None"]


def _accept(value: Any) -> None:
    return None


def _key_segment(key: Any) -> str:
    return "." + bound_text(str(key), MAX_KEY_CHARS)


def _compile(schema: Any, depth: int) -> Check:
    if not isinstance(schema, dict):
        return _accept
    if depth > MAX_SCHEMA_DEPTH:
        return lambda value: (f"input_schema nests deeper than {MAX_SCHEMA_DEPTH} levels", [])
    checks: list[Check] = []
    wanted = schema.get("type")
    type_ok = _TYPES.get(wanted) if isinstance(wanted, str) else None
    if type_ok is not None:
        expected = f"expected {wanted}"
        checks.append(lambda value: None if type_ok(value) else (expected, []))
    if isinstance(schema.get("enum"), list):
        options = tuple(schema["enum"])
        checks.append(
            lambda value: (
                None if any(json_equal(value, o) for o in options) else ("value is not one of the enum values", [])
            )
        )
    object_check = _compile_object(schema, depth)
    if object_check is not None:
        checks.append(lambda value: object_check(value) if isinstance(value, dict) else None)
    if isinstance(schema.get("items"), dict):
        item_check = _compile(schema["items"], depth + 1)
        checks.append(lambda value: _items(item_check, value) if isinstance(value, list) else None)
    if not checks:
        return _accept
    if len(checks) == 1:
        return checks[0]

    def check_all(value: Any) -> Mismatch | None:
        for check in checks:
            mismatch = check(value)
            if mismatch is not None:
                return mismatch
        return None

    return check_all


def _items(item_check: Check, value: list) -> Mismatch | None:
    for index, item in enumerate(value):
        mismatch = item_check(item)
        if mismatch is not None:
            mismatch[1].append(f"[{index}]")
            return mismatch
    return None


def _compile_object(schema: dict, depth: int) -> Check | None:
    """The object part (required, properties, additionalProperties); keys are visited in sorted
    order so the first mismatch reported is stable."""
    raw = schema.get("properties")
    properties = {name: _compile(child, depth + 1) for name, child in raw.items()} if isinstance(raw, dict) else {}
    required = tuple(schema["required"]) if isinstance(schema.get("required"), list) else ()
    additional = schema.get("additionalProperties", True)
    extra: Check | None = _compile(additional, depth + 1) if isinstance(additional, dict) else None
    closed = additional is False
    if not properties and not required and not closed and extra is None:
        return None

    def check_object(value: dict) -> Mismatch | None:
        for name in required:
            if name not in value:
                return f"missing required property `{bound_text(str(name), MAX_KEY_CHARS)}`", []
        if not value:
            return None
        for key in sorted(value, key=str):  # str: a Python caller's dict may mix key types
            check = properties.get(key)
            if check is None:
                if closed:
                    return f"property `{bound_text(str(key), MAX_KEY_CHARS)}` is not allowed", []
                check = extra
                if check is None:
                    continue
            mismatch = check(value[key])
            if mismatch is not None:
                mismatch[1].append(_key_segment(key))
                return mismatch
        return None

    return check_object


def _accept_all(value: Any, root: str = "$") -> None:
    return None


def _refuse_all(value: Any, root: str = "$") -> str:
    return f"{root}: the plan's input_schema is not JSON; nothing is accepted"


def compile_schema(schema: Any) -> Validator:
    """A validator for `schema`: `validator(value, root_path)` -> `<path>: <why>` of the first
    mismatch, or None."""
    check = _compile(schema, 0)
    if check is _accept:
        return _accept_all

    def validate(value: Any, root: str = "$") -> str | None:
        mismatch = check(value)
        if mismatch is None:
            return None
        why, segments = mismatch
        return f"{root}{''.join(reversed(segments))}: {why}"

    return validate


def compile_schema_json(text: str) -> Validator:
    """`compile_schema` of a plan's frozen schema text; text that is not JSON (a hand-made plan)
    gives a validator that refuses every value: fail closed, not at registry construction."""
    try:
        return compile_schema(json.loads(text))
    except (ValueError, TypeError, RecursionError):
        return _refuse_all


def schema_error(schema: Any, value: Any, path: str = "$") -> str | None:
    """The first mismatch as `<path>: <why>`, or None when `value` satisfies `schema` (compiles
    the schema each time: for one-off checks; the runtime keeps compiled validators per plan)."""
    return compile_schema(schema)(value, path)
