"""`yoi plugin verify --rebuild SRC`: build the sources again and compare with the package.

The source folder is read like a package folder (bounded, no symlinks), copied to a private
temporary folder and built there with `yoi plugin build`'s builder, so SRC itself is never
changed. The rebuilt folder's package digest is compared with the package's; when they differ,
the paths that differ are named (at most MAX_NAMED), which tells a non-reproducible artifact
(only the artifact and its build record differ) from a source that is not the package's.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from engine.errors import EngineError, ErrorKind
from engine.package.digest import package_digest
from engine.package.model import Package

MAX_NAMED = 20


class RebuildError(EngineError):
    """The sources could not be read (`input`) or did not build (the build's own kind)."""

    error_kind = ErrorKind.INPUT


@dataclass(frozen=True)
class Rebuild:
    source: str
    digest: str  # of the rebuilt folder
    matches: bool
    differing: tuple[str, ...]  # paths whose bytes differ, or that only one side has (first MAX_NAMED)
    differing_count: int
    builder: str


def rebuild_and_compare(source: str, package: Package, timeout: float) -> Rebuild:
    from engine.authoring.build import BuildError, build
    from engine.diagnostics import DiagnosticError
    from engine.package.materialize import read_directory

    try:
        files = read_directory(source)
    except DiagnosticError as error:
        raise RebuildError(f"the source folder cannot be read: {error.diagnostics[0].message}") from None
    with tempfile.TemporaryDirectory(prefix="yoi-rebuild-") as staging:
        root = Path(staging) / "package"
        for name, data in files.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        try:
            result = build(str(root), timeout)
        except BuildError as error:
            raise RebuildError(f"the rebuild failed: {error}", error_kind=error.error_kind) from None
        try:
            rebuilt = read_directory(root)
        except DiagnosticError as error:
            raise RebuildError(
                f"the rebuilt folder cannot be read: {error.diagnostics[0].message}", error_kind=ErrorKind.FAILED
            ) from None
    digest = package_digest(rebuilt)
    differing = sorted(
        name for name in set(rebuilt) | set(package.files) if _sha(rebuilt.get(name)) != _sha(package.files.get(name))
    )
    return Rebuild(
        source,
        digest,
        digest == package.digest,
        tuple(differing[:MAX_NAMED]),
        len(differing),
        result.builder,
    )


def _sha(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()
