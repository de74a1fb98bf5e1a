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
stdin closes: at exit, or when the host process dies.
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

from engine.errors import EngineError, ErrorKind
from engine.runtime.compile_worker import MAX_ERROR_BYTES, SIZE_BYTES
from engine.runtime.errors import RuntimeFault

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


class _Worker:
    def __init__(self) -> None:
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
            if self._transfer(b"", time.monotonic() + SPAWN_TIMEOUT_S, lambda buffer: 1) != b"R":
                raise WorkerGone(None)
        except BaseException:
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


def _take() -> _Worker:
    with _IDLE_LOCK:
        while _IDLE:
            worker = _IDLE.pop()
            if worker.process.poll() is None:
                return worker
            worker.kill()
    return _Worker()


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


def compile_serialized(data: bytes, kind: str, budget_ms: int, what: str) -> bytes:
    """The serialized native code of `data`, compiled in a worker within `budget_ms` of wall clock.

    Raises RuntimeFault `timeout` (the worker was killed at the budget), CompileError (wasmtime
    refused the artifact) or RuntimeFault `internal` (the worker could not start or died).
    """
    try:
        worker = _take()
    except (OSError, WorkerGone, TimeoutError) as error:
        raise RuntimeFault("internal", f"the compile worker for {what} could not start: {error}") from None
    try:
        tag, payload = worker.compile(data, kind, time.monotonic() + budget_ms / 1000)
    except TimeoutError:
        worker.kill()
        raise RuntimeFault(
            "timeout",
            f"compiling {what} exceeded its compile budget of {budget_ms} ms "
            "(`[plugins.enabled.limits] compile_ms`); the compiler process was stopped",
        ) from None
    except WorkerGone as gone:
        worker.kill()
        killed = gone.signal == signal.SIGKILL  # the kernel's OOM killer, most likely: the host's failure
        raise RuntimeFault(
            "internal" if killed else "load",
            f"the compiler process for {what} ended without an answer"
            + (" (killed: out of memory?)" if killed else f" (signal {gone.signal})" if gone.signal else ""),
        ) from None
    except BaseException:
        worker.kill()
        raise
    _give_back(worker)
    if tag == b"E":
        raise CompileError(payload[:MAX_ERROR_BYTES].decode("utf-8", "replace"))
    return payload
