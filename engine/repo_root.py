"""The repository root that report paths are relative to (SARIF `uriBaseId`, docs).

GitHub code scanning links a result only when its path is relative to the checkout's root, so a
command run from a subfolder must still write `plugins/echo/plugin.toml`, not `echo/plugin.toml`.
The root is the nearest folder, from the working directory up, that holds a `.git` entry (a
folder, or the file a worktree or submodule has); without one, the working directory itself.
"""

from __future__ import annotations

import os
from pathlib import Path

MAX_LEVELS = 256  # a path deeper than this is not walked further up


def repository_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The nearest ancestor of `start` (default: the working directory) holding `.git`, else `start`."""
    here = Path(os.path.abspath(start if start is not None else os.getcwd()))
    for folder in [here, *here.parents][:MAX_LEVELS]:
        if os.path.lexists(folder / ".git"):
            return folder
    return here
