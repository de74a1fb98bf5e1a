"""Deterministic package digest (spec §5.7): a hash of paths and file hashes only, so a folder and
its packed archive, or two archives differing in order, timestamps or flags, digest equally."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping

DIGEST_PREFIX = b"yoi-plugin-package-digest-v1\x00"
# Spec §5.7: a resolved record (a plan, a lock) whose package no longer has the recorded digest.
RESOLVED_DIGEST_MISMATCH = "resolved plugin package digest does not match current package content"
_U64_BE = struct.Struct(">Q")


def package_digest(files: Mapping[str, bytes]) -> str:
    """`sha256:<hex>` over prefix, then per path (byte-wise order): path, NUL, u64 BE length,
    raw SHA-256 of the content."""
    outer = hashlib.sha256(DIGEST_PREFIX)
    encoded = sorted((path.encode("utf-8"), content) for path, content in files.items())
    for name, content in encoded:
        outer.update(name)
        outer.update(b"\x00")
        outer.update(_U64_BE.pack(len(content)))
        outer.update(hashlib.sha256(content).digest())
    return "sha256:" + outer.hexdigest()
