"""Write files atomically: a temporary file in the same folder, fsync, then rename (or link).

A reader sees the old bytes or the new ones, never half; a failure leaves the old file as it was
and no temporary file behind. `replace_file` keeps the file's permission bits, `write_file` sets
them, `create_file` never replaces anything (a private key must not overwrite another).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path


def replace_file(target: Path, data: bytes) -> None:
    """Write `data` over the regular file `target` (OSError on failure; nothing changed then)."""
    mode = stat.S_IMODE(os.stat(target, follow_symlinks=False).st_mode)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def create_file(target: Path, data: bytes, mode: int) -> None:
    """Write a new file `target` with permission bits `mode`, atomically and never over an
    existing entry: the bytes go to a temporary file (created owner-only, then chmod-ed), which is
    hard-linked to `target` (the link fails if anything exists there, even a dangling symlink)
    and unlinked. FileExistsError when `target` exists; nothing is left behind on failure."""
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temp, target)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def write_file(target: Path, data: bytes, mode: int) -> None:
    """Write `target` atomically with permission bits `mode`, replacing a regular file that is
    there (never a folder, symlink or special file: OSError). A reader sees old or new bytes."""
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EEXIST, "exists and is not a regular file")
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
