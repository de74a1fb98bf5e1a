"""The resolved plan of a config, the "lock" (spec §3.7): `[[plugins.resolved]]` records and the
`[[plugins.diagnostics]]` recorded with them.

A config with a resolved plan starts exactly its records, without resolving `enabled` again, so
an unpinned enablement cannot silently follow a replaced package: `locked_resolution` re-reads
each record's package and refuses it, with the reference's wording, when it is gone or its
digest no longer matches. `yoi plugin lock` writes the plan (engine/grants/lock_file.py).

Records are written in the reference's shape (`identity`, `source`, `package_path`,
`package_label`, `digest`, `version`, `manifest`, `enabled_surfaces`, `grants`, `config`) plus
the engine's own `limits` and `restart`. A project package's path is written relative to the
workspace, so a lock committed with the workspace works in any checkout of it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.diagnostics import Diagnostic, DiagnosticError, Location, Subject
from engine.grants.model import Enablement, Grants
from engine.grants.resolve import Resolution, ResolvedRecord
from engine.package.archive import read_archive
from engine.package.digest import RESOLVED_DIGEST_MISMATCH
from engine.package.limits import DEFAULT_LIMITS
from engine.package.materialize import materialize
from engine.package.toml_input import toml_to_json
from engine.safe_read import ReadError, read_bounded

DIGEST_MISMATCH = RESOLVED_DIGEST_MISMATCH
NOT_LOCKED = "enabled plugin is not in this config's resolved plan (`[[plugins.resolved]]`); run `yoi plugin lock`"
PHASE = "resolution"


@dataclass(frozen=True)
class LockedRecord:
    """One `[[plugins.resolved]]` record: exactly which package bytes an enablement resolved to."""

    source: str
    local_id: str
    package_path: str
    package_label: str
    digest: str
    version: str
    enabled_surfaces: tuple[str, ...]
    grants: Grants
    config: Any = field(default=None, repr=False)  # may hold secrets: never print it
    manifest: Mapping[str, Any] = field(default_factory=dict, repr=False)
    limits: tuple[tuple[str, int], ...] = ()
    restart: tuple[tuple[str, int], ...] = ()
    enablement: Enablement | None = field(default=None, compare=False, repr=False)

    @property
    def ref(self) -> str:
        return f"{self.source}:{self.local_id}"

    def to_table(self) -> dict[str, Any]:
        """The record as written (None values are left out: TOML has no null)."""
        table: dict[str, Any] = {
            "identity": {"source": self.source, "local_id": self.local_id},
            "source": self.source,
            "package_path": self.package_path,
            "package_label": self.package_label,
            "digest": self.digest,
            "version": self.version,
            "enabled_surfaces": list(self.enabled_surfaces),
        }
        if self.config is not None:
            table["config"] = self.config
        if self.limits:
            table["limits"] = dict(self.limits)
        if self.restart:
            table["restart"] = dict(self.restart)
        table["grants"] = grants_table(self.grants)
        table["manifest"] = dict(self.manifest)
        return table


@dataclass(frozen=True)
class LockedDiagnostic:
    """One `[[plugins.diagnostics]]` entry (spec §3.7 diagnostic record)."""

    kind: str
    phase: str
    message: str
    source: str | None = None
    identity: str | None = None
    package: str | None = None
    digest: str | None = None

    def to_table(self) -> dict[str, Any]:
        table = {"kind": self.kind, "phase": self.phase}
        for name in ("source", "identity", "package", "digest"):
            if getattr(self, name) is not None:
                table[name] = getattr(self, name)
        table["message"] = self.message
        return table

    def diagnostic(self) -> Diagnostic:
        subject = Subject(ref=self.identity, source=self.source, label=self.package, digest=self.digest)
        return Diagnostic(kind=self.kind, phase=self.phase, message=self.message, subject=subject)


@dataclass(frozen=True)
class Lock:
    records: tuple[LockedRecord, ...] = ()
    diagnostics: tuple[LockedDiagnostic, ...] = ()

    def covers(self, ref: str) -> bool:
        """Whether the plan says something about `ref`: a record, or a diagnostic naming it."""
        return any(r.ref == ref for r in self.records) or any(d.identity == ref for d in self.diagnostics)


def grants_table(grants: Grants) -> dict[str, Any]:
    """Grants as a config writes them: the binding keys that are set, the permissions, and each
    host API's entries in the form its `from_table` reads back (an fs root as written)."""
    table = {key: value for key, value in grants.to_dict().items() if value is not None}
    return table | {api: [entry.to_table() for entry in entries] for api, entries in grants.tables.items}


