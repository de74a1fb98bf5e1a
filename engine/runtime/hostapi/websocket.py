"""The `websocket` host API (yoi b12e0785, yoi-current-spec.md §6.15): text WebSocket connections
a guest opens, sends on, receives from and closes, to URLs a manifest `[[websocket]]` target and
an enabled `grants.websocket` entry both allow (§3.6).

Upstream's checks, order, bounds and words; beyond upstream, the name is resolved once with the
same address policy as `request` (resolve.py: `localhost` never, private literals only when a
grant names them, names must resolve to public addresses) and the validated address is what is
dialed: the TCP connection is ours, and the `websockets` library's sync client speaks TLS and the
protocol over it (it follows no redirect over a socket it was given, uses no proxy, and here
offers no compression and sends no pings of its own).

Handles belong to the store: `close_all` runs when the store goes (per tool call for tool-world
components, at stop or discard for an instance). `connect` is also what the host-owned ingress
driver dials with (engine/runtime/service/sockets.py).
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.api_registry.url_target import WEBSOCKET, UrlTarget
from engine.runtime.hostapi import http1
from engine.runtime.hostapi.addresses import IPAddress
from engine.runtime.hostapi.descriptor import HostApiError, decode_object
from engine.runtime.hostapi.resolve import Resolver, network_settings
from engine.runtime.hostapi.tls import ClientContext
from engine.runtime.hostapi.url_policy import UrlPolicy
from engine.runtime.hostapi.urls import WEBSOCKET_WORDS, NetUrl, parse_net_url

MAX_TEXT_BYTES = 32768  # a text frame a guest sends
MAX_MESSAGE_BYTES = 65536  # a message the host receives
MAX_HANDLES = 4
TIMEOUT_S = 5.0  # open, send, pong, close
RECV_DEFAULT_S = 5.0
RECV_MAX_S = 30.0
HANDLE_AGE_S = 15 * 60
USER_AGENT = "yoi-plugin-host/1"
MAX_QUEUED_FRAMES = 16  # frames the library buffers ahead of recv (so at most ~1 MiB per connection)
_OPEN_FIELDS = {"url": (str, True), "protocols": (list, False), "headers": (list, False)}
_HANDLE_SPACE = 2**32


def open_api(
    allowlist: tuple[UrlTarget, ...], host: Any, targets: tuple[UrlTarget, ...] = (), owner: str = ""
) -> WebSocketApi:
    """The registry's handler factory (engine/api_registry/websocket.py)."""
    return WebSocketApi(targets, allowlist, **network_settings(host), owner=owner)


class Policy(UrlPolicy):
    """Who may be dialed: the targets and grants of one plan, with the engine's address policy."""

    def __init__(
        self,
        targets: tuple[UrlTarget, ...],
        grants: tuple[UrlTarget, ...],
        ca_bundle: str | Path | None,
        resolver: Resolver | None,
        owner: str,
    ):
        super().__init__(WEBSOCKET, targets, grants, ca_bundle, resolver, owner)

    def check(self, text: str) -> NetUrl:
        """cur §6.15 open steps 5-10 (URL, scheme, host, credentials, static target, allowlist)."""
        url = parse_net_url(text, WEBSOCKET_WORDS)
        self.authorize(url)
        return url

    def connect(self, url: NetUrl, deadline: float) -> Any:
        """Resolve (pinned), connect, TLS for wss, handshake; within `deadline`."""
        return dial(url, self.addresses(url, deadline), self.tls if url.scheme == "wss" else None, deadline)


