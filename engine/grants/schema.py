"""Cerberus schemas for the `[plugins]` config table (spec §3.1, permission objects §1.6).

Every level under `plugins` rejects unknown keys, like the reference's `deny_unknown_fields`.
Permission objects are tagged by `kind`, so they are checked in two passes: first the list
shape and the `kind` value, then the exact fields of that kind.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any, Iterator

import cerberus
from cerberus import errors as cerr

from engine.schemas import trusted_validator
from engine.package.manifest_schema import PERMISSION_FIELDS, PERMISSION_SCHEMAS
from engine.package.model import FS_OPERATIONS, PERMISSION_KINDS, SURFACES

_STRING = {"type": "string"}
_STRING_LIST = {"type": "list", "schema": _STRING}

PERMISSION_SHAPE = {
    "type": "dict",
    "allow_unknown": True,  # fields are checked per kind in the second pass
    "schema": {"kind": {"type": "string", "required": True, "allowed": list(PERMISSION_KINDS)}},
}

# Spec §1.6 permission objects are the same in manifests and grants: one definition, shared
# with the manifest schema (kind -> value field, kind -> strict cerberus schema).
PERMISSION_VALUE_FIELD = PERMISSION_FIELDS

HTTPS_SCHEMA = {"host": _STRING, "methods": _STRING_LIST, "path_prefixes": _STRING_LIST}
FS_SCHEMA = {
    "root": _STRING,
    "operations": {"type": "list", "schema": {"type": "string", "allowed": list(FS_OPERATIONS)}},
}

GRANTS_SCHEMA = {
    "id": _STRING,
    "version": _STRING,
    "digest": _STRING,
    "permissions": {"type": "list", "schema": PERMISSION_SHAPE},
    "https": {"type": "list", "schema": {"type": "dict", "schema": HTTPS_SCHEMA}},
    "fs": {"type": "list", "schema": {"type": "dict", "schema": FS_SCHEMA}},
}

ENABLEMENT_SCHEMA = {
    "id": _STRING,
    "version": _STRING,
    "digest": _STRING,
    "surfaces": {"type": "list", "schema": {"type": "string", "allowed": list(SURFACES)}},
    "grants": {"type": "dict", "schema": GRANTS_SCHEMA},
    "config": {},  # any TOML value; opaque (and possibly secret)
}

# Validated as the document {"plugins": <table>} so error paths start at `plugins`.
PLUGINS_SCHEMA = {
    "plugins": {
        "type": "dict",
        "schema": {
            "enabled": {"type": "list", "schema": {"type": "dict", "schema": ENABLEMENT_SCHEMA}},
            # Written by startup resolution (§3.7); tolerated and ignored here.
            "resolved": {"type": "list"},
            "diagnostics": {"type": "list"},
        },
    }
}

_TYPE_WORDS = {
    "string": "a string", "list": "an array", "dict": "a table", "boolean": "a boolean",
    "integer": "an integer",
}
# Key names are named in messages only when they look like short identifiers, so a message never
# carries arbitrary file text (nor a long token pasted as a key); values are never named at all.
_TOKEN_RE = re.compile(r"[A-Za-z0-9_.-]{1,32}")


@dataclass(frozen=True)
class SchemaProblem:
    """One leaf schema error: where (document path) and a message free of file content."""

    path: tuple
    message: str


def token(value: object) -> str | None:
    return value if isinstance(value, str) and _TOKEN_RE.fullmatch(value) else None


def format_path(path: tuple) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = token(part) or "<key>"
            out += f".{name}" if out else name
    return out


def _leaves(errors) -> Iterator[cerr.ValidationError]:
    for error in errors:
        if error.is_group_error:
            yield from _leaves(error.child_errors)
        else:
            yield error


def _describe(error: cerr.ValidationError, path: tuple) -> str:
    where = f"plugin config key `{format_path(path)}`"
    if error.code == cerr.UNKNOWN_FIELD.code:
        return f"{where} is not allowed"
    if error.code == cerr.REQUIRED_FIELD.code:
        return f"{where} is required"
    if error.rule == "type":
        return f"{where} must be {_TYPE_WORDS.get(error.constraint, error.constraint)}"
    if error.rule == "allowed":
        return f"{where} must be one of: {', '.join(error.constraint)}"
    return f"{where} is invalid"


def check(document: dict, schema: dict, prefix: tuple = ()) -> list[SchemaProblem]:
    """Validate `document` strictly; return its leaf problems with paths under `prefix`."""
    validator = _validator(schema)
    if validator.validate(document):
        return []
    problems = []
    for error in _leaves(validator._errors):
        path = prefix + tuple(error.document_path)
        problems.append(SchemaProblem(path, _describe(error, path)))
    return problems


_LOCAL = threading.local()


def _validator(schema: dict) -> cerberus.Validator:
    """Build each schema's validator once per thread: construction checks the schema itself, and
    a validator keeps per-run state."""
    cache = _LOCAL.__dict__.setdefault("validators", {})
    validator = cache.get(id(schema))
    if validator is None:
        validator = cache[id(schema)] = trusted_validator(schema, allow_unknown=False)
    return validator


def check_plugins(plugins: Any) -> list[SchemaProblem]:
    """Both passes over the `plugins` table; permission fields are checked only if the shape is ok."""
    problems = check({"plugins": plugins}, PLUGINS_SCHEMA)
    if problems:
        return problems
    for i, enablement in enumerate(plugins.get("enabled", ())):
        for j, permission in enumerate(enablement.get("grants", {}).get("permissions", ())):
            prefix = ("plugins", "enabled", i, "grants", "permissions", j)
            problems += check(permission, PERMISSION_SCHEMAS[permission["kind"]], prefix)
    return problems
