"""`yoi plugin serve`: keep instances alive and answer JSON-lines requests on stdin/stdout.

One request per line, one response line per request: `{"id", "ok": true, "result"}` or
`{"id", "ok": false, "error": {"kind", "message"}}`. Requests to one instance run in order, one
at a time; requests to different instances run concurrently, and each response is written as
soon as it is ready (issue 17 point 6), so the client matches responses to requests by `id`,
which is required and unique among the requests in flight (a duplicate is `invalid_request`).
`--ordered` keeps the old lock-step protocol: one request at a time, answered in order, `id`
optional. A line that is not a JSON object, names an unknown op or field, or is longer than
MAX_LINE_BYTES gets an error response and the loop goes on; a too-long line is skipped in
chunks, never held whole. Tool-only instances start on first use (or with `start`); packages with
a planned Service were started by the startup gate (engine/host/services.py), and every planned
artifact not in the cache is compiled in the background meanwhile (engine/runtime/precompile.py).
EOF stops the compiles no request waits for, answers what is in flight, then stops every
instance. After a whole-run deny at startup every well-formed request is answered with an error
of kind `denied`.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from collections.abc import Callable
from typing import Any, BinaryIO

from engine.diagnostics import bound_text, redact_secret_like
from engine.errors import EngineError, ErrorKind
from engine.host.startup import HostError, StartupReport, lookup_ref

MAX_LINE_BYTES = 1024 * 1024
MAX_IN_FLIGHT = 1024  # queued or running requests; past it, stdin is not read until one completes
_DRAIN_CHUNK = 64 * 1024

# op -> (required fields, optional fields), besides `id` and `op`.
OPS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "tools": (frozenset(), frozenset({"plugin"})),
    "start": (frozenset({"plugin"}), frozenset()),
    "status": (frozenset({"plugin"}), frozenset()),
    "stop": (frozenset({"plugin"}), frozenset()),
    "call": (frozenset({"plugin", "tool"}), frozenset({"input"})),
    "ingress": (frozenset({"plugin", "ingress", "event"}), frozenset()),
}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError("number out of range")
    return value


def loads_strict(data: str | bytes) -> Any:
    """json.loads without NaN/Infinity and without numbers that overflow to infinity, so that what
    is passed on re-encodes as standard JSON. Raises ValueError or RecursionError."""
    return json.loads(data, parse_constant=_reject_constant, parse_float=_finite_float)


def read_lines(stream: BinaryIO, limit: int = MAX_LINE_BYTES):
    """Yield each line (bytes without the newline), or None for a line longer than `limit`, which
    is consumed in bounded chunks up to its newline."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            while True:
                rest = stream.readline(_DRAIN_CHUNK)
                if not rest or rest.endswith(b"\n"):
                    break
            yield None
            continue
        yield line.rstrip(b"\r\n")


def descriptor_dict(descriptor) -> dict[str, Any]:
    return {
        "name": descriptor.name,
        "description": descriptor.description,
        "input_schema": descriptor.input_schema,
        "origin": descriptor.origin,
        "plugin_ref": descriptor.plugin_ref,
    }


