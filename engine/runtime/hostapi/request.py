"""The `request` host API (yoi b12e0785, yoi-current-spec.md §6.10): one outbound HTTP(S) request
per call, allowed only where a manifest `[[request]]` target and an enabled `grants.request`
entry both allow the method and URL (§3.6, matched by engine/api_registry/url_target.py).

Upstream's order and words, and on top of them the engine host's containment, as for `https`:
- `localhost` is never reachable, a private or loopback IP literal only when a grant names that
  literal address, and a hostname must resolve to public addresses only (upstream dropped its
  address policy; docs/reference-differences.md);
- the name is resolved once and the socket connected to a validated address (no second lookup,
  so DNS rebinding cannot switch targets); TLS still verifies the certificate against the name;
- no redirects (a 3xx is the guest's answer), no proxy, one 5 s deadline (never past the guest
  call's) for lookup, connect, TLS, send and receive, a bounded response reader (http1.py);
- framing headers are the host's (Host, Content-Length, Connection, ...), beside upstream's
  refusals of credential-like, upgrade and event-stream headers.

`prepare` is the validation alone (the `host_request_dispatch` output command reuses it) and
`perform` the network part.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.api_registry.url_target import ALLOWED_METHODS, REQUEST, UrlTarget
from engine.diagnostics import bound_bytes
from engine.runtime.hostapi import http1
from engine.runtime.hostapi.descriptor import HostApiError, check_fields, decode_object
from engine.runtime.hostapi.http1 import CREDENTIAL_HEADERS, FIELD_VALUE, MAX_HEADERS, TOKEN
from engine.runtime.hostapi.resolve import Resolver, network_settings
from engine.runtime.hostapi.url_policy import UrlPolicy
from engine.runtime.hostapi.urls import REQUEST_WORDS, NetUrl, parse_net_url

MAX_BODY_BYTES = 32768
MAX_HEADER_NAME_BYTES = 64
MAX_HEADER_VALUE_BYTES = 1024
TIMEOUT_S = 5.0
USER_AGENT = "yoi-plugin-request-host-api/0.1"
# Framing and routing headers belong to the host: a guest-chosen Host or Content-Length would let
# a plugin smuggle a second request or reach a virtual host its targets do not name.
HOST_CONTROLLED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "expect",
        "proxy-connection",
        "user-agent",
    }
)
_FIELDS = {"method": (str, True), "url": (str, True), "headers": (list, False), "body": (str, False)}
_HEADER_FIELDS = {"name": (str, True), "value": (str, True)}


@dataclass(frozen=True)
class PreparedRequest:
    """A request that passed every check: what to send and where."""

    method: str
    url: NetUrl
    headers: tuple[tuple[str, str], ...]
    body: bytes


def open_api(
    allowlist: tuple[UrlTarget, ...], host: Any, targets: tuple[UrlTarget, ...] = (), owner: str = ""
) -> RequestApi:
    """The registry's handler factory (engine/api_registry/request.py): the plan's grants and
    manifest targets, with the host's CA bundle and resolver."""
    return RequestApi(targets, allowlist, **network_settings(host), owner=owner)


