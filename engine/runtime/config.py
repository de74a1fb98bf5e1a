"""Host-side settings of a registry: where compiled artifacts are cached, how host APIs reach the
network, and how often the epoch ticker runs. Nothing here can widen what a plan allows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HostConfig:
    cache_dir: Path | None = None  # None -> the user-owned private cache folder (engine.cache)
    https_ca_bundle: Path | None = None  # extra CA bundle for the https host API (tests)
    resolver: Callable[[str, int], list[str]] | None = None  # DNS hook for the https host API (tests)
    epoch_tick_ms: int = 10
    use_cache: bool = True  # False: never read or write compiled artifacts on disk
