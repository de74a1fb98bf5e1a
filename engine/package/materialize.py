"""Turn files into a Package (spec §5.4) and read package inputs from disk (§5.6 step 1, §4.2).

Shared by discovery, `check` and `pack`, so a folder and its archive go through the same manifest
validation and digest. I/O errors are reported with short words only (§5.5), never the OS text,
which could carry paths or other content.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from engine.diagnostics import Diagnostic, DiagnosticError
from engine.errors import ErrorKind
from engine.package.archive import read_archive
from engine.package.digest import package_digest
from engine.package.limits import DEFAULT_LIMITS, Limits
from engine.package.manifest import load_manifest
from engine.package.model import Package
from engine.package.paths import archive_name
from engine.safe_read import ReadError, read_bounded
from engine.walk import FolderTooDeep, walk_entries

MANIFEST_FILE = "plugin.toml"
PACKAGE_SUFFIX = ".yoi-plugin"
DEFAULT_LABEL = "<plugin-package>"
PHASE = "discovery"


def io_error_text(error: BaseException) -> str:
    """The short, path-free word for an I/O error (spec §5.5)."""
    if isinstance(error, FileNotFoundError):
        return "not found"
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, FileExistsError):
        return "already exists"
    if isinstance(error, UnicodeError):
        return "invalid data"
    if isinstance(error, OSError) and error.errno in (errno.EINVAL, errno.ENAMETOOLONG):
        return "invalid input"
    if isinstance(error, ValueError):  # e.g. an embedded NUL in a path
        return "invalid input"
    return "I/O error"


def diagnostic(kind: str, message: str, phase: str = PHASE) -> DiagnosticError:
    """A problem with the package under review (`rejected`; `io` for an io diagnostic)."""
    return DiagnosticError(Diagnostic(kind=kind, phase=phase, message=message), error_kind=_kind(kind))


def _kind(diagnostic_kind: str) -> ErrorKind:
    return ErrorKind.IO if diagnostic_kind == "io" else ErrorKind.REJECTED


def io_failure(message: str, error: BaseException) -> DiagnosticError:
    return diagnostic("io", f"{message}: {io_error_text(error)}")


def materialize(
    files: Mapping[str, bytes],
    *,
    source: str,
    path: str,
    label: str,
    input_kind: str,
    limits: Limits = DEFAULT_LIMITS,
) -> Package:
    """Validate the root manifest and digest the files into a Package (spec §5.4)."""
    data = files.get(MANIFEST_FILE)
    if data is None:
        raise diagnostic("missing", "plugin package is missing root plugin.toml", "manifest")
    manifest = load_manifest(data, frozenset(files), file=MANIFEST_FILE, limits=limits)
    return Package(
        source=source,
        manifest=manifest,
        digest=package_digest(files),
        files=MappingProxyType(dict(files)),
        path=path,
        label=label,
        input_kind=input_kind,
    )


class _DirectoryReader:
    """One iterative walk of a package folder (engine.walk), enforcing §5.6 step 1 as it goes."""

    def __init__(self, root: Path, limits: Limits):
        self.root = root
        self.limits = limits
        self.files: dict[str, bytes] = {}
        self.total = 0

    def walk(self) -> None:
        entries = walk_entries(self.root)
        while True:
            try:
                entry, parts = next(entries, (None, ()))
                if entry is None:
                    return
                if entry.is_symlink():
                    raise diagnostic("traversal", "plugin directory contains a symlink entry")
                if entry.is_file(follow_symlinks=False):  # FIFOs, sockets, devices: ignored (spec §5.6)
                    self.add_file(entry, parts)
            except FolderTooDeep as error:
                raise diagnostic("bounds", f"plugin directory nests folders deeper than {error.depth} levels") from None
            except (OSError, ValueError) as error:
                raise io_failure("plugin directory could not be read", error) from None

    def add_file(self, entry: os.DirEntry, parts: tuple[str, ...]) -> None:
        if not Path(os.path.realpath(entry.path)).is_relative_to(self.root):
            raise diagnostic("traversal", "plugin directory file escapes the package root")
        relative = "/".join(parts)
        if archive_name(relative) is None:
            raise diagnostic("traversal", "plugin directory contains an unsafe relative path")
        if len(self.files) + 1 > self.limits.max_entries_per_package:
            raise diagnostic("bounds", "plugin directory contains more files than the configured bound")
        try:
            content = read_bounded(entry.path, self.limits.max_file_size_bytes, follow_symlinks=False)
        except ReadError as error:
            if error.kind == "bounds":
                raise diagnostic("bounds", "plugin directory file exceeds the configured per-file bound") from None
            raise diagnostic(error.kind, f"plugin directory could not be read: {error.reason}") from None
        self.total += len(content)
        if self.total > self.limits.max_expanded_size_bytes:
            raise diagnostic("bounds", "plugin directory expanded size exceeds the configured bound")
        self.files[relative] = content


def read_directory(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> dict[str, bytes]:
    """Read every regular file under a package folder; symlinks anywhere are rejected."""
    try:
        root = Path(path).resolve(strict=True)
    except (OSError, RuntimeError, ValueError) as error:
        raise io_failure("plugin directory could not be read", error) from None
    if not root.is_dir():
        raise diagnostic("malformed", "plugin directory input is not a directory")
    reader = _DirectoryReader(root, limits)
    reader.walk()
    return reader.files


def read_package_file(
    path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS, follow_symlinks: bool = True
) -> bytes:
    """Read a `.yoi-plugin` file after the regular-file and size checks of spec §5.5."""
    try:
        return read_bounded(path, limits.max_package_size_bytes, follow_symlinks=follow_symlinks)
    except ReadError as error:
        if error.kind == "bounds":
            raise diagnostic("bounds", "plugin package exceeds the configured package size bound") from None
        if error.kind == "malformed":
            raise diagnostic("malformed", "plugin package candidate is not a regular file") from None
        raise diagnostic(error.kind, f"plugin package metadata could not be read: {error.reason}") from None


def input_label(path: str | os.PathLike[str]) -> str:
    name = Path(path).name
    return name or Path(os.path.abspath(path)).name or DEFAULT_LABEL


def read_package_files(
    path: str | os.PathLike[str], *, directory: bool, limits: Limits = DEFAULT_LIMITS
) -> tuple[dict[str, bytes], str]:
    """The files of a package folder or `.yoi-plugin` archive, with the input kind to record."""
    if directory:
        return read_directory(path, limits), "directory"
    return read_archive(read_package_file(path, limits), limits), "package"


def load_package_path(
    path: str | os.PathLike[str], source: str = "project", limits: Limits = DEFAULT_LIMITS
) -> Package:
    """A folder is read as a directory package, anything else as a `.yoi-plugin` archive."""
    files, kind = read_package_files(path, directory=os.path.isdir(path), limits=limits)
    return materialize(files, source=source, path=str(path), label=input_label(path), input_kind=kind, limits=limits)
