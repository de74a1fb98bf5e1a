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


def _staged(target: Path, data: bytes, mode: int, publish) -> None:
    """Write `data` to a temporary file beside `target` (owner-only until chmod-ed to `mode`),
    fsync it, then `publish(temp, target)` (a rename or a link); the temporary file never
    outlives the call, whatever fails."""
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        publish(temp, target)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)  # already renamed away, or left over


def replace_file(target: Path, data: bytes) -> None:
    """Write `data` over the regular file `target` (OSError on failure; nothing changed then)."""
    _staged(target, data, stat.S_IMODE(os.stat(target, follow_symlinks=False).st_mode), os.replace)


def create_file(target: Path, data: bytes, mode: int) -> None:
    """Write a new file `target` with permission bits `mode`, atomically and never over an
    existing entry: the staged file is hard-linked to `target` (the link fails if anything
    exists there, even a dangling symlink). FileExistsError when `target` exists."""
    _staged(target, data, mode, os.link)


def write_file(target: Path, data: bytes, mode: int) -> None:
    """Write `target` atomically with permission bits `mode`, replacing a regular file that is
    there (never a folder, symlink or special file: OSError). A reader sees old or new bytes."""
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EEXIST, "exists and is not a regular file")
    _staged(target, data, mode, os.replace)
