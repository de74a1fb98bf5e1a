"""Cerberus schemas for the `[plugins]` config table (spec §3.1, permission objects §1.6).

Every level under `plugins` rejects unknown keys, like the reference's `deny_unknown_fields`.
Permission objects are tagged by `kind`, so they are checked in two passes: first the list
shape and the `kind` value, then the exact fields of that kind.
"""

from __future__ import annotations

import re
from typing import Any

from cerberus import errors as cerr

from engine import api_registry
from engine.api_registry.fs import CANONICAL_ROOT_PATTERN as CANONICAL_ROOT_PATTERN  # re-exported for callers
from engine.api_registry.fs import canonical_fs_root as canonical_fs_root  # re-exported for callers
from engine.grants.limits import RESTART_BOUNDS, restart_problem
from engine.limits import DEFAULT_LIMITS, HOST_MAXIMA, RAISABLE_LIMITS
from engine.package.ids import SAFE_ID_PATTERN, has_invisible
from engine.package.manifest_schema import PERMISSION_SCHEMAS, _StrictValidator, path_text
from engine.package.model import PERMISSION_KINDS, SOURCES, SURFACES
from engine.provenance.keys import KEY_ID_REGEX
from engine.schemas import SchemaProblem, cached_validator, leaf_errors, type_words

# A trusted key's `packages` entry: a package id, or a safe-id prefix and `.*` (every id under it).
PACKAGE_PATTERN_REGEX = SAFE_ID_PATTERN.removeprefix("^").removesuffix("$") + r"(?:\.\*)?"
# An RFC 3339 date, or date-time with an offset, written as a string (a TOML date needs none).
RFC3339_REGEX = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2}))?"
)


def _d(rules: dict, description: str) -> dict:
    """`rules` with a description for editors (engine/json_schema.py); cerberus ignores `meta`."""
    return rules | {"meta": {"description": description}}


def _string(description: str) -> dict:
    return _d({"type": "string"}, description)


PERMISSION_SHAPE = {
    "type": "dict",
    "allow_unknown": True,  # fields are checked per kind in the second pass
    "schema": {"kind": _d({"type": "string", "required": True, "allowed": list(PERMISSION_KINDS)}, "What it grants.")},
}

# The host APIs' grant tables (`https`, `fs`, ...) come from the registry (engine/api_registry).
GRANTS_SCHEMA = {
    "id": _string("Binding: the source-qualified id of the package granted (e.g. project:acme.echo)."),
    "version": _string("Binding: the exact package version granted."),
    "digest": _string("Binding: the package digest granted (sha256:...)."),
    "permissions": _d({"type": "list", "schema": PERMISSION_SHAPE}, "Permissions granted (same objects as requested)."),
    **api_registry.grant_tables_schema(),
}

# `[plugins.host]`: host settings (not grants); see engine.grants.model.HostSettings.
HOST_SCHEMA = {
    "https_ca_bundle": _d(
        {"type": "string", "empty": False},
        "Extra CA bundle (PEM) the https, request and websocket (wss) host APIs trust, relative to this config file.",
    )
}

# Limits are positive integers; a value above the host maximum is capped (engine/grants/limits.py)
# and a rule warns about it, so the schema sets no upper bound here. Restart settings are bounded.
LIMIT_DESCRIPTIONS = {
    "fuel": "Wasm fuel (instructions, roughly) per guest call",
    "timeout_ms": "Wall-clock deadline per guest call, in milliseconds",
    "memory_bytes": "Linear memory a guest may grow to, in bytes",
    "table_elements": "Table elements a guest may grow to",
    "compile_ms": "Wall-clock budget for compiling the artifact when it is not cached, in milliseconds",
}
RESTART_DESCRIPTIONS = {
    "max_restarts": "Restarts of a failed instance in one run (0: never restart)",
    "backoff_ms": "First restart delay in milliseconds (doubles after each restart)",
    "backoff_max_ms": "Longest restart delay in milliseconds (at least backoff_ms)",
    "reset_after_ms": "Healthy running time after which the restart count and backoff start again, in milliseconds",
}
LIMITS_SCHEMA = {
    name: _d(
        {"type": "integer", "min": 1},
        f"{LIMIT_DESCRIPTIONS[name]}; default {getattr(DEFAULT_LIMITS, name)}, capped at {getattr(HOST_MAXIMA, name)}.",
    )
    for name in RAISABLE_LIMITS
}
RESTART_SCHEMA = {
    name: _d({"type": "integer", "min": low, "max": high}, f"{RESTART_DESCRIPTIONS[name]}; {low} to {high}.")
    for name, (low, high) in RESTART_BOUNDS.items()
}

