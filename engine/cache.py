"""A private on-disk cache for derived data (parsed rules, WIT world summaries, artifact types).

A `check` process would otherwise rebuild the same things every run: the rule grammar and
rules, the bundled WIT worlds, a component's compiled types. Entries are keyed by a hash of
everything they derive from, so a stale entry is never read, only orphaned.

Some entries are pickles, and loading a pickle runs code (a compiled artifact is native code);
so the cache lives in `$XDG_CACHE_HOME/yoi-plugin-engine` (or `~/.cache/yoi-plugin-engine`), is
created 0700, and a file is read only if it and its folder belong to the current user and nobody
else can write them. Owner checks alone do not stop a same-user file planted or swapped at a key
(issue 17 point 2), so every entry is also authenticated: an HMAC-SHA256 under a random key of
the folder (`mac.key`: 32 bytes, 0600, created atomically, refused unless owner-only) over the
entry's key material and its exact bytes. An entry whose MAC does not verify is discarded and
rebuilt, never loaded. Anything odd means: compute in memory, cache nothing. `YOI_CACHE=off`
disables the cache, `YOI_CACHE=<folder>` moves it (same checks).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

ENV_VAR = "YOI_CACHE"
GRAMMAR_ENV_VAR = "YOI_WIT_GRAMMAR_CACHE"  # read by engine/wit/grammar_cache.py
_OFF = ("off", "0", "no", "false")
MAC_KEY_FILE = "mac.key"
MAC_SUFFIX = ".mac"  # the sidecar MAC of an entry whose bytes a loader reads as they are
_KEY_BYTES = 32
_MAC_BYTES = 32
_HEADER = b"yoi-mac1"  # in front of a MAC'd entry: header, MAC, then the entry's bytes
_CHUNK = 1 << 20
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def cache_dir() -> Path | None:
    setting = os.environ.get(ENV_VAR, "")
    if setting.lower() in _OFF:
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "yoi-plugin-engine"


def derived_folders() -> tuple[Path, ...]:
    """Every folder derived data is cached in: the engine's cache, and the WIT grammar cache when
    `YOI_WIT_GRAMMAR_CACHE` moves it elsewhere (engine/wit/grammar_cache.py). No plugin may reach
    them (issue 17 point 1)."""
    folders = [folder] if (folder := cache_dir()) is not None else []
    grammar = os.environ.get(GRAMMAR_ENV_VAR, "")
    if grammar and grammar.lower() not in _OFF:
        folders.append(Path(grammar))
    return tuple(folders)


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


def _owner_only(st: os.stat_result) -> bool:
    return stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


def _read_key(path: Path) -> bytes | bool | None:
    """The key at `path`; None when absent; False when present but refused (not a regular,
    owner-only file of the current user holding exactly 32 bytes)."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except FileNotFoundError:
        return None
    except OSError:
        return False
    try:
        if not hasattr(os, "getuid") or not _owner_only(os.fstat(fd)):
            return False
        key = os.read(fd, _KEY_BYTES + 1)
    except OSError:
        return False
    finally:
        os.close(fd)
    return key if len(key) == _KEY_BYTES else False


def mac_key(folder: Path, create: bool = False) -> bytes | None:
    """The MAC key of a private cache folder, made (atomically: a private temp file hard-linked
    into place, so two processes never use two keys) when `create` and absent. None: no key, so
    nothing in the folder is read or written."""
    if not _safe_dir(folder, create=create):
        return None
    path = folder / MAC_KEY_FILE
    key = _read_key(path)
    if key is None and create:
        with contextlib.suppress(OSError):
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".key-", suffix=".tmp")  # created 0600
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(os.urandom(_KEY_BYTES))
                with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
                    os.link(tmp, path)
            finally:
                os.unlink(tmp)
        key = _read_key(path)
    return key if isinstance(key, bytes) else None


def entry_mac(key: bytes, material: str, chunks: Iterable[bytes]) -> bytes:
    """HMAC-SHA256 over an entry's key material (what it is the cache entry of) and its bytes."""
    mac = hmac.new(key, b"yoi-cache-entry\0" + material.encode("utf-8", "surrogatepass") + b"\0", hashlib.sha256)
    for chunk in chunks:
        mac.update(chunk)
    return mac.digest()


