"""Package discovery over the user and project stores (spec §5.5).

There is no builtin store, as in the reference: `builtin:<id>` parses but is never discovered, so
enabling it is `missing`. The bundled examples are packages of `examples/workspace`'s project
store, not a hidden third store every workspace sees.

Every failure is a diagnostic about one candidate (or one store) and never stops the others: a
bad package must not hide good ones. Nothing here runs plugin code.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.diagnostics import Diagnostic, DiagnosticError, Subject
from engine.package.digest import package_digest
from engine.package.limits import DEFAULT_LIMITS, Limits
from engine.package.manifest import ManifestError
from engine.package.materialize import (
    DEFAULT_LABEL,
    PACKAGE_SUFFIX,
    diagnostic,
    io_error_text,
    materialize,
    read_package_files,
)
from engine.package.model import SOURCES, Package

PHASE = "discovery"


class _FromEnvironment:
    """Sentinel default: derive the user store's location from the environment.

    Passing None instead disables that store, which tests and embedding hosts need."""

    def __repr__(self) -> str:
        return "FROM_ENVIRONMENT"


FROM_ENVIRONMENT = _FromEnvironment()


@dataclass(frozen=True)
class Discovery:
    packages: tuple[Package, ...]
    diagnostics: tuple[Diagnostic, ...]


@dataclass(frozen=True)
class _Store:
    source: str
    path: Path


def default_user_data_home() -> Path | None:
    """$XDG_DATA_HOME, else $HOME/.local/share, else None (no user store)."""
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg:
        return Path(xdg)
    home = os.environ.get("HOME")
    if home:
        return Path(home) / ".local" / "share"
    return None


def user_store_path(user_data_home: Path) -> Path:
    return Path(user_data_home) / "yoi" / "plugins"


def project_store_path(workspace: Path) -> Path:
    return Path(workspace) / ".yoi" / "plugins"


def _stores(workspace, user_data_home) -> list[_Store]:
    if user_data_home is FROM_ENVIRONMENT:
        user_data_home = default_user_data_home()
    stores = []
    if user_data_home is not None:
        stores.append(_Store("user", user_store_path(user_data_home)))
    if workspace is not None:
        stores.append(_Store("project", project_store_path(workspace)))
    return stores


def store_paths(
    workspace: Path | None, user_data_home: Path | _FromEnvironment | None = FROM_ENVIRONMENT
) -> tuple[Path, ...]:
    """The folders `discover` reads packages from (the host protects them from plugins)."""
    return tuple(store.path for store in _stores(workspace, user_data_home))


def _error(kind: str, message: str, subject: Subject) -> Diagnostic:
    return Diagnostic(kind=kind, phase=PHASE, message=message, subject=subject)


class _StoreScan:
    """Scan one store; collects packages and diagnostics."""

    def __init__(self, store: _Store, limits: Limits, progress=None):
        self.store = store
        self.limits = limits
        self.progress = progress
        self.packages: list[Package] = []
        self.diagnostics: list[Diagnostic] = []

    def run(self) -> None:
        source = self.store.source
        try:
            root = self.store.path.resolve(strict=True)
        except FileNotFoundError:
            return
        except (OSError, RuntimeError, ValueError) as error:
            self._store_error(f"plugin store could not be read: {io_error_text(error)}")
            return
        try:
            candidates = sorted(self._candidates(root))
        except (OSError, ValueError) as error:
            self._store_error(f"plugin store could not be listed: {io_error_text(error)}")
            return
        bound = self.limits.max_packages_per_store
        if len(candidates) > bound:
            self._store_error("plugin store contains more packages than the configured discovery bound", kind="bounds")
            candidates = candidates[:bound]
        if self.progress is not None:
            self.progress.add(len(candidates))
        for candidate in candidates:
            label = candidate.name or DEFAULT_LABEL
            try:
                self.packages.append(self._load(root, candidate, label))
            except DiagnosticError as error:
                for diag in error.diagnostics:
                    self.diagnostics.append(_attach(diag, source=source, label=label))
            if self.progress is not None:
                self.progress.advance(1)

    def _store_error(self, message: str, kind: str = "io") -> None:
        self.diagnostics.append(_error(kind, message, Subject(source=self.store.source)))

    def _candidates(self, root: Path) -> Iterator[Path]:
        with os.scandir(root) as entries:
            for entry in entries:
                path = Path(entry.path)
                if path.suffix == PACKAGE_SUFFIX and path.stem:
                    yield path

    def _load(self, root: Path, candidate: Path, label: str) -> Package:
        try:
            canonical = candidate.resolve(strict=True)
        except (OSError, RuntimeError, ValueError) as error:
            raise diagnostic("io", f"plugin package could not be read: {io_error_text(error)}") from None
        if not canonical.is_relative_to(root):
            raise diagnostic("traversal", "plugin package path escapes its source store")
        files, kind = read_package_files(canonical, directory=False, limits=self.limits)
        try:
            return materialize(
                files, source=self.store.source, path=str(candidate), label=label, input_kind=kind, limits=self.limits
            )
        except DiagnosticError as error:
            # Spec §1.3: once the manifest's id is known to be safe, diagnostics carry the identity.
            local_id = error.local_id if isinstance(error, ManifestError) else None
            ref = f"{self.store.source}:{local_id}" if local_id else None
            digest = package_digest(files)
            attached = [_attach(d, ref=ref, digest=digest) for d in error.diagnostics]
            raise DiagnosticError(attached, error_kind=error.error_kind) from None


def _attach(diag: Diagnostic, **fields) -> Diagnostic:
    """Fill subject fields the stage that raised did not know (never overwrite)."""
    current = diag.subject or Subject()
    missing = {k: v for k, v in fields.items() if getattr(current, k) is None and v is not None}
    return diag.with_subject(**missing) if missing else diag


def _sort_key(package: Package) -> tuple:
    return (SOURCES.index(package.source), package.manifest.id, package.digest, package.label)


def discover(
    workspace: Path | None,
    *,
    user_data_home: Path | _FromEnvironment | None = FROM_ENVIRONMENT,
    limits: Limits = DEFAULT_LIMITS,
    progress=None,
) -> Discovery:
    """Discover packages in the user and project stores (None disables a store).
    `progress` (engine.cli.progress.Progress or alike) is told of each package read.

    Duplicate identities are reported once per identity and all stay listed, so enabling one of
    them fails as ambiguous instead of silently picking a winner."""
    packages: list[Package] = []
    diagnostics: list[Diagnostic] = []
    for store in _stores(workspace, user_data_home):
        scan = _StoreScan(store, limits, progress)
        scan.run()
        packages += scan.packages
        diagnostics += scan.diagnostics
    packages.sort(key=_sort_key)
    counts = Counter(p.identity for p in packages)
    seen: set[str] = set()
    for package in packages:
        if counts[package.identity] > 1 and package.identity not in seen:
            seen.add(package.identity)
            diagnostics.append(
                _error(
                    "duplicate",
                    "duplicate plugin package identity in one source store",
                    Subject(ref=package.identity, source=package.source),
                )
            )
    return Discovery(tuple(packages), tuple(diagnostics))
