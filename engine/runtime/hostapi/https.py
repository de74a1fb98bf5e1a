"""The `https` host API: one outbound request per call, checked before any byte leaves (spec §6.10).

Order of the checks follows the reference; on top of it:
- the URL host is decoded the way URL parsers and resolvers read it (addresses.py), so no spelling
  of a private address gets past the public-address check;
- a private or loopback address is reachable only when a grant names that literal address as its
  host, never through a hostname;
- a hostname is resolved once, every address must be public, and the socket is connected to the
  validated address itself (no second lookup, so DNS rebinding cannot switch targets) while TLS
  still verifies the certificate against the hostname;
- the response is read by a small parser with a total deadline and caps on every part, so a hostile
  server can neither stall the call nor make it buffer more than it may return.
"""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from engine.api_registry.https import METHODS, HttpsGrant
from engine.diagnostics import bound_bytes
from engine.runtime.hostapi import http1
from engine.runtime.hostapi.addresses import (
    HostSyntaxError,
    IPAddress,
    canonical_grant_host,
    is_local_name,
    is_never_a_destination,
    is_public,
    parse_url_host,
)
from engine.runtime.hostapi.descriptor import HostApiError, check_fields, decode_object
from engine.runtime.hostapi.http1 import (
    CREDENTIAL_HEADERS,
    MAX_HEADER_NAME_BYTES,
    MAX_HEADER_VALUE_BYTES,
    MAX_HEADERS,
)
from engine.runtime.hostapi.http1 import FIELD_VALUE as _FIELD_VALUE
from engine.runtime.hostapi.http1 import MAX_RESPONSE_BODY_BYTES as MAX_RESPONSE_BODY_BYTES  # re-exported
from engine.runtime.hostapi.http1 import TOKEN as _TOKEN
from engine.runtime.hostapi.resolve import lookup, network_settings, system_resolver
from engine.runtime.hostapi.tls import MAX_CA_BUNDLE_BYTES as MAX_CA_BUNDLE_BYTES  # re-exported
from engine.runtime.hostapi.tls import ClientContext

MAX_BODY_BYTES = 32768
TIMEOUT_S = 5.0
USER_AGENT = "yoi-plugin-https-host-api/0.1"
# Framing and routing headers belong to the host: a guest-chosen Host or Content-Length would let a
# plugin smuggle a second request or reach a virtual host its grant does not name.
HOST_CONTROLLED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "expect",
        "proxy-connection",
        "user-agent",
    }
)
_URL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f\\]")
_PATH_ESCAPES = re.compile(r"%(2[eEfF]|5[cC])")
_FIELDS = {"method": (str, True), "url": (str, True), "headers": (list, False), "body": (str, False)}
_HEADER_FIELDS = {"name": (str, True), "value": (str, True)}

Resolver = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class Target:
    """Where a request goes: canonical host, its address when the URL names one, port, path."""

    host: str
    address: IPAddress | None
    port: int
    path: str  # as sent
    decoded_path: str  # with `%2e`, `%2f` and `%5c` decoded: what servers route on
    request_target: str
    safe_url: str
    standard_spelling: bool  # False for `2130706433`, `0x7f.1`, `127.0.0.1.` and the like


@dataclass(frozen=True)
class _Grant:
    host: str
    methods: frozenset[str]
    path_prefixes: tuple[str, ...]


def open_api(allowlist: tuple[HttpsGrant, ...], host: Any, owner: str = "") -> HttpsApi:
    """The registry's handler factory (engine/api_registry/https.py): the plan's allowlist, with the
    host's CA bundle and resolver; `owner` (the plan's ref) is whose share of lookup threads its
    hostname lookups use (dns.py)."""
    return HttpsApi(allowlist, **network_settings(host), owner=owner)


