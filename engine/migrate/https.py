"""One `grants.https` entry of yoi 43c9216e as a `request` target of b12e0785, same meaning.

At 43c9216e an https entry allowed `https` URLs whose canonical host equals its host (trimmed,
trailing dot and brackets stripped, lowercased), with one of its methods (trimmed, uppercased, one
of the five), under one of its path prefixes (none: any path), on any port (spec §3.1, §6.10).
The same entry at b12e0785 is `{scheme = "https", host, methods, path_prefixes}` with no `port`
(absent = any port, cur §1.10), written in the canonical form b12e0785 compares without trimming.

Entries whose meaning would change are not carried over, and the reason says why: one that could
never match at 43c9216e (no usable method, an empty host), a host of `*` (a literal there, every
host at b12e0785), and a local or private address (refused at 43c9216e whatever the grant said,
reachable at b12e0785). Migration must never widen what a package may reach.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.grants.url_targets import ALLOWED_METHODS
from engine.runtime.hostapi.addresses import canonical_grant_host, is_local_name, is_public


@dataclass(frozen=True)
class Converted:
    """The request target of one https entry, or why there is none."""

    table: dict[str, Any] | None
    skipped: str | None  # the reason, when `table` is None

    def key(self) -> tuple:
        """What two targets are the same by (for de-duplicating manifest targets)."""
        table = self.table or {}
        return (table.get("host"), tuple(table.get("methods", ())), tuple(table.get("path_prefixes", ())))


def _blocked_at_old(host: str) -> bool:
    """spec §6.10 step 8: `localhost`, `*.localhost` and non-public IP literals were refused."""
    if is_local_name(host):
        return True
    try:
        return not is_public(ipaddress.ip_address(host))
    except ValueError:
        return False


def convert(entry: Mapping[str, Any]) -> Converted:
    """`entry` is a parsed `grants.https` table; strings and string lists where present."""
    raw_host = entry.get("host", "")
    methods = entry.get("methods", [])
    prefixes = entry.get("path_prefixes", [])
    if not (
        isinstance(raw_host, str)
        and isinstance(methods, list)
        and isinstance(prefixes, list)
        and all(isinstance(m, str) for m in [*methods, *prefixes])
        and not set(entry) - {"host", "methods", "path_prefixes"}
    ):
        return Converted(None, "it is not a 43c9216e https entry (`host`, `methods`, `path_prefixes`)")
    host = canonical_grant_host(raw_host)
    usable = list(dict.fromkeys(m.strip().upper() for m in methods if m.strip().upper() in ALLOWED_METHODS))
    if not host:
        return Converted(None, "its host is empty, so it never matched at 43c9216e")
    if not usable:
        return Converted(None, f"it names none of {', '.join(ALLOWED_METHODS)}, so it never matched at 43c9216e")
    if host == "*":
        return Converted(None, "its host `*` matched no host at 43c9216e but would match every host at b12e0785")
    if _blocked_at_old(host):
        return Converted(
            None,
            f"`{host}` is a local or private address: 43c9216e refused it whatever the grant said, "
            "b12e0785 would reach it (add a request target and grant by hand if that is intended)",
        )
    return Converted({"scheme": "https", "host": host, "methods": usable, "path_prefixes": list(prefixes)}, None)
