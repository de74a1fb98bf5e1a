"""What checking a package's signatures and provenance found: statuses, never verdicts.

Kept apart from the checks (verify.py) so that an unsigned package without provenance, the
common case, is described without importing the envelope and statement parsers at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.diagnostics import bound_text

if TYPE_CHECKING:
    from engine.provenance.statements import BuildFacts

FILE_KEY = ""  # the key id of a status about the whole file

# Every status a signature can have, and what it means (docs/provenance.md shows this table; a
# test keeps the two in step).
SIGNATURE_STATUSES = {
    "valid": "verifies with a trusted key allowed to sign this package, over this package's digest",
    "missing": "no signature file was found",
    "unreadable": "the signature file could not be read",
    "malformed": "the signature file (or the statement it signs) is not what `yoi plugin sign` writes",
    "unknown_key": "the key is not among [[plugins.trust.keys]]",
    "invalid": "the signature does not verify with the trusted key: the envelope was altered or made with another key",
    "wrong_digest": "the signed statement names another package digest: the package changed after signing",
    "wrong_package": "the signed statement names another package id or version",
    "expired": "the trusted key's `expires` has passed",
    "not_allowed_for_package": "the trusted key's `packages` does not include this package id",
}
PROVENANCE_STATUSES = {
    "matches": "the provenance is about this package: its package and artifact digests are this package's",
    "missing": "no provenance file was found",
    "unreadable": "the provenance file could not be read",
    "malformed": "the provenance file is not what `yoi plugin build` writes",
    "wrong_digest": "the provenance is about another package digest or artifact",
}


@dataclass(frozen=True)
class SignatureResult:
    key_id: str  # FILE_KEY for a status about the whole file
    status: str
    detail: str  # why, in words for a reviewer (bounded)
    signer: str = ""  # the trusted key's name, when it has one


@dataclass(frozen=True)
class SignatureCheck:
    """The signatures of one package: where they were looked for, and each one's status."""

    path: str
    results: tuple[SignatureResult, ...]

    @property
    def valid(self) -> tuple[SignatureResult, ...]:
        return tuple(r for r in self.results if r.status == "valid")


@dataclass(frozen=True)
class ProvenanceCheck:
    path: str
    status: str
    detail: str
    build: BuildFacts | None = None  # only when the statement is about this package
    signatures: tuple[SignatureResult, ...] = ()  # when the file is a signed envelope


def missing(path: str) -> SignatureResult:
    """The status of a file that is not there (key id FILE_KEY)."""
    return SignatureResult(FILE_KEY, "missing", f"no file at {bound_text(path, 200)}")


@dataclass(frozen=True)
class KeylessResult:
    """The status of the bundle beside a package. `identity` and `issuer` are set once the
    bundle verified against the trusted root (the certificate's SAN and OIDC issuer)."""

    path: str
    status: str
    detail: str
    identity: str = ""
    issuer: str = ""
    signer: str = ""  # the trusted identity's name

    @property
    def verified(self) -> bool:
        """The bundle verified and is about this package: its identity is established."""
        return self.status in ("valid", "unknown_key", "not_allowed_for_package")
