"""The host's own control files: what no plugin may read, list or write, whatever it is granted
(issue 17 point 1, DESIGN decision 7), the way git protects `.git`. A stage of its own, below the
graph (which exports them as facts) and the pipeline (which names them for a run).

They are the enablement config in use (and the workspace's default config path, which the next
start without `--config` reads), every package store folder, the compiled-artifact and
derived-data cache folders and every `--policy` folder, each as its real path (fs grant roots are
resolved the same way, engine/api_registry/fs.py). The rules get them as facts (`protected_path`) to warn
about a grant whose root contains one; the host hands them to the runtime, whose fs API refuses
every operation under them (engine/runtime/hostapi/protected.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.api_registry.fs import contains

__all__ = ["ProtectedPath", "contains", "host_protected_paths", "protected"]

CONFIG = "enablement config"
STORE = "package store"
COMPILED_CACHE = "compiled-artifact cache"
DERIVED_CACHE = "derived-data cache"
POLICY = "policy folder"


@dataclass(frozen=True, order=True)
class ProtectedPath:
    path: str  # absolute
    what: str  # one of the words above


def real_path(path: str | Path) -> str:
    """`path` as the kernel names it (fs grant roots are compared in this form)."""
    absolute = os.path.abspath(path)
    try:
        return os.path.realpath(absolute)
    except (OSError, ValueError):
        return absolute


def protected(entries: Iterable[tuple[str | Path, str]]) -> tuple[ProtectedPath, ...]:
    """Each (path, what) as its real path, deduplicated and sorted."""
    return tuple(sorted({ProtectedPath(real_path(path), what) for path, what in entries}))


def cache_folders() -> list[tuple[Path, str]]:
    """The compiled-artifact and derived-data cache folders of this environment."""
    from engine import cache, compiled

    found = [(folder, DERIVED_CACHE) for folder in cache.derived_folders()]
    compiled_folder = compiled.default_folder()
    if compiled_folder is not None:
        found.append((compiled_folder, COMPILED_CACHE))
    return found


def host_protected_paths(
    config_files: Sequence[str | Path | None] = (),
    policy_dirs: Sequence[str | Path] = (),
    stores: Sequence[Path] = (),
) -> tuple[ProtectedPath, ...]:
    """The protected paths of a run with these config files (the one in use and the workspace's
    default one), policy folders and package stores, plus this environment's cache folders."""
    entries: list[tuple[str | Path, str]] = list(cache_folders())
    entries += [(file, CONFIG) for file in config_files if file is not None]
    entries += [(folder, POLICY) for folder in policy_dirs]
    entries += [(store, STORE) for store in stores]
    return protected(entries)
