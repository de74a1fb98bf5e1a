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

Pure: no I/O, no imports beyond the standard library, so the runtime can use it as well.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from engine.api_registry.url_target import (
    ALLOWED_METHODS,
    APIS,
    REQUEST,
    USABLE_WEBSOCKET_SCHEMES,
    WEBSOCKET,
    UrlTarget,
    ascii_lower,
    normalize_host_literal,
)
from engine.errors import EngineError, ErrorKind

__all__ = [
    "ALLOWED_METHODS",
    "APIS",
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

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}  # url's port_or_known_default
SAFE_PATH_BYTES = 120  # cur §6.10 `safe_url`
_WORD = {REQUEST: "request", WEBSOCKET: "WebSocket"}  # as the messages spell each API


def _scheme(value: str) -> str:
    return ascii_lower(value.strip())


def _same_method(a: str, b: str) -> bool:
    return ascii_lower(a) == ascii_lower(b)  # eq_ignore_ascii_case


# ---- URLs ----------------------------------------------------------------------------------------


class UrlError(EngineError, ValueError):
    """A URL this module will not interpret (it refuses what a WHATWG parser would rewrite)."""

    error_kind = ErrorKind.INPUT


@dataclass(frozen=True)
class ParsedUrl:
    """A URL as upstream's `url::Url` sees it, for matching: lowercase scheme, the host as
    `host_str` gives it (IPv6 in brackets), the explicit port unless it is the scheme default,
    and the path (never the query or fragment)."""

    scheme: str
    host: str
    port: int | None
    path: str

    def port_or_default(self) -> int | None:
        return self.port if self.port is not None else DEFAULT_PORTS.get(self.scheme)

    def canonical_host(self) -> str:
        return normalize_host_literal(self.host)

    def safe(self) -> str:
        """Upstream `safe_url`: scheme, host, a non-default port, the path cut to 120 bytes + `…`."""
        path = self.path
        data = path.encode()
        if len(data) > SAFE_PATH_BYTES:
            path = data[:SAFE_PATH_BYTES].decode("utf-8", errors="ignore") + "…"
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme}://{self.host}{port}{path}"


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


# ---- matching (cur §3.6) -------------------------------------------------------------------------


def allows(target: UrlTarget, url: ParsedUrl, method: str = "") -> bool:
    """`request_target_allows` / `websocket_target_allows`: this one entry allows the URL
    (and, for request, the method, which the caller has already checked is one of the five)."""
    scheme = _scheme(target.scheme)
    if not scheme or (scheme != "*" and scheme != url.scheme):
        return False
    host = url.canonical_host()
    target_host = normalize_host_literal(target.host)
    if not host or not target_host or (target_host != "*" and target_host != host):
        return False
    if target.port is not None and url.port_or_default() != target.port:
        return False
    if target.api == REQUEST and not any(_same_method(m.strip(), method) for m in target.methods):
        return False
    return not target.path_prefixes or any(p and url.path.startswith(p) for p in target.path_prefixes)


def _either_star_or_equal(a: str, b: str) -> bool:
    return bool(a) and bool(b) and (a == "*" or b == "*" or a == b)


def _star_or_equal(covering: str, covered: str) -> bool:
    return bool(covering) and bool(covered) and (covering == "*" or covering == covered)


def intersect(a: UrlTarget, b: UrlTarget) -> bool:
    """`request_targets_intersect` / `websocket_targets_intersect`: some URL could satisfy both."""
    methods = a.api != REQUEST or (
        bool(a.methods)
        and bool(b.methods)
        and any(_same_method(x.strip(), y.strip()) for x in a.methods for y in b.methods)
    )
    paths = (
        not a.path_prefixes
        or not b.path_prefixes
        or any(x and y and (x.startswith(y) or y.startswith(x)) for x in a.path_prefixes for y in b.path_prefixes)
    )
    return (
        _either_star_or_equal(_scheme(a.scheme), _scheme(b.scheme))
        and _either_star_or_equal(normalize_host_literal(a.host), normalize_host_literal(b.host))
        and (a.port is None or b.port is None or a.port == b.port)
        and methods
        and paths
    )


def covers(covering: UrlTarget, covered: UrlTarget) -> bool:
    """`request_target_covers` / `websocket_target_covers`: every URL `covered` allows,
    `covering` allows too."""
    methods = covering.api != REQUEST or (
        bool(covering.methods)
        and bool(covered.methods)
        and all(any(_same_method(c.strip(), d.strip()) for c in covering.methods) for d in covered.methods)
    )
    if not covering.path_prefixes:
        paths = True
    elif not covered.path_prefixes:
        paths = False
    else:
        paths = all(d and any(c and d.startswith(c) for c in covering.path_prefixes) for d in covered.path_prefixes)
    return (
        _star_or_equal(_scheme(covering.scheme), _scheme(covered.scheme))
        and _star_or_equal(normalize_host_literal(covering.host), normalize_host_literal(covered.host))
        and (covering.port is None or covering.port == covered.port)
        and methods
        and paths
    )


def authorize_url(
    api: str, url: ParsedUrl, method: str, manifest_targets: Sequence[UrlTarget], grants: Sequence[UrlTarget]
) -> str | None:
    """Why a call to `url` is refused (None: allowed): the manifest side first, then the grants
    (cur §3.6; upstream `authorize_request_allowlist` / `authorize_websocket_allowlist`)."""
    subject = f"{method} {url.safe()}" if api == REQUEST else url.safe()
    if not any(allows(target, url, method) for target in manifest_targets):
        return f"host_api.{api} target {subject} is not declared by the plugin manifest"
    if not any(allows(grant, url, method) for grant in grants):
        return f"host_api.{api} target {subject} is not covered by enabled {_WORD[api]} grants"
    return None


def declaration_problem(api: str, manifest_targets: Iterable[UrlTarget], grants: Iterable[UrlTarget]) -> str | None:
    """Step 4 of `authorize_plugin_host_api` for request/websocket (cur §3.5): a usable manifest
    declaration, then a usable grant. It does not test whether the two overlap."""
    if not any(target.is_usable() for target in manifest_targets):
        return f"manifest host_api.{api} target declaration is missing"
    if not any(grant.is_usable() for grant in grants):
        return f"enabled host_api.{api} grants are missing"
    return None


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
    word = _WORD[api]
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
    word = _WORD[api]
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
