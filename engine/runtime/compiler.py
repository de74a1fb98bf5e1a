"""Compiling under a wall-clock budget (issue 17 point 4): `[plugins.enabled.limits] compile_ms`.

wasmtime compiles in native code that no Python thread can interrupt, and compile time is not
bounded by size (a 1 MB module of nested `if`s takes seconds, a 31.6 MB one minutes). So a compile
the cache cannot answer runs in a child process (engine/runtime/compile_worker.py) that is
SIGKILLed, and reaped, when the budget runs out: the host gets a `timeout` fault naming the budget
and nothing of the artifact reaches the cache. The budget counts from handing the artifact to a
ready worker to receiving its native code; starting a worker (Python, wasmtime) is not the
artifact's time and has its own generous bound.

A cached start never gets here: memory and the compiled-artifact cache are asked first, in
process. Workers are kept (at most MAX_IDLE, process-wide) for the next miss, and end when their
stdin closes: at exit, or when the host process dies. A compile given a `Cancel` ends at once
when it is cancelled (its worker SIGKILLed), with a `stopped` fault: a host that shuts down never
waits for, or leaves behind, a compile nobody needs any more.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from engine import compiled
from engine.errors import EngineError, ErrorKind
from engine.runtime.compile_worker import MAX_ERROR_BYTES, SIZE_BYTES
from engine.runtime.errors import RuntimeFault
from engine.runtime.traps import host_errno_of, host_failure, last_line

SPAWN_TIMEOUT_S = 120.0  # starting Python and wasmtime on a loaded machine; not the artifact's budget
MAX_IDLE = 2
_CHUNK = 1 << 20
_KINDS = {"component": b"c", "module": b"m"}


class CompileError(EngineError):
    """wasmtime refused the artifact; `message` is its (bounded) text."""

    error_kind = ErrorKind.FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WorkerGone(EngineError):
    """The worker ended without answering; `signal` is the signal that ended it, if any."""

    error_kind = ErrorKind.INTERNAL

    def __init__(self, signal_number: int | None) -> None:
        super().__init__(f"compile worker ended (signal {signal_number})")
        self.signal = signal_number


def _frame_size(buffer: bytearray) -> int | None:
    """Bytes of a whole reply frame once its header is in `buffer`."""
    if len(buffer) < 1 + SIZE_BYTES:
        return None
    return 1 + SIZE_BYTES + int.from_bytes(buffer[1 : 1 + SIZE_BYTES], "big")


class Cancel:
    """Stops the compiles that carry it: `cancel()` SIGKILLs the worker of each one running, and a
    compile that would start after it does not. Only the compiling thread reaps its worker, so a
    cancel never races a close of the worker's pipes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._workers: set[_Worker] = set()
        self.cancelled = False

    def attach(self, worker: _Worker) -> bool:
        """Track `worker` until `detach`; False (and nothing tracked) once cancelled."""
        with self._lock:
            if self.cancelled:
                return False
            self._workers.add(worker)
            return True

    def detach(self, worker: _Worker) -> bool:
        """Stop tracking `worker`; True when it was cancelled (and so signalled) meanwhile."""
        with self._lock:
            self._workers.discard(worker)
            return self.cancelled

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            for worker in self._workers:
                worker.signal_kill()


