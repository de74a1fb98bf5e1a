"""SIGTERM for a host process: an orderly stop that is still prompt (issue 21 point 3).

By default SIGTERM ends Python at once: a compile worker then runs on, orphaned, until its
compile is done, and a cache entry being written stays half there. `serve` instead turns SIGTERM
into an exception raised in the main thread, as Ctrl-C raises KeyboardInterrupt: the host halts
its compiles (their workers are killed), answers what is in flight, stops its instances and
closes its registry (the `finally` blocks and `except BaseException` handlers it passes), then
`sigterm_stops` ends the process by SIGTERM after all, so whoever sent it sees the exit status
SIGTERM always gave. A second SIGTERM during that stop is ignored.

The kernel hands a process's signal to any of its threads; Python runs the handler only in the
main thread, and only once that thread runs Python code again, so a main thread blocked reading
stdin would never notice a SIGTERM another thread took. A watcher thread therefore reads the
signal wakeup pipe and sends SIGTERM to the main thread itself, which interrupts its read.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_raised = threading.Event()


class _Terminated(BaseException):
    """SIGTERM arrived: leave now (a BaseException, so no `except Exception` answers it)."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    if _raised.is_set():
        return  # already stopping: the stop runs to its end
    _raised.set()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise _Terminated


def _forward(read_fd: int, main_thread: int) -> None:
    """Wait for SIGTERM's byte on the wakeup pipe, then deliver SIGTERM to the main thread."""
    while True:
        select.select([read_fd], [], [])
        try:
            data = os.read(read_fd, 512)
        except BlockingIOError:
            continue
        if not data:
            return  # the pipe was closed: the host is done
        if signal.SIGTERM in data:
            with contextlib.suppress(OSError):
                signal.pthread_kill(main_thread, signal.SIGTERM)
            return


@contextmanager
def sigterm_stops() -> Iterator[None]:
    """While inside (in the main thread), SIGTERM raises an exception there; once it has left the
    block (every `finally` inside has run), the process ends by SIGTERM."""
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    os.set_blocking(write_fd, False)
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    watcher = threading.Thread(
        target=_forward, args=(read_fd, threading.main_thread().ident), name="yoi-sigterm", daemon=True
    )
    watcher.start()
    terminated = False
    try:
        yield
    except _Terminated:
        terminated = True
    finally:
        signal.set_wakeup_fd(previous_fd)
        if not _raised.is_set():
            signal.signal(signal.SIGTERM, previous)
        os.close(write_fd)  # the watcher sees the end of the pipe and leaves
        watcher.join(timeout=5)
        os.close(read_fd)
    if terminated:
        _exit_by_sigterm()


def _exit_by_sigterm() -> None:
    """End this process by SIGTERM, its default action, once the stop is done."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)
    signal.pause()  # not reached: the signal ends the process
