"""The trust settings a package's signatures are checked against: `[plugins.trust]` of the
enablement config (engine/grants/trust.py reads it; docs/provenance.md documents it).

Plain frozen records: the checks (verify.py, keyless.py) read them, the config reader makes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from engine.diagnostics import Location


def packages_allow(patterns: tuple[str, ...], package_id: str) -> bool:
    """A trust entry's `packages`: none allows every id; `acme.echo` that id; `acme.*` every id
    under `acme.` (not `acme` itself)."""
    return not patterns or any(package_id.startswith(p[:-1]) if p.endswith(".*") else package_id == p for p in patterns)


@dataclass(frozen=True)
class TrustedKey:
    """One `[[plugins.trust.keys]]` entry: a public key whose signatures count.

    `id` is the key id (`ed25519:<sha256 of the raw key>`, checked against the key when the config
    is read); `expires` (UTC) ends its trust; `packages` are the package ids it may sign (`acme.echo`
    exactly, or `acme.*` for every id under `acme.`), none meaning any; `name` says who holds it.
    """

    id: str
    public_key: bytes = field(repr=False)
    expires: datetime | None = None
    packages: tuple[str, ...] = ()
    name: str = ""
    location: Location | None = field(default=None, compare=False)

    def may_sign(self, package_id: str) -> bool:
        return packages_allow(self.packages, package_id)

    def expired(self, now: datetime) -> bool:
        return self.expires is not None and now >= self.expires


@dataclass(frozen=True)
class TrustedIdentity:
    """One `[[plugins.trust.sigstore.identities]]` entry: a Sigstore certificate identity (the
    SAN: a workflow URI or an e-mail), exact or, ending in `*`, a prefix; the OIDC issuer that
    must have vouched for it; the package ids it may sign; who it is."""

    identity: str
    issuer: str
    packages: tuple[str, ...] = ()
    name: str = ""

    def matches(self, identity: str, issuer: str) -> bool:
        if issuer != self.issuer:
            return False
        if self.identity.endswith("*"):
            return identity.startswith(self.identity[:-1])
        return identity == self.identity

    def may_sign(self, package_id: str) -> bool:
        return packages_allow(self.packages, package_id)


@dataclass(frozen=True)
class SigstoreTrust:
    """`[plugins.trust.sigstore]`: a pinned Sigstore trusted root (its JSON, read when the config
    was) and the identities whose keyless signatures count."""

    trusted_root: bytes = field(repr=False)
    root_file: str = ""
    identities: tuple[TrustedIdentity, ...] = ()


@dataclass(frozen=True)
class TrustSettings:
    """`[plugins.trust]`: which signing keys are trusted and whether a signature is required.

    `present` is False when the config has no such table: packages are then judged as before,
    and a signature found beside one is reported but counts for nothing (no key is trusted).
    """

    require_signature: bool = False
    keys: tuple[TrustedKey, ...] = ()
    present: bool = False
    sigstore: SigstoreTrust | None = None

    def key(self, key_id: str) -> TrustedKey | None:
        return next((k for k in self.keys if k.id == key_id), None)
