"""Read one target profile file: bounded, schema-checked, into a TargetProfile of its own lists
(`union_of` is merged later, by the registry, once every profile is known).

Errors are TargetError with the file and the key at fault, never the file's text.
"""

from __future__ import annotations

import os
import tomllib
from typing import Any

from cerberus import errors as cerr

from engine.errors import EngineError, ErrorKind
from engine.package.manifest_schema import _StrictValidator, path_text
from engine.safe_read import ReadError, read_bounded
from engine.schemas import TYPE_WORDS, cached_validator, leaf_errors
from engine.targets.model import AcceptedRuntime, HostApiProfile, HostInterface, TargetProfile, Upstream
from engine.targets.schema import CONFIG_TABLES, PROFILE_SCHEMA, RUNTIME_DETAIL_KEY, STORE_LIMITS

MAX_PROFILE_BYTES = 64 * 1024
SUFFIX = ".toml"
ALL = "all"  # `--target all`: never a profile name or alias


class TargetError(EngineError):
    """A profile that cannot be used; the message names the file and what is wrong."""

    error_kind = ErrorKind.INPUT


class UnknownTarget(TargetError, LookupError):
    """A `--target` value that names no profile."""

    error_kind = ErrorKind.USAGE


def _describe(error: cerr.ValidationError) -> str:
    where = f"key `{path_text(tuple(error.document_path)) or '<top>'}`"
    if error.code == cerr.UNKNOWN_FIELD.code:
        return f"{where} is not allowed"
    if error.code == cerr.REQUIRED_FIELD.code:
        return f"{where} is required"
    if error.rule == "type":
        return f"{where} must be {TYPE_WORDS.get(error.constraint, error.constraint)}"
    if error.rule == "allowed":
        return f"{where} must be one of: {', '.join(map(str, error.constraint))}"
    if error.rule == "regex":
        return f"{where} is not a valid name"
    if error.rule in ("min", "maxlength", "empty"):
        return f"{where} is out of range"
    return f"{where} is invalid"


def read_profile_text(path: str | os.PathLike[str]) -> str:
    """The UTF-8 text of a profile file (a regular file of at most 64 KiB)."""
    try:
        data = read_bounded(path, MAX_PROFILE_BYTES)
    except ReadError as error:
        raise TargetError(f"target profile {os.fspath(path)} could not be read: {error.reason}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise TargetError(f"target profile {os.fspath(path)} is not UTF-8") from None


def parse_profile(text: str, source: str) -> TargetProfile:
    """A profile from TOML text; `source` names the file in messages and must be `<name>.toml`."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        raise TargetError(f"target profile {source} could not be parsed as TOML") from None
    except RecursionError:
        raise TargetError(f"target profile {source} nests values too deeply") from None
    validator = cached_validator(PROFILE_SCHEMA, _StrictValidator, allow_unknown=False)
    if not validator.validate(document, normalize=False):
        problems = sorted({_describe(error) for error in leaf_errors(validator._errors)})
        raise TargetError(f"target profile {source}: " + "; ".join(problems[:10]))
    profile = _build(document, source)
    stem = os.path.basename(source)
    if stem != profile.name + SUFFIX:
        raise TargetError(f"target profile {source}: the file must be named `{profile.name}{SUFFIX}` after its `name`")
    return profile


def load_profile(path: str | os.PathLike[str]) -> TargetProfile:
    return parse_profile(read_profile_text(path), os.fspath(path))


def _unique(values: list, what: str, source: str) -> tuple:
    if len(set(values)) != len(values):
        raise TargetError(f"target profile {source}: {what} lists a value twice")
    return tuple(values)


def _runtime(entry: dict[str, Any], source: str) -> AcceptedRuntime:
    kind = entry["kind"]
    detail = RUNTIME_DETAIL_KEY[kind]
    other = [key for key in RUNTIME_DETAIL_KEY.values() if key != detail and key in entry]
    if detail not in entry or other:
        raise TargetError(f"target profile {source}: a `{kind}` runtime names its `{detail}` and nothing else")
    return AcceptedRuntime(kind, entry[detail])


def _host_api(entry: dict[str, Any], source: str) -> HostApiProfile:
    interfaces = [HostInterface(item["form"], item["name"]) for item in entry["interfaces"]]
    if not interfaces:
        raise TargetError(f"target profile {source}: host API `{entry['name']}` names no interface")
    return HostApiProfile(
        name=entry["name"],
        interfaces=_unique(interfaces, f"host API `{entry['name']}` interfaces", source),
        grant_table=entry["grant_table"],
        manifest_table=entry.get("manifest_table"),
        schemes=_unique(entry["schemes"], f"host API `{entry['name']}` schemes", source),
    )


def _build(document: dict[str, Any], source: str) -> TargetProfile:
    name = document["name"]
    aliases = _unique(document.get("aliases", []), "aliases", source)
    if ALL in (name, *aliases) or name in aliases:
        raise TargetError(f"target profile {source}: `{ALL}` and the profile's own name cannot be aliases")
    manifest = document.get("manifest", {})
    config = document.get("config", {})
    runtime = document.get("runtime", {})
    limits = document["limits"]
    runtimes = _unique([_runtime(e, source) for e in runtime.get("accepts", [])], "runtime.accepts", source)
    retired = _unique(runtime.get("retired_kinds", []), "runtime.retired_kinds", source)
    if {r.kind for r in runtimes} & set(retired):
        raise TargetError(f"target profile {source}: a runtime kind cannot be both accepted and retired")
    host_apis = [_host_api(entry, source) for entry in document.get("host_apis", [])]
    _unique([api.name for api in host_apis], "host_apis names", source)
    upstream = document.get("upstream")
    return TargetProfile(
        name=name,
        aliases=aliases,
        default=document.get("default", False),
        description=document["description"],
        source=source,
        upstream=Upstream(**upstream) if upstream else None,
        union_of=_unique(document.get("union_of", []), "union_of", source),
        wit=_unique(document.get("wit", []), "wit", source),
        schema_versions=_unique(manifest.get("schema_versions", []), "manifest.schema_versions", source),
        manifest_keys=_unique(manifest.get("keys", []), "manifest.keys", source),
        surfaces=_unique(manifest.get("surfaces", []), "manifest.surfaces", source),
        permission_kinds=_unique(manifest.get("permission_kinds", []), "manifest.permission_kinds", source),
        config_keys=tuple(
            (table, key)
            for field, table in CONFIG_TABLES.items()
            for key in _unique(config.get(field, []), f"config.{field}", source)
        ),
        runtimes=runtimes,
        retired_runtime_kinds=retired,
        host_apis=tuple(host_apis),
        limits=tuple((key, value) for key, value in limits.items() if key != "store"),
        store_limits=tuple(
            (form, limit, table[limit]) for form, table in limits["store"].items() for limit in STORE_LIMITS
        ),
        lifecycle_states=_unique(document["lifecycle"]["states"], "lifecycle.states", source),
        reserved_tools=_unique(document.get("tools", {}).get("reserved", []), "tools.reserved", source),
        flags=tuple(document["flags"].items()),
        host_apis_from_registry=document.get("host_apis_from_registry", False),
    )
