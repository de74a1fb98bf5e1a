"""`pack`: a package folder into a deterministic `.yoi-plugin` archive (spec §5.6).

The folder is validated before anything is written, the archive is written atomically (a
temporary file in the target folder, then a rename) so a failure never leaves a partial package,
and the written file is re-read with full validation to produce the report.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from engine.package.archive import write_archive
from engine.package.limits import DEFAULT_LIMITS, Limits
from engine.package.materialize import (
    PACKAGE_SUFFIX,
    diagnostic,
    input_label,
    io_failure,
    load_package_path,
    materialize,
    read_directory,
)
from engine.package.model import Package

FALLBACK_NAME = "plugin"


def default_output(directory: Path) -> Path:
    """`<folder name>.yoi-plugin` beside the folder (`plugin.yoi-plugin` if it has no name)."""
    directory = Path(directory)
    if not directory.name or directory.name == "..":
        directory = Path(os.path.abspath(directory))
    name = directory.name or FALLBACK_NAME
    return directory.parent / f"{name}{PACKAGE_SUFFIX}"


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _refuse_special_output(output: Path) -> None:
    """Overwrite only a regular file: the rename would otherwise replace whatever entry is there,
    and as root `--output /dev/null` would swap the device node for an archive."""
    try:
        info = os.lstat(output)
    except FileNotFoundError:
        return
    except (OSError, ValueError) as error:
        raise io_failure("plugin package output could not be written", error) from None
    if not stat.S_ISREG(info.st_mode):
        raise diagnostic(
            "io",
            "plugin package output could not be written: it exists and is not a regular file "
            "(a folder, symlink, FIFO, device or socket is never replaced)",
        )


def _write_atomically(output: Path, data: bytes) -> None:
    parent = output.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        # mkdir says "exists" when a parent is a file: say what is actually in the way.
        raise diagnostic(
            "io",
            "plugin package output directory could not be created: a parent of the output is a file, not a directory",
        ) from None
    except (OSError, ValueError) as error:
        raise io_failure("plugin package output directory could not be created", error) from None
    _refuse_special_output(output)
    temp_name = None
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=parent)
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o666 & ~_current_umask())  # mkstemp makes it 0600
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, output)
        temp_name = None
    except (OSError, ValueError) as error:
        raise io_failure("plugin package output could not be written", error) from None
    finally:
        if temp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)


def pack_directory(
    directory: Path, output: Path | None = None, limits: Limits = DEFAULT_LIMITS
) -> tuple[Path, Package]:
    """Validate `directory`, write its archive to `output` and return (output, re-read package)."""
    files = read_directory(directory, limits)
    materialize(
        files,
        source="project",
        path=str(directory),
        label=input_label(directory),
        input_kind="directory",
        limits=limits,
    )
    data = write_archive(files, limits)
    target = Path(output) if output is not None else default_output(Path(directory))
    _write_atomically(target, data)
    return target, load_package_path(target, source="project", limits=limits)
