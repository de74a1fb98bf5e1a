"""Cerberus schemas for the `[plugins]` config table (spec §3.1, permission objects §1.6).

Every level under `plugins` rejects unknown keys, like the reference's `deny_unknown_fields`.
Permission objects are tagged by `kind`, so they are checked in two passes: first the list
shape and the `kind` value, then the exact fields of that kind.
"""

from __future__ import annotations

import re
from typing import Any

from cerberus import errors as cerr

from engine.grants.limits import RESTART_BOUNDS, restart_problem
from engine.grants.roots import canonical_fs_root
from engine.package.ids import has_invisible
from engine.package.manifest_schema import PERMISSION_SCHEMAS, _StrictValidator, path_text
from engine.package.model import FS_OPERATIONS, PERMISSION_KINDS, SURFACES
from engine.plan import RAISABLE_LIMITS
from engine.schemas import TYPE_WORDS, SchemaProblem, cached_validator, leaf_errors

_STRING = {"type": "string"}
_STRING_LIST = {"type": "list", "schema": _STRING}

PERMISSION_SHAPE = {
    "type": "dict",
    "allow_unknown": True,  # fields are checked per kind in the second pass
    "schema": {"kind": {"type": "string", "required": True, "allowed": list(PERMISSION_KINDS)}},
}

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

# `[plugins.host]`: host settings (not grants); see engine.grants.model.HostSettings.
HOST_SCHEMA = {"https_ca_bundle": {"type": "string", "empty": False}}

# Limits are positive integers; a value above the host maximum is capped (engine/grants/limits.py)
# and a rule warns about it, so the schema sets no upper bound here. Restart settings are bounded.
_POSITIVE = {"type": "integer", "min": 1}
LIMITS_SCHEMA = dict.fromkeys(RAISABLE_LIMITS, _POSITIVE)
RESTART_SCHEMA = {name: {"type": "integer", "min": low, "max": high} for name, (low, high) in RESTART_BOUNDS.items()}

ENABLEMENT_SCHEMA = {
    "id": _STRING,
    "version": _STRING,
    "digest": _STRING,
    "surfaces": {"type": "list", "schema": {"type": "string", "allowed": list(SURFACES)}},
    "grants": {"type": "dict", "schema": GRANTS_SCHEMA},
    "config": {},  # any TOML value; opaque (and possibly secret)
    "limits": {"type": "dict", "schema": LIMITS_SCHEMA},
    "restart": {"type": "dict", "schema": RESTART_SCHEMA},
}

# Validated as the document {"plugins": <table>} so error paths start at `plugins`.
PLUGINS_SCHEMA = {
    "plugins": {
        "type": "dict",
        "schema": {
            "enabled": {"type": "list", "schema": {"type": "dict", "schema": ENABLEMENT_SCHEMA}},
            "host": {"type": "dict", "schema": HOST_SCHEMA},
            # Written by startup resolution (§3.7); tolerated and ignored here.
            "resolved": {"type": "list"},
            "diagnostics": {"type": "list"},
        },
    }
}

# Key names are named in messages only when they look like short identifiers, so a message never
# carries arbitrary file text (nor a long token pasted as a key); values are never named at all.
_TOKEN_RE = re.compile(r"[A-Za-z0-9_.-]{1,32}")


def token(value: object) -> str | None:
    return value if isinstance(value, str) and _TOKEN_RE.fullmatch(value) else None


def format_path(path: tuple) -> str:
    """`plugins.enabled[0].grants`, with any key that is not a short identifier shown as `<key>`."""
    return path_text(path, render=lambda key: token(key) or "<key>")


def _describe(error: cerr.ValidationError, path: tuple) -> str:
    where = f"plugin config key `{format_path(path)}`"
    if error.code == cerr.UNKNOWN_FIELD.code:
        return f"{where} is not allowed"
    if error.code == cerr.REQUIRED_FIELD.code:
        return f"{where} is required"
    if error.rule == "type":
        return f"{where} must be {TYPE_WORDS.get(error.constraint, error.constraint)}"
    if error.rule in ("min", "max"):
        return f"{where} must be {'at least' if error.rule == 'min' else 'at most'} {error.constraint}"
    if error.rule == "allowed":
        return f"{where} must be one of: {', '.join(error.constraint)}"
    return f"{where} is invalid"


def check(document: dict, schema: dict, prefix: tuple = ()) -> list[SchemaProblem]:
    """Validate `document` strictly; return its leaf problems with paths under `prefix`."""
    validator = cached_validator(schema, _StrictValidator, allow_unknown=False)
    if validator.validate(document):
        return []
    problems = []
    for error in leaf_errors(validator._errors):
        path = prefix + tuple(error.document_path)
        problems.append(SchemaProblem(path, _describe(error, path)))
    return problems


def check_plugins(plugins: Any) -> list[SchemaProblem]:
    """Both passes over the `plugins` table; permission fields are checked only if the shape is
    ok, and so are fs grant roots (which must be canonical, `canonical_fs_root`)."""
    problems = check({"plugins": plugins}, PLUGINS_SCHEMA)
    if problems:
        return problems
    for i, enablement in enumerate(plugins.get("enabled", ())):
        grants = enablement.get("grants", {})
        for j, permission in enumerate(grants.get("permissions", ())):
            prefix = ("plugins", "enabled", i, "grants", "permissions", j)
            found = check(permission, PERMISSION_SCHEMAS[permission["kind"]], prefix)
            if not found and any(has_invisible(value) for value in permission.values()):
                found = [
                    SchemaProblem(
                        prefix,
                        f"plugin config key `{format_path(prefix)}` names a permission "
                        "with bidi or zero-width characters",
                    )
                ]
            problems += found
        for j, fs in enumerate(grants.get("fs", ())):
            if "root" in fs and not canonical_fs_root(fs["root"]):
                path: tuple[str | int, ...] = ("plugins", "enabled", i, "grants", "fs", j, "root")
                problems.append(
                    SchemaProblem(
                        path,
                        f"plugin config key `{format_path(path)}` must be an absolute, "
                        "canonical path (no `.` or `..` segment, no repeated or trailing `/`)",
                    )
                )
        problem = restart_problem(enablement.get("restart"))
        if problem is not None:
            path = ("plugins", "enabled", i, "restart", "backoff_max_ms")
            problems.append(SchemaProblem(path, f"plugin config key `{format_path(path)}` {problem}"))
    return problems