class HttpsApi:
    """One plan's https allowlist, prepared once; `request` runs one guest descriptor."""

    def __init__(
        self,
        grants: tuple[HttpsGrant, ...],
        ca_bundle: str | Path | None,
        resolver: Resolver | None,
        owner: str = "",
    ):
        self._grants = tuple(
            _Grant(
                canonical_grant_host(g.host), frozenset(m.strip().upper() for m in g.methods), tuple(g.path_prefixes)
            )
            for g in grants
        )
        self._ca_bundle = ca_bundle
        self._resolver = resolver or system_resolver
        self._owner = owner  # the plugin whose share of lookup threads this API draws on (dns.py)
        self._tls = ClientContext(ca_bundle, "HTTPS CA bundle configured for the host could not be loaded")

    @property
    def usable(self) -> bool:
        """Spec §3.5: some grant names a host and one of the allowed methods."""
        return any(g.host and g.methods & set(METHODS) for g in self._grants)

    def run(self, op: str, descriptor: bytes, deadline: float | None = None) -> str:
        """The dispatch entry (the API's one operation is `request`)."""
        return self.request(descriptor, deadline)

    def request(self, descriptor: bytes, deadline: float | None = None) -> str:
        """One request; lookup, connect, TLS, send and receive share min(5 s, time to `deadline`)."""
        fields = decode_object(descriptor, "HTTPS request", _FIELDS)
        method = fields["method"]
        if method not in METHODS:
            raise HostApiError(f"HTTPS method `{bound_bytes(method, 16)}` is not allowed")
        headers = _request_headers(fields.get("headers", []))
        body = fields.get("body", "").encode("utf-8")
        if len(body) > MAX_BODY_BYTES:
            raise HostApiError(f"HTTPS request body exceeds {MAX_BODY_BYTES} bytes")
        target = parse_target(fields["url"])
        self._check_static_target(target)
        if not target.standard_spelling:
            raise HostApiError("invalid HTTPS URL: IPv4 hosts must be written as four decimal numbers (a.b.c.d)")
        if not self._covered(method, target):
            raise HostApiError(f"HTTPS request {method} {target.safe_url} is not covered by host/method/path grants")
        own = time.monotonic() + TIMEOUT_S
        deadline = own if deadline is None else min(own, deadline)
        addresses = [target.address] if target.address is not None else self._resolve(target, deadline)
        return _exchange(self._ssl_context(), target, addresses, method, headers, body, deadline)

    def _literal_grant(self, host: str) -> bool:
        return any(g.host == host for g in self._grants)

    def _check_static_target(self, target: Target) -> None:
        if is_local_name(target.host):
            raise HostApiError(f'HTTPS blocked local/private host "{target.host}"')
        if target.address is None or is_public(target.address):
            return
        if is_never_a_destination(target.address) or not self._literal_grant(target.host):
            raise HostApiError(f'HTTPS blocked local/private host "{target.host}"')

    def _covered(self, method: str, target: Target) -> bool:
        return any(
            g.host == target.host
            and method in g.methods
            and (not g.path_prefixes or any(_under(target, p) for p in g.path_prefixes))
            for g in self._grants
        )

    def _resolve(self, target: Target, deadline: float) -> list[IPAddress]:
        """Every answer must be public (resolve.py, shared with request and websocket)."""
        return lookup(target.host, target.port, self._resolver, deadline, self._owner, "HTTPS")

    def _ssl_context(self) -> ssl.SSLContext:
        """Built once per plan; verifies chain and name (tls.py)."""
        return self._tls.get()


def _under(target: Target, prefix: str) -> bool:
    """The path is under a grant prefix as sent and as decoded: an encoded `/` can neither make
    nor hide a boundary (a server that does not decode it routes on the path as sent)."""
    return bool(prefix) and target.path.startswith(prefix) and target.decoded_path.startswith(prefix)


def _request_headers(items: list[Any]) -> list[tuple[str, str]]:
    if len(items) > MAX_HEADERS:
        raise HostApiError(f"HTTPS request has too many headers (max {MAX_HEADERS})")
    headers = []
    for item in items:
        fields = check_fields(item, "HTTPS request header", _HEADER_FIELDS)
        name, value = fields["name"], fields["value"]
        if not 1 <= len(name.encode("utf-8")) <= MAX_HEADER_NAME_BYTES or not _TOKEN.fullmatch(name):
            raise HostApiError("HTTPS request header name is invalid")
        if len(value.encode("utf-8")) > MAX_HEADER_VALUE_BYTES:
            raise HostApiError(f"HTTPS request header `{name}` exceeds {MAX_HEADER_VALUE_BYTES} bytes")
        lowered = name.lower()
        if lowered in CREDENTIAL_HEADERS:
            raise HostApiError(
                f"HTTPS request header `{name}` is credential-like and must be supplied by an explicit future "
                "secret-ref grant, not guest memory",
                redacted=True,
            )
        if lowered in HOST_CONTROLLED_HEADERS:
            raise HostApiError(f"HTTPS request header `{name}` is set by the host, not the guest")
        if not _FIELD_VALUE.fullmatch(value):
            raise HostApiError(f"HTTPS request header `{name}` has an invalid value")
        headers.append((name, value))
    return headers