class OutputFailed(EngineError):
    """A response could not be written (the client closed stdout, the disk is full): `error`."""

    error_kind = ErrorKind.IO

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class ServeLoop:
    """Answers requests against one registry built from the startup report's plans."""

    def __init__(self, report: StartupReport, registry, *, ordered: bool = False) -> None:
        self.report = report
        self.registry = registry
        self.ordered = ordered
        self._entered: set[str] = set()  # refs started (or stopped) in this run
        if not report.run_denied_message():
            self._start_socket_owners()

    def _start_socket_owners(self) -> None:
        """Packages whose service owns WebSocket connections start with the host (as upstream's
        install starts them), so their sockets are open before any request arrives; a failed start
        is in that package's status and is retried, under its restart policy, by its next call."""
        from engine.runtime.service.sources import owns_sockets

        for plan in self.report.plans:
            if owns_sockets(plan):
                self._entered.add(plan.ref)
                with contextlib.suppress(Exception):
                    self.registry.start(plan.ref)

    def respond(self, line: bytes | None) -> dict[str, Any]:
        """The response to one input line, handled now (the lock-step protocol); never raises."""
        request, refusal = parse_request(line)
        if request is None:
            return refusal
        return self.answer(request.get("id"), self.handle, request)

    def answer(self, request_id: Any, work: Callable[..., Any], *args: Any) -> dict[str, Any]:
        """`work(*args)` as a response to `request_id`; every failure is one bounded error answer."""
        try:
            return {"id": request_id, "ok": True, "result": work(*args)}
        except HostError as error:
            return {"id": request_id, "ok": False, "error": error.to_dict()}
        except Exception as error:  # noqa: BLE001 - RuntimeFault, or a bug: either way one bounded answer
            to_dict = getattr(error, "to_dict", None)
            if callable(to_dict) and hasattr(error, "kind"):
                return {"id": request_id, "ok": False, "error": to_dict()}
            message = bound_text(redact_secret_like(f"{type(error).__name__}: {error}"), 512)
            return _error(request_id, "internal", message)

    def handle(self, request: dict[str, Any]) -> Any:
        op, ref = self.prepare(request)
        return self.execute(op, ref, request)

    def prepare(self, request: dict[str, Any]) -> tuple[str, str | None]:
        """Check a request (raises HostError): its op and the planned ref it names, if any."""
        op = request.get("op")
        if not isinstance(op, str) or op not in OPS:
            raise HostError("invalid_request", f"`op` must be one of: {', '.join(OPS)}")
        required, optional = OPS[op]
        fields = set(request) - {"id", "op"}
        unknown = sorted(fields - required - optional)
        if unknown:
            raise HostError(
                "invalid_request",
                f"op `{op}` does not take field(s): " + ", ".join(bound_text(str(f), 64) for f in unknown[:8]),
            )
        missing = sorted(required - fields)
        if missing:
            raise HostError("invalid_request", f"op `{op}` needs field(s): {', '.join(missing)}")
        for name in ("tool", "ingress"):
            if name in request and not isinstance(request[name], str):
                raise HostError("invalid_request", f"`{name}` must be a string")
        blocked = self.report.run_denied_message()
        if blocked:  # a whole-run deny: the run failed closed, every op is refused
            raise HostError("denied", blocked)
        return op, (lookup_ref(self.report, request["plugin"]) if "plugin" in request else None)

    def execute(self, op: str, ref: str | None, request: dict[str, Any]) -> Any:
        registry = self.registry
        if op == "tools":
            return [descriptor_dict(d) for d in registry.tools() if ref is None or d.plugin_ref == ref]
        if ref is None:  # prepare() already refused it: every other op requires `plugin` (OPS)
            raise HostError("invalid_request", f"op `{op}` needs field(s): plugin")
        if op == "status":
            return registry.status(ref)
        if op == "start":
            result = registry.start(ref)
            self._entered.add(ref)
            return result
        if op == "stop":
            self._entered.add(ref)  # stop is final: never start it lazily afterwards
            return registry.stop(ref)
        self._ensure_started(ref)
        if op == "call":
            return registry.call_tool(ref, request["tool"], json.dumps(request.get("input", {})))
        return registry.deliver_ingress(ref, request["ingress"], json.dumps(request["event"]))

    def _ensure_started(self, ref: str) -> None:
        if ref not in self._entered:
            self.registry.start(ref)
            self._entered.add(ref)

    def run(self, stdin: BinaryIO, write: Callable[[bytes], None]) -> None:
        """Answer every line of `stdin` until EOF; `write` gets one response line at a time.
        Raises OutputFailed when a response cannot be written."""
        if not self.ordered:
            _Dispatcher(self, write).run(stdin)
            return
        try:
            for line in read_lines(stdin):
                if line is not None and not line.strip():
                    continue  # blank lines are not requests
                _write_or_fail(write, encode_response(self.respond(line)) + b"\n")
        except BaseException:
            self.ended(normally=False)
            raise
        self.ended(normally=True)

    def ended(self, normally: bool) -> None:
        """stdin is done. At EOF the background compiles no request waits for are not needed any
        more; on SIGTERM or Ctrl-C every compile ends now, and requests waiting for one are
        answered `stopped`: nothing keeps the host from leaving (engine/runtime/precompile.py)."""
        if normally:
            self.registry.stop_background_compiles()
        else:
            self.registry.halt_compiles()


def _write_or_fail(write: Callable[[bytes], None], data: bytes) -> None:
    try:
        write(data)
    except OSError as error:
        raise OutputFailed(error) from None


