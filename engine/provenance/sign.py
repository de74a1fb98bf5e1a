"""`yoi plugin sign`: sign a package's digest, id and version into `<package>.sig` beside it.

The package is read and validated like `check` reads it, its digest is computed from its files,
and the package statement (engine/provenance/statements.py) is signed in a DSSE envelope. The
file goes beside the package, never inside: a file inside would change the digest it states.

A second signer adds to the same envelope: the statement is canonical JSON with no time or path,
so every signer of one package signs the same bytes; signing again with one key replaces its
signature. An envelope for another statement (the package changed) is replaced, and the result
says how many signatures were dropped. The build provenance beside the package, when present,
is signed the same way, in place (a bare statement becomes an envelope holding it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import EngineError, ErrorKind
from engine.package.model import Package
from engine.provenance.beside import PROVENANCE_SUFFIX, SIGNATURE_SUFFIX, beside
from engine.provenance.dsse import (
    PAYLOAD_TYPE,
    Envelope,
    EnvelopeProblem,
    EnvelopeSignature,
    canonical_json,
    envelope_from_json,
    is_envelope,
    pae,
    render_envelope,
    strict_json,
)
from engine.provenance.keys import key_id, raw_public_key
from engine.provenance.statements import PackageClaim, package_statement, provenance_from_json
from engine.provenance.verify import build_problem
from engine.safe_read import ReadError, read_bounded

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

MAX_EXISTING_BYTES = 256 * 1024


class SignError(EngineError):
    """A signature that was not written: bad input (`input`), or a file that cannot be written (`io`)."""

    error_kind = ErrorKind.INPUT


@dataclass(frozen=True)
class Signed:
    """One envelope written: where, by which key, and what happened to what was there."""

    path: str
    signatures: int  # in the envelope now
    dropped: int  # signatures of an envelope for another statement, replaced
    replaced_unreadable: bool  # the file there was not an envelope


@dataclass(frozen=True)
class SignResult:
    package_id: str
    version: str
    digest: str
    key_id: str
    signature: Signed
    provenance: Signed | None


def _existing(path: str) -> tuple[Envelope | None, bool]:
    """The envelope at `path` (None when there is none) and whether a file was there that is not
    one. Never follows a symlink: the write would refuse it anyway."""
    if not os.path.lexists(path):
        return None, False
    try:
        return envelope_from_json(strict_json(read_bounded(path, MAX_EXISTING_BYTES, follow_symlinks=False))), False
    except (ReadError, EnvelopeProblem):
        return None, True


def _write(path: str, envelope: Envelope) -> None:
    from engine.atomic_write import write_file

    try:
        write_file(Path(path), render_envelope(envelope), 0o644)
    except OSError as error:
        reason = error.strerror or "I/O error"
        raise SignError(f"`{path}` could not be written: {reason}", error_kind=ErrorKind.IO) from None


def _sign_into(path: str, payload: bytes, key: Ed25519PrivateKey, base: Envelope | None, other: bool) -> Signed:
    raw = raw_public_key(key)
    signature = EnvelopeSignature(key_id(raw), key.sign(pae(PAYLOAD_TYPE, payload)))
    dropped = 0
    if base is not None and base.payload == payload:
        envelope = base.with_signature(signature)
    else:
        dropped = len(base.signatures) if base is not None else 0
        envelope = Envelope(PAYLOAD_TYPE, payload, (signature,))
    _write(path, envelope)
    return Signed(path, len(envelope.signatures), dropped, other)


def _provenance(path: str, package: Package) -> tuple[bytes, Envelope | None]:
    """The statement bytes to sign at `path` and the envelope already there, if any; SignError
    for a file that is not a provenance statement about this package."""
    try:
        document = strict_json(read_bounded(path, MAX_EXISTING_BYTES, follow_symlinks=False))
        base = None
        if is_envelope(document):
            base = envelope_from_json(document)
            document = strict_json(base.payload)
        build = provenance_from_json(document)
    except ReadError as error:
        raise SignError(f"the provenance `{path}` could not be read: {error.reason}") from None
    except EnvelopeProblem as problem:
        raise SignError(f"the provenance `{path}` is not a build provenance statement: {problem}") from None
    mismatch = build_problem(build, package)
    if mismatch:
        raise SignError(f"the provenance `{path}` is not about this package ({mismatch}); rebuild, or sign without it")
    return (base.payload if base is not None else canonical_json(document)), base


def _load(package_path: str) -> Package:
    from engine.diagnostics import DiagnosticError
    from engine.package.materialize import load_package_path

    try:
        return load_package_path(package_path)
    except DiagnosticError as error:
        raise SignError(f"the package cannot be signed: {error.diagnostics[0].message}") from None


def statement_bytes(package_path: str) -> bytes:
    """The package statement `sign` signs, as its exact bytes: what another signer (a Sigstore
    keyless signer in CI) signs to vouch for the same package."""
    package = _load(package_path)
    manifest = package.manifest
    return canonical_json(package_statement(PackageClaim(manifest.id, manifest.version, package.digest)))


def sign_package(
    package_path: str, key: Ed25519PrivateKey, *, output: str | None = None, provenance: bool = True
) -> SignResult:
    """Sign the package at `package_path` (folder or archive) with `key`; SignError otherwise."""
    package = _load(package_path)
    manifest = package.manifest
    claim = PackageClaim(manifest.id, manifest.version, package.digest)
    target = output or beside(package_path, SIGNATURE_SUFFIX)
    statement_path = beside(package_path, PROVENANCE_SUFFIX)
    attest = _provenance(statement_path, package) if provenance and os.path.lexists(statement_path) else None
    base, other = _existing(target)
    signed = _sign_into(target, canonical_json(package_statement(claim)), key, base, other)
    attested = None
    if attest is not None:
        attested = _sign_into(statement_path, attest[0], key, attest[1], False)
    return SignResult(manifest.id, manifest.version, package.digest, key_id(raw_public_key(key)), signed, attested)