def parse_target(url: str) -> Target:
    """Split an https URL into a checked target; refuse anything two parsers could read differently."""
    if not url.isascii() or _URL_FORBIDDEN.search(url):
        raise HostApiError("invalid HTTPS URL: URL must be ASCII without spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise HostApiError(f"invalid HTTPS URL: {error}") from None
    if not parts.scheme:
        raise HostApiError("invalid HTTPS URL: relative URL without a base")
    if parts.scheme.lower() != "https":
        raise HostApiError(f'unsupported URL scheme "{bound_bytes(parts.scheme.lower(), 32)}"; only https is allowed')
    if not parts.netloc:
        raise HostApiError("HTTPS URL must include a host")
    if "@" in parts.netloc:
        raise HostApiError("HTTPS URLs with embedded credentials are not allowed")
    host_text, port = _split_netloc(parts.netloc)
    try:
        host, address = parse_url_host(host_text)
    except HostSyntaxError as error:
        raise HostApiError(f"invalid HTTPS URL: {error}") from None
    path = parts.path or "/"
    # Servers decode `%2e`, `%2f` and `%5c` (and some read `\` as `/`) before routing, so the
    # path is judged, and matched against grant prefixes, decoded. A backslash, encoded or not,
    # is refused: there is no reading of it every server shares.
    decoded = _PATH_ESCAPES.sub(lambda match: chr(int(match.group(1), 16)), path)
    if "\\" in decoded:
        raise HostApiError("invalid HTTPS URL: path must not contain backslashes (`%5c`)")
    # `..;x` is `..` to servers that strip path parameters (Tomcat and friends).
    if any(segment.split(";", 1)[0] in (".", "..") for segment in unquote(decoded).split("/")):
        raise HostApiError("invalid HTTPS URL: path must not contain `.` or `..` segments")
    shown_host = f"[{host}]" if address is not None and address.version == 6 else host
    authority = shown_host if port == 443 else f"{shown_host}:{port}"
    safe_url = f"https://{authority}{bound_bytes(path, 120)}"
    request_target = f"{path}?{parts.query}" if parts.query else path
    standard = address is None or address.version == 6 or host_text.lower() == host
    return Target(host, address, port, path, decoded, request_target, safe_url, standard)


def _split_netloc(netloc: str) -> tuple[str, int]:
    if netloc.startswith("["):
        end = netloc.find("]")
        host, rest = (netloc[: end + 1], netloc[end + 1 :]) if end >= 0 else (netloc, "")
        if rest and not rest.startswith(":"):
            raise HostApiError("invalid HTTPS URL: unexpected text after the IPv6 literal")
        port_text = rest[1:]
    else:
        host, _, port_text = netloc.partition(":")
    if not port_text:
        return host, 443
    if not port_text.isdigit() or len(port_text) > 5 or not 0 < int(port_text) < 65536:
        raise HostApiError("invalid HTTPS URL: invalid port number")
    return host, int(port_text)


def _exchange(
    context: ssl.SSLContext,
    target: Target,
    addresses: list[IPAddress],
    method: str,
    headers: list[tuple[str, str]],
    body: bytes,
    deadline: float,
) -> str:
    """Connect to a validated address, send one request, read one bounded response (http1.py)."""
    request = _request_bytes(target, method, headers, body)
    subject = f"HTTPS request to {target.safe_url}"
    return http1.exchange_for_guest(addresses, target.port, context, target.host, request, deadline, subject)


def _request_bytes(target: Target, method: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    authority = f"[{target.host}]" if target.address is not None and target.address.version == 6 else target.host
    if target.port != 443:
        authority += f":{target.port}"
    lines = [
        f"{method} {target.request_target} HTTP/1.1",
        f"Host: {authority}",
        f"User-Agent: {USER_AGENT}",
        "Accept-Encoding: identity",
        "Connection: close",
    ]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body
