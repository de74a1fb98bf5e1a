"""Fixtures for building real packages in tests: folders on disk (tests/support/package_files.py)
and hand-made stored ZIPs.

`build_zip` writes every header field explicitly so tests can make hostile archives (bad
signatures, disagreeing headers, symlink attributes, wrong sizes) that no ZIP library would.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, Callable, Mapping

import pytest
from package_files import write_package_dir


def build_zip(
    entries: list[Mapping[str, Any]],
    *,
    disk: int = 0,
    cd_disk: int = 0,
    total: int | None = None,
    cd_offset: int | None = None,
    cd_size: int | None = None,
    comment: bytes = b"",
    prefix: bytes = b"",
) -> bytes:
    """Stored ZIP from entry dicts: name (str|bytes), data, and optional header overrides
    flags, method, local_flags, local_method, external, time, date, crc, extra, central_extra,
    entry_comment, compressed, uncompressed, local_name, local_offset."""
    body = bytearray(prefix)
    central = bytearray()
    for entry in entries:
        name = entry["name"]
        name = name.encode("utf-8") if isinstance(name, str) else name
        local_name = entry.get("local_name", name)
        data = entry.get("data", b"")
        data = data.encode("utf-8") if isinstance(data, str) else data
        flags = entry.get("flags", 0x0800)
        method = entry.get("method", 0)
        compressed = entry.get("compressed", len(data))
        uncompressed = entry.get("uncompressed", len(data))
        extra = entry.get("extra", b"")
        time, date, crc = entry.get("time", 0), entry.get("date", 0), entry.get("crc", 0)
        offset = entry.get("local_offset", len(body))
        body += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, entry.get("local_flags", flags),
            entry.get("local_method", method), time, date, crc, compressed, uncompressed,
            len(local_name), len(extra),
        ) + local_name + extra + data
        central_extra = entry.get("central_extra", b"")
        entry_comment = entry.get("entry_comment", b"")
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, time, date, crc, compressed,
            uncompressed, len(name), len(central_extra), len(entry_comment), 0, 0,
            entry.get("external", 0), offset,
        ) + name + central_extra + entry_comment
    count = len(entries) if total is None else total
    offset = len(body) if cd_offset is None else cd_offset
    size = len(central) if cd_size is None else cd_size
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, disk, cd_disk, count & 0xFFFF, count & 0xFFFF,
                       size, offset, len(comment)) + comment
    return bytes(body + central + eocd)


@pytest.fixture
def zip_builder() -> Callable[..., bytes]:
    return build_zip


@pytest.fixture
def package_dir_writer() -> Callable[..., Path]:
    return write_package_dir
