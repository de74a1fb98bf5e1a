"""Host-owned WebSocket ingress (yoi-current-spec.md §6.17): the host opens and owns the
connections named by an instance's `websocket:` ingress sources, delivers what arrives as
`websocket_text`, `websocket_close` and `websocket_error` events through the normal ingress path,
and sends what `websocket_send` output commands ask on them.

As upstream: at most 4 connections per instance (failed entries count), keyed by URL, each
authorized like a guest's open (the `websocket` API in the plan, target ∩ grant, the address
policy) and bounded the same way (5 s open, 64 KiB messages); a reader thread polls every 250 ms.
Beyond upstream:
- opens happen in the connection's thread, so starting an instance never waits on a network;
- a closed or failed connection is reopened under the plan's restart policy: after `backoff_ms`,
  doubling up to `backoff_max_ms`, at most `max_restarts` reconnects in a row (a connection that
  stayed up for `reset_after_ms` starts the count again, as a healthy instance does), and the
  status shows each connection's
  state, last error, reconnects and when the next one is due.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.api_registry.websocket import websocket_source
from engine.plan import Plan, RestartPolicy
from engine.runtime.errors import RuntimeFault, bounded
from engine.runtime.hostapi.descriptor import HostApiError
from engine.runtime.hostapi.urls import WEBSOCKET_WORDS, NetUrl, UrlWords, parse_net_url
from engine.runtime.hostapi.websocket import TIMEOUT_S, receive
from engine.runtime.service.envelope import now_rfc3339

MAX_CONNECTIONS = 4
POLL_S = 0.25
SOURCE_WORDS = UrlWords(
    WEBSOCKET_WORDS.invalid,
    WEBSOCKET_WORDS.own,
    (),
    "",
    "unsupported WebSocket URL scheme: {scheme}",
    WEBSOCKET_WORDS.no_host,
    WEBSOCKET_WORDS.credentials,
)
CLOSED_BY_PEER = "host-owned WebSocket closed by peer"

Record = Callable[[str, str, bool], None]  # (diagnostic kind, message, sets the instance's last_error)
Deliver = Callable[[str, dict[str, Any]], Any]


@dataclass(frozen=True)
class Subscription:
    ingress: str
    source: str  # as written in the manifest
    url: NetUrl


def subscriptions(plan: Plan) -> tuple[list[Subscription], list[str]]:
    """Every (ingress, WebSocket source) pair of the plan, and the messages of bad sources."""
    found: list[Subscription] = []
    bad: list[str] = []
    for ingress in plan.ingresses:
        for source in ingress.sources:
            text = websocket_source(source)
            if text is None:
                continue
            try:
                if not text:
                    raise HostApiError("websocket source URL is empty")
                found.append(Subscription(ingress.name, source, parse_net_url(text, SOURCE_WORDS)))
            except HostApiError as error:
                bad.append(f"invalid WebSocket ingress source for {ingress.name}: {error.message}")
    return found, bad


@dataclass
class Connection:
    """One host-owned connection and its status entry."""

    subscription: Subscription
    state: str = "Connecting"
    last_frame_at: str | None = None
    last_error: str | None = None
    received_text_frames: int = 0
    sent_text_frames: int = 0
    queue_drops: int = 0
    send_failures: int = 0
    reconnects: int = 0
    next_reconnect_at: float | None = None
    client: Any = None
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    @property
    def key(self) -> str:
        return self.subscription.url.text

    def to_dict(self) -> dict[str, Any]:
        due = self.next_reconnect_at
        return {
            "url": self.subscription.url.safe_url,
            "ingress_name": self.subscription.ingress,
            "state": self.state,
            "last_frame_at": self.last_frame_at,
            "last_error": self.last_error,
            "received_text_frames": self.received_text_frames,
            "sent_text_frames": self.sent_text_frames,
            "queue_drops": self.queue_drops,
            "send_failures": self.send_failures,
            "reconnects": self.reconnects,
            "next_reconnect_in_ms": None if due is None else max(0, int((due - time.monotonic()) * 1000)),
        }


class SocketDriver:
    """The host-owned connections of one instance."""

    def __init__(
        self,
        plan: Plan,
        policy: Callable[[], Any],
        not_granted: Callable[[], str | None],
        deliver: Deliver,
        record: Record,
    ) -> None:
        self._plan = plan
        self._policy = policy  # the websocket API's Policy of the plan (None: not in the plan)
        self._not_granted = not_granted
        self._deliver = deliver
        self._record = record
        self._restart: RestartPolicy = plan.restart
        self._connections: dict[str, Connection] = {}
        self._lock = threading.Lock()
        self._started = False

    def start(self) -> None:
        """Subscribe once per instance (a restarted guest keeps its host-owned connections)."""
        with self._lock:
            if self._started:
                return
            self._started = True
        found, bad = subscriptions(self._plan)
        for message in bad:
            self._record("ServiceWebSocketError", message, True)
        for subscription in found:
            connection = Connection(subscription)
            with self._lock:
                full = len(self._connections) >= MAX_CONNECTIONS
                self._connections[connection.key] = connection
            if full:
                connection.state = "Failed"
                limit = f"host-owned WebSocket connection limit ({MAX_CONNECTIONS}) exceeded"
                connection.last_error = bounded(f"{limit} for {subscription.url.safe_url}")
                self._record("ServiceWebSocketError", connection.last_error, True)
                continue
            connection.thread = threading.Thread(
                target=self._run, args=(connection,), name="yoi-websocket-ingress", daemon=True
            )
            connection.thread.start()

    def stop_all(self) -> None:
        """Every connection: stop flag set, state Closed, socket closed (5 s close each)."""
        with self._lock:
            connections = list(self._connections.values())
        for connection in connections:
            connection.stop.set()
            connection.state = "Closed"
            connection.next_reconnect_at = None
            _close(connection.client)
        for connection in connections:
            if connection.thread is not None and connection.thread is not threading.current_thread():
                connection.thread.join(TIMEOUT_S + 1)

    def status(self) -> list[dict[str, Any]]:
        with self._lock:
            connections = list(self._connections.values())
        return sorted((c.to_dict() for c in connections), key=lambda entry: entry["url"])

    def send(self, key: str, url: NetUrl, text: str) -> tuple[str, str]:
        """A `websocket_send` on the connection of exactly `key`: (result status, message)."""
        with self._lock:
            connection = self._connections.get(key)
        if connection is None:
            return "Rejected", f"no host-owned WebSocket connection is active for {url.safe_url}"
        client = connection.client
        if client is None:
            return "Rejected", f"host-owned WebSocket connection is not connected for {url.safe_url}"
        try:
            client.send(text)
        except Exception as error:  # noqa: BLE001 - closed connections and socket errors alike
            connection.send_failures += 1
            message = bounded(f"websocket_send failed for {url.safe_url}: {_text(error)}")
            self._record("ServiceWebSocketSendFailed", message, True)
            return "Rejected", message
        connection.sent_text_frames += 1
        return "Recorded", f"websocket_send sent {len(text.encode('utf-8'))} bytes to {url.safe_url}"

    # ---- one connection ----------------------------------------------------------------------

    def _run(self, connection: Connection) -> None:
        attempts = 0
        while not connection.stop.is_set():
            connected_at = self._open(connection)
            if connected_at is not None:
                self._read(connection)
                if time.monotonic() - connected_at >= self._restart.reset_after_ms / 1000:
                    attempts = 0  # it stayed up: a later drop starts the count again
            if connection.stop.is_set():
                break
            if attempts >= self._restart.max_restarts:
                self._record(
                    "ServiceWebSocketError",
                    f"host-owned WebSocket connection to {connection.subscription.url.safe_url} is not reopened: "
                    f"{attempts}/{self._restart.max_restarts} reconnects used",
                    True,
                )
                break
            delay = min(self._restart.backoff_ms * 2 ** min(attempts, 30), self._restart.backoff_max_ms) / 1000
            attempts += 1
            connection.reconnects += 1
            connection.next_reconnect_at = time.monotonic() + delay
            connection.stop.wait(delay)
            connection.next_reconnect_at = None

    def _fail(self, connection: Connection, message: str) -> None:
        connection.state = "Failed"
        connection.last_error = bounded(message)
        self._record("ServiceWebSocketError", connection.last_error, True)

    def _open(self, connection: Connection) -> float | None:
        """Authorize and dial; the time it connected, or None (recorded as Failed)."""
        url = connection.subscription.url
        connection.state = "Connecting"
        reason = self._not_granted()
        policy = self._policy()
        if reason is not None or policy is None:
            self._fail(connection, f"host-owned websocket not granted: {reason}")
            return None
        try:
            policy.authorize(url)
        except HostApiError as error:
            self._fail(connection, error.message)
            return None
        try:
            client = policy.connect(url, time.monotonic() + TIMEOUT_S)
        except HostApiError as error:
            self._fail(connection, f"host-owned WebSocket open failed for {url.safe_url}: {error.message}")
            return None
        if connection.stop.is_set():
            _close(client)
            return None
        connection.client = client
        connection.state = "Connected"
        self._record("ServiceWebSocketConnected", f"host-owned WebSocket connected: {url.safe_url}", False)
        return time.monotonic()

    def _read(self, connection: Connection) -> None:
        url = connection.subscription.url
        while not connection.stop.is_set():
            try:
                message = receive(connection.client, POLL_S)
            except HostApiError as error:
                if error.message == "WebSocket receive timed out":
                    continue
                if connection.stop.is_set():
                    return
                failure = f"host-owned WebSocket receive failed: {error.message}"
                self._fail(connection, failure)
                self._event(connection, "websocket_error", {"url": connection.key, "error": bounded(failure)})
                _close(connection.client)
                return
            if message["type"] == "closed":
                if connection.stop.is_set():
                    return
                connection.state = "Closed"
                connection.last_error = CLOSED_BY_PEER
                self._record("ServiceWebSocketClosed", f"{CLOSED_BY_PEER}: {url.safe_url}", False)
                self._event(connection, "websocket_close", {"url": connection.key, "reason": CLOSED_BY_PEER})
                _close(connection.client)
                return
            connection.last_frame_at = now_rfc3339()
            connection.received_text_frames += 1
            self._event(connection, "websocket_text", {"url": connection.key, "text": message["text"]}, count=True)

    def _event(self, connection: Connection, kind: str, payload: dict[str, Any], count: bool = False) -> None:
        """Deliver through the normal ingress path; a refused text is a queue drop (the loop goes on)."""
        event = {"kind": kind, "source": connection.subscription.source, "payload": payload}
        try:
            self._deliver(connection.subscription.ingress, event)
        except RuntimeFault as fault:
            if not count:
                return  # close and error events are delivered best effort, as upstream does
            connection.queue_drops += 1
            message = bounded(f"host-owned WebSocket ingress drop: {fault.message}")
            connection.last_error = message
            self._record(getattr(fault, "diagnostic", "DispatchFailed"), message, True)


def _text(error: BaseException) -> str:
    return str(error) or type(error).__name__


def _close(client: Any) -> None:
    if client is not None:
        with contextlib.suppress(Exception):  # a connection already gone is closed enough
            client.close()
