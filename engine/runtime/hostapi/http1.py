"""One HTTP/1.1 exchange over a socket we connected ourselves, for the `https` and `request` host
APIs (spec §6.10, yoi-current-spec.md §6.10): connect to an already validated address (never a
second lookup), optionally TLS with the hostname verified, send one request, and read one
response with a total deadline and caps on every part, so a hostile server can neither stall the
call nor make it buffer more than it may return.

`exchange` raises TimeoutError, ProtocolError, or OSError / ssl.SSLError / ValueError
(`error_text` renders those); `exchange_for_guest` is what the host APIs call: the response as
the guest gets it, and those failures as one HostApiError naming the caller's request.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import time

from engine.diagnostics import bound_bytes, bounded_message, redact_secret_like, truncate_utf8
from engine.runtime.hostapi.addresses import IPAddress
from engine.runtime.hostapi.descriptor import HostApiError

MAX_HEADERS = 16
MAX_HEADER_NAME_BYTES = 64
MAX_HEADER_VALUE_BYTES = 1024
MAX_RESPONSE_BODY_BYTES = 65536
MAX_RESPONSE_HEAD_BYTES = 32768
MAX_RESPONSE_HEADER_LINES = 100
MAX_ADDRESSES_TRIED = 4
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
TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
FIELD_VALUE = re.compile(r"[\t\x20-\x7e]*")

Response = tuple[int, list[tuple[str, str]], bytes, bool]  # status, headers, body, truncated


def exchange(
    addresses: list[IPAddress],
    port: int,
    tls: ssl.SSLContext | None,
    server_hostname: str,
    request: bytes,
    deadline: float,
) -> Response:
    """Connect to the first address that answers, (TLS,) send `request`, read one response."""
    sock = connect(addresses[:MAX_ADDRESSES_TRIED], port, deadline)
    try:
        sock.settimeout(remaining(deadline))
        if tls is None:
            send_all(sock, request, deadline)
            return ResponseReader(sock, deadline).read()
        with tls.wrap_socket(sock, server_hostname=server_hostname) as wrapped:
            send_all(wrapped, request, deadline)
            return ResponseReader(wrapped, deadline).read()
    finally:
        sock.close()


def exchange_for_guest(
    addresses: list[IPAddress],
    port: int,
    tls: ssl.SSLContext | None,
    server_hostname: str,
    request: bytes,
    deadline: float,
    subject: str,
) -> str:
    """`exchange`, answered as `response_json`; a failure is a HostApiError about `subject`
    (`HTTPS request to <safe url>`)."""
    try:
        response = exchange(addresses, port, tls, server_hostname, request, deadline)
    except TimeoutError:
        raise HostApiError(f"{subject} timed out") from None
    except ProtocolError as error:
        raise HostApiError(f"{subject} failed: {error}") from None
    except (OSError, ssl.SSLError, ValueError) as error:
        raise HostApiError(f"{subject} failed: {error_text(error)}") from None
    return response_json(*response)


def response_json(status: int, headers: list[tuple[str, str]], raw_body: bytes, truncated: bool) -> str:
    """The response as the guest gets it: `{status, headers, body, truncated}` (spec §6.10)."""
    text = raw_body.decode("utf-8", errors="replace")
    if truncated:
        text = truncate_utf8(text, MAX_RESPONSE_BODY_BYTES)
    return json.dumps(
        {"status": status, "headers": filtered_headers(headers), "body": text, "truncated": truncated},
        ensure_ascii=False,
    )


def error_text(error: BaseException) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {error.verify_message}"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def send_all(sock: socket.socket, data: bytes, deadline: float) -> None:
    """sendall with one deadline for the whole request (a socket timeout bounds each send)."""
    view = memoryview(data)
    while view:
        sock.settimeout(remaining(deadline))
        view = view[sock.send(view) :]


def remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError
    return remaining


def connect(addresses: list[IPAddress], port: int, deadline: float) -> socket.socket:
    """A TCP connection to the first validated address that answers; the only connect we make."""
    last: OSError | None = None
    for address in addresses:
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(remaining(deadline))
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


def filtered_headers(headers: list[tuple[str, str]]) -> list[dict[str, str]]:
    """Spec §6.10: credential-like names dropped, at most 16, values redacted and capped."""
    out = []
    for name, value in headers:
        if name.lower() in CREDENTIAL_HEADERS or len(name) > MAX_HEADER_NAME_BYTES:
            continue
        out.append({"name": name, "value": bound_bytes(redact_secret_like(value), MAX_HEADER_VALUE_BYTES)})
        if len(out) == MAX_HEADERS:
            break
    return out


class ProtocolError(Exception):
    """The server's response is not HTTP/1.x we are willing to read."""


class ResponseReader:
    """Reads one HTTP/1.x response with a total deadline and caps on head and body sizes."""

    def __init__(self, sock: socket.socket, deadline: float):
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
            raise ProtocolError("too many interim responses")
        if status in (204, 304):
            return status, headers, b"", False
        raw = self._read_body(headers)
        return status, headers, raw[:MAX_RESPONSE_BODY_BYTES], len(raw) > MAX_RESPONSE_BODY_BYTES

    def _fill(self) -> bool:
        if self._eof:
            return False
        self._sock.settimeout(remaining(self._deadline))
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
                raise ProtocolError("response line is too long")
            if not self._fill():
                raise ProtocolError("connection closed before the response was complete")
        if end > limit:
            raise ProtocolError("response line is too long")
        line = bytes(self._buffer[: end + 1])
        del self._buffer[: end + 1]
        return line.rstrip(b"\r\n").decode("latin-1")

    def _head_line(self) -> str:
        line = self._line(MAX_RESPONSE_HEAD_BYTES)
        self._head_bytes += len(line) + 2
        if self._head_bytes > MAX_RESPONSE_HEAD_BYTES:
            raise ProtocolError(f"response headers exceed {MAX_RESPONSE_HEAD_BYTES} bytes")
        return line

    def _read_head(self) -> tuple[int, list[tuple[str, str]]]:
        match = re.fullmatch(r"HTTP/1\.[01] ([1-9][0-9]{2})(?: .*)?", self._head_line())  # 000-099: no status
        if not match:
            raise ProtocolError("response is not HTTP/1.x")
        headers: list[tuple[str, str]] = []
        while line := self._head_line():
            if len(headers) == MAX_RESPONSE_HEADER_LINES:
                raise ProtocolError(f"response has more than {MAX_RESPONSE_HEADER_LINES} header lines")
            name, colon, value = line.partition(":")
            if not colon or not TOKEN.fullmatch(name):
                raise ProtocolError("response header line is malformed")
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
                raise ProtocolError("response Content-Length is invalid")
            return self._exactly(min(int(next(iter(lengths))), cap))
        return self._until_close(cap)

    def _exactly(self, count: int) -> bytes:
        while len(self._buffer) < count:
            if not self._fill():
                raise ProtocolError("connection closed before the response body was complete")
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
                raise ProtocolError("response chunk size is invalid")
            size = int(size_text, 16)
            if size == 0:
                break
            take = min(size, cap - len(body))
            body += self._exactly(take)
            if take < size:
                break
            self._line(2)
        return bytes(body)