def parse_request(line: bytes | None) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(the request object of a line, {}) or (None, the error response for a line that is none)."""
    if line is None:
        return None, _error(None, "invalid_request", f"request line exceeds {MAX_LINE_BYTES} bytes")
    try:
        request = loads_strict(line)
    except (ValueError, RecursionError):
        return None, _error(None, "invalid_request", "request line is not valid JSON")
    if not isinstance(request, dict):
        return None, _error(None, "invalid_request", "request must be a JSON object")
    return request, {}


def _id_key(request_id: Any) -> str | None:
    """A request id's identity among those in flight (None: it cannot be encoded)."""
    try:
        return json.dumps(request_id, sort_keys=True, separators=(",", ":"))
    except (RecursionError, ValueError, TypeError):
        return None


class _Dispatcher:
    """The concurrent protocol: one FIFO queue and worker thread per instance, a shared writer."""

    def __init__(self, loop: ServeLoop, write: Callable[[bytes], None]) -> None:
        self.loop = loop
        self._write = write
        self._write_lock = threading.Lock()
        self.failure: OSError | None = None
        self._lock = threading.Lock()
        self._in_flight: set[str] = set()
        self._slots = threading.BoundedSemaphore(MAX_IN_FLIGHT)
        self._queues: dict[str, queue.SimpleQueue] = {}
        self._workers: list[threading.Thread] = []

    def emit(self, response: dict[str, Any]) -> None:
        data = encode_response(response) + b"\n"
        with self._write_lock:
            if self.failure is not None:
                return
            try:
                self._write(data)
            except OSError as error:
                self.failure = error

    def run(self, stdin: BinaryIO) -> None:
        try:
            for line in read_lines(stdin):
                if line is not None and not line.strip():
                    continue  # blank lines are not requests
                self.submit(line)
                if self.failure is not None:
                    break
        except BaseException:
            self.loop.ended(normally=False)  # before waiting for the requests in flight
            raise
        else:
            self.loop.ended(normally=True)
        finally:
            self.finish()
        if self.failure is not None:
            raise OutputFailed(self.failure)

    def submit(self, line: bytes | None) -> None:
        request, refusal = parse_request(line)
        if request is None:
            self.emit(refusal)
            return
        request_id = request.get("id")
        key = _id_key(request_id)
        if request_id is None or key is None:
            self.emit(_error(None, "invalid_request", "`id` is required: responses are matched to requests by id"))
            return
        with self._lock:
            duplicate = key in self._in_flight
        if duplicate:
            self.emit(_error(request_id, "invalid_request", "`id` is already used by a request in flight"))
            return
        try:
            op, ref = self.loop.prepare(request)
        except HostError as error:
            self.emit({"id": request_id, "ok": False, "error": error.to_dict()})
            return
        if op == "tools" or ref is None:  # touches no instance: answered at once
            self.emit(self.loop.answer(request_id, self.loop.execute, op, ref, request))
            return
        self._slots.acquire()  # backpressure: stdin waits while MAX_IN_FLIGHT requests are pending
        with self._lock:
            self._in_flight.add(key)
        self._queue(ref).put((key, request_id, op, ref, request))

    def _queue(self, ref: str) -> queue.SimpleQueue:
        pending = self._queues.get(ref)
        if pending is None:
            pending = self._queues[ref] = queue.SimpleQueue()
            worker = threading.Thread(target=self._work, args=(pending,), name=f"yoi-serve-{ref}", daemon=True)
            self._workers.append(worker)
            worker.start()
        return pending

    def _work(self, pending: queue.SimpleQueue) -> None:
        while (item := pending.get()) is not None:
            key, request_id, op, ref, request = item
            response = self.loop.answer(request_id, self.loop.execute, op, ref, request)
            with self._lock:
                self._in_flight.discard(key)  # before the answer: a client may reuse the id at once
            self.emit(response)
            self._slots.release()

    def finish(self) -> None:
        """EOF (or a dead stdout): let every queued request finish, then stop the workers."""
        for pending in self._queues.values():
            pending.put(None)
        for worker in self._workers:
            worker.join()


def encode_response(response: dict[str, Any]) -> bytes:
    """One response line (ASCII JSON); an `id` too deep to encode again is answered as null."""
    try:
        return json.dumps(response, ensure_ascii=True, separators=(",", ":")).encode()
    except (RecursionError, ValueError, TypeError):
        fallback = _error(None, "invalid_request", "request `id` cannot be echoed")
        return json.dumps(fallback, separators=(",", ":")).encode()


def _error(request_id: Any, kind: str, message: str) -> dict[str, Any]:
    return {"id": request_id, "ok": False, "error": {"kind": kind, "message": message}}
