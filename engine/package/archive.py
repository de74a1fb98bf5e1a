"""Stored-ZIP reader and deterministic writer for `.yoi-plugin` packages (spec §5.2, §5.6).

Written by hand because the format writes CRC-32 as 0 and never checks it (Python's `zipfile`
would reject packed archives). Every structural problem becomes one Diagnostic in phase
`discovery`; the checks run in the reference's order so the first failure reported matches it.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import NamedTuple, NoReturn

from engine.diagnostics import Diagnostic, DiagnosticError
from engine.errors import ErrorKind
from engine.package.limits import DEFAULT_LIMITS, Limits
from engine.package.paths import archive_name, normalize_archive_path

PHASE = "discovery"

EOCD_SIG = 0x06054B50
CENTRAL_SIG = 0x02014B50
LOCAL_SIG = 0x04034B50
EOCD_SIZE = 22
EOCD_SEARCH_SPAN = 65557  # 22-byte record + the largest (65535-byte) comment
CENTRAL_SIZE = 46
LOCAL_SIZE = 30
FLAG_ENCRYPTED = 0x0001
FLAG_UTF8 = 0x0800
VERSION = 20
METHOD_STORED = 0
S_IFMT = 0o170000
S_IFLNK = 0o120000

MSG_EOCD_MISSING = "zip end-of-central-directory was not found"
MSG_MULTI_DISK = "multi-disk zip packages are unsupported"
MSG_TOO_MANY_ENTRIES = "plugin package contains more entries than the configured bound"
MSG_CENTRAL_OUTSIDE = "zip central directory points outside the package"
MSG_CENTRAL_MALFORMED = "zip central directory entry is malformed"
MSG_CENTRAL_TRUNCATED = "zip central directory entry is truncated"
MSG_NAME_OUTSIDE = "zip entry name points outside the package"
MSG_NAME_NOT_UTF8 = "zip entry name is not UTF-8"
MSG_TRAVERSAL = "plugin package entry path escapes the archive root"
MSG_ENCRYPTED = "encrypted zip packages are unsupported"
MSG_SYMLINK = "plugin package contains a symlink entry"
MSG_METHOD = "plugin package uses an unsupported zip compression method"
MSG_FILE_BOUND = "plugin package entry exceeds the configured per-file bound"
MSG_EXPANDED_BOUND = "plugin package expanded size exceeds the configured bound"
MSG_LOCAL_MALFORMED = "zip local file header is malformed"
MSG_LOCAL_TRUNCATED = "zip local file header is truncated"
MSG_LOCAL_DISAGREES = "zip local header disagrees with central directory"
MSG_DATA_OUTSIDE = "zip entry data points outside the package"
MSG_SIZE_MISMATCH = "zip stored entry size does not match central directory"
MSG_DUPLICATE = "plugin package contains duplicate normalized entry paths"
MSG_PACKAGE_BOUND = "plugin package exceeds the configured package size bound"

_EOCD = struct.Struct("<IHHHHII")  # sig, disk, cd disk, disk entries, total entries, size, offset
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_U32 = struct.Struct("<I")
_FLAGS_METHOD = struct.Struct("<HH")


def _fail(message: str, kind: str = "malformed") -> DiagnosticError:
    error_kind = ErrorKind.IO if kind == "io" else ErrorKind.REJECTED  # the archive under review is invalid
    return DiagnosticError(Diagnostic(kind=kind, phase=PHASE, message=message), error_kind=error_kind)


class _CentralEntry(NamedTuple):
    path: str
    flags: int
    method: int
    compressed: int
    uncompressed: int
    external: int
    local_offset: int


def _short_header(view: memoryview, offset: int, signature: int, malformed: str, truncated: str) -> NoReturn:
    """A header that does not fit: a wrong signature (when readable) is reported first."""
    if offset + 4 <= len(view) and _U32.unpack_from(view, offset)[0] != signature:
        raise _fail(malformed)
    raise _fail(truncated)


def _find_eocd(data: bytes) -> int:
    """Backwards search for the end record, as far back as the largest comment allows."""
    if len(data) < EOCD_SIZE:
        raise _fail(MSG_EOCD_MISSING)
    last = len(data) - EOCD_SIZE
    found = data.rfind(b"PK\x05\x06", max(0, len(data) - EOCD_SEARCH_SPAN), last + 4)
    if found < 0:
        raise _fail(MSG_EOCD_MISSING)
    return found


def _short_local_header(view: memoryview, offset: int, entry: _CentralEntry) -> NoReturn:
    """A local header cut off by the end of file, checked field by field in the reference's
    order: signature, then flags/method agreement, then the name/extra lengths."""
    if offset + 4 <= len(view) and _U32.unpack_from(view, offset)[0] != LOCAL_SIG:
        raise _fail(MSG_LOCAL_MALFORMED)
    if offset + 10 <= len(view):
        flags, method = _FLAGS_METHOD.unpack_from(view, offset + 6)
        if flags != entry.flags or method != entry.method:
            raise _fail(MSG_LOCAL_DISAGREES)
    raise _fail(MSG_LOCAL_TRUNCATED)


def _read_central(data: bytes, view: memoryview, limits: Limits) -> list[_CentralEntry]:
    eocd = _find_eocd(data)  # the search leaves room for the whole end record
    _sig, disk, cd_disk, _disk_entries, total, cd_size, cd_offset = _EOCD.unpack_from(view, eocd)
    if disk != 0 or cd_disk != 0:
        raise _fail(MSG_MULTI_DISK)
    if total > limits.max_entries_per_package:
        raise _fail(MSG_TOO_MANY_ENTRIES, "bounds")
    if cd_offset + cd_size > len(view):
        raise _fail(MSG_CENTRAL_OUTSIDE)
    size = len(view)
    entries: list[_CentralEntry] = []
    cursor = cd_offset
    for _ in range(total):
        if cursor + CENTRAL_SIZE > size:
            _short_header(view, cursor, CENTRAL_SIG, MSG_CENTRAL_MALFORMED, MSG_CENTRAL_TRUNCATED)
        (
            sig,
            _made,
            _needed,
            flags,
            method,
            _time,
            _date,
            _crc,
            compressed,
            uncompressed,
            name_len,
            extra_len,
            comment_len,
            _disk,
            _internal,
            external,
            local_offset,
        ) = _CENTRAL.unpack_from(view, cursor)
        if sig != CENTRAL_SIG:
            raise _fail(MSG_CENTRAL_MALFORMED)
        name_start = cursor + CENTRAL_SIZE
        name_end = name_start + name_len
        if name_end > size:
            raise _fail(MSG_NAME_OUTSIDE)
        try:
            name = data[name_start:name_end].decode("utf-8")
        except UnicodeDecodeError:
            raise _fail(MSG_NAME_NOT_UTF8) from None
        path = normalize_archive_path(name)
        if path is None:
            raise _fail(MSG_TRAVERSAL, "traversal")
        entries.append(_CentralEntry(path, flags, method, compressed, uncompressed, external, local_offset))
        cursor = name_end + extra_len + comment_len
    return entries


def read_archive(data: bytes, limits: Limits = DEFAULT_LIMITS) -> dict[str, bytes]:
    """Parse a stored ZIP into {normalized path: bytes}; raise DiagnosticError on the first
    violation of spec §5.2 (CRC is deliberately not checked)."""
    data = bytes(data)
    view = memoryview(data)
    size = len(data)
    files: dict[str, bytes] = {}
    expanded = 0
    for entry in _read_central(data, view, limits):
        if entry.flags & FLAG_ENCRYPTED:
            raise _fail(MSG_ENCRYPTED)
        if (entry.external >> 16) & S_IFMT == S_IFLNK:
            raise _fail(MSG_SYMLINK, "traversal")
        if entry.method != METHOD_STORED:
            raise _fail(MSG_METHOD, "api")
        if entry.uncompressed > limits.max_file_size_bytes:
            raise _fail(MSG_FILE_BOUND, "bounds")
        expanded += entry.uncompressed
        if expanded > limits.max_expanded_size_bytes:
            raise _fail(MSG_EXPANDED_BOUND, "bounds")
        offset = entry.local_offset
        if offset + LOCAL_SIZE > size:
            _short_local_header(view, offset, entry)
        (sig, _needed, flags, method, _time, _date, _crc, _csize, _usize, name_len, extra_len) = _LOCAL.unpack_from(
            view, offset
        )
        if sig != LOCAL_SIG:
            raise _fail(MSG_LOCAL_MALFORMED)
        if flags != entry.flags or method != entry.method:
            raise _fail(MSG_LOCAL_DISAGREES)
        start = offset + LOCAL_SIZE + name_len + extra_len
        end = start + entry.compressed
        if end > size:
            raise _fail(MSG_DATA_OUTSIDE)
        if end - start != entry.uncompressed:
            raise _fail(MSG_SIZE_MISMATCH)
        if entry.path in files:
            raise _fail(MSG_DUPLICATE, "duplicate")
        files[entry.path] = data[start:end]
    return files


def _path_key(path: str) -> bytes:
    """Byte-wise order of the UTF-8 paths (lone surrogates sort somewhere; they are rejected)."""
    return path.encode("utf-8", "surrogatepass")


def _safe_name(path: str) -> bytes:
    name = archive_name(path)
    if name is None:
        raise _fail(MSG_TRAVERSAL, "traversal")
    return name


def stored_archive_size(files: Mapping[str, bytes]) -> int:
    """The byte length `write_archive(files)` would have, without building it: the package size
    the reference bounds (16 MiB, spec §5.1) as `pack` writes it."""
    size = _EOCD.size + 2  # the EOCD plus its empty comment length
    for path, content in files.items():
        name = archive_name(path) or path.encode("utf-8", "surrogatepass")
        size += _LOCAL.size + _CENTRAL.size + 2 * len(name) + len(content)
    return size


def write_archive(files: Mapping[str, bytes], limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Deterministic stored ZIP (spec §5.6 step 3): sorted paths, UTF-8 flag, zero times, CRC 0,
    no extra fields or attributes, so the same files always give the same bytes."""
    if len(files) > limits.max_entries_per_package:
        raise _fail(MSG_TOO_MANY_ENTRIES, "bounds")
    ordered = sorted(files, key=_path_key)
    names = {}
    for path in ordered:
        names[path] = _safe_name(path)
        if len(files[path]) > limits.max_file_size_bytes:
            raise _fail(MSG_FILE_BOUND, "bounds")
    parts: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for path in ordered:
        name = names[path]
        content = bytes(files[path])
        size = len(content)
        header = _LOCAL.pack(LOCAL_SIG, VERSION, FLAG_UTF8, METHOD_STORED, 0, 0, 0, size, size, len(name), 0)
        central.append(
            _CENTRAL.pack(
                CENTRAL_SIG,
                VERSION,
                VERSION,
                FLAG_UTF8,
                METHOD_STORED,
                0,
                0,
                0,
                size,
                size,
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + name
        )
        parts += (header, name, content)
        offset += len(header) + len(name) + size
        if offset > limits.max_package_size_bytes:
            raise _fail(MSG_PACKAGE_BOUND, "bounds")
    central_bytes = b"".join(central)
    count = len(central)
    eocd = _EOCD.pack(EOCD_SIG, 0, 0, count, count, len(central_bytes), offset) + b"\x00\x00"
    out = b"".join(parts) + central_bytes + eocd
    if len(out) > limits.max_package_size_bytes:
        raise _fail(MSG_PACKAGE_BOUND, "bounds")
    return out