def dial(url: NetUrl, addresses: list[IPAddress], tls: ClientContext | None, deadline: float) -> Any:
    """A `websockets` sync ClientConnection over a socket connected to a validated address."""
    from websockets.sync.client import connect

    context = tls.get() if tls is not None else None
    budget_ms = int(TIMEOUT_S * 1000)
    try:
        sock = http1.connect(addresses[: http1.MAX_ADDRESSES_TRIED], url.port, deadline)
    except TimeoutError as error:
        raise HostApiError(f"WebSocket open timed out after {budget_ms} ms for {url.safe_url}: {error}") from None
    except OSError as error:
        raise HostApiError(f"WebSocket connection failed for {url.safe_url}: {http1.error_text(error)}") from None
    try:
        # Bound every blocking send (ours and the library's pong replies) without a socket timeout,
        # which would also end the library's reader thread.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", int(TIMEOUT_S), 0))
        connection = connect(
            url.text,
            sock=sock,
            ssl=context,
            server_hostname=url.host if context is not None else None,
            open_timeout=max(0.001, deadline - time.monotonic()),
            close_timeout=TIMEOUT_S,
            ping_interval=None,
            ping_timeout=None,
            compression=None,
            proxy=None,
            user_agent_header=USER_AGENT,
            max_size=MAX_MESSAGE_BYTES,
            max_queue=MAX_QUEUED_FRAMES,
        )
    except TimeoutError as error:
        sock.close()
        raise HostApiError(f"WebSocket open timed out after {budget_ms} ms for {url.safe_url}: {error}") from None
    except Exception as error:  # noqa: BLE001 - handshake, TLS and protocol failures alike
        sock.close()
        raise HostApiError(f"WebSocket connection failed for {url.safe_url}: {_text(error)}") from None
    # websockets 17 warns about a connection used outside `with`: its lifetime is the handle's.
    connection.pending_legacy_warning = False
    return connection


