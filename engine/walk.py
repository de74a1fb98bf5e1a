"""Walk a folder tree iteratively, with a depth bound, never following symlinked folders.

Package folders (`check`), `pack` and `yoi policy test` all walk folders they were
given. A recursive walk dies with an internal RecursionError on a tree a thousand folders deep
(cheap to make, and legal on every file system); this walk keeps its own stack and stops with
`FolderTooDeep` past `MAX_FOLDER_DEPTH`, which callers turn into a clear diagnostic.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from engine.errors import EngineError, ErrorKind

# Real package and policy trees are a handful of levels deep; 64 leaves room for generated ones.
MAX_FOLDER_DEPTH = 64


class FolderTooDeep(EngineError):
    """A folder nested deeper than the bound; `depth` is the bound that was passed."""

    error_kind = ErrorKind.INPUT

    def __init__(self, depth: int):
        super().__init__(f"folders nest deeper than {depth} levels")
        self.depth = depth


def _sorted_entries(folder: str | os.PathLike[str]) -> list[os.DirEntry]:
    with os.scandir(folder) as entries:
        return sorted(entries, key=lambda e: os.fsencode(e.name))


def walk_entries(
    root: str | os.PathLike[str], max_depth: int = MAX_FOLDER_DEPTH, skip: frozenset[str] = frozenset()
) -> Iterator[tuple[os.DirEntry, tuple[str, ...]]]:
    """(entry, path parts below root) for everything under `root`, in pre-order with names in
    byte order; a folder (not a symlink to one) is entered right after it is yielded, unless its
    name is in `skip` (then it is yielded but not entered).

    Raises OSError when a folder cannot be listed and FolderTooDeep past `max_depth` levels."""
    stack = [iter(_sorted_entries(root))]
    prefixes: list[tuple[str, ...]] = [()]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            prefixes.pop()
            continue
        parts = prefixes[-1] + (entry.name,)
        yield entry, parts
        if entry.is_dir(follow_symlinks=False) and entry.name not in skip:
            if len(parts) >= max_depth:
                raise FolderTooDeep(max_depth)
            stack.append(iter(_sorted_entries(entry.path)))
            prefixes.append(parts)
