"""Bind enablement requests to discovered packages (spec §3.3) and grants to packages (§3.4).

Resolution fails closed: every enablement either yields one record or one diagnostic saying why
not. The same id listed twice resolves twice (no dedup), exactly like the reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from engine.diagnostics import Diagnostic, Subject, bound_bytes
from engine.grants.model import Enablement, Grants
from engine.grants.refs import PluginRef, RefError, parse_ref
from engine.package.model import SURFACES, Package, sort_surfaces

DIGEST_PREFIX = "sha256:"
MAX_RAW_REF_BYTES = 256

MISSING = "enabled plugin package was not discovered"
DUPLICATE = "enabled plugin package identity resolved to multiple discovered packages"
DIGEST_PIN = "enabled plugin digest pin does not match discovered package digest"
VERSION = "enabled plugin exact version requirement does not match discovered package version"

GRANT_ID_MISSING = "plugin grant is missing a source-qualified package id binding"
GRANT_ID_MISMATCH = "plugin grant package id binding does not match enabled package"
GRANT_ID_INVALID = "plugin grant package id binding is not a valid source-qualified plugin id"
GRANT_DIGEST_MISSING = "plugin grant is missing a deterministic digest binding"
GRANT_DIGEST_MISMATCH = "plugin grant digest binding does not match enabled package digest"
GRANT_VERSION_MISSING = "plugin grant is missing an exact package version binding"
GRANT_VERSION_MISMATCH = "plugin grant version binding does not match enabled package version"


@dataclass(frozen=True)
class ResolvedRecord:
    """An enablement bound to exactly one package; `config` is opaque (never print it)."""

    ref: str
    source: str
    package: Package
    enabled_surfaces: tuple[str, ...]
    grants: Grants
    config: Any = field(repr=False)
    enablement: Enablement = field(repr=False)

    @property
    def digest(self) -> str:
        return self.package.digest

    @property
    def version(self) -> str:
        return self.package.manifest.version


@dataclass(frozen=True)
class Resolution:
    records: tuple[ResolvedRecord, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()


def digest_matches(expected: str | None, actual: str | None) -> bool:
    """Both must carry the `sha256:` prefix and be byte-identical (so uppercase hex never matches)."""
    return (
        isinstance(expected, str)
        and isinstance(actual, str)
        and expected.startswith(DIGEST_PREFIX)
        and actual.startswith(DIGEST_PREFIX)
        and expected == actual
    )


def package_ref(package: Package) -> PluginRef:
    return PluginRef(package.source, package.manifest.id)


@dataclass(frozen=True)
class BindingProblem:
    """The first §3.4 binding failure of a grant: a stable code, the reference's message, and the
    enablement key it is about (where a report points)."""

    code: str
    message: str
    key: str


def binding_problem(grants: Grants, package: Package) -> BindingProblem | None:
    """§3.4: a non-empty grant must name this package's id, digest and version, checked in order.
    Resolution reports the first failure once; the rules do not repeat it."""
    if grants.is_empty:
        return None
    if grants.id is None:
        return BindingProblem("binding_id_missing", GRANT_ID_MISSING, "grants")
    try:
        if parse_ref(grants.id) != package_ref(package):
            return BindingProblem("binding_id_mismatch", GRANT_ID_MISMATCH, "grants.id")
    except RefError:
        return BindingProblem("binding_id_invalid", GRANT_ID_INVALID, "grants.id")
    if grants.digest is None:
        return BindingProblem("binding_digest_missing", GRANT_DIGEST_MISSING, "grants")
    if not digest_matches(grants.digest, package.digest):
        return BindingProblem("binding_digest_mismatch", GRANT_DIGEST_MISMATCH, "grants.digest")
    if grants.version is None:
        return BindingProblem("binding_version_missing", GRANT_VERSION_MISSING, "grants")
    if grants.version != package.manifest.version:
        return BindingProblem("binding_version_mismatch", GRANT_VERSION_MISMATCH, "grants.version")
    return None


def binding_error(grants: Grants, package: Package) -> str | None:
    """§3.4's message for the first binding failure of `grants`, or None when it binds."""
    problem = binding_problem(grants, package)
    return problem.message if problem else None


def resolve(enabled: Sequence[Enablement], packages: Sequence[Package]) -> Resolution:
    """§3.3: resolve each enablement in order into a record or a single diagnostic."""
    by_identity: dict[PluginRef, list[Package]] = {}
    for package in packages:
        by_identity.setdefault(package_ref(package), []).append(package)
    records: list[ResolvedRecord] = []
    diagnostics: list[Diagnostic] = []
    for enablement in enabled:
        outcome = _resolve_one(enablement, by_identity)
        if isinstance(outcome, ResolvedRecord):
            records.append(outcome)
        else:
            diagnostics.append(outcome)
    return Resolution(tuple(records), tuple(diagnostics))


def _enum_sorted(surfaces: Sequence[str]) -> tuple[str, ...]:
    """Deduplicated, in enum order; an unknown name (only possible when built in code) sorts last
    and is reported as undeclared rather than silently dropped."""
    return sort_surfaces(surfaces) + tuple(sorted(set(surfaces) - set(SURFACES)))


def _diagnostic(
    kind: str, message: str, enablement: Enablement, subject: Subject, key: str = "id", code: str = ""
) -> Diagnostic:
    """A resolution problem, located at the enablement key (`key`) it is about."""
    location = enablement.location_of(key)
    return Diagnostic(kind=kind, phase="resolution", message=message, code=code, location=location, subject=subject)


def _resolve_one(enablement: Enablement, by_identity: dict[PluginRef, list[Package]]) -> ResolvedRecord | Diagnostic:
    try:
        ref = parse_ref(enablement.id)
    except RefError as error:
        raw = bound_bytes(enablement.id, MAX_RAW_REF_BYTES)
        return _diagnostic(error.kind, error.message, enablement, Subject(ref=raw))
    found = by_identity.get(ref, [])
    if len(found) != 1:
        subject = Subject(ref=str(ref), source=ref.source)
        kind, message = ("duplicate", DUPLICATE) if found else ("missing", MISSING)
        return _diagnostic(kind, message, enablement, subject)
    package = found[0]
    subject = Subject(ref=str(ref), source=ref.source, label=package.label, digest=package.digest)
    if enablement.digest is not None and not digest_matches(enablement.digest, package.digest):
        return _diagnostic("digest", DIGEST_PIN, enablement, subject, "digest")
    if enablement.version is not None and enablement.version != package.manifest.version:
        return _diagnostic("version", VERSION, enablement, subject, "version")
    problem = binding_problem(enablement.grants, package)
    if problem is not None:
        return _diagnostic("grant", problem.message, enablement, subject, problem.key, problem.code)
    declared = package.manifest.declared_surfaces()
    selected = _enum_sorted(enablement.surfaces) if enablement.surfaces else declared
    for surface in selected:
        if surface not in declared:
            message = f"enabled plugin requested undeclared surface `{surface}`"
            key = f"surfaces[{enablement.surfaces.index(surface)}]"
            return _diagnostic("surface", message, enablement, replace(subject, surface=surface), key)
    return ResolvedRecord(
        ref=str(ref),
        source=ref.source,
        package=package,
        enabled_surfaces=selected,
        grants=enablement.grants,
        config=enablement.config,
        enablement=enablement,
    )
