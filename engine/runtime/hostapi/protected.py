"""The host's protected paths as the fs API enforces them (issue 17 point 1).

No plugin reads, lists or writes the host's enablement config, package stores, caches or policy
folders, whatever its grants say: a plugin that may write its project folder must not be able to
rewrite `.yoi/config.toml` (widening its own grant at the next start) or plant files at
compiled-artifact cache keys. The host names the paths (engine/protected.py, through
`HostConfig.protected_paths`; the registry adds its own cache folders). A target is refused when:

- its path (the resolved grant root plus the checked relative path: no symlink, no `..` can be
  in it, the walk refuses both) is or lies under a protected path, compared exactly and also
  case-folded, so a case-insensitive file system cannot spell its way around it;
- any folder on the way to it, from `/` down, or the file itself is a protected path by identity
  (device and inode, taken with fstat on the descriptor the walk holds): another spelling, a bind
  mount or a hard link of a protected file is the same file. Identities are taken per request, so
  a cache folder created after the instance started is covered too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from engine.api_registry.fs import contains
from engine.runtime.hostapi.descriptor import HostApiError


class ProtectedPaths:
    def __init__(self, paths: Iterable[str]) -> None:
        texts: set[str] = set()
        for path in paths:
            if isinstance(path, str) and os.path.isabs(path) and "\0" not in path:
                texts.update((os.path.normpath(path), os.path.realpath(path)))
        self.paths = tuple(sorted(texts))
        self._folded = tuple(sorted({text.casefold() for text in texts}))

    def __bool__(self) -> bool:
        return bool(self.paths)

    def holds(self, path: str) -> bool:
        """Whether the absolute `path` is a protected path or lies under one."""
        folded = path.casefold()
        return any(contains(p, path) for p in self.paths) or any(contains(p, folded) for p in self._folded)

    def identities(self) -> frozenset[tuple[int, int]]:
        """(device, inode) of every protected path that exists now."""
        found = set()
        for path in self.paths:
            try:
                info = os.stat(path)
            except OSError:
                continue
            found.add((info.st_dev, info.st_ino))
        return frozenset(found)


def refusal(shown: str) -> HostApiError:
    return HostApiError(
        f"host API fs refused: `{shown}` is a protected host path (the host's enablement config, "
        "package stores, caches and policy folders are never open to plugins, whatever the grant)"
    )


class Guard:
    """The protected-path checks of one fs request (identities taken once, when it starts)."""

    def __init__(self, protected: ProtectedPaths) -> None:
        self._protected = protected
        self._identities = protected.identities() if protected else frozenset()

    def path(self, path: str, shown: str) -> None:
        if self._protected and self._protected.holds(path):
            raise refusal(shown)

    def descriptor(self, fd: int, shown: str) -> None:
        if self._identities:
            info = os.fstat(fd)
            if (info.st_dev, info.st_ino) in self._identities:
                raise refusal(shown)

    def stat(self, info: os.stat_result, shown: str) -> None:
        if (info.st_dev, info.st_ino) in self._identities:
            raise refusal(shown)
