"""The `fs` host API: read, list and write under grant roots, never outside them (spec §6.11).

Paths are walked one component at a time with directory file descriptors (`openat` semantics via
`os.open(..., dir_fd=...)`) and `O_NOFOLLOW`, so a symlink anywhere on the way is refused rather
than followed, and no rename racing the walk can move the target outside the root: there is no
second lookup of the path text. Special files are refused from `fstatat` before opening and again
from `fstat` after an `O_NONBLOCK` open, so a FIFO or device can never block or be consumed.
Writes replace the target atomically (temporary file, fsync, rename) under a per-target lock, so a
reader never sees half a file. File contents never appear in an error.

A grant root is opened the same way, one component at a time from `/`: it was resolved when the
config was read (engine/api_registry/fs.py `resolve_root`), so a symlink anywhere in it now means it changed since
planning, and so does a written root that no longer resolves to it; both are refused. The host's
protected paths (config, stores, caches, policy folders) are refused whatever the grant
(protected.py).
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import itertools
import json
import os
import secrets
import stat
import threading
import time
import weakref
from typing import Any

from engine.api_registry.fs import FsGrant
from engine.diagnostics import bound_bytes, redact_secret_like
from engine.runtime.hostapi.descriptor import HostApiError, decode_object
from engine.runtime.hostapi.protected import Guard, ProtectedPaths

MAX_PATH_BYTES = 4096
MAX_READ_BYTES = 65536
MAX_WRITE_BYTES = 65536
MAX_LIST_ENTRIES = 256
# A host call is not interrupted by wasmtime's epoch deadline, so a folder with millions of entries
# must not hold it: the scan stops here (the answer is then `truncated`), and it fails when the
# guest call's deadline passes (checked every _DEADLINE_EVERY entries).
MAX_LIST_SCAN = 100_000
_DEADLINE_EVERY = 512
_PATH_SHOWN_BYTES = 160
_NOFOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW
_FIELDS = {
    "read": {"path": (str, True)},
    "list": {"path": (str, True)},
    "write": {"path": (str, True), "content": (str, True)},
}

# One lock per write target (device, parent directory inode, name), shared by every instance in
# the process; weak values so locks of targets nobody is writing go away.
_WRITE_LOCKS: weakref.WeakValueDictionary[tuple[int, int, str], Any] = weakref.WeakValueDictionary()
_WRITE_LOCKS_GUARD = threading.Lock()


def shown_path(parts: list[str] | str) -> str:
    """A path as responses and diagnostics show it: redacted, NUL as space, capped, `.` if empty."""
    text = parts if isinstance(parts, str) else "/".join(parts)
    return bound_bytes(redact_secret_like(text.replace("\0", " ")), _PATH_SHOWN_BYTES) or "."


def relative_parts(path: str) -> list[str]:
    """Check a guest path and split it into components; `.` dropped, `..` refused."""
    try:
        size = len(path.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate from a JSON escape names no file
        raise HostApiError("FS path is not valid UTF-8") from None
    if size > MAX_PATH_BYTES:
        raise HostApiError(f"FS path exceeds {MAX_PATH_BYTES} bytes")
    if not path:
        raise HostApiError("FS path must not be empty")
    if "\0" in path:
        raise HostApiError("FS path contains a NUL byte")
    if path.startswith("/"):
        raise HostApiError("FS request paths must be relative to a configured fs grant root")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise HostApiError("FS path traversal outside the grant root is denied")
    return parts


def _os_error_text(error: OSError) -> str:
    return error.strerror or errno.errorcode.get(error.errno or 0, "error")


def open_api(allowlist: tuple[FsGrant, ...], host: Any, owner: str = "") -> FsApi:
    """The registry's handler factory (engine/api_registry/fs.py): the plan's allowlist, with the
    host's protected paths (`HostConfig.protected_paths`)."""
    return FsApi(allowlist, ProtectedPaths(getattr(host, "protected_paths", ())))


