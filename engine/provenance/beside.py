"""The files that travel beside a package, never inside it: its signature envelope, its Sigstore
bundle and its build provenance. A file inside would change the package digest it speaks about.

`pkg.yoi-plugin` has `pkg.yoi-plugin.sig`, `pkg.yoi-plugin.sigstore.json` and
`pkg.yoi-plugin.intoto.json`; a folder `pkg/` has `pkg.sig` and so on. A folder and the archive
`pack` makes of it have one digest, so `pack` carries the folder's files to the archive's names
(`carry`).
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.safe_read import ReadError, read_bounded

SIGNATURE_SUFFIX = ".sig"
PROVENANCE_SUFFIX = ".intoto.json"
SIGSTORE_SUFFIX = ".sigstore.json"  # a Sigstore bundle, as sigstore-python names them
SUFFIXES = (SIGNATURE_SUFFIX, PROVENANCE_SUFFIX, SIGSTORE_SUFFIX)
MAX_BESIDE_BYTES = 256 * 1024


def beside(package_path: str | os.PathLike[str], suffix: str) -> str:
    """`<package><suffix>` next to a package folder or archive (`pkg/` and `pkg/.` give `pkg.sig`)."""
    text = os.fspath(package_path)
    normal = os.path.normpath(text)
    if os.path.basename(normal) in ("", ".", ".."):
        normal = os.path.abspath(text)
    return normal + suffix


def carry(source_package: str | os.PathLike[str], target_package: str | os.PathLike[str]) -> list[str]:
    """Copy the files beside `source_package` to the same names beside `target_package` (each
    atomically, replacing what is there); returns the paths written. A file that cannot be read
    (a FIFO, a symlink, too large) is not carried; OSError when a copy cannot be written."""
    from engine.atomic_write import write_file

    written = []
    for suffix in SUFFIXES:
        source = beside(source_package, suffix)
        if not os.path.lexists(source):
            continue
        try:
            data = read_bounded(source, MAX_BESIDE_BYTES, follow_symlinks=False)
        except ReadError:
            continue
        target = beside(target_package, suffix)
        write_file(Path(target), data, 0o644)
        written.append(target)
    return written
