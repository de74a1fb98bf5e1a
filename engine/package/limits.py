"""Package size and count limits (spec §5.1), one frozen value passed to every reader/writer so
tests can shrink the bounds instead of allocating megabytes."""

from __future__ import annotations

from dataclasses import dataclass

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True)
class Limits:
    max_packages_per_store: int = 128
    max_package_size_bytes: int = 16 * MIB
    max_manifest_size_bytes: int = 64 * KIB
    max_entries_per_package: int = 512
    max_file_size_bytes: int = 8 * MIB
    max_expanded_size_bytes: int = 64 * MIB


DEFAULT_LIMITS = Limits()
