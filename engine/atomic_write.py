"""Replace a file's content atomically: a temporary file in the same folder, fsync, rename.

A reader sees the old bytes or the new ones, never half; a failure leaves the old file as it was
and no temporary file behind. The file keeps its permission bits.
"""

from __future__ import annotations

import contextlib
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