ENABLEMENT_SCHEMA = {
    "id": _string("The package enabled: source-qualified id (user:, project: or builtin:)."),
    "version": _string("Exact version the package must have (optional pin)."),
    "digest": _string("Digest the package must have (optional pin, sha256:...)."),
    "surfaces": _d(
        {"type": "list", "schema": {"type": "string", "allowed": list(SURFACES)}},
        "Surfaces enabled (default: every declared surface).",
    ),
    "grants": _d(
        {"type": "dict", "schema": GRANTS_SCHEMA}, "What the package is granted, bound to its id, version, digest."
    ),
    "config": _d({}, "Configuration passed to the plugin's start (any TOML value; may hold secrets)."),
    "limits": _d({"type": "dict", "schema": LIMITS_SCHEMA}, "Raised runtime limits for this package."),
    "restart": _d({"type": "dict", "schema": RESTART_SCHEMA}, "Restart policy for a failed instance."),
    "signature": _d(
        {"type": "string", "empty": False},
        "The package's signature envelope, relative to this config file (default: `<package>.sig` beside it).",
    ),
}


def _packages(who: str) -> dict:
    return _d(
        {"type": "list", "schema": {"type": "string", "regex": PACKAGE_PATTERN_REGEX}},
        f"Package ids the {who} may sign: `acme.echo`, or `acme.*` for every id under `acme.` (default: any).",
    )


# `[plugins.trust]` (docs/provenance.md): trusted signing keys; engine/grants/trust.py reads it
# (the key itself, whether it matches its id, and the expiry's offset are checked there).
TRUST_KEY_SCHEMA = {
    "id": _d(
        {"type": "string", "required": True, "regex": KEY_ID_REGEX},
        "Key id as `yoi plugin keygen` prints it (ed25519:<sha256 of the raw key>); must match the key.",
    ),
    "name": _string("Who holds the key (shown in reports as the signer)."),
    "public_key": _d(
        {
            "type": ["string", "dict"],
            "required": True,
            "schema": {"file": _d({"type": "string", "required": True}, "Path of the .pub file.")},
        },
        'The public key: inline (its PEM, or the base64 line inside it), or { file = "path" } '
        "relative to this config file.",
    ),
    "expires": _d(
        {"type": ["date", "string"], "regex": RFC3339_REGEX},
        "When trust in the key ends: an RFC 3339 date (midnight UTC) or date-time with an offset; "
        "signatures by the key count no more from then on.",
    ),
    "packages": _packages("key"),
}
TRUSTED_IDENTITY_SCHEMA = {
    "identity": _d(
        {"type": "string", "required": True, "empty": False},
        "The certificate identity (its SAN: a workflow URI or an e-mail); ending in `*`, a prefix of it.",
    ),
    "issuer": _d(
        {"type": "string", "required": True, "empty": False},
        "The OIDC issuer that must have vouched for the identity (e.g. https://token.actions.githubusercontent.com).",
    ),
    "name": _string("Who the identity is (shown in reports as the signer)."),
    "packages": _packages("identity"),
}
SIGSTORE_SCHEMA = {
    "trusted_root": _d(
        {"type": "string", "required": True, "empty": False},
        "A pinned Sigstore trusted_root.json (relative to this config file); bundles are verified offline against it.",
    ),
    "identities": _d(
        {"type": "list", "schema": {"type": "dict", "schema": TRUSTED_IDENTITY_SCHEMA}},
        "Identities whose keyless (Sigstore) signatures count.",
    ),
}
TRUST_SCHEMA = {
    "require_signature": _d(
        {"type": "boolean"},
        "Refuse every package without a valid signature from a trusted key allowed to sign it (default false).",
    ),
    "keys": _d({"type": "list", "schema": {"type": "dict", "schema": TRUST_KEY_SCHEMA}}, "Trusted signing keys."),
    "sigstore": _d(
        {"type": "dict", "schema": SIGSTORE_SCHEMA},
        "Keyless signatures: Sigstore bundles (<package>.sigstore.json) verified offline (the `sigstore` extra).",
    ),
}

# `[[plugins.resolved]]`: a record of a resolved plan (spec §3.7), written by `yoi plugin lock`
# (or by yoi at startup). `limits` and `restart` are ours: a locked plan keeps them.
_OPTIONAL_TEXT = {"type": "string"}
RESOLVED_SCHEMA = {
    "identity": _d(
        {
            "type": "dict",
            "required": True,
            "schema": {
                "source": _d({"type": "string", "required": True, "allowed": list(SOURCES)}, "The store."),
                "local_id": _d({"type": "string", "required": True, "empty": False}, "The manifest id."),
            },
        },
        "The package identity the record is for.",
    ),
    "source": _d({"type": "string", "required": True, "allowed": list(SOURCES)}, "The store it came from."),
    "package_path": _d({"type": "string", "required": True, "empty": False}, "Where the package is."),
    "package_label": _string("The package file name."),
    "digest": _d({"type": "string", "required": True}, "The digest the plan approved (sha256:...)."),
    "version": _d({"type": "string", "required": True}, "The package version the plan approved."),
    "manifest": _d({"type": "dict"}, "The manifest as resolved (kept for reference; the package is re-read)."),
    "enabled_surfaces": _d(
        {"type": "list", "schema": {"type": "string", "allowed": list(SURFACES)}}, "The surfaces enabled."
    ),
    "grants": _d({"type": "dict", "schema": GRANTS_SCHEMA}, "The grants, as enabled."),
    "config": _d({}, "Configuration passed to the plugin's start (may hold secrets)."),
    "limits": _d({"type": "dict", "schema": LIMITS_SCHEMA}, "Raised runtime limits, as enabled."),
    "restart": _d({"type": "dict", "schema": RESTART_SCHEMA}, "Restart policy, as enabled."),
}
LOCK_DIAGNOSTIC_SCHEMA = {
    "kind": _d({"type": "string", "required": True}, "Diagnostic kind (spec §3.7)."),
    "phase": _d({"type": "string", "required": True}, "discovery, manifest or resolution."),
    "source": _d(_OPTIONAL_TEXT, "The store, when known."),
    "identity": _d(_OPTIONAL_TEXT, "The package identity, when known."),
    "package": _d(_OPTIONAL_TEXT, "The package file name, when known."),
    "digest": _d(_OPTIONAL_TEXT, "The package digest, when known."),
    "message": _d({"type": "string", "required": True}, "What went wrong."),
}