def _discard(path: Path) -> None:
    """Remove an entry that failed its MAC (it is rebuilt by the caller)."""
    with contextlib.suppress(OSError):
        os.unlink(path)
    with contextlib.suppress(OSError):
        os.unlink(str(path) + MAC_SUFFIX)


def _read_private(path: Path) -> bytes | None:
    """The bytes of `path` if it is a private regular file (not followed if a symlink)."""
    try:
        fd = os.open(path, _READ_FLAGS)
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


def read_file(path: Path, material: str | None = None) -> bytes | None:
    """The bytes of entry `path` if it and its folder pass the ownership checks and its MAC (over
    `material`, by default the file name) verifies, else None. A failed MAC discards the entry."""
    key = mac_key(path.parent)
    data = None if key is None else _read_private(path)
    if key is None or data is None:
        return None
    start = len(_HEADER) + _MAC_BYTES
    mac, payload = data[len(_HEADER) : start], data[start:]
    if not data.startswith(_HEADER) or not hmac.compare_digest(mac, entry_mac(key, material or path.name, (payload,))):
        _discard(path)
        return None
    return payload


def open_verified(path: Path, material: str) -> int | None:
    """A read-only descriptor of raw entry `path` whose bytes, read through this very descriptor,
    match the MAC in its sidecar (`path` + MAC_SUFFIX); None (and the entry discarded) otherwise.
    A loader that needs a path is given `/proc/self/fd/N` of it, so a file swapped in after the
    check is never what it loads. The caller closes the descriptor."""
    key = mac_key(path.parent)
    if key is None:
        return None
    expected = _read_private(Path(str(path) + MAC_SUFFIX))
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError:
        return None
    try:
        if not _private(os.fstat(fd), want_dir=False) or expected is None or len(expected) != _MAC_BYTES:
            raise ValueError("unusable entry")
        if not hmac.compare_digest(expected, entry_mac(key, material, _chunks(fd))):
            raise ValueError("MAC mismatch")
        os.lseek(fd, 0, os.SEEK_SET)
        return fd
    except (OSError, ValueError):
        os.close(fd)
        _discard(path)
        return None


def _chunks(fd: int) -> Iterable[bytes]:
    while chunk := os.read(fd, _CHUNK):
        yield chunk


def is_private_file(path: Path) -> bool:
    """True when `path` is a regular file (not a symlink) in a private folder, owned by the current
    user and writable by nobody else."""
    if not _safe_dir(path.parent, create=False):
        return False
    try:
        return _private(os.lstat(path), want_dir=False)
    except OSError:
        return False


def write_file(path: Path, data: bytes, material: str | None = None) -> None:
    """Write entry `path` atomically in a private folder (created 0700) behind its MAC (over
    `material`, by default the file name); failures are ignored."""
    key = mac_key(path.parent, create=True)
    if key is not None:
        _write_atomically(path, (_HEADER, entry_mac(key, material or path.name, (data,)), data))


def write_raw(path: Path, data: bytes, material: str) -> None:
    """Write raw entry `path` (its bytes exactly as a loader reads them) and its sidecar MAC; an
    entry whose MAC could not be written (a full disk, an interrupted host) is removed again."""
    key = mac_key(path.parent, create=True)
    if key is None or not _write_atomically(path, (data,)):
        return
    written = False
    try:
        written = _write_atomically(Path(str(path) + MAC_SUFFIX), (entry_mac(key, material, (data,)),))
    finally:
        if not written:
            _discard(path)


def _write_atomically(path: Path, parts: tuple[bytes, ...]) -> bool:
    """temp file + rename, mode 0600; False when nothing was written."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".entry-", suffix=".tmp")
    except OSError:
        return False
    replaced = False
    try:
        with os.fdopen(fd, "wb") as handle:
            for part in parts:
                handle.write(part)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        replaced = True
    except OSError:
        pass
    finally:  # also when interrupted (SIGTERM, Ctrl-C): no temp file stays behind
        if not replaced:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return replaced
