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

import ipaddress
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from engine.api_registry.https import METHODS, HttpsGrant
from engine.diagnostics import bound_bytes, bounded_message, redact_secret_like, truncate_utf8
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
from engine.runtime.hostapi.dns import POOL as LOOKUPS
from engine.safe_read import ReadError, read_bounded

MAX_BODY_BYTES = 32768
MAX_HEADERS = 16
MAX_HEADER_NAME_BYTES = 64
MAX_HEADER_VALUE_BYTES = 1024
MAX_RESPONSE_BODY_BYTES = 65536
MAX_RESPONSE_HEAD_BYTES = 32768
MAX_RESPONSE_HEADER_LINES = 100
MAX_ADDRESSES_TRIED = 4
MAX_CA_BUNDLE_BYTES = 4 * 1024 * 1024  # a system bundle is about 200 KiB
TIMEOUT_S = 5.0
USER_AGENT = "yoi-plugin-https-host-api/0.1"
CREDENTIAL_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "x-auth-token",
        "api-key",
        "apikey",
    }
)
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
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e]*")
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
    return HttpsApi(
        allowlist,
        ca_bundle=getattr(host, "https_ca_bundle", None),
        resolver=getattr(host, "resolver", None),
        owner=owner,
    )


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
        self._resolver = resolver or _system_resolver
        self._owner = owner  # the plugin whose share of lookup threads this API draws on (dns.py)
        self._context: ssl.SSLContext | None = None
        self._context_lock = threading.Lock()

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
        host = target.host
        try:
            answers = LOOKUPS.run(self._owner, lambda: self._resolver(host, target.port), deadline)
        except TimeoutError:
            raise HostApiError(f'DNS lookup for "{host}" timed out') from None
        except Exception as error:  # noqa: BLE001 - the resolver is foreign code: any failure is a lookup failure
            raise HostApiError(f'DNS lookup failed for "{host}": {_error_text(error)}') from None
        addresses: list[IPAddress] = []
        for answer in answers or ():
            try:
                address = ipaddress.ip_address(str(answer))
            except ValueError:
                raise HostApiError(f'DNS lookup failed for "{host}": resolver returned an invalid address') from None
            if getattr(address, "scope_id", None) or not is_public(address):
                raise HostApiError(f'HTTPS blocked local/private address {address} for host "{host}"')
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise HostApiError(f'DNS lookup for "{host}" returned no addresses')
        return addresses

    def _ssl_context(self) -> ssl.SSLContext:
        """Built once per plan (loading the system store is not free); verifies chain and name."""
        with self._context_lock:
            if self._context is None:
                context = ssl.create_default_context()
                context.minimum_version = ssl.TLSVersion.TLSv1_2
                if self._ca_bundle is not None:
                    # Read it ourselves, bounded and non-blocking: OpenSSL's own open of a FIFO
                    # named in the config would block this call (and every later one) forever.
                    try:
                        data = read_bounded(self._ca_bundle, MAX_CA_BUNDLE_BYTES)
                        context.load_verify_locations(cadata=data.decode("ascii") if b"-----BEGIN" in data else data)
                    except (ReadError, OSError, ssl.SSLError, ValueError):
                        raise HostApiError("HTTPS CA bundle configured for the host could not be loaded") from None
                self._context = context
            return self._context


def _under(target: Target, prefix: str) -> bool:
    """The path is under a grant prefix as sent and as decoded: an encoded `/` can neither make
    nor hide a boundary (a server that does not decode it routes on the path as sent)."""
    return bool(prefix) and target.path.startswith(prefix) and target.decoded_path.startswith(prefix)


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


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


def _error_text(error: BaseException) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {error.verify_message}"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def _exchange(
    context: ssl.SSLContext,
    target: Target,
    addresses: list[IPAddress],
    method: str,
    headers: list[tuple[str, str]],
    body: bytes,
    deadline: float,
) -> str:
    """Connect to a validated address, send one request, read one bounded response."""
    try:
        sock = _connect(addresses[:MAX_ADDRESSES_TRIED], target.port, deadline)
        try:
            sock.settimeout(_remaining(deadline))
            with context.wrap_socket(sock, server_hostname=target.host) as tls:
                _send_all(tls, _request_bytes(target, method, headers, body), deadline)
                status, response_headers, raw_body, truncated = _ResponseReader(tls, deadline).read()
        finally:
            sock.close()
    except TimeoutError:
        raise HostApiError(f"HTTPS request to {target.safe_url} timed out") from None
    except _ProtocolError as error:
        raise HostApiError(f"HTTPS request to {target.safe_url} failed: {error}") from None
    except (OSError, ssl.SSLError, ValueError) as error:
        raise HostApiError(f"HTTPS request to {target.safe_url} failed: {_error_text(error)}") from None
    text = raw_body.decode("utf-8", errors="replace")
    if truncated:
        text = truncate_utf8(text, MAX_RESPONSE_BODY_BYTES)
    return json.dumps(
        {"status": status, "headers": _filtered_headers(response_headers), "body": text, "truncated": truncated},
        ensure_ascii=False,
    )


def _send_all(sock: ssl.SSLSocket, data: bytes, deadline: float) -> None:
    """sendall with one deadline for the whole request (a socket timeout bounds each send)."""
    view = memoryview(data)
    while view:
        sock.settimeout(_remaining(deadline))
        view = view[sock.send(view) :]


def _remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError
    return remaining


