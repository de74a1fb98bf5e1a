"""Keyless signatures: a Sigstore bundle beside the package (`<package>.sigstore.json`), verified
offline with sigstore-python against the pinned trusted root of `[plugins.trust.sigstore]`.

sigstore-python's `Verifier` takes a trusted root and checks a bundle without the network: the
certificate chains to the root's Fulcio CA at the time the log recorded, carries an SCT signed by
one of the root's CT logs, has the code-signing usage; the Rekor entry's inclusion proof, signed
checkpoint and signed entry timestamp verify with the root's log keys; the DSSE signature verifies
with the certificate's key and matches the entry. The identity policy here records the
certificate and decides nothing: every check above still runs, and which identity may sign which
package is decided after, from `[[plugins.trust.sigstore.identities]]`, so that a verified
signature by an identity nobody trusts is reported as such (`unknown_key`), not as broken.

The signed payload must be the package statement `yoi plugin sign` would sign (statements.py),
about this package's digest, recomputed from its files. sigstore is imported only when a bundle
is beside a package and a trusted root is configured.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from engine.diagnostics import bound_text, escape_text
from engine.package.model import Package
from engine.provenance.dsse import PAYLOAD_TYPE, EnvelopeProblem
from engine.provenance.model import KeylessResult
from engine.provenance.statements import parse_package_statement
from engine.provenance.trust import SigstoreTrust, TrustSettings
from engine.safe_read import ReadError, read_bounded

MAX_BUNDLE_BYTES = 256 * 1024
_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8"  # Fulcio's OIDC issuer extension (DER UTF8String)
_ISSUER_V1 = "1.3.6.1.4.1.57264.1.1"  # its older form (the raw string)
_OTHER_NAME = "1.3.6.1.4.1.57264.1.7"  # Fulcio's OtherName SAN (a username)


class _Recorder:
    """A sigstore verification policy that accepts every certificate and remembers it."""

    def __init__(self) -> None:
        self.certificate: Any = None

    def verify(self, cert: Any) -> None:
        self.certificate = cert


@lru_cache(maxsize=4)
def _verifier(trusted_root: bytes) -> Any:
    from sigstore.models import TrustedRoot
    from sigstore.verify import Verifier
    from sigstore_models.trustroot import v1 as trustroot_v1

    logging.getLogger("sigstore").addHandler(logging.NullHandler())  # its warnings are not our output
    # TrustedRoot.from_file would read the file again, unbounded; the config read it bounded.
    return Verifier(trusted_root=TrustedRoot(trustroot_v1.TrustedRoot.from_json(trusted_root)))


def _der_utf8(value: bytes) -> str:
    """A DER UTF8String of a short length (what Fulcio writes); "" for anything else."""
    if len(value) >= 2 and value[0] == 0x0C and value[1] == len(value) - 2:
        return value[2:].decode("utf-8", "replace")
    return ""


def _identity(cert: Any) -> tuple[str, str]:
    """The certificate's first SAN (URI, e-mail or Fulcio username) and its OIDC issuer."""
    from cryptography import x509

    names: list[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names += san.get_values_for_type(x509.UniformResourceIdentifier)
        names += san.get_values_for_type(x509.RFC822Name)
        names += [
            _der_utf8(o.value)
            for o in san.get_values_for_type(x509.OtherName)
            if o.type_id.dotted_string == _OTHER_NAME
        ]
    except x509.ExtensionNotFound:
        pass
    issuer = ""
    for extension in cert.extensions:
        if extension.oid.dotted_string == _ISSUER_V2:
            issuer = _der_utf8(extension.value.value)
        elif extension.oid.dotted_string == _ISSUER_V1 and not issuer:
            issuer = extension.value.value.decode("utf-8", "replace")
    return (names[0] if names else ""), issuer


def _words(error: BaseException) -> str:
    return escape_text(bound_text(str(error), 240))


def check_bundle(package: Package, path: str, trust: TrustSettings, *, follow_symlinks: bool = True) -> KeylessResult:
    """The status of the Sigstore bundle at `path` (which exists) for `package`."""
    try:
        data = read_bounded(path, MAX_BUNDLE_BYTES, follow_symlinks=follow_symlinks)
    except ReadError as error:
        return KeylessResult(path, "unreadable", f"the Sigstore bundle could not be read: {error.reason}")
    if trust.sigstore is None:
        return KeylessResult(path, "unknown_key", "no Sigstore trusted root is configured ([plugins.trust.sigstore])")
    return _verify(package, path, data, trust.sigstore)


def _verify(package: Package, path: str, data: bytes, sigstore_trust: SigstoreTrust) -> KeylessResult:
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import Bundle

    try:
        verifier = _verifier(sigstore_trust.trusted_root)
    except (SigstoreError, ValueError) as error:
        return KeylessResult(path, "invalid", f"the pinned trusted root cannot be used: {_words(error)}")
    try:
        bundle = Bundle.from_json(data)
    except (SigstoreError, ValueError, TypeError, KeyError) as error:  # pydantic's errors are ValueErrors
        return KeylessResult(path, "malformed", f"not a Sigstore bundle: {_words(error)}")
    recorder = _Recorder()
    try:
        payload_type, payload = verifier.verify_dsse(bundle, recorder)
    except (SigstoreError, ValueError) as error:
        return KeylessResult(path, "invalid", f"does not verify against the trusted root: {_words(error)}")
    identity, issuer = _identity(recorder.certificate)
    who = {"identity": escape_text(bound_text(identity, 200)), "issuer": escape_text(bound_text(issuer, 120))}
    if payload_type != PAYLOAD_TYPE:
        return KeylessResult(path, "malformed", f"the signed payload is not {PAYLOAD_TYPE}", **who)
    try:
        claim = parse_package_statement(payload)
    except EnvelopeProblem as problem:
        return KeylessResult(path, "malformed", f"the signed statement: {problem}", **who)
    if claim.digest != package.digest:
        return KeylessResult(path, "wrong_digest", f"signed {claim.digest[:23]}…, not this package's digest", **who)
    if (claim.id, claim.version) != (package.manifest.id, package.manifest.version):
        return KeylessResult(path, "wrong_package", "the signed statement names another id or version", **who)
    trusted = [t for t in sigstore_trust.identities if t.matches(identity, issuer)]
    if not trusted:
        detail = f"identity {who['identity']} from {who['issuer']} is not among [[plugins.trust.sigstore.identities]]"
        return KeylessResult(path, "unknown_key", bound_text(detail, 400), **who)
    allowed = [t for t in trusted if t.may_sign(package.manifest.id)]
    if not allowed:
        return KeylessResult(path, "not_allowed_for_package", f"the identity may not sign {package.manifest.id}", **who)
    return KeylessResult(
        path, "valid", "verifies against the pinned trusted root, by a trusted identity", **who, signer=allowed[0].name
    )
