"""Real servers and folders for the host API tests.

- A session-wide audit hook (`sys.addaudithook`, not a mock: Python calls it on every real
  `socket.connect`) records each connection and refuses any that is not to loopback, so no test
  here can ever reach 10.x, 169.254.x or a public address, even by mistake.
- `https_server`: a real TLS server on 127.0.0.1 with a `trustme` test CA; tests choose what it
  answers (raw bytes, so hostile responses are possible) and read what it received.
- `tripwire`: a plain TCP listener on loopback that counts connections, for "refused before the
  network" tests.
- `registry_for`: real runtime registries trusting the server's CA; `files`: a granted folder.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme

CONNECTS: list[tuple[str, int]] = []
_ACTIVE = threading.Event()


def _guard(event: str, args: tuple) -> None:
    if event != "socket.connect" or not _ACTIVE.is_set():
        return
    address = args[1]
    if not isinstance(address, tuple):
        return  # unix sockets
    host = str(address[0])
    CONNECTS.append((host, int(address[1])))
    try:
        loopback = ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise RuntimeError(f"test attempted a non-loopback connection to {host}")


sys.addaudithook(_guard)


@pytest.fixture(autouse=True)
def loopback_only():
    """The guard is active for the tests of this folder only."""
    _ACTIVE.set()
    yield
    _ACTIVE.clear()


def _ok(body: bytes = b"hello") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


@dataclass
class HttpsServer:
    port: int
    ca_bundle: Path
    requests: list[bytes] = field(default_factory=list)
    respond: Callable[[ssl.SSLSocket, bytes], None] = field(default=lambda conn, request: conn.sendall(_ok()))
    connections: int = 0
    reissue: Callable[..., None] = field(default=lambda *names: None)

    def url(self, path="/api/x", host="127.0.0.1") -> str:
        return f"https://{host}:{self.port}{path}"


def _read_request(conn: ssl.SSLSocket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head + b"\r\n\r\n" + rest


def _loopback_listener() -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    return listener


@contextlib.contextmanager
def _accepting(listener: socket.socket, on_connection: Callable[[socket.socket], None]) -> Iterator[None]:
    """Accept on `listener` in a thread while the block runs, handing each connection to
    `on_connection`; at the end the listener is shut down (which wakes a blocked accept(): close()
    alone does not, on Linux) and the thread joined."""
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            if stop.is_set():
                conn.close()
                return
            on_connection(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(5)


def _answering(server: HttpsServer, wrap: Callable[[socket.socket], Any]) -> Callable[[socket.socket], None]:
    """A connection handler for `_accepting`: each connection, wrapped (TLS or not), in its own
    thread reads one request, records it and lets `server.respond` answer."""

    def handle(raw: socket.socket) -> None:
        try:
            raw.settimeout(10)
            with wrap(raw) as conn:
                request = _read_request(conn)
                server.requests.append(request)
                server.respond(conn, request)
        except OSError:  # ssl.SSLError included
            pass
        finally:
            raw.close()

    def accept(raw: socket.socket) -> None:
        server.connections += 1
        threading.Thread(target=handle, args=(raw,), daemon=True).start()

    return accept


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory) -> tuple[trustme.CA, Path]:
    ca = trustme.CA()
    bundle = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return ca, bundle


@pytest.fixture
def https_server(test_ca):
    ca, bundle = test_ca
    cert = ca.issue_cert("127.0.0.1", "::1", "api.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    listener = _loopback_listener()
    server = HttpsServer(listener.getsockname()[1], bundle)
    server.reissue = lambda *names: ca.issue_cert(*names).configure_cert(context)
    with _accepting(listener, _answering(server, lambda raw: context.wrap_socket(raw, server_side=True))):
        yield server


@pytest.fixture
def http_server():
    """A plain HTTP/1.1 server on 127.0.0.1, answering like `https_server` (for `request` over http)."""
    listener = _loopback_listener()
    server = HttpsServer(listener.getsockname()[1], Path("/nonexistent"))
    with _accepting(listener, _answering(server, contextlib.nullcontext)):
        yield server


@pytest.fixture
def tripwire():
    """A loopback listener that counts connections; refused requests must leave it at zero."""
    listener = _loopback_listener()
    hits: list[int] = []

    def count(conn: socket.socket) -> None:
        hits.append(1)
        conn.close()

    with _accepting(listener, count):
        yield listener.getsockname()[1], hits


@pytest.fixture
def connects():
    """Connections made (through the audit hook) during the test."""
    start = len(CONNECTS)
    return lambda: CONNECTS[start:]


@pytest.fixture
def registry_for(tmp_path, https_server):
    """Build PluginInstanceRegistry values that trust `https_server`'s CA; closed after the test."""
    from engine.runtime import HostConfig, PluginInstanceRegistry

    made = []

    def factory(plans):
        host = HostConfig(cache_dir=tmp_path / "compiled", https_ca_bundle=https_server.ca_bundle)
        registry = PluginInstanceRegistry(plans, host=host)
        made.append(registry)
        return registry

    yield factory
    for registry in made:
        registry.close()


@pytest.fixture
def files(tmp_path):
    """A granted folder holding hello.txt."""
    root = tmp_path / "granted"
    root.mkdir()
    (root / "hello.txt").write_text('hi "there"\n')
    return root


@pytest.fixture
def ws_server():
    """A plain `ws://` echo server on loopback (tests/support/ws_server.py)."""
    from ws_server import WsServer

    server = WsServer().start()
    yield server
    server.stop()


@pytest.fixture
def wss_server(test_ca):
    """A `wss://` echo server on loopback with a trustme certificate for 127.0.0.1 and ws.test."""
    from ws_server import WsServer, tls_context

    ca, bundle = test_ca
    server = WsServer().start(tls_context(ca, "127.0.0.1", "ws.test"))
    server.ca_bundle = bundle
    yield server
    server.stop()
