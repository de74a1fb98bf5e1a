"""`yoi plugin lock`: resolve a workspace and write the resolved plan into its config (spec §3.7).

The plan is one block of `[[plugins.resolved]]` and `[[plugins.diagnostics]]` tables between a
BEGIN and an END comment line, appended to the config the first time and replaced in place
afterwards; every other byte of the file stays as it was. Before anything is written the new
text is parsed again and must read back as the same config plus exactly this plan; the file is
replaced atomically (a temporary sibling, fsync, rename), keeps its permission bits, and is not
written if it changed while the lock was made. A config that does not parse is never written;
nor is a symlink (name its target), nor a config whose `[plugins].resolved` was written by
someone else (outside the block).
"""

from __future__ import annotations

import contextlib
import copy
import os
import stat
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import EngineError, ErrorKind
from engine.grants.lock import Lock, make_lock
from engine.grants.model import EnablementConfig
from engine.grants.toml_write import TomlWriteError, table
from engine.safe_read import ReadError, read_bounded

BEGIN = "# BEGIN yoi plugin lock: the resolved plan, written by `yoi plugin lock` (rewritten whole by the next lock)"
END = "# END yoi plugin lock"
_LOCK_KEYS = ("resolved", "diagnostics")


class LockError(EngineError):
    """The lock cannot be made or written; the config is left as it was (an input error)."""

    error_kind = ErrorKind.INPUT


@dataclass(frozen=True)
class LockRun:
    """What `yoi plugin lock` found: the config as read, its current plan and the fresh one."""

    path: Path
    original: str
    config: EnablementConfig
    fresh: Lock
    workspace: Path  # relative fs roots in the plan's grants resolve against it

    @property
    def stale(self) -> bool:
        """Whether the config's plan differs from a fresh resolution (no plan: stale if there is
        anything to lock)."""
        current = self.config.lock or Lock()
        return current != self.fresh

    def new_text(self) -> str:
        return locked_text(self.original, str(self.path), self.fresh, self.workspace)


def prepare(workspace: Path, config_path: Path | None) -> LockRun:
    """Read and parse the config, discover and resolve afresh (raises DiagnosticError for a
    config that cannot be read or parsed, LockError for one that is not there)."""
    from engine.grants.config import default_config_path, parse_config, read_config_text
    from engine.grants.resolve import resolve
    from engine.package.discovery import discover

    if not os.path.isdir(workspace):
        raise LockError(f"workspace `{workspace}` does not exist: not found")
    path = config_path if config_path is not None else default_config_path(workspace)
    if not os.path.lexists(path):
        raise LockError(f"there is no config to lock at `{path}`; enable a package in it first")
    text = read_config_text(path, follow_symlinks=config_path is not None)
    config = parse_config(text, str(path), workspace)
    discovery = discover(workspace)
    fresh = make_lock(workspace, discovery, resolve(config.enabled, discovery.packages))
    return LockRun(Path(path), text, config, fresh, workspace)


def render_block(lock: Lock) -> str:
    lines = [BEGIN]
    for record in lock.records:
        lines += ["", *table("[[plugins.resolved]]", record.to_table(), subtables=("grants", "manifest"))]
    for diagnostic in lock.diagnostics:
        lines += ["", *table("[[plugins.diagnostics]]", diagnostic.to_table())]
    return "\n".join(lines) + "\n" + END + "\n"


def _splice(text: str, block: str) -> str:
    """`text` with its lock block replaced by `block`, or `block` appended when it has none;
    the block takes the file's line ending (that of its first line), so a CRLF file stays one."""
    first = text.find("\n")
    if first > 0 and text[first - 1] == "\r":
        block = block.replace("\n", "\r\n")
    lines = text.splitlines(keepends=True)
    begins = [i for i, line in enumerate(lines) if line.rstrip("\r\n") == BEGIN]
    ends = [i for i, line in enumerate(lines) if line.rstrip("\r\n") == END]
    if not begins and not ends:
        if not text:
            return block
        newline = "\r\n" if block.endswith("\r\n") else "\n"
        return text + ("" if text.endswith("\n") else newline) + newline + block
    if len(begins) == 1 and len(ends) == 1 and begins[0] < ends[0]:
        return "".join(lines[: begins[0]]) + block + "".join(lines[ends[0] + 1 :])
    raise LockError("the config's lock markers are not one BEGIN line followed by one END line; fix or remove them")


def _without_plan(document: dict[str, Any]) -> dict[str, Any]:
    stripped = copy.deepcopy(document)
    plugins = stripped.get("plugins")
    if isinstance(plugins, dict):
        for key in _LOCK_KEYS:
            plugins.pop(key, None)
    return stripped


def _as_written(text: str) -> dict[str, Any]:
    """The document without its plan, floats kept as their text: NaN is not equal to itself, so
    a config holding one would never compare equal to itself as floats."""
    return _without_plan(tomllib.loads(text, parse_float=str))


def locked_text(text: str, file: str, lock: Lock, workspace: Path) -> str:
    """The config text with `lock` as its plan, checked to read back (relative fs roots against
    `workspace`) as the same config plus exactly that plan (raises LockError otherwise)."""
    from engine.grants.config import parse_config

    outside = tomllib.loads(_splice(text, ""))
    plugins = outside.get("plugins")
    if isinstance(plugins, dict) and any(key in plugins for key in _LOCK_KEYS):
        raise LockError(
            "the config has a resolved plan (`plugins.resolved` or `plugins.diagnostics`) outside the block "
            "`yoi plugin lock` writes; remove it first (nothing was written)"
        )
    try:
        new = _splice(text, render_block(lock))
        written = _as_written(new)
    except TomlWriteError as error:
        raise LockError(f"the resolved plan cannot be written as TOML: {error}") from None
    except tomllib.TOMLDecodeError:
        raise LockError(
            "the resolved plan cannot be added to this config without rewriting it (is `plugins` an inline "
            "table?); nothing was written"
        ) from None
    if written != _as_written(text) or parse_config(new, file, workspace).lock != lock:
        raise LockError("the config would not read back as the same config with this plan; nothing was written")
    return new


def write_atomically(path: Path, original: str, text: str) -> None:
    """Replace `path` with `text` unless it changed since it was read as `original`."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise LockError(f"`{path}` is a symlink; name the file it points to with --config (nothing was written)")
    if not stat.S_ISREG(info.st_mode):
        raise LockError(f"`{path}` is not a regular file (nothing was written)")
    folder = path.parent
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".lock.tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, stat.S_IMODE(info.st_mode))
        from engine.grants.config import MAX_CONFIG_BYTES

        try:  # never blocks on, nor follows, whatever may have been swapped in since the lstat
            current = read_bounded(path, MAX_CONFIG_BYTES, follow_symlinks=False)
        except ReadError:
            current = None
        if current != original.encode("utf-8"):
            raise LockError(f"`{path}` changed while the lock was made; nothing was written, run it again")
        os.replace(temp, path)
        temp = ""
        with contextlib.suppress(OSError):  # not every file system can fsync a folder
            folder_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(folder_fd)
            finally:
                os.close(folder_fd)
    finally:
        if temp:
            with contextlib.suppress(OSError):
                os.unlink(temp)
