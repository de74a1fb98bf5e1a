"""A real WebSocket server on loopback for tests (the `websockets` sync server, optionally TLS
with a trustme certificate): it echoes text, records what it received and which paths were
opened, and can push text to every connected client (for host-owned ingress).

Messages starting with `cmd:` make it misbehave on purpose: `cmd:binary` answers a binary
message, `cmd:big` a text of 70000 bytes, `cmd:close` closes normally, `cmd:drop` drops the TCP
connection without a close frame, `cmd:silence` answers nothing.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.sync.server import ServerConnection, serve


@dataclass
class WsServer:
    port: int = 0
    scheme: str = "ws"
    received: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    connections: int = 0
    clients: list[ServerConnection] = field(default_factory=list)
    on_text: Callable[[ServerConnection, str], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: Any = None
    _thread: threading.Thread | None = None
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def url(self, path: str = "/socket", host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def push(self, text: str) -> int:
        """Send `text` to every connected client; returns how many got it."""
        sent = 0
        for client in list(self.clients):
            with contextlib.suppress(Exception):
                client.send(text)
                sent += 1
        return sent

    def close_clients(self, code: int = 1000) -> None:
        for client in list(self.clients):
            with contextlib.suppress(Exception):
                client.close(code)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        with self._changed:
            return self._changed.wait_for(predicate, timeout)

    def _handle(self, connection: ServerConnection) -> None:
        with self._changed:
            self.connections += 1
            self.paths.append(connection.request.path if connection.request else "")
            self.headers.append(dict(connection.request.headers) if connection.request else {})
            self.clients.append(connection)
            self._changed.notify_all()
        try:
            for message in connection:
                if not isinstance(message, str):
                    continue
                with self._changed:
                    self.received.append(message)
                    self._changed.notify_all()
                if self.on_text is not None:
                    self.on_text(connection, message)
                elif message == "cmd:binary":
                    connection.send(b"\x00\x01")
                elif message == "cmd:big":
                    connection.send("x" * 70000)
                elif message == "cmd:close":
                    connection.close()
                elif message == "cmd:drop":
                    connection.socket.close()
                elif message != "cmd:silence":
                    connection.send(message)
        except Exception:  # noqa: BLE001 - a client that misbehaves ends its connection only
            pass
        finally:
            with self._changed:
                if connection in self.clients:
                    self.clients.remove(connection)
                self._changed.notify_all()

    def start(self, context: ssl.SSLContext | None = None) -> WsServer:
        self.scheme = "wss" if context is not None else "ws"
        self._server = serve(self._handle, "127.0.0.1", self.port, ssl=context, compression=None,
                             max_size=2**20, ping_interval=None)
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self.close_clients(1001)
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(5)


def tls_context(ca: Any, *names: str) -> ssl.SSLContext:
    """A server context with a certificate for `names` from the trustme CA `ca`."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(*(names or ("127.0.0.1",))).configure_cert(context)
    return context
