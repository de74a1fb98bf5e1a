"""fs grant roots as the runtime will use them (issue 17 point 3).

A root is judged by what it names, not how it is spelled: `/proc/self/root/etc` and a workspace
symlink to `/etc` are `/etc` to the kernel, so an org rule on `/etc` must see `/etc`. Each root is
resolved (realpath) when the config is read, before any rule runs, and the result is checked again:
absolute, canonical (`canonical_fs_root`) and free of symlinks that realpath
could not follow (a loop, a folder the host cannot search). A root that fails is unusable: its
resolved form is empty, a rule warns, and the runtime refuses it.
"""

from __future__ import annotations

import os
import stat

from engine.grants.model import FsGrant


def _has_symlink(path: str) -> bool:
    """Whether an existing component of `path` is still a symlink (realpath gave up on it)."""
    current = ""
    for part in path.strip("/").split("/") if path != "/" else ():
        current += "/" + part
        try:
            if stat.S_ISLNK(os.lstat(current).st_mode):
                return True
        except OSError:  # absent or unreadable from here on: nothing more to resolve
            return False
    return False


def canonical_fs_root(root: str) -> bool:
    """An absolute path in canonical form: `/`, or `/` then segments that are neither empty (a
    repeated or trailing `/`), `.` nor `..`, and no NUL. `/srv/../etc` and `//etc/` name `/etc`
    without saying so; a rule matching `/etc` must not be able to miss them."""
    if not root.startswith("/") or "\0" in root:
        return False
    return root == "/" or all(part not in ("", ".", "..") for part in root[1:].split("/"))


def resolve_root(written: str) -> str:
    """The real path of a written root, or "" when it cannot be resolved to a canonical one."""
    text = written.strip()
    if not canonical_fs_root(text):
        return ""
    try:
        resolved = os.path.realpath(text)
    except (OSError, ValueError):
        return ""
    if not os.path.isabs(resolved) or not canonical_fs_root(resolved) or _has_symlink(resolved):
        return ""
    return resolved


def contains(outer: str, inner: str) -> bool:
    """Whether path `inner` is `outer` or lies under it (both absolute, canonical)."""
    return inner == outer or inner.startswith(outer.rstrip("/") + "/")


def resolved_grant(root: str, operations: tuple[str, ...]) -> FsGrant:
    """An fs grant with its root resolved; the written text kept when it differs."""
    written = root.strip()
    resolved = resolve_root(written)
    return FsGrant(resolved, operations, None if resolved == written else written)
