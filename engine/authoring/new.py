"""`yoi plugin new`: write a template into a fresh folder, atomically (spec §5.8).

The destination must not be a symlink (never followed), must not be a non-directory, and must
be empty if it exists. A missing destination is written as a temporary sibling folder renamed
into place in one step, so an interrupted or failed `new` leaves nothing half-written. An
existing empty folder is kept (it may be a shell's working directory, which a rename would
orphan): the files are staged in a hidden folder inside it and each top-level entry is renamed
into place; if one rename fails, those already moved are taken back.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from engine.authoring.templates import TEMPLATES, render
from engine.errors import EngineError, ErrorKind
from engine.package.ids import is_safe_id

if TYPE_CHECKING:
    from engine.targets import TargetProfile

SAFETY = {
    "network": "none",
    "content": "embedded templates only; no secrets generated",
    "execution": "no plugin code is run",
}


class NewError(EngineError):
    """A refused `new`: the message names the problem (an unknown template, a bad id or
    destination: `usage`; a destination that could not be written: `io`)."""

    error_kind = ErrorKind.USAGE


@dataclass(frozen=True)
class NewResult:
    template: str
    destination: str
    plugin_id: str
    files: tuple[str, ...]
    target: str | None = None  # the target host the package was written for (`--target`)


def _check_destination(dest: Path, shown: str) -> bool:
    """True when `dest` exists (an empty folder); raises NewError for every refusal (naming the
    destination as the user wrote it, `shown`)."""
    try:
        info = os.lstat(dest)
    except FileNotFoundError:
        return False
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
        reason = getattr(error, "strerror", None) or "invalid path"
        raise NewError(
            f"plugin template destination `{shown}` could not be inspected: {reason}", error_kind=ErrorKind.IO
        ) from None
    if stat.S_ISLNK(info.st_mode):
        raise NewError(f"plugin template destination `{shown}` is a symlink; refusing to follow it")
    if not stat.S_ISDIR(info.st_mode):
        raise NewError(f"plugin template destination `{shown}` already exists and is not a directory")
    try:
        with os.scandir(dest) as entries:
            if next(entries, None) is not None:
                raise NewError(f"plugin template destination `{shown}` is not empty")
    except OSError as error:
        raise NewError(
            f"plugin template destination `{shown}` could not be listed: {error.strerror}", error_kind=ErrorKind.IO
        ) from None
    return True


def create(
    template_name: str, destination: str, plugin_id: str | None = None, target: TargetProfile | None = None
) -> NewResult:
    """Write template `template_name` to `destination` (for `target`: as that host reads it)."""
    template = TEMPLATES.get(template_name)
    if template is None:
        raise NewError(f"unsupported plugin template `{template_name}` (supported: {', '.join(TEMPLATES)})")
    plugin_id = template.default_id if plugin_id is None else plugin_id
    if not is_safe_id(plugin_id):
        raise NewError(
            "plugin id is not a safe local id (letters, digits, `-`, `_`, `.`; at most 128 bytes; "
            "no leading or trailing `.`)"
        )
    dest = Path(os.path.abspath(destination))
    exists = _check_destination(dest, destination)
    files = render(template, plugin_id, target)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(
            tempfile.mkdtemp(prefix=f".{dest.name or 'plugin'}.", suffix=".tmp", dir=dest if exists else dest.parent)
        )
    except OSError as error:
        raise NewError(
            f"plugin template destination `{destination}` could not be prepared: {error.strerror}",
            error_kind=ErrorKind.IO,
        ) from None
    try:
        _write(staging, files)
        if exists:
            _move_entries(staging, dest)
        else:
            os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it 0700
            os.rename(staging, dest)  # atomic; fails if something appeared there meanwhile
    except OSError as error:
        raise NewError(
            f"plugin template could not be written to `{destination}`: {error.strerror}", error_kind=ErrorKind.IO
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return NewResult(template.name, destination, plugin_id, tuple(files), target.name if target else None)


def _write(staging: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _move_entries(staging: Path, dest: Path) -> None:
    """Rename each top-level entry of `staging` into `dest`; on failure, take them back."""
    moved: list[str] = []
    try:
        for name in sorted(os.listdir(staging)):
            if os.path.lexists(dest / name):
                raise FileExistsError(17, "destination is no longer empty")
            os.rename(staging / name, dest / name)
            moved.append(name)
    except OSError:
        for name in moved:
            with contextlib.suppress(OSError):
                os.rename(dest / name, staging / name)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def next_steps(result: NewResult) -> list[str]:
    steps = [
        f"run it while you write it (builds, reloads on every change): yoi plugin dev {result.destination}",
        f"build the artifact: yoi plugin build {result.destination}",
        f"pack it: yoi plugin pack {result.destination} --output WS/.yoi/plugins/{result.plugin_id}.yoi-plugin",
        f"enable it in WS/.yoi/config.toml with the digest pack prints (see {result.destination}/README.md)",
    ]
    if TEMPLATES[result.template].language == "python":
        from engine.install import install_command

        if importlib.util.find_spec("componentize_py") is None:
            steps.insert(0, f"install the Python guest builder: {install_command('pdk')}")
    if result.target is not None:
        steps.append(
            f"judge the built package for {result.target} (its limits, APIs and formats): "
            f"yoi plugin check {result.destination} --target {result.target}"
        )
    return steps
