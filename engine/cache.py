"""A private on-disk cache for derived data (parsed rules, WIT world summaries, artifact types).

A `check` process would otherwise rebuild the same things every run: the rule grammar and
rules, the bundled WIT worlds, a component's compiled types. Entries are keyed by a hash of
everything they derive from, so a stale entry is never read, only orphaned.

Some entries are pickles, and loading a pickle runs code; so the cache lives in
`$XDG_CACHE_HOME/yoi-plugin-engine` (or `~/.cache/yoi-plugin-engine`), is created 0700, and a file
is read only if it and its folder belong to the current user and nobody else can write them.
Anything odd means: compute in memory, cache nothing. `YOI_CACHE=off` disables the cache,
`YOI_CACHE=<folder>` moves it (same checks).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import sys
import tempfile
from pathlib import Path

ENV_VAR = "YOI_CACHE"
_OFF = ("off", "0", "no", "false")


def cache_dir() -> Path | None:
    setting = os.environ.get(ENV_VAR, "")
    if setting.lower() in _OFF:
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "yoi-plugin-engine"


def cache_key(*parts: str | bytes) -> str:
    """A key over `parts`, the engine version and the Python minor version."""
    from engine import __version__

    digest = hashlib.sha256()
    for part in (__version__, f"{sys.version_info[:2]}", *parts):
        digest.update(part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def _private(st: os.stat_result, want_dir: bool) -> bool:
    if not hasattr(os, "getuid") or st.st_uid != os.getuid():
        return False
    if want_dir != stat.S_ISDIR(st.st_mode) or (not want_dir and not stat.S_ISREG(st.st_mode)):
        return False
    return not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _safe_dir(folder: Path, create: bool) -> bool:
    try:
        if create and not folder.exists():
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return _private(os.lstat(folder), want_dir=True)
    except OSError:
        return False


def entry_path(name: str) -> Path | None:
    folder = cache_dir()
    return None if folder is None else folder / name


def read_private(name: str) -> bytes | None:
    """The bytes of cache entry `name`, or None when absent, unsafe or unreadable."""
    path = entry_path(name)
    return None if path is None else read_file(path)


def write_private(name: str, data: bytes) -> None:
    """Store `data` as entry `name` atomically (temp file + rename, mode 0600)."""
    path = entry_path(name)
    if path is not None:
        write_file(path, data)


def read_file(path: Path) -> bytes | None:
    """The bytes of `path` if it and its folder pass the ownership checks, else None."""
    if not _safe_dir(path.parent, create=False):
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not _private(os.fstat(fd), want_dir=False):
            return None
        with os.fdopen(fd, "rb") as handle:
            fd = -1
            return handle.read()
    except OSError:
        return None
    finally:
        if fd >= 0:
            os.close(fd)


def is_private_file(path: Path) -> bool:
    """True when `path` is a regular file (not a symlink) in a private folder, owned by the current
    user and writable by nobody else: the check before handing a path to a loader that trusts it
    (wasmtime's deserialize_file)."""
    if not _safe_dir(path.parent, create=False):
        return False
    try:
        return _private(os.lstat(path), want_dir=False)
    except OSError:
        return False


def write_file(path: Path, data: bytes) -> None:
    """Write `path` atomically in a private folder (created 0700); failures are ignored."""
    if not _safe_dir(path.parent, create=True):
        return
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".entry-", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
