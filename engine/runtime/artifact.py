"""Reading a plan's artifact for loading, after re-verifying the package digest (spec §5.7).

A plan names a digest; if the package on disk no longer has that digest (replaced, edited or
removed after planning) nothing of it is loaded: the plan approved other bytes.

Every (re)start reads every file of the package again and digests it: the re-verification is
never a stat comparison. A folder package is read through directory file descriptors (openat
with O_NOFOLLOW, O_NONBLOCK, fstat, bounded reads): no path is resolved twice, a symlink swapped
in anywhere after planning is refused at the open instead of followed, and a FIFO or device
cannot block or flood the read. It skips exactly what engine.package's reader skips (entries
that are neither regular files nor folders), so both digest the same files; validating the
manifest again is not needed, because any changed byte changes the digest.
"""

from __future__ import annotations

import hashlib
import os
import stat

from engine.diagnostics import DiagnosticError
from engine.package.archive import read_archive
from engine.package.digest import RESOLVED_DIGEST_MISMATCH, package_digest
from engine.package.limits import DEFAULT_LIMITS
from engine.plan import Plan
from engine.runtime.errors import RuntimeFault
from engine.runtime.traps import host_errno_of, host_failure
from engine.safe_read import ReadError, read_bounded

MAX_FOLDER_DEPTH = 32
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def _load_error(why: str) -> RuntimeFault:
    """A package load error (spec §5.7); the category prefix is added where the fault is reported."""
    return RuntimeFault("load", why)


def _read_error(error: OSError, what: str) -> RuntimeFault:
    """An OSError reading the package: the host's failure (EIO, ENOMEM, out of descriptors: kind
    `internal`, not the package's) or the package's (gone, replaced, unreadable: `load`)."""
    number = host_errno_of(error)
    if number is not None:
        return host_failure(f"reading the plugin package ({what})", number, error.strerror or str(error))
    return _load_error(f"{what} could not be read: {_os_text(error)}")


class _FolderReader:
    """Every regular file under one package folder, as {relative path: bytes}, within the
    package bounds of engine.package.limits."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.total = 0

    def read(self, root_fd: int) -> dict[str, bytes]:
        """Read the folder open as `root_fd` (closed here)."""
        pending = [(root_fd, "", 0)]
        try:
            while pending:
                folder_fd, prefix, depth = pending.pop()
                try:
                    self._folder(folder_fd, prefix, depth, pending)
                finally:
                    os.close(folder_fd)
        except OSError as error:
            raise _read_error(error, "plugin directory") from None
        finally:
            for folder_fd, _, _ in pending:  # left over after a refusal
                os.close(folder_fd)
        return self.files

    def _folder(self, folder_fd: int, prefix: str, depth: int, pending: list) -> None:
        with os.scandir(folder_fd) as entries:
            listed = list(entries)
        for entry in listed:
            name = entry.name
            if entry.is_symlink():
                raise _load_error("plugin directory contains a symlink entry")
            if entry.is_dir(follow_symlinks=False):
                if depth >= MAX_FOLDER_DEPTH:
                    raise _load_error(f"plugin directory nests deeper than {MAX_FOLDER_DEPTH} folders")
                pending.append((os.open(name, _DIR_FLAGS, dir_fd=folder_fd), f"{prefix}{name}/", depth + 1))
            elif entry.is_file(follow_symlinks=False):
                self._file(folder_fd, name, prefix + name)

    def _file(self, folder_fd: int, name: str, relative: str) -> None:
        limits = DEFAULT_LIMITS
        if len(self.files) >= limits.max_entries_per_package:
            raise _load_error("plugin directory contains more files than the configured bound")
        fd = os.open(name, _FILE_FLAGS, dir_fd=folder_fd)  # ELOOP if it became a symlink
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise _load_error("plugin directory entry changed type while it was read")
            content = _read_bounded(fd, limits.max_file_size_bytes + 1)  # the file may grow after stat
        finally:
            os.close(fd)
        if len(content) > limits.max_file_size_bytes:
            raise _load_error("plugin directory file exceeds the configured per-file bound")
        self.total += len(content)
        if self.total > limits.max_expanded_size_bytes:
            raise _load_error("plugin directory expanded size exceeds the configured bound")
        self.files[relative] = content


def _read_bounded(fd: int, limit: int) -> bytes:
    """At most `limit` bytes from `fd` (never trusting st_size)."""
    chunks, size = [], 0
    while size < limit:
        chunk = os.read(fd, limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def read_verified_files(plan: Plan) -> dict[str, bytes]:
    """The package's files, read again now (a folder or a `.yoi-plugin` archive)."""
    path = plan.package_path
    try:
        root_fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC | os.O_NONBLOCK)
    except NotADirectoryError:
        root_fd = None  # an archive (or something that will fail to read as one)
    except OSError as error:
        raise _read_error(error, "resolved plugin package metadata") from None
    if root_fd is not None:
        return _FolderReader().read(root_fd)
    try:
        data = read_bounded(path, DEFAULT_LIMITS.max_package_size_bytes)
    except ReadError as error:
        if error.kind == "bounds":
            raise _load_error("resolved plugin package exceeds the configured package size bound") from None
        if error.kind == "malformed":
            raise _load_error("resolved plugin package is not a regular file") from None
        raise _load_error(f"resolved plugin package metadata could not be read: {error.reason}") from None
    try:
        return read_archive(data)
    except DiagnosticError as error:
        raise _load_error(f"resolved plugin package content could not be read: {error}") from None


def _os_text(error: OSError) -> str:
    from engine.package.materialize import io_error_text

    return io_error_text(error)


def load_artifact(plan: Plan) -> bytes:
    """The artifact bytes of `plan`, or a `load` fault when the package changed since planning."""
    files = read_verified_files(plan)
    try:
        found = package_digest(files)
    except UnicodeEncodeError:  # a file name that is not UTF-8 appeared: not the planned package
        raise _load_error("plugin directory contains a file name that is not UTF-8") from None
    if found != plan.digest:
        # spec §5.7's words, then which digests (the package changed after planning: refused)
        raise _load_error(f"{RESOLVED_DIGEST_MISMATCH} (now {found}, planned {plan.digest})")
    data = files.get(plan.artifact_path)
    if data is None:
        what = "module entry" if plan.runtime_kind == "wasm" else "component artifact"
        raise _load_error(f"plugin runtime {what} is missing from the package")
    if plan.artifact_sha256 and hashlib.sha256(data).hexdigest() != plan.artifact_sha256:
        raise _load_error("artifact sha256 differs from the plan")
    return data
