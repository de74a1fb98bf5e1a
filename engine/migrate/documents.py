"""The edits `yoi plugin migrate` makes, on tomlkit documents so comments, formatting and the
order of untouched keys survive (yoi-current-spec.md §10 rows 2, 4, 8).

- a `{ kind = "host_api", api = "https" }` permission becomes `api = "request"` (manifest and
  grants);
- `grants.https` becomes `grants.request` in place, each entry gaining `scheme = "https"` first;
- the manifest gains one `[[request]]` target per distinct https grant of the package's
  enablements (a target grants nothing by itself; it declares what the grant may allow).

tomlkit has no public way to rename a key in place or to insert one at the front of a table, so
two private container methods (`_replace`, `_insert_at`) are used; tests pin the output.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import tomlkit
from tomlkit.items import AoT, Array, InlineTable, Table

from engine.errors import EngineError, ErrorKind

HTTPS, REQUEST = "https", "request"


class ShapeError(EngineError, ValueError):
    """A key migrate must edit does not have its 43c9216e type; the message names the key."""

    error_kind = ErrorKind.INPUT


def _tables(value: Any, where: str) -> list[Any]:
    """The tables of an array of tables or of an array of inline tables."""
    if isinstance(value, (AoT, Array)) and all(isinstance(item, (Table, InlineTable)) for item in value):
        return list(value)
    raise ShapeError(f"`{where}` must be an array of tables")


def rename_https_permissions(permissions: Any, where: str) -> int:
    """`api = "https"` -> `"request"` in each host_api permission; how many changed."""
    changed = 0
    for permission in _tables(permissions, where):
        if permission.get("kind") == "host_api" and permission.get("api") == HTTPS:
            permission["api"] = REQUEST
            changed += 1
    return changed


def _scheme_first(table: Table) -> None:
    body_keys = [key for key, _ in table.value.body if key is not None]
    if body_keys:
        table.value._insert_at(0, "scheme", HTTPS)
    else:
        table["scheme"] = HTTPS


def _inline_request(entry: dict[str, Any]) -> InlineTable:
    """An inline request table in the `{ key = value, ... }` style of the examples."""
    text = ", ".join(f"{key} = {tomlkit.item(value).as_string()}" for key, value in entry.items())
    return tomlkit.parse(f"x = {{ {text} }}\n")["x"]


def rename_https_grants(grants: Table | InlineTable, converted: list[dict[str, Any] | None]) -> None:
    """Turn `grants.https` into `grants.request` where it stands. `converted[i]` is the request
    form of entry i, or None to drop it (its reason is reported by the caller)."""
    if REQUEST in grants:
        raise ShapeError("`grants` has both `https` and `request`; merge them by hand")
    https = grants["https"]
    entries = _tables(https, "grants.https")
    for index, (entry, target) in enumerate(zip(entries, converted, strict=True)):
        if target is None:
            continue
        if isinstance(entry, InlineTable):
            https[index] = _inline_request(target)  # the array keeps its comments and layout
            continue
        _scheme_first(entry)
        for key in ("host", "methods"):  # the canonical forms 43c9216e compared
            if entry.get(key) != target[key]:
                entry[key] = target[key]
    for index in reversed([i for i, target in enumerate(converted) if target is None]):
        del https[index]
    grants.value._replace(HTTPS, REQUEST, https)


def add_manifest_targets(document: Any, targets: Iterable[dict[str, Any]], sources: str) -> int:
    """Append `[[request]]` targets the manifest does not declare yet; how many were added."""
    existing = document.get(REQUEST)
    have = {_target_key(t) for t in _tables(existing, REQUEST)} if existing is not None else set()
    fresh = [t for t in targets if _target_key(t) not in have]
    if not fresh:
        return 0
    if existing is None:
        document.add(tomlkit.nl())
        document.add(tomlkit.comment(f"Request targets migrated from the https grants of {sources}."))
        document.add(tomlkit.comment("A target grants nothing by itself; an enablement grant must also allow the URL."))
        aot = tomlkit.aot()
        document.append(REQUEST, aot)
    else:
        aot = existing
    for target in fresh:
        table = tomlkit.table()
        table.update(target)
        aot.append(table)
    return len(fresh)


def _target_key(table: Any) -> tuple:
    return (
        str(table.get("scheme", "")).strip().lower(),
        str(table.get("host", "")),
        table.get("port"),
        tuple(str(m).strip().upper() for m in table.get("methods", ())),
        tuple(table.get("path_prefixes", ())),
    )