class RequestApi:
    """One plan's request targets and grants, prepared once; `request` runs one guest descriptor."""

    def __init__(
        self,
        targets: tuple[UrlTarget, ...],
        grants: tuple[UrlTarget, ...],
        ca_bundle: str | Path | None = None,
        resolver: Resolver | None = None,
        owner: str = "",
    ):
        self._policy = UrlPolicy(REQUEST, targets, grants, ca_bundle, resolver, owner)

    @property
    def unusable_reason(self) -> str | None:
        """Upstream's per-API declaration check (cur §3.5 step 4), None when it passes."""
        return self._policy.unusable_reason

    @property
    def usable(self) -> bool:
        return self.unusable_reason is None

    def run(self, op: str, descriptor: bytes, deadline: float | None = None) -> str:
        """The dispatch entry (the API's one operation is `request`)."""
        fields = decode_object(descriptor, "request", _FIELDS)
        return self.perform(self.prepare(fields), deadline)

    def prepare_value(self, value: Any) -> PreparedRequest:
        """A descriptor given as a JSON value (an output command's payload), checked alike."""
        return self.prepare(check_fields(value, "request", _FIELDS))

    def prepare(self, fields: Mapping[str, Any]) -> PreparedRequest:
        """cur §6.10 steps 4-12: method, headers, body, URL, scheme, static target, allowlist."""
        method = fields["method"]
        if method not in ALLOWED_METHODS:
            raise HostApiError(f"request method `{bound_bytes(method, 16)}` is not allowed")
        headers = _request_headers(fields.get("headers", []))
        try:
            body = fields.get("body", "").encode("utf-8")
        except UnicodeEncodeError:
            raise HostApiError("request body is not valid UTF-8") from None
        if len(body) > MAX_BODY_BYTES:
            raise HostApiError(f"request body exceeds {MAX_BODY_BYTES} bytes")
        url = parse_net_url(fields["url"], REQUEST_WORDS)
        self._policy.authorize(url, method)
        return PreparedRequest(method, url, headers, body)

    def perform(self, prepared: PreparedRequest, deadline: float | None = None) -> str:
        """cur §6.10 step 13: resolve (pinned), connect, send, read; min(5 s, `deadline`) in all."""
        own = time.monotonic() + TIMEOUT_S
        deadline = own if deadline is None else min(own, deadline)
        url = prepared.url
        addresses = self._policy.addresses(url, deadline)
        context = self._policy.tls.get() if url.scheme == "https" else None
        data = _request_bytes(prepared)
        subject = f"request to {url.safe_url}"
        return http1.exchange_for_guest(addresses, url.port, context, url.host, data, deadline, subject)


def _tokens(value: str) -> list[str]:
    return [part.split(";", 1)[0].strip().lower() for part in value.split(",")]


def _request_headers(items: list[Any]) -> tuple[tuple[str, str], ...]:
    """cur §6.10 step 5, in upstream's order per header, then the host's framing headers."""
    if len(items) > MAX_HEADERS:
        raise HostApiError(f"request descriptor has too many headers (max {MAX_HEADERS})")
    headers = []
    for item in items:
        fields = check_fields(item, "request header", _HEADER_FIELDS)
        name, value = fields["name"], fields["value"]
        if not 1 <= len(name.encode("utf-8", "surrogatepass")) <= MAX_HEADER_NAME_BYTES:
            raise HostApiError("request header name is invalid")
        shown = bound_bytes(name, MAX_HEADER_NAME_BYTES)
        if len(value.encode("utf-8", "surrogatepass")) > MAX_HEADER_VALUE_BYTES:
            raise HostApiError(f"request header `{shown}` exceeds {MAX_HEADER_VALUE_BYTES} bytes")
        lowered = name.lower()
        if lowered in CREDENTIAL_HEADERS:
            raise HostApiError(
                f"request header `{shown}` is credential-like and must be supplied by an explicit future "
                "secret-ref grant, not guest memory",
                redacted=True,
            )
        if lowered == "upgrade" or (lowered == "connection" and "upgrade" in _tokens(value)):
            raise HostApiError("persistent connection upgrade headers are not supported by host_api.request")
        if lowered == "accept" and "text/event-stream" in _tokens(value):
            raise HostApiError("SSE/event-stream requests are not supported by host_api.request")
        if not TOKEN.fullmatch(name):
            raise HostApiError(f"invalid request header name `{shown}`")
        if not FIELD_VALUE.fullmatch(value):
            raise HostApiError(f"invalid request header value for `{shown}`")
        if lowered in HOST_CONTROLLED_HEADERS:
            raise HostApiError(f"request header `{shown}` is set by the host, not the guest")
        headers.append((name, value))
    return tuple(headers)


def _request_bytes(prepared: PreparedRequest) -> bytes:
    url = prepared.url
    lines = [
        f"{prepared.method} {url.request_target} HTTP/1.1",
        f"Host: {url.authority}",
        f"User-Agent: {USER_AGENT}",
        "Accept-Encoding: identity",
        "Connection: close",
    ]
    if prepared.body or prepared.method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(prepared.body)}")
    lines += [f"{name}: {value}" for name, value in prepared.headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + prepared.body
