"""A progress bar on stderr for long commands, shown only to a person at a terminal.

Never on a pipe or a file (stderr not a TTY) and never with machine output (the caller passes
`enabled=False` for JSON/SARIF), so reports and logs stay byte-for-byte what they were. The
total may grow as work is discovered (a store is listed before its packages are read).
"""

from __future__ import annotations

import sys
from typing import Any

import click

MIN_ITEMS = 16  # fewer items finish before a bar is worth drawing


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stream
        return False


class Progress:
    """`add(n)` more work is known, `advance(n)` work is done; a click bar once MIN_ITEMS are known."""

    def __init__(self, label: str, enabled: bool):
        self.label = label
        self.enabled = enabled and stderr_is_terminal()
        self.total = 0
        self.done = 0
        self._bar: Any = None

    def add(self, count: int) -> None:
        self.total += count
        if self._bar is not None:
            self._bar.length = self.total
        elif self.enabled and self.total >= MIN_ITEMS:
            self._bar = click.progressbar(length=self.total, label=self.label, file=sys.stderr)
            self._bar.__enter__()
            self._bar.update(self.done)

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self._bar is not None:
            self._bar.update(count)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
