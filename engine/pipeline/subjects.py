"""Turn what the user pointed at into Subjects: one package (`check`) or a workspace (`list`).

This joins the package layer (materialization, discovery) with the grants layer (config and
resolution) and attaches every discovery/resolution diagnostic to the reference it concerns
(spec §4.3 steps 1-4), so that the rules see one record per reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from engine.diagnostics import Diagnostic, DiagnosticError
from engine.grants.model import Enablement, EnablementConfig, Grants
from engine.grants.refs import try_parse_ref
from engine.grants.resolve import resolve
from engine.graph.inputs import Subject
from engine.package.model import Package
from engine.provenance.inspect import inspect_package
from engine.provenance.trust import TrustSettings

GLOBAL_REF = "<global>"


def assumed_grants(package: Package, ref: str) -> Grants:
    """Grants bound to the package that give exactly what it requests, with no allowlists."""
    return Grants(
        id=ref, version=package.manifest.version, digest=package.digest, permissions=tuple(package.manifest.permissions)
    )


def check_subject(path: str | Path, config: EnablementConfig | None = None, package: Package | None = None) -> Subject:
    """The subject `yoi plugin check PATH [--grants FILE]` judges.

    Without a config the package is judged as if granted what it requests (every declared
    surface enabled); with one, by the enablement for its ref, resolved as the host would.
    A package that cannot be materialized becomes a subject with its diagnostic and no package.
    `package`: PATH already loaded by the caller (`yoi plugin dev`), so it is not read twice.
    """
    from engine.package.materialize import load_package_path

    try:
        package = package or load_package_path(path, source="project")
    except DiagnosticError as error:
        # Name it by its manifest id when that much was readable, else by the file name.
        label = getattr(error, "local_id", None) or Path(path).name
        return Subject(
            ref=f"project:{label}",
            mode="check",
            configured=True,
            package_present=True,
            package_path=str(path),
            source="project",
            diagnostics=tuple(error.diagnostics),
        )
    ref = package.identity
    trust = config.trust if config is not None else TrustSettings()
    if config is None:
        return Subject(
            ref=ref,
            mode="check",
            package=package,
            source=package.source,
            grants=assumed_grants(package, ref),
            grants_assumed=True,
            enabled_surfaces=package.manifest.declared_surfaces(),
            configured=True,
            resolved=True,
            package_present=True,
            package_path=str(path),
            trust=inspect_package(package, trust, package_path=str(path)),
        )
    matches = [(e, r) for e in config.enabled if (r := try_parse_ref(e.id)) and r.local_id == package.manifest.id]
    if not matches:
        return Subject(
            ref=ref,
            mode="check",
            package=package,
            source=package.source,
            package_present=True,
            package_path=str(path),
            trust=inspect_package(package, trust, package_path=str(path)),
        )
    enablement, enabled_ref = next(((e, r) for e, r in matches if e.id == ref), matches[0])
    # Judge the package under the enablement's own source, so its id binding applies as written.
    package = replace(package, source=enabled_ref.source)
    resolution = resolve([replace(enablement)], [package])
    checked = inspect_package(package, trust, package_path=str(path), signature_path=enablement.signature)
    subject = _subject_from(package.identity, "check", package, resolution, enablement, str(path))
    return replace(subject, trust=checked, **config_inputs(config, enablement, subject.ref))


def config_inputs(config: EnablementConfig, enablement: Enablement | None, ref: str) -> dict:
    """What a subject takes from the config besides its enablement: the keys written in
    `[plugins]` and in the enablement (docs/targets.md `config_table_key`), and whether the config's
    resolved plan holds its ref."""
    written = enablement.written if enablement is not None else ()
    return {
        "config_table_keys": tuple(("plugins", key) for key in config.plugins_keys) + written,
        "resolved_plan": ref in config.resolved_refs,
    }


def _subject_from(ref, mode, package, resolution, enablement, path) -> Subject:
    if resolution.records:
        record = resolution.records[0]
        return Subject(
            ref=ref,
            mode=mode,
            package=package,
            source=package.source,
            enablement=enablement,
            grants=record.grants,
            enabled_surfaces=record.enabled_surfaces,
            configured=True,
            resolved=True,
            package_present=True,
            package_path=path,
            config=record.config,
        )
    return Subject(
        ref=ref,
        mode=mode,
        package=package,
        source=package.source,
        enablement=enablement,
        grants=enablement.grants,
        configured=True,
        package_present=True,
        package_path=path,
        diagnostics=tuple(resolution.diagnostics),
    )


@dataclass
class _Item:
    ref: str
    package: Package | None = None
    source: str | None = None
    enablement: Enablement | None = None
    grants: Grants | None = None
    enabled_surfaces: tuple = ()
    configured: bool = False
    resolved: bool = False
    package_present: bool = False
    package_path: str | None = None
    config: object = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def subject(self) -> Subject:
        return Subject(
            ref=self.ref,
            mode="workspace",
            package=self.package,
            source=self.source,
            enablement=self.enablement,
            grants=self.grants,
            enabled_surfaces=self.enabled_surfaces,
            configured=self.configured,
            resolved=self.resolved,
            package_present=self.package_present,
            package_path=self.package_path,
            config=self.config,
            diagnostics=tuple(self.diagnostics),
        )


def workspace_subjects(workspace: Path, config: EnablementConfig, discovery) -> tuple[Subject, ...]:
    """Spec §4.3 steps 1-4: one subject per discovered package, enablement and diagnostic key.
    With a resolved plan in the config (a lock, §3.7) its records are the resolution."""
    items: dict[str, _Item] = {}

    def item(ref: str) -> _Item:
        return items.setdefault(ref, _Item(ref=ref))

    for package in discovery.packages:
        entry = item(package.identity)
        if entry.package is None:
            entry.package = package
        entry.source, entry.package_present, entry.package_path = package.source, True, str(package.path)
    for enablement in config.enabled:
        entry = item(enablement.id)
        entry.configured, entry.enablement, entry.grants = True, enablement, enablement.grants
        entry.enabled_surfaces = tuple(enablement.surfaces)
        ref = try_parse_ref(enablement.id)
        if ref is None:
            continue
        entry.source = entry.source or ref.source
        if entry.package_path is None:
            entry.package_path = str(_default_package_path(workspace, ref))
    if config.lock is None:
        resolution = resolve(config.enabled, discovery.packages)
    else:  # spec §3.7: a resolved plan is used as it is, never resolved again
        from engine.grants.lock import locked_resolution

        resolution = locked_resolution(config.lock, workspace, config.enabled)
        for locked in config.lock.records:
            entry = item(locked.ref)
            entry.configured, entry.source = True, locked.source
            entry.package_path = entry.package_path or locked.package_path
            entry.enablement = entry.enablement or locked.enablement
            entry.grants = entry.grants or locked.grants
    for record in resolution.records:
        entry = item(record.ref)
        entry.package, entry.grants, entry.enabled_surfaces = record.package, record.grants, record.enabled_surfaces
        entry.configured = entry.resolved = entry.package_present = True
        entry.enablement, entry.config = record.enablement, record.config
    for diagnostic in (*discovery.diagnostics, *resolution.diagnostics):
        _attach(items, item, diagnostic)
    subjects = (_with_trust(items[key].subject(), config.trust) for key in sorted(items))
    return tuple(
        replace(subject, **config_inputs(config, subject.enablement, subject.ref)) if subject.configured else subject
        for subject in subjects
    )


def _with_trust(subject: Subject, trust: TrustSettings) -> Subject:
    """The subject with its package's signatures and provenance checked. Files beside a package
    in a store are not followed through symlinks; a signature path the config names is."""
    if subject.package is None:
        return subject
    enablement = subject.enablement
    checked = inspect_package(
        subject.package,
        trust,
        signature_path=enablement.signature if enablement is not None else None,
        follow_symlinks=False,
    )
    return replace(subject, trust=checked)


def _attach(items, item, diagnostic: Diagnostic) -> None:
    subject = diagnostic.subject
    if subject is not None and subject.ref:
        entry = item(subject.ref)
        if subject.source and subject.label:
            entry.package_present = True
    elif subject is not None and subject.source and subject.label:
        entry = item(f"{subject.source}:{subject.label.removesuffix('.yoi-plugin')}")
        entry.package_present = True
        entry.source = subject.source
    else:
        entry = item(GLOBAL_REF)
    entry.diagnostics.append(diagnostic)


def _default_package_path(workspace: Path, ref) -> Path:
    """Where the package of an enabled ref would be (spec §4.3 step 2); `builtin:` has no store."""
    from engine.package.discovery import default_user_data_home, project_store_path, user_store_path

    if ref.source == "project":
        return project_store_path(workspace) / f"{ref.local_id}.yoi-plugin"
    if ref.source == "user":
        home = default_user_data_home()
        base = user_store_path(home) if home else Path("<unavailable-user-data-dir>/yoi/plugins")
        return base / f"{ref.local_id}.yoi-plugin"
    return Path("<builtin>") / f"{ref.local_id}.yoi-plugin"