def _json(value: dict[str, Any]) -> str:
    """Compact, as upstream's serde writes it: `{"sent":true,"bytes":4}`."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _text(error: BaseException) -> str:
    if isinstance(error, OSError) and not isinstance(error, TimeoutError):
        return http1.error_text(error)
    return str(error) or type(error).__name__


@dataclass
class _Handle:
    connection: Any
    url: str
    opened: float


class WebSocketApi:
    """One store's WebSocket handles (at most 4, open or being opened) under one plan's policy."""

    def __init__(
        self,
        targets: tuple[UrlTarget, ...],
        grants: tuple[UrlTarget, ...],
        ca_bundle: str | Path | None = None,
        resolver: Resolver | None = None,
        owner: str = "",
        clock: Any = time.monotonic,
    ):
        self.policy = Policy(targets, grants, ca_bundle, resolver, owner)
        self._handles: dict[int, _Handle] = {}
        self._reserved = 0
        self._next = 1
        self._lock = threading.Lock()
        self._clock = clock

    @property
    def unusable_reason(self) -> str | None:
        return self.policy.unusable_reason

    @property
    def usable(self) -> bool:
        return self.unusable_reason is None

    # ---- dispatch ----------------------------------------------------------------------------

    def run(self, op: str, descriptor: bytes, deadline: float | None = None) -> str:
        """The JSON-descriptor function, `open`."""
        return self.open(descriptor, deadline)

    def call(self, op: str, args: tuple, deadline: float | None = None) -> str:
        """The handle functions: `send-text(handle, text)`, `recv(handle, timeout-ms)`, `close(handle)`."""
        if op == "send-text":
            return self.send_text(args[0], args[1])
        if op == "recv":
            return self.recv(args[0], args[1], deadline)
        return self.close(args[0])

    # ---- the four functions ------------------------------------------------------------------

    def open(self, descriptor: bytes, deadline: float | None = None) -> str:
        fields = decode_object(descriptor, "WebSocket open request", _OPEN_FIELDS)
        if fields.get("protocols"):
            raise HostApiError("WebSocket subprotocol negotiation is not supported by host_api.websocket v1")
        if fields.get("headers"):
            raise HostApiError(
                "WebSocket handshake headers from guest memory are not supported; future secret-ref grants must "
                "inject credential-bearing headers explicitly",
                redacted=True,
            )
        url = self.policy.check(fields["url"])
        self._reserve()
        own = time.monotonic() + TIMEOUT_S
        try:
            connection = self.policy.connect(url, own if deadline is None else min(own, deadline))
        except BaseException:
            self._release()
            raise
        return _json({"handle": self._commit(connection, url.safe_url), "url": url.safe_url})

    def send_text(self, handle: int, text: str) -> str:
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            raise HostApiError("WebSocket send_text requires UTF-8 text") from None
        if len(data) > MAX_TEXT_BYTES:
            raise HostApiError(f"WebSocket text frame exceeds {MAX_TEXT_BYTES} bytes")
        connection = self._live(handle).connection
        try:
            connection.send(text)
        except (TimeoutError, BlockingIOError):
            raise HostApiError("WebSocket send timed out") from None
        except Exception as error:  # noqa: BLE001 - closed connections and socket errors alike
            raise HostApiError(f"WebSocket send failed: {_text(error)}") from None
        return _json({"sent": True, "bytes": len(data)})

    def recv(self, handle: int, timeout_ms: int, deadline: float | None = None) -> str:
        wait = RECV_DEFAULT_S if timeout_ms == 0 else min(timeout_ms / 1000, RECV_MAX_S)
        if deadline is not None:  # a host call never outlives the guest call making it
            wait = max(0.0, min(wait, deadline - time.monotonic()))
        return _json(receive(self._live(handle).connection, wait))

    def close(self, handle: int) -> str:
        with self._lock:
            found = self._handles.pop(handle, None)
        if found is None:
            return _json({"closed": False})
        _close(found.connection)
        return _json({"closed": True})

    def close_all(self) -> None:
        """The store is going: close every handle (open ones, and expired ones not yet collected)."""
        with self._lock:
            handles, self._handles = list(self._handles.values()), {}
        for found in handles:
            _close(found.connection)

    @property
    def open_handles(self) -> int:
        with self._lock:
            return len(self._handles)

    # ---- the handle table --------------------------------------------------------------------

    def _expire(self) -> None:
        """Handles older than 15 minutes are closed (checked on open, send and recv)."""
        now = self._clock()
        with self._lock:
            old = [h for h, found in self._handles.items() if now - found.opened >= HANDLE_AGE_S]
            expired = [self._handles.pop(h) for h in old]
        for found in expired:
            _close(found.connection)

    def _reserve(self) -> None:
        self._expire()
        with self._lock:
            if len(self._handles) + self._reserved >= MAX_HANDLES:
                raise HostApiError(f"host_api.websocket open connection limit ({MAX_HANDLES}) exceeded before dialing")
            self._reserved += 1

    def _release(self) -> None:
        with self._lock:
            self._reserved -= 1

    def _commit(self, connection: Any, url: str) -> int:
        with self._lock:
            self._reserved -= 1
            full = len(self._handles) >= MAX_HANDLES
            handle = None if full else self._free_id()
            if handle is not None:
                self._handles[handle] = _Handle(connection, url, self._clock())
        if handle is None:
            _close(connection)
            raise HostApiError(
                f"host_api.websocket open connection limit ({MAX_HANDLES}) exceeded while committing reserved handle"
                if full
                else "WebSocket handle space exhausted"
            )
        return handle

    def _free_id(self) -> int | None:
        """Ids from 1 up, wrapping, never 0, skipping ids in use (caller holds the lock)."""
        for _ in range(MAX_HANDLES + 1):
            candidate = self._next
            self._next = self._next % (_HANDLE_SPACE - 1) + 1
            if candidate not in self._handles:
                return candidate
        return None

    def _live(self, handle: int) -> _Handle:
        self._expire()
        with self._lock:
            found = self._handles.get(handle)
        if found is None:
            raise HostApiError(f"unknown WebSocket handle {handle}")
        return found


def receive(connection: Any, wait: float) -> dict[str, str]:
    """One message, as `recv` answers it: `{"type": "text", "text"}` or `{"type": "closed"}`;
    anything else is an error with upstream's words. Pings are answered by the library."""
    from websockets.exceptions import ConnectionClosed, ConnectionClosedOK

    try:
        message = connection.recv(timeout=wait)
    except TimeoutError:
        raise HostApiError("WebSocket receive timed out") from None
    except ConnectionClosedOK:
        return {"type": "closed"}
    except ConnectionClosed as error:
        if error.sent is not None and error.sent.code == 1009:  # we refused an oversize message
            raise HostApiError(f"WebSocket text message exceeds {MAX_MESSAGE_BYTES} bytes") from None
        if error.rcvd is not None:
            return {"type": "closed"}
        raise HostApiError("WebSocket stream ended") from None
    except Exception as error:  # noqa: BLE001 - the connection's own failures
        raise HostApiError(f"WebSocket receive failed: {_text(error)}") from None
    if not isinstance(message, str):
        raise HostApiError("binary WebSocket messages are not supported by host_api.websocket v1")
    return {"type": "text", "text": message}


def _close(connection: Any) -> None:
    """Close a connection (the library bounds the closing handshake by its close_timeout)."""
    with contextlib.suppress(Exception):  # a connection already gone is closed enough
        connection.close()
