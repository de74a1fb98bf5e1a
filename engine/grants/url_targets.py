"""`[[request]]` / `[[websocket]]` URL targets and their matching, exactly as yoi b12e0785 does it
(yoi-current-spec.md §1.10-§1.12, §3.5, §3.6, §4.1; upstream crates/worker/src/feature/plugin.rs
`request_target_allows` ... `append_websocket_target_inspection`, crates/manifest/src/plugin.rs
`PluginRequestGrant::label`/`is_broad`).

A manifest target is a request for authority and grants nothing; a URL is allowed only when some
manifest target *and* some enabled grant each allow it (§3.6). The static relations `intersect`
and `covers` never authorize a URL; inspection uses them to say how targets and grants overlap.
Upstream's quirks are kept on purpose (§9.4-§9.7): hosts are not whitespace-trimmed, `*` is the
only wildcard (`*.example.com` matches nothing), an absent port matches every port, path
prefixes are plain string prefixes (`/v1` matches `/v10`), an empty prefix list means any path.

The records and the matching itself (`allows`, `intersect`, `covers`, `authorize_url`,
`declaration_problem`) are the registry's (engine/api_registry/url_target.py), so the runtime
matches with the very code inspection uses; re-exported here with the strict URL reader
(`parse_url`) and static inspection (`inspect`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from engine.api_registry.url_target import (
    ALLOWED_METHODS,
    API_WORDS,
    APIS,
    DEFAULT_PORTS,
    REQUEST,
    USABLE_WEBSOCKET_SCHEMES,
    WEBSOCKET,
    ParsedUrl,
    UrlTarget,
    allows,
    ascii_lower,
    authorize_url,
    covers,
    declaration_problem,
    intersect,
    normalize_host_literal,
)
from engine.errors import EngineError, ErrorKind

__all__ = [
    "ALLOWED_METHODS",
    "APIS",
    "DEFAULT_PORTS",
    "REQUEST",
    "USABLE_WEBSOCKET_SCHEMES",
    "WEBSOCKET",
    "InspectionEntry",
    "ParsedUrl",
    "UrlError",
    "UrlTarget",
    "allows",
    "authorize_url",
    "covers",
    "declaration_problem",
    "inspect",
    "intersect",
    "normalize_host_literal",
    "parse_url",
]

# ---- URLs ----------------------------------------------------------------------------------------


class UrlError(EngineError, ValueError):
    """A URL this module will not interpret (it refuses what a WHATWG parser would rewrite)."""

    error_kind = ErrorKind.INPUT


_PLAIN = re.compile(r"[\x21-\x7e]*")
_PATH_REWRITTEN = frozenset('"<>`{}')  # percent-encoded by a WHATWG parser in a path
_DOT_SEGMENTS = frozenset({".", "..", "%2e", ".%2e", "%2e.", "%2e%2e"})
_DNS_HOST = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?")
_NUMERIC = re.compile(r"(?:0[xX][0-9A-Fa-f]*|[0-9]+)")


def parse_url(text: str) -> ParsedUrl:
    """Split `text` for matching, refusing anything a WHATWG URL parser would rewrite (non-ASCII,
    spaces, backslashes, dot segments, IPv4 in a non-canonical spelling, percent-encoded hosts),
    so what is matched is exactly what would be dialed."""
    if not _PLAIN.fullmatch(text) or "\\" in text:
        raise UrlError("URL must be plain ASCII without spaces, control characters or backslashes")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise UrlError("URL has an invalid host or port") from None
    scheme = ascii_lower(parts.scheme)
    if scheme not in DEFAULT_PORTS:
        raise UrlError(f'unsupported URL scheme "{scheme}"')
    if parts.username is not None or parts.password is not None:
        raise UrlError("URLs with embedded credentials are not allowed")
    host = _host(parts.hostname or "", parts.netloc)
    path = parts.path or "/"
    segments = path.split("/")
    if any(ascii_lower(s) in _DOT_SEGMENTS for s in segments) or set(path) & _PATH_REWRITTEN:
        raise UrlError("URL path must not contain dot segments or characters a URL parser rewrites")
    return ParsedUrl(scheme, host, None if port == DEFAULT_PORTS[scheme] else port, path)


def _host(hostname: str, netloc: str) -> str:
    if not hostname:
        raise UrlError("URL must include a host")
    if "[" in netloc:
        if "%" in hostname:
            raise UrlError("URL IPv6 host must not carry a zone id")
        try:
            address = ipaddress.IPv6Address(hostname)
        except ValueError:
            raise UrlError("URL has an invalid IPv6 host") from None
        return f"[{address.compressed}]"
    if _DNS_HOST.fullmatch(hostname) is None:
        raise UrlError("URL host is not a plain DNS name or IPv4 address")
    last = hostname.rstrip(".").rsplit(".", 1)[-1]
    if _NUMERIC.fullmatch(last):  # WHATWG "ends in a number": parsed (and rewritten) as IPv4
        try:
            canonical = str(ipaddress.IPv4Address(hostname))
        except ValueError:
            canonical = ""
        if canonical != hostname:
            raise UrlError("URL host is an IPv4 address in a non-canonical spelling")
    return hostname


# ---- static inspection (cur §4.1, entries 2-5) ---------------------------------------------------


@dataclass(frozen=True)
class InspectionEntry:
    """One `host_apis` element of static inspection: `{permission, requested, granted, eligible,
    diagnostic}`. `eligible` with a diagnostic is informational (broad or partial)."""

    permission: str
    requested: bool
    granted: bool
    eligible: bool
    diagnostic: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "permission": self.permission,
            "requested": self.requested,
            "granted": self.granted,
            "eligible": self.eligible,
            "diagnostic": self.diagnostic,
        }


def _target_entry(api: str, target: UrlTarget, grants: Sequence[UrlTarget]) -> InspectionEntry:
    word = API_WORDS[api]
    covering = next((g for g in grants if covers(g, target)), None)
    granted = covering is not None or any(intersect(target, g) for g in grants)
    if not granted:
        diagnostic: str | None = f"missing enabled {word} grant for manifest target" + (
            "; broad/arbitrary target" if target.is_broad() else ""
        )
    elif covering is None:
        diagnostic = f"partially covered by enabled {word} grant; " + (
            "broad manifest target is constrained by narrower grants"
            if target.is_broad()
            else "only intersecting URLs are allowed"
        )
    elif covering.is_broad():
        diagnostic = f"covered by broad/arbitrary enabled {word} grant"
    else:
        diagnostic = None
    return InspectionEntry(f"host_api.{api} target {target.label}", True, granted, granted, diagnostic)


def _grant_entry(api: str, grant: UrlTarget, targets: Sequence[UrlTarget]) -> InspectionEntry:
    word = API_WORDS[api]
    matching = next((t for t in targets if intersect(t, grant)), None)
    if matching is None:
        broad = "; broad/arbitrary target" if grant.is_broad() else ""
        return InspectionEntry(
            f"host_api.{api} grant-only {grant.label}",
            False,
            True,
            False,
            f"enabled {word} grant has no matching manifest declaration{broad}",
        )
    if grant.is_broad():
        diagnostic: str | None = f"broad/arbitrary enabled {word} grant is constrained by manifest declarations"
    elif not covers(matching, grant):
        diagnostic = f"enabled {word} grant is only usable where it intersects manifest declarations"
    else:
        diagnostic = None
    return InspectionEntry(f"host_api.{api} grant {grant.label}", True, True, True, diagnostic)


def inspect(
    api: str, manifest_targets: Sequence[UrlTarget], grants: Sequence[UrlTarget]
) -> tuple[InspectionEntry, ...]:
    """The target entries (manifest order), then the grant entries (grant order), of one API:
    emitted whether or not `host_api.<api>` is requested or granted (cur §4.1)."""
    return (
        *(_target_entry(api, target, grants) for target in manifest_targets),
        *(_grant_entry(api, grant, manifest_targets) for grant in grants),
    )
