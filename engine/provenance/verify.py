"""Check a package's signature envelope and build provenance against the trust settings.

The outcome is statuses, never a verdict: rules/signatures.rules reads them as facts and decides.
The package digest compared is the one materialization computed from the package's own files;
what an envelope or statement says about the package is only ever compared with it.

Per signature, in this order (the first that applies is the status):
  unknown_key   its key id is not among the trusted keys (nothing more can be checked)
  invalid       the Ed25519 signature does not verify over the envelope (payload type + payload)
  malformed     it verifies, but the payload is not a package statement
  wrong_digest  the statement is for another package digest (the package changed after signing,
                or the signature belongs to another package)
  wrong_package the statement's id or version is not the package's
  expired       the key's `expires` has passed
  not_allowed_for_package  the key's `packages` does not cover the package id
  valid
For the file as a whole (key id ""): missing, unreadable, malformed.

`cryptography` is imported only when a signature names a trusted key.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from engine.diagnostics import bound_text
from engine.package.model import Package
from engine.provenance.dsse import (
    MAX_ENVELOPE_BYTES,
    Envelope,
    EnvelopeProblem,
    envelope_from_json,
    is_envelope,
    pae,
    strict_json,
)
from engine.provenance.model import (
    FILE_KEY,
    PROVENANCE_STATUSES,
    SIGNATURE_STATUSES,
    ProvenanceCheck,
    SignatureCheck,
    SignatureResult,
    missing,
)
from engine.provenance.statements import BuildFacts, PackageClaim, parse_package_statement, provenance_from_json
from engine.provenance.trust import TrustSettings
from engine.safe_read import ReadError, read_bounded


@dataclass(frozen=True)
class Problem:
    """What is wrong with a signed statement, for every signature over it."""

    status: str
    detail: str


def _read(path: str, follow_symlinks: bool) -> bytes | SignatureResult:
    if not os.path.lexists(path):
        return missing(path)
    try:
        return read_bounded(path, MAX_ENVELOPE_BYTES, follow_symlinks=follow_symlinks)
    except ReadError as error:
        return SignatureResult(FILE_KEY, "unreadable", f"the file could not be read: {error.reason}")


def _short(digest: str) -> str:
    return digest[: len("sha256:") + 16] + "…" if len(digest) > 24 else digest


class _Verifier:
    """The per-signature checks over one envelope, shared by signatures and signed provenance."""

    def __init__(self, trust: TrustSettings, package_id: str, now: datetime):
        self.trust = trust
        self.package_id = package_id
        self.now = now

    def key_status(self, envelope: Envelope, signature) -> SignatureResult | None:
        """The status decided by the key alone (unknown, invalid, expired...), or None when the
        signature verifies with a trusted key that may sign this package now."""
        key = self.trust.key(signature.keyid)
        if key is None:
            return SignatureResult(signature.keyid, "unknown_key", SIGNATURE_STATUSES["unknown_key"])
        from engine.provenance.keys import verify_signature

        if not verify_signature(key.public_key, signature.sig, pae(envelope.payload_type, envelope.payload)):
            return SignatureResult(signature.keyid, "invalid", SIGNATURE_STATUSES["invalid"], key.name)
        return None

    def policy_status(self, key_id: str) -> SignatureResult:
        key = self.trust.key(key_id)
        assert key is not None  # key_status passed
        if key.expired(self.now):
            when = key.expires.isoformat() if key.expires else ""
            return SignatureResult(key_id, "expired", f"the trusted key expired at {when}", key.name)
        if not key.may_sign(self.package_id):
            allowed = ", ".join(key.packages)
            return SignatureResult(
                key_id,
                "not_allowed_for_package",
                bound_text(f"the trusted key may sign only {allowed}, not {self.package_id}", 300),
                key.name,
            )
        return SignatureResult(key_id, "valid", SIGNATURE_STATUSES["valid"], key.name)

    def each(self, envelope: Envelope, statement: Callable[[], Problem | None]) -> tuple[SignatureResult, ...]:
        """Every signature's status. The payload is judged (`statement()`, None: it is fine) only
        once a signature over it verifies, as DSSE asks: nothing unauthenticated is parsed."""
        results = []
        judged: list[Problem | None] = []
        for signature in envelope.signatures:
            status = self.key_status(envelope, signature)
            if status is None:
                if not judged:
                    judged.append(statement())
                problem = judged[0]
                if problem is None:
                    status = self.policy_status(signature.keyid)
                else:
                    key = self.trust.key(signature.keyid)
                    status = SignatureResult(signature.keyid, problem.status, problem.detail, key.name if key else "")
            results.append(status)
        return tuple(results)


def check_signature(
    package: Package,
    path: str,
    trust: TrustSettings,
    *,
    follow_symlinks: bool = True,
    now: datetime | None = None,
) -> SignatureCheck:
    """The statuses of the signatures in the envelope at `path` for `package`."""
    data = _read(path, follow_symlinks)
    if isinstance(data, SignatureResult):
        return SignatureCheck(path, (data,))
    try:
        envelope = envelope_from_json(strict_json(data))
    except EnvelopeProblem as problem:
        return SignatureCheck(path, (SignatureResult(FILE_KEY, "malformed", bound_text(str(problem), 300)),))
    manifest = package.manifest
    verifier = _Verifier(trust, manifest.id, now or datetime.now(UTC))

    def statement() -> Problem | None:
        try:
            claim = parse_package_statement(envelope.payload)
        except EnvelopeProblem as problem:
            return Problem("malformed", bound_text(f"the signed statement: {problem}", 300))
        return _claim_problem(claim, package)

    return SignatureCheck(path, verifier.each(envelope, statement))


def _claim_problem(claim: PackageClaim, package: Package) -> Problem | None:
    if claim.digest != package.digest:
        signed, actual = _short(claim.digest), _short(package.digest)
        return Problem("wrong_digest", f"signed {signed}, the package is {actual} (changed after signing?)")
    manifest = package.manifest
    if (claim.id, claim.version) != (manifest.id, manifest.version):
        stated, actual = f"{claim.id} {claim.version}", f"{manifest.id} {manifest.version}"
        return Problem(
            "wrong_package", bound_text(f"the signed statement names {stated}, the package is {actual}", 300)
        )
    return None


def check_provenance(
    package: Package,
    path: str,
    trust: TrustSettings,
    *,
    follow_symlinks: bool = True,
    now: datetime | None = None,
) -> ProvenanceCheck:
    """The build provenance at `path`: a bare statement, or a DSSE envelope holding one (signed
    with `yoi plugin sign`), checked against the package's own digests."""
    data = _read(path, follow_symlinks)
    if isinstance(data, SignatureResult):
        return ProvenanceCheck(path, data.status, data.detail)
    try:
        document = strict_json(data)
        signatures: tuple[SignatureResult, ...] = ()
        if is_envelope(document):
            envelope = envelope_from_json(document)
            verifier = _Verifier(trust, package.manifest.id, now or datetime.now(UTC))
            signatures = verifier.each(envelope, lambda: None)
            document = strict_json(envelope.payload)
        build = provenance_from_json(document)
    except EnvelopeProblem as problem:
        return ProvenanceCheck(path, "malformed", bound_text(str(problem), 300))
    mismatch = build_problem(build, package)
    if mismatch:
        return ProvenanceCheck(path, "wrong_digest", mismatch, None, signatures)
    return ProvenanceCheck(path, "matches", PROVENANCE_STATUSES["matches"], build, signatures)


def build_problem(build: BuildFacts, package: Package) -> str:
    """Why the provenance is not about `package` ("" when it is)."""
    if build.package_digest != package.digest:
        return f"the provenance is for {_short(build.package_digest)}, the package is {_short(package.digest)}"
    artifact = package.files.get(build.artifact_path)
    if artifact is None or hashlib.sha256(artifact).hexdigest() != build.artifact_sha256:
        return "the provenance's artifact is not the package's"
    return ""