class FsApi:
    """One plan's fs scopes; `run(op, descriptor)` executes one guest request."""

    def __init__(self, grants: tuple[FsGrant, ...], protected: ProtectedPaths | None = None):
        self._grants = tuple(grants)
        self._protected = protected or ProtectedPaths(())

    @property
    def usable(self) -> bool:
        """Spec §3.5: some grant has a non-blank absolute root and at least one operation."""
        return any(g.root.strip() and os.path.isabs(g.root.strip()) and g.operations for g in self._grants)

    def run(self, op: str, descriptor: bytes, deadline: float | None = None) -> str:
        """One request; `deadline` (monotonic) bounds the list scan and the wait for a write lock."""
        fields = decode_object(descriptor, f"FS {op} request", _FIELDS[op])
        parts = relative_parts(fields["path"])
        content = b""
        if op == "write":
            content = fields["content"].encode("utf-8")  # lone surrogates were refused by decode_object
            if len(content) > MAX_WRITE_BYTES:
                raise HostApiError(f"FS write content exceeds {MAX_WRITE_BYTES} bytes")
            if not parts or fields["path"].endswith("/"):
                raise HostApiError("FS write path must name a file")
        grants = [g for g in self._grants if op in g.operations]
        if not grants:
            raise HostApiError(f"host_api.fs {op} denied: no matching operation grant")
        guard = Guard(self._protected)
        last: HostApiError | None = None
        for grant in grants:  # the first grant under which the path resolves wins (spec §6.11)
            try:
                guard.path(os.path.join(grant.root.strip(), *parts), shown_path(parts))
                fd = _walk(grant, parts, include_leaf=op == "list", guard=guard)
            except HostApiError as error:
                last = error
                continue
            if op == "read" and parts:
                try:
                    _existing_leaf(fd, parts)  # for read the leaf is part of what must resolve
                except HostApiError as error:
                    os.close(fd)
                    last = error
                    continue
            try:
                if op == "read":
                    return _read(fd, parts, guard)
                if op == "list":
                    return _list(fd, parts, deadline)
                return _write(fd, parts, content, deadline, guard)
            finally:
                os.close(fd)
        assert last is not None
        raise last


def _walk(grant: FsGrant, parts: list[str], include_leaf: bool, guard: Guard) -> int:
    """Open the root, then each directory component with O_NOFOLLOW relative to the last; the fd
    of the target's parent (or, for list, of the target itself). Every folder on the way is
    checked against the protected paths by identity."""
    fd = _open_root(grant, guard)
    try:
        for index, name in enumerate(parts if include_leaf else parts[:-1]):
            try:
                next_fd = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except OSError as error:
                list_target = include_leaf and index == len(parts) - 1
                raise _component_error(error, parts[: index + 1], fd, list_target) from None
            os.close(fd)
            fd = next_fd
            guard.descriptor(fd, shown_path(parts[: index + 1]))
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_root(grant: FsGrant, guard: Guard) -> int:
    """The grant root, opened one component at a time from `/` with O_NOFOLLOW: the planned root
    was resolved, so any symlink in it now (or a written root resolving elsewhere) is a change
    since planning and is refused. A root written relative to the workspace is checked as the path
    it names there (`FsGrant.written_path`), never against the working folder."""
    root = grant.root.strip()
    if not root or len(root.encode("utf-8", errors="surrogatepass")) > MAX_PATH_BYTES or "\0" in root:
        raise HostApiError("configured fs grant root is invalid")
    if not os.path.isabs(root):
        raise HostApiError("configured fs grant root must be an absolute path")
    if grant.written is not None and _resolves_to(grant.written_path) != root:
        raise HostApiError(
            f"configured fs grant root `{shown_path(grant.written)}` no longer resolves to the planned "
            f"`{shown_path(root)}` (a symlink changed since planning): refused"
        )
    names = [name for name in root.split("/") if name]
    fd = os.open("/", _DIR_FLAGS)
    try:
        guard.descriptor(fd, "/")
        for index, name in enumerate(names):
            try:
                next_fd = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except OSError as error:
                raise _root_error(error, name, fd, index == len(names) - 1) from None
            os.close(fd)
            fd = next_fd
            guard.descriptor(fd, ".")
    except BaseException:
        os.close(fd)
        raise
    return fd