def _connect(addresses: list[IPAddress], port: int, deadline: float) -> socket.socket:
    """A TCP connection to the first validated address that answers; the only connect we make."""
    last: OSError | None = None
    for address in addresses:
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(_remaining(deadline))
            sock.connect((str(address), port))
            return sock
        except OSError as error:
            sock.close()
            if isinstance(error, (TimeoutError, socket.timeout)):
                raise
            last = error
        except BaseException:
            sock.close()
            raise
    raise last or OSError("no address to connect to")


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


def _filtered_headers(headers: list[tuple[str, str]]) -> list[dict[str, str]]:
    """Spec §6.10: credential-like names dropped, at most 16, values redacted and capped."""
    out = []
    for name, value in headers:
        if name.lower() in CREDENTIAL_HEADERS or len(name) > MAX_HEADER_NAME_BYTES:
            continue
        out.append({"name": name, "value": bound_bytes(redact_secret_like(value), MAX_HEADER_VALUE_BYTES)})
        if len(out) == MAX_HEADERS:
            break
    return out


class _ProtocolError(Exception):
    """The server's response is not HTTP/1.x we are willing to read."""


class _ResponseReader:
    """Reads one HTTP/1.x response with a total deadline and caps on head and body sizes."""

    def __init__(self, sock: ssl.SSLSocket, deadline: float):
        self._sock = sock
        self._deadline = deadline
        self._buffer = bytearray()
        self._eof = False
        self._head_bytes = 0

    def read(self) -> tuple[int, list[tuple[str, str]], bytes, bool]:
        for _ in range(5):  # interim 1xx responses, then the final one
            status, headers = self._read_head()
            if status >= 200:
                break
        else:
            raise _ProtocolError("too many interim responses")
        if status in (204, 304):
            return status, headers, b"", False
        raw = self._read_body(headers)
        return status, headers, raw[:MAX_RESPONSE_BODY_BYTES], len(raw) > MAX_RESPONSE_BODY_BYTES

    def _fill(self) -> bool:
        if self._eof:
            return False
        self._sock.settimeout(_remaining(self._deadline))
        try:
            chunk = self._sock.recv(16384)
        except ssl.SSLEOFError:  # a peer that closes without close_notify
            chunk = b""
        if not chunk:
            self._eof = True
            return False
        self._buffer += chunk
        return True

    def _line(self, limit: int) -> str:
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0:
                break
            if len(self._buffer) > limit:
                raise _ProtocolError("response line is too long")
            if not self._fill():
                raise _ProtocolError("connection closed before the response was complete")
        if end > limit:
            raise _ProtocolError("response line is too long")
        line = bytes(self._buffer[: end + 1])
        del self._buffer[: end + 1]
        return line.rstrip(b"\r\n").decode("latin-1")

    def _head_line(self) -> str:
        line = self._line(MAX_RESPONSE_HEAD_BYTES)
        self._head_bytes += len(line) + 2
        if self._head_bytes > MAX_RESPONSE_HEAD_BYTES:
            raise _ProtocolError(f"response headers exceed {MAX_RESPONSE_HEAD_BYTES} bytes")
        return line

    def _read_head(self) -> tuple[int, list[tuple[str, str]]]:
        match = re.fullmatch(r"HTTP/1\.[01] ([1-9][0-9]{2})(?: .*)?", self._head_line())  # 000-099: no status
        if not match:
            raise _ProtocolError("response is not HTTP/1.x")
        headers: list[tuple[str, str]] = []
        while line := self._head_line():
            if len(headers) == MAX_RESPONSE_HEADER_LINES:
                raise _ProtocolError(f"response has more than {MAX_RESPONSE_HEADER_LINES} header lines")
            name, colon, value = line.partition(":")
            if not colon or not _TOKEN.fullmatch(name):
                raise _ProtocolError("response header line is malformed")
            value = value.strip(" \t").encode("latin-1").decode("utf-8", errors="replace")
            headers.append((name, bounded_message(value, MAX_RESPONSE_HEAD_BYTES)))
        return int(match.group(1)), headers

    def _read_body(self, headers: list[tuple[str, str]]) -> bytes:
        values = {name.lower(): value for name, value in headers}
        cap = MAX_RESPONSE_BODY_BYTES + 1  # one byte more than we return tells us it was truncated
        if "transfer-encoding" in values:
            if values["transfer-encoding"].lower().rsplit(",", 1)[-1].strip() == "chunked":
                return self._chunked(cap)
            return self._until_close(cap)
        lengths = {v.strip() for name, v in headers if name.lower() == "content-length"}
        if lengths:
            if len(lengths) != 1 or not next(iter(lengths)).isdigit() or len(next(iter(lengths))) > 19:
                raise _ProtocolError("response Content-Length is invalid")
            return self._exactly(min(int(next(iter(lengths))), cap))
        return self._until_close(cap)

    def _exactly(self, count: int) -> bytes:
        while len(self._buffer) < count:
            if not self._fill():
                raise _ProtocolError("connection closed before the response body was complete")
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        return data

    def _until_close(self, cap: int) -> bytes:
        while len(self._buffer) < cap and self._fill():
            pass
        return bytes(self._buffer[:cap])

    def _chunked(self, cap: int) -> bytes:
        body = bytearray()
        while len(body) < cap:
            size_text = self._line(1024).split(";", 1)[0].strip()
            if not size_text or len(size_text) > 16 or not all(c in "0123456789abcdefABCDEF" for c in size_text):
                raise _ProtocolError("response chunk size is invalid")
            size = int(size_text, 16)
            if size == 0:
                break
            take = min(size, cap - len(body))
            body += self._exactly(take)
            if take < size:
                break
            self._line(2)
        return bytes(body)
