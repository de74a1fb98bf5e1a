"""Bounded, fair hostname lookups for the https host API (issue 17 point 5).

`getaddrinfo` has no timeout, so a lookup runs in a helper thread and its caller gives up at the
guest call's deadline; the thread lives on until the resolver returns. Those threads are bounded
per plugin and process-wide, and one plugin's slow authoritative server can only use up its own
share:

- per plugin, at most PER_PLUGIN lookup threads exist: those its callers wait on plus those they
  gave up on. Past that, the plugin's next lookup waits (until its own deadline) for one of its
  own to end, and no other plugin notices;
- a caller that gives up is no longer accounted as waiting at once; the thread it leaves counts
  as its plugin's until the resolver returns (nothing can stop `getaddrinfo`);
- process-wide, at most MAX_THREADS lookup threads exist.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PER_PLUGIN = 4
MAX_THREADS = 64


@dataclass
class _Share:
    waiting: int = 0  # callers waiting on a lookup thread of theirs
    abandoned: int = 0  # lookup threads whose caller gave up, still in the resolver


class LookupPool:
    def __init__(self, per_plugin: int = PER_PLUGIN, max_threads: int = MAX_THREADS) -> None:
        self.per_plugin, self.max_threads = per_plugin, max_threads
        self._changed = threading.Condition()
        self._shares: dict[str, _Share] = {}
        self._threads = 0

    def counts(self, owner: str) -> tuple[int, int]:
        """(waiting callers, given-up lookups still running) of `owner`."""
        with self._changed:
            share = self._shares.get(owner, _Share())
            return share.waiting, share.abandoned

    def _admit(self, owner: str, deadline: float) -> _Share:
        with self._changed:
            while True:
                share = self._shares.setdefault(owner, _Share())
                if share.waiting + share.abandoned < self.per_plugin and self._threads < self.max_threads:
                    share.waiting += 1
                    self._threads += 1
                    return share
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                self._changed.wait(remaining)

    def _forget(self, owner: str, share: _Share) -> None:
        if not share.waiting and not share.abandoned and self._shares.get(owner) is share:
            del self._shares[owner]

    def run(self, owner: str, work: Callable[[], Any], deadline: float) -> Any:
        """`work()` in a lookup thread of `owner`'s share; TimeoutError at `deadline`."""
        share = self._admit(owner, deadline)
        box: dict[str, Any] = {}
        state = {"abandoned": False}

        def lookup() -> None:
            try:
                box["value"] = work()
            except BaseException as error:  # noqa: BLE001 - handed to the caller
                box["error"] = error
            finally:
                with self._changed:
                    self._threads -= 1
                    if state["abandoned"]:
                        share.abandoned -= 1
                        self._forget(owner, share)
                    self._changed.notify_all()

        thread = threading.Thread(target=lookup, name="yoi-https-resolve", daemon=True)
        try:
            thread.start()
        except BaseException:
            with self._changed:
                self._threads -= 1
                share.waiting -= 1
                self._forget(owner, share)
                self._changed.notify_all()
            raise
        thread.join(max(0.0, deadline - time.monotonic()))
        with self._changed:
            share.waiting -= 1  # the caller leaves, whatever happened: its accounting goes with it
            if thread.is_alive():
                state["abandoned"] = True
                share.abandoned += 1
            self._forget(owner, share)
            self._changed.notify_all()
        if state["abandoned"]:
            raise TimeoutError
        if "error" in box:
            raise box["error"]
        return box["value"]


POOL = LookupPool()
