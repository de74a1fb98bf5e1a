"""Package size and count limits (spec §5.1), one frozen value passed to every reader/writer so
tests can shrink the bounds instead of allocating megabytes.

Two bounds are larger than the reference's (8 MiB per file, 16 MiB per package): a Python guest
built with componentize-py bundles CPython and is about 18 MiB, so files may be 32 MiB and a
package 40 MiB (docs/reference-differences.md). Everything else is the reference's.
"""

from __future__ import annotations

from dataclasses import dataclass

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True)
class Limits:
    max_packages_per_store: int = 128
    max_package_size_bytes: int = 40 * MIB
    max_manifest_size_bytes: int = 64 * KIB
    max_entries_per_package: int = 512
    max_file_size_bytes: int = 32 * MIB
    max_expanded_size_bytes: int = 64 * MIB


DEFAULT_LIMITS = Limits()