# Validated as the document {"plugins": <table>} so error paths start at `plugins`.
PLUGINS_SCHEMA = {
    "plugins": _d(
        {
            "type": "dict",
            "schema": {
                "enabled": _d(
                    {"type": "list", "schema": {"type": "dict", "schema": ENABLEMENT_SCHEMA}},
                    "Enabled plugin packages, with their grants.",
                ),
                "host": _d({"type": "dict", "schema": HOST_SCHEMA}, "Settings of the host that runs plugins."),
                "trust": _d({"type": "dict", "schema": TRUST_SCHEMA}, "Who may sign packages, and whether they must."),
                # The resolved plan (§3.7), written by `yoi plugin lock`: when present, startup,
                # list, show and explain use it instead of resolving `enabled` again.
                "resolved": _d(
                    {"type": "list", "schema": {"type": "dict", "schema": RESOLVED_SCHEMA}},
                    "The resolved plan (yoi plugin lock): the exact packages startup runs.",
                ),
                "diagnostics": _d(
                    {"type": "list", "schema": {"type": "dict", "schema": LOCK_DIAGNOSTIC_SCHEMA}},
                    "Discovery and resolution diagnostics recorded with the resolved plan.",
                ),
            },
        },
        "Plugin packages: what is enabled and what it is granted.",
    )
}

# `[feature]` of a yoi config: only `[feature.plugins] enabled` is read (engine/grants/config.py
# checks it); other features and keys belong to other parts of a yoi host. For editors.
FEATURE_SCHEMA = {
    "feature": _d(
        {
            "type": "dict",
            "allow_unknown": True,
            "schema": {
                "plugins": _d(
                    {
                        "type": "dict",
                        "allow_unknown": True,
                        "schema": {
                            "enabled": _d(
                                {"type": "boolean"},
                                "Expose plugins at runtime (yoi needs true; no [feature] table at all counts as on).",
                            )
                        },
                    },
                    "The plugins feature of a yoi host.",
                )
            },
        },
        "Feature switches of a yoi Profile or Worker config.",
    )
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
        return f"{where} must be {type_words(error.constraint)}"
    if error.rule in ("min", "max"):
        return f"{where} must be {'at least' if error.rule == 'min' else 'at most'} {error.constraint}"
    if error.rule == "regex":
        return f"{where} does not have the expected form (see docs/provenance.md)"
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
    ok, and so is what each grant-table entry checks beyond its schema (`table_problems`: fs
    roots must be canonical, `canonical_fs_root`)."""
    problems = check({"plugins": plugins}, PLUGINS_SCHEMA)
    if problems:
        return problems
    for i, record in enumerate(plugins.get("resolved", ())):
        problems += _grants_problems(record.get("grants", {}), ("plugins", "resolved", i, "grants"))
    for i, enablement in enumerate(plugins.get("enabled", ())):
        problems += _grants_problems(enablement.get("grants", {}), ("plugins", "enabled", i, "grants"))
        restart = restart_problem(enablement.get("restart"))
        if restart is not None:
            path = ("plugins", "enabled", i, "restart", "backoff_max_ms")
            problems.append(SchemaProblem(path, f"plugin config key `{format_path(path)}` {restart}"))
    return problems


def _grants_problems(grants: dict, at: tuple) -> list[SchemaProblem]:
    """The second pass over one grants table (`at` is its path): each permission object against
    the fields of its kind, and each host API allowlist entry against its API's own checks."""
    problems: list[SchemaProblem] = []
    for j, permission in enumerate(grants.get("permissions", ())):
        prefix = (*at, "permissions", j)
        found = check(permission, PERMISSION_SCHEMAS[permission["kind"]], prefix)
        if not found and any(has_invisible(value) for value in permission.values()):
            found = [
                SchemaProblem(
                    prefix,
                    f"plugin config key `{format_path(prefix)}` names a permission with bidi or zero-width characters",
                )
            ]
        problems += found
    for api in api_registry.HOST_APIS:
        for j, entry in enumerate(grants.get(api.name, ())):
            for key, problem in api.grant.table_problems(entry):
                path: tuple[str | int, ...] = (*at, api.name, j, key)
                problems.append(SchemaProblem(path, f"plugin config key `{format_path(path)}` {problem}"))
    return problems
