"""URLs a guest hands to `request` and `websocket` (yoi-current-spec.md §6.10 steps 7-11, §6.15
open steps 5-9), checked in upstream's order and with its words, and read the way the host will
dial them.

Beyond upstream, anything two URL parsers could read differently is refused (non-ASCII, spaces,
backslashes, IPv4 in a non-canonical spelling, zone ids, `.`/`..` segments also when
percent-encoded or behind `;` parameters, path characters a WHATWG parser rewrites), so what the
allowlist matches is exactly what is dialed (engine/api_registry/url_target.py matches the same text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from engine.api_registry.url_target import DEFAULT_PORTS, ParsedUrl
from engine.diagnostics import bound_bytes
from engine.runtime.hostapi.addresses import HostSyntaxError, IPAddress, parse_url_host
from engine.runtime.hostapi.descriptor import HostApiError

_FORBIDDEN = re.compile(r"[\x00-\x20\x7f\\]")
_PATH_REWRITTEN = frozenset('"<>`{}')


@dataclass(frozen=True)
class UrlWords:
    """How one API's messages name URLs (upstream's exact texts)."""

    invalid: str  # "invalid request URL"
    own: tuple[str, ...]  # the schemes the API takes
    other: tuple[str, ...]  # the schemes of the other API
    other_refused: str  # "WebSocket URLs are not supported by host_api.request"
    unsupported: str  # 'unsupported request URL scheme "{scheme}"; only http and https are allowed'
    no_host: str
    credentials: str


REQUEST_WORDS = UrlWords(
    "invalid request URL",
    ("http", "https"),
    ("ws", "wss"),
    "WebSocket URLs are not supported by host_api.request",
    'unsupported request URL scheme "{scheme}"; only http and https are allowed',
    "request URL must include a host",
    "request URLs with embedded credentials are not allowed",
)
WEBSOCKET_WORDS = UrlWords(
    "invalid WebSocket URL",
    ("ws", "wss"),
    ("http", "https"),
    "HTTP URLs are not supported by host_api.websocket",
    'unsupported WebSocket URL scheme "{scheme}"; only ws and wss are allowed',
    "WebSocket URL must include a host",
    "WebSocket URLs with embedded credentials are not allowed",
)


@dataclass(frozen=True)
class NetUrl:
    """A checked URL: canonical host (IP literals in standard form, no brackets), the address it
    names when it is a literal, the effective port, path and query."""

    scheme: str
    host: str
    address: IPAddress | None
    port: int
    path: str
    query: str
    standard_spelling: bool  # False for `2130706433`, `0x7f.1`, `127.0.0.1.` and the like

    @property
    def shown_host(self) -> str:
        return f"[{self.host}]" if self.address is not None and self.address.version == 6 else self.host

    @property
    def explicit_port(self) -> int | None:
        return None if self.port == DEFAULT_PORTS[self.scheme] else self.port

    @property
    def authority(self) -> str:
        port = self.explicit_port
        return self.shown_host if port is None else f"{self.shown_host}:{port}"

    @property
    def matched(self) -> ParsedUrl:
        """The URL as the allowlist matches it (engine/api_registry/url_target.py)."""
        return ParsedUrl(self.scheme, self.shown_host, self.explicit_port, self.path)

    @property
    def safe_url(self) -> str:
        """Upstream `safe_url`: no query, the path cut to 120 bytes."""
        return self.matched.safe()

    @property
    def request_target(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path

    @property
    def text(self) -> str:
        """The URL as it is dialed (query kept, fragment dropped)."""
        return f"{self.scheme}://{self.authority}{self.request_target}"


def parse_net_url(text: str, words: UrlWords) -> NetUrl:
    """`text` checked in upstream's order: parse, scheme, host, credentials, then our stricter
    reading of host and path (all before the allowlist and before any lookup)."""
    invalid = words.invalid
    if not text.isascii() or _FORBIDDEN.search(text):
        raise HostApiError(f"{invalid}: URL must be ASCII without spaces, control characters or backslashes")
    try:
        parts = urlsplit(text)
    except ValueError as error:
        raise HostApiError(f"{invalid}: {error}") from None
    if not parts.scheme:
        raise HostApiError(f"{invalid}: relative URL without a base")
    scheme = parts.scheme.lower()
    if scheme in words.other:
        raise HostApiError(words.other_refused)
    if scheme not in words.own:
        raise HostApiError(words.unsupported.format(scheme=bound_bytes(scheme, 32)))
    if not parts.netloc:
        raise HostApiError(words.no_host)
    if "@" in parts.netloc:
        raise HostApiError(words.credentials)
    host_text, port = _split_netloc(parts.netloc, DEFAULT_PORTS[scheme], invalid)
    try:
        host, address = parse_url_host(host_text)
    except HostSyntaxError as error:
        raise HostApiError(f"{invalid}: {error}") from None
    path = parts.path or "/"
    # `..;x` is `..` to servers that strip path parameters (Tomcat and friends).
    if any(segment.split(";", 1)[0] in (".", "..") for segment in unquote(path).split("/")):
        raise HostApiError(f"{invalid}: path must not contain `.` or `..` segments")
    if set(path) & _PATH_REWRITTEN:
        raise HostApiError(f"{invalid}: path holds characters a URL parser would percent-encode")
    standard = address is None or address.version == 6 or host_text.lower() == host
    return NetUrl(scheme, host, address, port, path, parts.query, standard)


def _split_netloc(netloc: str, default_port: int, invalid: str) -> tuple[str, int]:
    if netloc.startswith("["):
        end = netloc.find("]")
        host, rest = (netloc[: end + 1], netloc[end + 1 :]) if end >= 0 else (netloc, "")
        if rest and not rest.startswith(":"):
            raise HostApiError(f"{invalid}: unexpected text after the IPv6 literal")
        port_text = rest[1:]
    else:
        host, _, port_text = netloc.partition(":")
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or len(port_text) > 5 or not 0 < int(port_text) < 65536:
        raise HostApiError(f"{invalid}: invalid port number")
    return host, int(port_text)
