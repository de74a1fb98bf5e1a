"""What the rules learn about one package's signatures and provenance, before they run.

`inspect_package` looks beside the package (or where the enablement's `signature` says) and
returns a `PackageTrust`; the graph turns it into facts (`signature`, `provenance`, ...). An
unsigned package without provenance costs two `lstat` calls and imports nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from engine.package.model import Package
from engine.provenance.beside import PROVENANCE_SUFFIX, SIGNATURE_SUFFIX, SIGSTORE_SUFFIX, beside
from engine.provenance.model import KeylessResult, ProvenanceCheck, SignatureCheck, missing
from engine.provenance.trust import TrustSettings


@dataclass(frozen=True)
class PackageTrust:
    """The signature and provenance checks of one package, and the trust they were made under."""

    signature: SignatureCheck
    provenance: ProvenanceCheck
    required: bool  # [plugins.trust] require_signature
    keys: tuple[tuple[str, str], ...] = ()  # the trusted keys: (key id, name)
    keyless: KeylessResult | None = None  # the Sigstore bundle beside the package (None: none there)
    keyless_path: str = ""

    def file(self, origin: str) -> str | None:
        """The file a finding of `origin` (engine/datalog/metadata.py ORIGINS) is about."""
        return {
            "signature": self.signature.path,
            "sigstore": self.keyless_path,
            "provenance": self.provenance.path,
        }.get(origin)


def inspect_package(
    package: Package,
    trust: TrustSettings,
    *,
    package_path: str | None = None,
    signature_path: str | None = None,
    follow_symlinks: bool = True,
    now: datetime | None = None,
) -> PackageTrust:
    """Check the package's signature envelope (`signature_path`, else `<package>.sig`) and its
    build provenance (`<package>.intoto.json`). Files found beside a package in a store are read
    without following symlinks (`follow_symlinks=False`); a path named in a config is followed."""
    where = package_path or package.path
    signature_file = signature_path or beside(where, SIGNATURE_SUFFIX)
    provenance_file = beside(where, PROVENANCE_SUFFIX)
    bundle_file = beside(where, SIGSTORE_SUFFIX)
    signature = SignatureCheck(signature_file, (missing(signature_file),))
    absent = missing(provenance_file)
    provenance = ProvenanceCheck(provenance_file, absent.status, absent.detail)
    keyless = None
    if os.path.lexists(signature_file) or os.path.lexists(provenance_file):
        from engine.provenance.verify import check_provenance, check_signature

        follow = follow_symlinks or signature_path is not None
        signature = check_signature(package, signature_file, trust, follow_symlinks=follow, now=now)
        provenance = check_provenance(package, provenance_file, trust, follow_symlinks=follow_symlinks, now=now)
    if os.path.lexists(bundle_file):
        from engine.provenance.keyless import check_bundle

        keyless = check_bundle(package, bundle_file, trust, follow_symlinks=follow_symlinks)
    keys = tuple((k.id, k.name) for k in trust.keys)
    return PackageTrust(signature, provenance, trust.require_signature, keys, keyless, bundle_file)