def _resolves_to(written: str | None) -> str | None:
    if written is None:  # a relative root with no workspace to resolve it against
        return None
    try:
        return os.path.realpath(written.strip())
    except (OSError, ValueError):
        return None


def _root_error(error: OSError, name: str, parent: int, last: bool) -> HostApiError:
    if error.errno in (errno.ELOOP, errno.ENOTDIR) and _is_symlink(name, parent):
        if last:
            return HostApiError("configured fs grant root must not be a symlink")
        return HostApiError("configured fs grant root now passes through a symlink (changed since planning): refused")
    if error.errno == errno.ENOTDIR:
        # O_DIRECTORY also fails with ENOTDIR when a parent of the root is not a directory.
        return HostApiError("configured fs grant root must be a directory")
    return HostApiError("configured fs grant root is unavailable")


def _is_symlink(name: str, dir_fd: int | None) -> bool:
    """Whether `name` is a symlink: O_NOFOLLOW|O_DIRECTORY reports one as ENOTDIR on Linux."""
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _component_error(error: OSError, parts: list[str], dir_fd: int, list_target: bool = False) -> HostApiError:
    """What failed opening `parts[-1]`; `list_target`: it is the folder a `list` names (§6.11)."""
    shown = shown_path(parts)
    if error.errno in (errno.ELOOP, errno.ENOTDIR) and _is_symlink(parts[-1], dir_fd):
        return HostApiError(f"FS path symlink escape is denied: {shown}")
    if error.errno == errno.ELOOP:
        return HostApiError(f"FS path symlink escape is denied: {shown}")
    if error.errno == errno.ENOTDIR and list_target:
        return HostApiError(f"FS list target is not a directory: {shown}")
    if error.errno == errno.ENOTDIR:
        return HostApiError(f"FS path component is unavailable for {shown}: not a directory")
    return HostApiError(f"FS path component is unavailable for {shown}: {_os_error_text(error)}")


