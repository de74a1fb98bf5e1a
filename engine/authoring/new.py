"""`yoi plugin new`: write a template into a fresh folder, atomically (spec §5.8).

The destination must not be a symlink (never followed), must not be a non-directory, and must
be empty if it exists. Files are written to a temporary sibling folder and renamed into place
in one step, so an interrupted or failed `new` leaves nothing half-written; renaming onto an
existing empty folder is atomic too, and fails if something appeared in it meanwhile.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from engine.authoring.templates import TEMPLATES, render
from engine.package.ids import is_safe_id

SAFETY = {
    "network": "none",
    "content": "embedded templates only; no secrets generated",
    "execution": "no plugin code is run",
}


class NewError(Exception):
    """A refused `new`: the message names the problem; `usage` marks bad arguments."""


@dataclass(frozen=True)
class NewResult:
    template: str
    destination: str
    plugin_id: str
    files: tuple[str, ...]


def _check_destination(dest: Path) -> bool:
    """True when `dest` exists (an empty folder); raises NewError for every refusal."""
    try:
        info = os.lstat(dest)
    except FileNotFoundError:
        return False
    except OSError as error:
        raise NewError(f"plugin template destination `{dest}` could not be inspected: {error.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise NewError(f"plugin template destination `{dest}` is a symlink; refusing to follow it")
    if not stat.S_ISDIR(info.st_mode):
        raise NewError(f"plugin template destination `{dest}` already exists and is not a directory")
    try:
        with os.scandir(dest) as entries:
            if next(entries, None) is not None:
                raise NewError(f"plugin template destination `{dest}` is not empty")
    except OSError as error:
        raise NewError(f"plugin template destination `{dest}` could not be listed: {error.strerror}") from None
    return True


def create(template_name: str, destination: str, plugin_id: str | None = None) -> NewResult:
    template = TEMPLATES.get(template_name)
    if template is None:
        raise NewError(f"unsupported plugin template `{template_name}` (supported: {', '.join(TEMPLATES)})")
    plugin_id = template.default_id if plugin_id is None else plugin_id
    if not is_safe_id(plugin_id):
        raise NewError("plugin id is not a safe local id (letters, digits, `-`, `_`, `.`; at most 128 bytes; "
                       "no leading or trailing `.`)")
    dest = Path(destination)
    exists = _check_destination(dest)
    files = render(template, plugin_id)
    parent = dest.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name or 'plugin'}.", suffix=".tmp", dir=parent))
    except OSError as error:
        raise NewError(f"plugin template destination `{dest}` could not be prepared: {error.strerror}") from None
    try:
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it 0700
        for name, data in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if not exists or _check_destination(dest):
            os.rename(staging, dest)  # atomic; onto an empty folder only
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise NewError(f"plugin template could not be written to `{dest}`: {error.strerror}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return NewResult(template.name, str(dest), plugin_id, tuple(files))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def next_steps(result: NewResult) -> list[str]:
    steps = [
        f"build the artifact: yoi plugin build {result.destination}",
        f"pack it: yoi plugin pack {result.destination} --output WS/.yoi/plugins/{result.plugin_id}.yoi-plugin",
        f"enable it in WS/.yoi/config.toml with the digest pack prints (see {result.destination}/README.md)",
    ]
    if TEMPLATES[result.template].language == "python":
        steps.insert(0, "install the Python guest builder: pip install 'yoi-plugin-engine[pdk]'")
    return steps