# ---- reading a lock from a parsed (schema-valid) `[plugins]` table ------------------------------


def lock_from_table(
    plugins: Mapping[str, Any],
    grants_of: Any,
    entry_locations: Any,
) -> Lock | None:
    """The lock of a schema-valid `[plugins]` table, or None when it has none (§3.7: a plan
    exists when `resolved` or `diagnostics` is non-empty). `grants_of` turns a grants table into
    Grants; `entry_locations(path)` gives the key positions of a record for its diagnostics."""
    resolved, recorded = plugins.get("resolved", []), plugins.get("diagnostics", [])
    if not resolved and not recorded:
        return None
    records = []
    for index, table in enumerate(resolved):
        identity = table["identity"]
        grants = grants_of(table.get("grants", {}))
        config = toml_to_json(table["config"], non_finite_as_text=True) if "config" in table else None
        keys = entry_locations(f"plugins.resolved[{index}]")
        surfaces = tuple(table.get("enabled_surfaces", ()))
        limits = tuple(table.get("limits", {}).items())
        restart = tuple(table.get("restart", {}).items())
        ref = f"{identity['source']}:{identity['local_id']}"
        enablement = Enablement(
            id=ref,
            version=table["version"],
            digest=table["digest"],
            surfaces=surfaces,
            grants=grants,
            config=config,
            location=keys.get(""),
            keys=keys,
            limits=limits,
            restart=restart,
        )
        records.append(
            LockedRecord(
                source=identity["source"],
                local_id=identity["local_id"],
                package_path=table["package_path"],
                package_label=table.get("package_label", Path(table["package_path"]).name),
                digest=table["digest"],
                version=table["version"],
                enabled_surfaces=surfaces,
                grants=grants,
                config=config,
                manifest=toml_to_json(table.get("manifest", {}), non_finite_as_text=True),
                limits=limits,
                restart=restart,
                enablement=enablement,
            )
        )
    diagnostics = tuple(
        LockedDiagnostic(
            kind=d["kind"],
            phase=d["phase"],
            message=d["message"],
            source=d.get("source"),
            identity=d.get("identity"),
            package=d.get("package"),
            digest=d.get("digest"),
        )
        for d in recorded
    )
    return Lock(tuple(records), diagnostics)


# ---- making a lock from a fresh resolution ---------------------------------------------------


def written_path(package_path: str, source: str, workspace: Path) -> str:
    """A project package's path relative to the workspace (portable); others absolute."""
    absolute = Path(os.path.abspath(package_path))
    if source == "project":
        try:
            return absolute.relative_to(Path(os.path.abspath(workspace))).as_posix()
        except ValueError:
            pass
    return str(absolute)


def manifest_table(files: Mapping[str, bytes]) -> dict[str, Any]:
    """The manifest as written in the package (it parsed when the package was materialized)."""
    return toml_to_json(tomllib.loads(files["plugin.toml"].decode("utf-8")), non_finite_as_text=True)


def make_lock(workspace: Path, discovery: Any, resolution: Resolution) -> Lock:
    """Spec §3.7: the records of `resolution`, and every discovery diagnostic (unrelated packages
    included) followed by the resolution diagnostics."""
    records = tuple(
        LockedRecord(
            source=r.source,
            local_id=r.package.manifest.id,
            package_path=written_path(r.package.path, r.source, workspace),
            package_label=r.package.label,
            digest=r.digest,
            version=r.version,
            enabled_surfaces=r.enabled_surfaces,
            grants=r.grants,
            config=r.config,
            manifest=manifest_table(r.package.files),
            limits=r.enablement.limits,
            restart=r.enablement.restart,
        )
        for r in resolution.records
    )
    diagnostics = tuple(
        LockedDiagnostic(
            kind=d.kind,
            phase=d.phase,
            message=d.message,
            source=d.subject.source if d.subject else None,
            identity=d.subject.ref if d.subject else None,
            package=d.subject.label if d.subject else None,
            digest=d.subject.digest if d.subject else None,
        )
        for d in (*discovery.diagnostics, *resolution.diagnostics)
    )
    return Lock(records, diagnostics)


