"""The ingress queue of a current-format instance (yoi-current-spec.md §6.6, §6.13): a FIFO of at
most 32 events, dispatched one at a time in arrival order, with upstream's counters.

Upstream enqueues and dispatches under one lock hold, so its queue never holds more than the
event being dispatched. Here callers (serve's requests, the WebSocket driver's reader threads)
really queue: an event waits until every earlier event of the instance has been dispatched, and
the 33rd waiting event is refused with `QueueFull`. Each dispatch is bounded by the guest call's
deadline, so a wait is bounded too.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from engine.runtime.service.faults import queue_full

CAPACITY = 32
T = TypeVar("T")


@dataclass
class Counters:
    """`dispatch_counters` of the status: events enqueued, dispatched, rejected (refused before
    the queue), failed (the guest call failed or timed out) and timed out."""

    enqueued: int = 0
    dispatched: int = 0
    rejected: int = 0
    failed: int = 0
    timed_out: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "enqueued": self.enqueued,
            "dispatched": self.dispatched,
            "rejected": self.rejected,
            "failed": self.failed,
            "timed_out": self.timed_out,
        }


class IngressQueue:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self.counters = Counters()
        self._items: deque[object] = deque()  # waiting events; the one being dispatched has left
        self._running = False
        self._turn = threading.Condition()

    @property
    def dispatching(self) -> bool:
        with self._turn:
            return self._running

    @property
    def depth(self) -> int:
        with self._turn:
            return len(self._items)

    def submit(self, dispatch: Callable[[], T]) -> T:
        """Wait for this event's turn (FIFO), then run `dispatch`; QueueFull when 32 are waiting."""
        ticket = object()
        with self._turn:
            if len(self._items) >= self.capacity:
                raise queue_full(self.capacity)
            self._items.append(ticket)
            self.counters.enqueued += 1
            self._turn.wait_for(lambda: not self._running and self._items[0] is ticket)
            self._items.popleft()  # popped, then dispatched (upstream's depth excludes it)
            self._running = True
        try:
            return dispatch()
        finally:
            with self._turn:
                self._running = False
                self._turn.notify_all()