def _leaf_stat(parent: int, parts: list[str]) -> os.stat_result | None:
    try:
        return os.stat(parts[-1], dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise _component_error(error, parts, parent) from None


def _existing_leaf(parent: int, parts: list[str]) -> os.stat_result:
    info = _leaf_stat(parent, parts)
    if info is None:
        raise HostApiError(f"FS path component is unavailable for {shown_path(parts)}: No such file or directory")
    if stat.S_ISLNK(info.st_mode):
        raise HostApiError(f"FS path symlink escape is denied: {shown_path(parts)}")
    return info


def _read(parent: int, parts: list[str], guard: Guard) -> str:
    shown = shown_path(parts)
    if not parts:
        raise HostApiError(f"FS read target is not a regular file: {shown}")
    if not stat.S_ISREG(_existing_leaf(parent, parts).st_mode):
        raise HostApiError(f"FS read target is not a regular file: {shown}")
    try:
        fd = os.open(parts[-1], os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW, dir_fd=parent)
    except OSError as error:
        raise _component_error(error, parts, parent) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # swapped between the stat and the open
            raise HostApiError(f"FS read target is not a regular file: {shown}")
        guard.stat(info, shown)  # a protected file under another name (a hard link)
        data = bytearray()
        while len(data) <= MAX_READ_BYTES:
            chunk = os.read(fd, MAX_READ_BYTES + 1 - len(data))
            if not chunk:
                break
            data += chunk
    except OSError as error:
        raise HostApiError(f"FS read failed for {shown}: {_os_error_text(error)}") from None
    finally:
        os.close(fd)
    truncated = len(data) > MAX_READ_BYTES
    text = bytes(data[:MAX_READ_BYTES]).decode("utf-8", errors="replace")
    return json.dumps({"path": shown, "content": text, "truncated": truncated}, ensure_ascii=False)


def _entry_kind(entry: os.DirEntry) -> str:
    if entry.is_symlink():
        return "symlink"
    if entry.is_dir(follow_symlinks=False):
        return "dir"
    if entry.is_file(follow_symlinks=False):
        return "file"
    return "other"


def _within(entries: Any, deadline: float | None, shown: str) -> Any:
    """The entries, failing the listing once the guest call's deadline has passed."""
    for count, entry in enumerate(entries):
        if deadline is not None and count % _DEADLINE_EVERY == 0 and time.monotonic() >= deadline:
            raise HostApiError(f"FS list of {shown} stopped: the guest call has used up its time limit")
        yield entry


def _list(directory: int, parts: list[str], deadline: float | None) -> str:
    shown = shown_path(parts)
    try:
        # scandir closes the fd it is given, so hand it a duplicate.
        with os.scandir(os.dup(directory)) as entries:
            # The 257 smallest names of the scanned entries, in O(257) memory.
            scan = itertools.islice(_within(entries, deadline, shown), MAX_LIST_SCAN)
            chosen = heapq.nsmallest(MAX_LIST_ENTRIES + 1, ((e.name, _entry_kind(e)) for e in scan))
            unscanned = next(entries, None) is not None
    except OSError as error:
        raise HostApiError(f"FS list failed for {shown}: {_os_error_text(error)}") from None
    listed = [
        {"name": os.fsencode(name).decode("utf-8", errors="replace"), "kind": kind}
        for name, kind in chosen[:MAX_LIST_ENTRIES]
    ]
    truncated = len(chosen) > MAX_LIST_ENTRIES or unscanned
    return json.dumps({"path": shown, "entries": listed, "truncated": truncated}, ensure_ascii=False)


def _target_lock(parent: int, name: str) -> Any:
    info = os.fstat(parent)
    key = (info.st_dev, info.st_ino, name)
    with _WRITE_LOCKS_GUARD:
        lock = _WRITE_LOCKS.get(key)
        if lock is None:
            lock = threading.Lock()
            _WRITE_LOCKS[key] = lock
        return lock


def _write(parent: int, parts: list[str], content: bytes, deadline: float | None, guard: Guard) -> str:
    shown = shown_path(parts)
    name = parts[-1]
    lock = _target_lock(parent, name)
    # Another instance may be writing the same file: wait for it only as long as this call may run.
    if not lock.acquire(timeout=-1 if deadline is None else max(0.0, deadline - time.monotonic())):
        raise HostApiError(
            f"FS write of {shown} stopped: the guest call has used up its time limit waiting for another writer"
        )
    try:
        return _replace_file(parent, parts, shown, content, guard)
    finally:
        lock.release()


def _replace_file(parent: int, parts: list[str], shown: str, content: bytes, guard: Guard) -> str:
    """Write `content` to a temporary file, fsync it and rename it over `name` (caller holds the lock)."""
    name = parts[-1]
    existing = _leaf_stat(parent, parts)
    if existing is not None:
        guard.stat(existing, shown)
        if stat.S_ISLNK(existing.st_mode):
            raise HostApiError(f"FS path symlink escape is denied: {shown}")
        if stat.S_ISDIR(existing.st_mode):
            raise HostApiError(f"FS write target is a directory: {shown}")
        if not stat.S_ISREG(existing.st_mode):
            raise HostApiError(f"FS write target is not a regular file: {shown}")
    # The permission bits survive; setuid, setgid and sticky do not (guest bytes never run setuid).
    mode = stat.S_IMODE(existing.st_mode) & 0o777 if existing is not None else 0o644
    temp = f".{name[:32]}.yoi-write-{secrets.token_hex(6)}"
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600, dir_fd=parent)
    except OSError as error:
        raise HostApiError(f"FS write failed for {shown}: {_os_error_text(error)}") from None
    try:
        try:
            view = memoryview(content)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(temp, name, src_dir_fd=parent, dst_dir_fd=parent)
    except OSError as error:
        _discard(temp, parent)
        raise HostApiError(f"FS write failed for {shown}: {_os_error_text(error)}") from None
    _fsync_dir(parent)
    return json.dumps({"path": shown, "bytes_written": len(content)}, ensure_ascii=False)


def _discard(name: str, parent: int) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name, dir_fd=parent)


def _fsync_dir(fd: int) -> None:
    with contextlib.suppress(OSError):  # some filesystems refuse fsync on directories; the file is synced
        os.fsync(fd)
