"""What every build reads from a package folder, read safely: bounded, regular files only, never
through a symlink, walked in sorted order (so anything derived from a walk is deterministic).

`BuildError` lives here because every reader raises it: kind `input` for bad input, `failed` for a
build that ran and failed (engine/errors.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.diagnostics import bounded_message, redact_secret_like
from engine.errors import EngineError, ErrorKind
from engine.package.limits import DEFAULT_LIMITS
from engine.safe_read import ReadError, read_bounded
from engine.walk import FolderTooDeep, walk_entries

MAX_SOURCE_BYTES = 4 * 1024 * 1024
MAX_ENTRIES = 4096  # files and folders looked at in the package folder
SKIPPED = frozenset({"__pycache__"})


class BuildError(EngineError):
    """A build that did not produce an artifact: bad input (`input`, the default) or a build
    that ran and failed (`failed`)."""

    error_kind = ErrorKind.INPUT

    def __init__(self, message: str, error_kind: ErrorKind | None = None):
        super().__init__(bounded_message(redact_secret_like(message), 1024), error_kind=error_kind)


class NoSource(BuildError):
    """The folder holds no source a build knows: there is nothing to build (its artifact, if any,
    was made some other way)."""


def read_file(path: Path, limit: int, what: str) -> bytes:
    """A regular file's bytes, at most `limit`; never follows a symlink or blocks on a FIFO."""
    try:
        return read_bounded(path, limit, follow_symlinks=False)
    except ReadError as error:
        raise BuildError(f"{what} could not be read: {error.reason}") from None


def walk(root: Path, what: str) -> Iterator[tuple[str, os.DirEntry]]:
    """(relative POSIX path, entry) of everything but folders under `root`, in sorted order
    (engine.walk: iterative, symlinked folders not entered, MAX_FOLDER_DEPTH levels), `__pycache__`
    skipped, at most MAX_ENTRIES entries looked at. Raises BuildError past a bound."""
    try:
        for seen, (entry, parts) in enumerate(walk_entries(root, skip=SKIPPED), 1):
            if seen > MAX_ENTRIES:
                raise BuildError(f"{what} holds more than {MAX_ENTRIES} entries")
            if not entry.is_dir(follow_symlinks=False):
                yield "/".join(parts), entry
    except FolderTooDeep as error:
        raise BuildError(f"{what} is nested more than {error.depth} folders deep") from None
    except OSError as error:
        raise BuildError(f"{what} could not be listed: {error.strerror}") from None


def regular_files(root: Path) -> set[str]:
    """Relative paths of the regular files under `root` (bounded), for manifest path checks."""
    return {name for name, entry in walk(root, "the plugin folder") if entry.is_file(follow_symlinks=False)}


@dataclass
class StagingBudget:
    """What one build's package sources may hold in all: a package's bounds
    (engine/package/limits.py), since the sources are part of the package."""

    files: int = 0
    size: int = 0

    def take(self, size: int) -> None:
        self.files += 1
        self.size += size
        if self.files > DEFAULT_LIMITS.max_entries_per_package:
            raise BuildError(
                f"the build sources hold more than {DEFAULT_LIMITS.max_entries_per_package} files (the package bound)"
            )
        if self.size > DEFAULT_LIMITS.max_expanded_size_bytes:
            raise BuildError(
                f"the build sources exceed {DEFAULT_LIMITS.max_expanded_size_bytes} bytes in all (the package bound)"
            )


def source_files(source: Path, what: str, budget: StagingBudget | None = None) -> dict[str, bytes]:
    """Every file of a source folder by relative path, in sorted order: regular files only (a
    symlink or FIFO is refused, never followed or opened), each at most MAX_SOURCE_BYTES, all of
    them within `budget` when one is given."""
    if source.is_symlink() or not source.is_dir():
        raise BuildError(f"{what} is not a folder")
    files = {}
    for name, entry in walk(source, what):
        if not entry.is_file(follow_symlinks=False):
            raise BuildError(f"{what} holds `{name}`, which is not a regular file or folder")
        files[name] = read_file(source / name, MAX_SOURCE_BYTES, f"{what} file `{name}`")
        if budget is not None:
            budget.take(len(files[name]))
    return files