class _Worker:
    def __init__(self, cancel: Cancel | None = None) -> None:
        import engine

        package_root = str(Path(engine.__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "engine.runtime.compile_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            close_fds=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._in, self._out = self.process.stdin.fileno(), self.process.stdout.fileno()
        os.set_blocking(self._in, False)
        os.set_blocking(self._out, False)
        try:
            if cancel is not None and not cancel.attach(self):  # tracked before the slow part: the imports
                raise WorkerGone(signal.SIGKILL)
            if self._transfer(b"", time.monotonic() + SPAWN_TIMEOUT_S, lambda buffer: 1) != b"R":
                raise WorkerGone(None)
        except BaseException:
            if cancel is not None:
                cancel.detach(self)
            self.kill()
            raise

    @property
    def pid(self) -> int:
        return self.process.pid

    def compile(self, data: bytes, kind: str, deadline: float) -> tuple[bytes, bytes]:
        """(b"K", serialized) or (b"E", message); TimeoutError past `deadline`."""
        request = _KINDS[kind] + len(data).to_bytes(SIZE_BYTES, "big") + data
        frame = self._transfer(request, deadline, _frame_size)
        return frame[:1], frame[1 + SIZE_BYTES :]

    def _transfer(self, request: bytes, deadline: float, wanted: Callable[[bytearray], int | None]) -> bytes:
        """Write `request` and read one reply of `wanted(buffer)` bytes, all before `deadline`."""
        pending = memoryview(request)
        received = bytearray()
        with selectors.DefaultSelector() as selector:
            selector.register(self._out, selectors.EVENT_READ)
            if pending:
                selector.register(self._in, selectors.EVENT_WRITE)
            while True:
                size = wanted(received)
                if size is not None and len(received) >= size:
                    return bytes(received[:size])
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                for key, _events in selector.select(remaining):
                    if key.fd == self._in:
                        try:
                            pending = pending[os.write(self._in, pending[:_CHUNK]) :]
                        except BlockingIOError:
                            continue
                        except BrokenPipeError:
                            raise WorkerGone(self._ended_by()) from None
                        if not pending:
                            selector.unregister(self._in)
                    else:
                        try:
                            chunk = os.read(self._out, _CHUNK)
                        except BlockingIOError:
                            continue
                        if not chunk:
                            raise WorkerGone(self._ended_by())
                        received += chunk

    def _ended_by(self) -> int | None:
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return None
        return -code if code < 0 else None

    def signal_kill(self) -> None:
        """SIGKILL the worker without reaping it (from another thread: its compiler reaps it)."""
        with contextlib.suppress(OSError):
            self.process.send_signal(signal.SIGKILL)

    def kill(self) -> None:
        """Stop the worker for good (SIGKILL) and reap it: nothing of it runs on."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._close_pipes()

    def close(self) -> None:
        """End an idle worker: EOF on its stdin, then SIGKILL if it lingers."""
        self._close_pipes()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()

    def _close_pipes(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                with contextlib.suppress(OSError):
                    stream.close()


_IDLE: list[_Worker] = []
_IDLE_LOCK = threading.Lock()


def _take(cancel: Cancel | None) -> _Worker:
    """An idle worker or a new one, tracked by `cancel` (WorkerGone(SIGKILL) once it is cancelled)."""
    with _IDLE_LOCK:
        while _IDLE:
            worker = _IDLE.pop()
            if worker.process.poll() is None:
                break
            worker.kill()
        else:
            worker = None
    if worker is None:
        return _Worker(cancel)
    if cancel is not None and not cancel.attach(worker):
        _give_back(worker)
        raise WorkerGone(signal.SIGKILL)
    return worker


def _give_back(worker: _Worker) -> None:
    with _IDLE_LOCK:
        if len(_IDLE) < MAX_IDLE:
            _IDLE.append(worker)
            return
    worker.close()


def close_idle() -> None:
    """End every idle worker (at exit; tests)."""
    with _IDLE_LOCK:
        workers = list(_IDLE)
        _IDLE.clear()
    for worker in workers:
        worker.close()


atexit.register(close_idle)


def compile_serialized(data: bytes, kind: str, budget_ms: int, what: str, cancel: Cancel | None = None) -> bytes:
    """The serialized native code of `data`, compiled in a worker within `budget_ms` of wall clock.

    Raises RuntimeFault `timeout` (the worker was killed at the budget), CompileError (wasmtime
    refused the artifact), RuntimeFault `internal` (the worker could not start or died) or
    RuntimeFault `stopped` (`cancel` was cancelled: the worker was killed, nothing was compiled).
    """
    if cancel is not None and cancel.cancelled:
        raise _stopped(what)
    try:
        worker = _take(cancel)
    except (OSError, WorkerGone, TimeoutError) as error:
        if cancel is not None and cancel.cancelled:
            raise _stopped(what) from None
        raise RuntimeFault("internal", f"the compile worker for {what} could not start: {error}") from None
    try:
        tag, payload = worker.compile(data, kind, time.monotonic() + budget_ms / 1000)
    except BaseException as error:
        cancelled = cancel is not None and cancel.detach(worker)
        worker.kill()
        if cancelled:
            raise _stopped(what) from None
        if isinstance(error, TimeoutError):
            raise RuntimeFault(
                "timeout",
                f"compiling {what} exceeded its compile budget of {budget_ms} ms "
                "(`[plugins.enabled.limits] compile_ms`); the compiler process was stopped",
            ) from None
        if isinstance(error, WorkerGone):
            killed = error.signal == signal.SIGKILL  # the kernel's OOM killer, most likely: the host's failure
            raise RuntimeFault(
                "internal" if killed else "load",
                f"the compiler process for {what} ended without an answer"
                + (" (killed: out of memory?)" if killed else f" (signal {error.signal})" if error.signal else ""),
            ) from None
        raise
    if cancel is not None and cancel.detach(worker):
        worker.kill()  # signalled after it answered: the answer stands, the worker does not
    else:
        _give_back(worker)
    if tag == b"E":
        raise CompileError(payload[:MAX_ERROR_BYTES].decode("utf-8", "replace"))
    return payload


def compile_into_cache(
    data: bytes, sha256: str, kind: str, budget_ms: int, folder: Path | None, cancel: Cancel | None = None
) -> bytes:
    """The native code of `data` (`kind` "component" or "module", `sha256` its digest), compiled in
    a worker within `budget_ms` and stored in the compiled-artifact cache `folder` (None: nowhere)
    behind its MAC: the one compile a start, a host's startup precompile and `build --prepare` all
    run. Raises RuntimeFault: `load` when wasmtime refuses the artifact (the words a start reports),
    `timeout` past the budget, `internal` for the host's failures, `stopped` when cancelled."""
    what = "the component" if kind == "component" else "the module"
    try:
        serialized = compile_serialized(data, kind, budget_ms, what, cancel)
    except CompileError as error:
        number = host_errno_of(error)
        if number is not None:
            raise host_failure(f"compiling {what}", number, last_line(error)) from None
        text = last_line(error)
        message = f"component is incompatible: {text}" if kind == "component" else text
        raise RuntimeFault("load", message, "module") from None
    compiled.store(folder, sha256, kind, serialized)
    return serialized


def _stopped(what: str) -> RuntimeFault:
    return RuntimeFault("stopped", f"compiling {what} was stopped: the plugin host is shutting down")