# ---- using a lock: re-read each record's package, never resolve again -----------------------


def _store_for(source: str, workspace: Path) -> Path | None:
    from engine.package.discovery import default_user_data_home, project_store_path, user_store_path

    if source == "project":
        return project_store_path(workspace)
    home = default_user_data_home() if source == "user" else None
    return user_store_path(home) if home is not None else None


def _refusal(record: LockedRecord, kind: str, message: str, digest: str | None = None) -> Diagnostic:
    subject = Subject(ref=record.ref, source=record.source, label=record.package_label, digest=digest or record.digest)
    location = record.enablement.location if record.enablement else None
    return Diagnostic(kind=kind, phase=PHASE, message=message, location=location, subject=subject)


def _unreadable(record: LockedRecord, reason: str) -> Diagnostic:
    return _refusal(record, "io", f"resolved plugin package metadata could not be read: {reason}")


def _verified(record: LockedRecord, workspace: Path) -> ResolvedRecord | Diagnostic:
    """The record's package as it is now, if it is still the package the plan approved."""
    store = _store_for(record.source, workspace)
    path = Path(record.package_path)
    if not path.is_absolute():
        path = workspace / path
    try:
        real, root = os.path.realpath(path), os.path.realpath(store) if store is not None else None
    except ValueError:  # a NUL byte in the recorded path
        return _unreadable(record, "invalid input")
    if root is None or not Path(real).is_relative_to(root):
        return _refusal(record, "traversal", "resolved plugin package path escapes its source store")
    try:
        # the resolved path, checked to be in the store above; a symlink swapped in since is refused
        data = read_bounded(real, DEFAULT_LIMITS.max_package_size_bytes, follow_symlinks=False)
    except ReadError as error:
        if error.kind == "bounds":
            return _refusal(record, "bounds", "resolved plugin package exceeds the configured package size bound")
        if error.kind == "malformed":
            return _refusal(record, "malformed", "resolved plugin package is not a regular file")
        return _unreadable(record, error.reason)
    try:
        files = read_archive(data)
        package = materialize(files, source=record.source, path=str(path), label=path.name, input_kind="package")
    except DiagnosticError as error:
        first = error.diagnostics[0]
        return _refusal(record, first.kind, f"resolved plugin package could not be read: {first.message}")
    if package.digest != record.digest:
        return _refusal(record, "digest", DIGEST_MISMATCH, package.digest)
    if package.manifest.id != record.local_id or package.manifest.version != record.version:
        return _refusal(record, "malformed", "resolved plugin record names another package than its digest")
    enablement = record.enablement or Enablement(id=record.ref, grants=record.grants, config=record.config)
    return ResolvedRecord(
        ref=record.ref,
        source=record.source,
        package=package,
        enabled_surfaces=record.enabled_surfaces,
        grants=record.grants,
        config=record.config,
        enablement=enablement,
    )


def locked_resolution(lock: Lock, workspace: Path, enabled: Sequence[Enablement] = ()) -> Resolution:
    """The resolution a lock stands for: its records whose packages still have the approved
    digest, a refusal for each that does not, the recorded resolution diagnostics, and, for each
    enablement the plan says nothing about, that it is not locked (it does not start)."""
    records: list[ResolvedRecord] = []
    diagnostics: list[Diagnostic] = []
    for record in lock.records:
        outcome = _verified(record, workspace)
        (records if isinstance(outcome, ResolvedRecord) else diagnostics).append(outcome)  # type: ignore[arg-type]
    diagnostics += [d.diagnostic() for d in lock.diagnostics if d.phase == PHASE]
    for enablement in enabled:
        if not lock.covers(enablement.id):
            location: Location | None = enablement.location_of("id")
            subject = Subject(ref=enablement.id, source=enablement.id.partition(":")[0] or None)
            diagnostics.append(
                Diagnostic(kind="missing", phase=PHASE, message=NOT_LOCKED, location=location, subject=subject)
            )
    return Resolution(tuple(records), tuple(diagnostics))
