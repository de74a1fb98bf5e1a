"""Read one input file safely: a regular file, never blocking, never more than a byte bound.

Every file the commands read (facts, configs, rules, WIT, policy test cases, manifests, package
files) goes through `read_bounded`. Opening with O_NONBLOCK means a FIFO with no writer cannot
hang the command; `fstat` on the open descriptor (not a second `stat` of the path, which could
race) rejects FIFOs, devices and sockets at once; and the read stops at `limit + 1` bytes without
trusting `st_size` (`/dev/zero` and `/proc` files report 0, a file may grow after the check).
Files the command found by walking a folder are opened with O_NOFOLLOW: a symlink there is not
expected and could point anywhere. Errors carry short, path-free words only (spec §5.5).
"""

from __future__ import annotations

import errno
import os
import stat

from engine.errors import EngineError, ErrorKind

_READ_CHUNK = 1024 * 1024


class ReadError(EngineError):
    """Why a file could not be read: `kind` is a diagnostic kind, `reason` short words. Its
    error kind is `io` for an io one, else `input` (too large, not a regular file, a symlink)."""

    def __init__(self, kind: str, reason: str):
        super().__init__(reason, error_kind=ErrorKind.IO if kind == "io" else ErrorKind.INPUT)
        self.kind = kind
        self.reason = reason


def size_words(limit: int) -> str:
    """`4 MiB`, `256 KiB`, `1000 bytes`: a bound as people read it."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if limit >= size and limit % size == 0:
            return f"{limit // size} {unit}"
    return f"{limit} bytes"


def _open_error(error: OSError | ValueError, follow_symlinks: bool) -> ReadError:
    if isinstance(error, ValueError):  # e.g. an embedded NUL in the path
        return ReadError("io", "invalid input")
    if error.errno == errno.ELOOP and not follow_symlinks:
        return ReadError("traversal", "is a symlink, which is not followed here")
    if error.errno == errno.ENXIO:  # a socket, or a FIFO opened for writing
        return ReadError("malformed", "not a regular file")
    if error.errno == errno.EISDIR:
        return ReadError("malformed", "a folder, not a regular file")
    words: dict[int | None, str] = {  # errno is None for an OSError raised without one
        errno.ENOENT: "not found",
        errno.ENOTDIR: "not found",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENAMETOOLONG: "invalid input",
        errno.EINVAL: "invalid input",
    }
    return ReadError("io", words.get(error.errno, "I/O error"))


def read_bounded(path: str | os.PathLike[str], limit: int, *, follow_symlinks: bool = True) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; anything else raises ReadError."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError) as error:
        raise _open_error(error, follow_symlinks) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ReadError("malformed", "a folder, not a regular file")
        if not stat.S_ISREG(info.st_mode):
            raise ReadError("malformed", "not a regular file (a FIFO, device or socket)")
        if info.st_size > limit:
            raise ReadError("bounds", f"larger than {size_words(limit)}")
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(_READ_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as error:
        raise _open_error(error, follow_symlinks) from None
    finally:
        os.close(fd)
    if total > limit:  # grew after fstat, or st_size lied
        raise ReadError("bounds", f"larger than {size_words(limit)}")
    return b"".join(chunks)


def read_bounded_text(path: str | os.PathLike[str], limit: int, *, follow_symlinks: bool = True) -> str:
    """`read_bounded`, decoded as UTF-8 (a decoding failure is a ReadError of kind `encoding`)."""
    data = read_bounded(path, limit, follow_symlinks=follow_symlinks)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ReadError("encoding", f"not UTF-8 (byte {error.start})") from None
