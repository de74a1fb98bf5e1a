"""Every rejection of the stored-ZIP reader (spec §5.2, §5.3), plus writer round trip (§5.6)."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from engine.diagnostics import DiagnosticError
from engine.package.archive import read_archive, write_archive
from engine.package.limits import DEFAULT_LIMITS, Limits
from engine.package.paths import normalize_archive_path

SMALL = Limits(max_entries_per_package=4, max_file_size_bytes=16, max_expanded_size_bytes=40,
               max_package_size_bytes=400)


def rejected(data: bytes, limits: Limits = DEFAULT_LIMITS):
    with pytest.raises(DiagnosticError) as info:
        read_archive(data, limits)
    assert len(info.value.diagnostics) == 1
    diag = info.value.diagnostics[0]
    assert diag.phase == "discovery"
    return diag.kind, diag.message


def one(name, data=b"x", **overrides):
    return [dict(name=name, data=data, **overrides)]


# ---- path normalization -------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "", "../evil", "a/../b", "/x", "C:x", "c:/x", "~x", "a\x00b", "a\\b", "a//b", "./a", "a/./b",
    "a/", ".", "..", "/",
])
def test_normalize_rejects_unsafe_paths(path):
    assert normalize_archive_path(path) is None


@pytest.mark.parametrize("path", ["plugin.toml", "a/b/c.wasm", ".hidden", "a/.b", "a~", "é/ü", "1:x", "ab:c"])
def test_normalize_keeps_safe_paths(path):
    assert normalize_archive_path(path) == path


@pytest.mark.parametrize("name", ["../evil", "/x", "C:x", "~x", "a\x00b", "a\\b", "a//b", "./a", "dir/"])
def test_unsafe_entry_names_are_traversal(zip_builder, name):
    assert rejected(zip_builder(one(name))) == (
        "traversal", "plugin package entry path escapes the archive root")


def test_directory_entry_is_rejected_even_with_files(zip_builder):
    data = zip_builder([dict(name="hooks/", data=b""), dict(name="hooks/a", data=b"1")])
    assert rejected(data)[0] == "traversal"


def test_non_utf8_name(zip_builder):
    assert rejected(zip_builder(one(b"\xff\xfe"))) == ("malformed", "zip entry name is not UTF-8")


# ---- end of central directory -------------------------------------------------------------

def test_too_short_and_missing_eocd():
    assert rejected(b"") == ("malformed", "zip end-of-central-directory was not found")
    assert rejected(b"PK\x05\x06" + b"\x00" * 10)[1] == "zip end-of-central-directory was not found"
    assert rejected(b"not a zip" * 10)[1] == "zip end-of-central-directory was not found"


def test_truncated_archive_loses_its_eocd(zip_builder):
    data = zip_builder(one("a"))
    for cut in (1, 5, 21):
        assert rejected(data[:-cut])[1] == "zip end-of-central-directory was not found"


def test_eocd_found_behind_comment_but_not_beyond_search_span(zip_builder):
    assert read_archive(zip_builder(one("a"), comment=b"c" * 65535)) == {"a": b"x"}
    data = zip_builder(one("a")) + b"\x00" * 65536
    assert rejected(data)[1] == "zip end-of-central-directory was not found"


def test_last_eocd_signature_wins(zip_builder):
    # A fake end record inside the comment is found first by the backwards search.
    fake = struct.pack("<IHHHHIIH", 0x06054B50, 1, 0, 0, 0, 0, 0, 0)
    assert rejected(zip_builder(one("a"), comment=fake))[1] == "multi-disk zip packages are unsupported"


@pytest.mark.parametrize("field", ["disk", "cd_disk"])
def test_multi_disk(zip_builder, field):
    assert rejected(zip_builder(one("a"), **{field: 1})) == (
        "malformed", "multi-disk zip packages are unsupported")


def test_entry_count_bound(zip_builder):
    entries = [dict(name=f"f{i}", data=b"") for i in range(5)]
    assert rejected(zip_builder(entries), SMALL) == (
        "bounds", "plugin package contains more entries than the configured bound")
    assert len(read_archive(zip_builder(entries[:4]), SMALL)) == 4


def test_default_entry_count_bound_uses_declared_total(zip_builder):
    # 513 declared entries with an empty central directory: the count is checked first.
    assert rejected(zip_builder([], total=513))[0] == "bounds"
    # 512 passes the bound; reading the first central entry then meets the end record instead
    assert rejected(zip_builder([], total=512))[1] == "zip central directory entry is malformed"


@pytest.mark.parametrize("overrides", [dict(cd_offset=10_000), dict(cd_size=10_000)])
def test_central_directory_outside(zip_builder, overrides):
    assert rejected(zip_builder(one("a"), **overrides)) == (
        "malformed", "zip central directory points outside the package")


# ---- central entries ----------------------------------------------------------------------

def test_central_entry_bad_signature(zip_builder):
    data = bytearray(zip_builder(one("a")))
    central = data.index(b"PK\x01\x02")
    data[central + 3] = 0x09
    assert rejected(bytes(data)) == ("malformed", "zip central directory entry is malformed")


def test_central_entries_beyond_declared_count_are_truncated(zip_builder):
    # Two declared entries, one present: the second read runs into the end record.
    assert rejected(zip_builder(one("a"), total=2))[1] == "zip central directory entry is malformed"
    data = zip_builder(one("a"), total=2, cd_size=0)
    assert rejected(data)[1] == "zip central directory entry is malformed"


def test_central_entry_truncated_at_end_of_file():
    # Central entry starts 20 bytes before the end: signature fits, the 46-byte header does not.
    body = b"PK\x01\x02" + b"\x00" * 16
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, 0, 0, 0)
    data = eocd[:16] + struct.pack("<IH", 22, 0) + body  # central directory right after the EOCD
    assert rejected(data)[1] == "zip central directory entry is truncated"


def test_name_points_outside(zip_builder):
    data = bytearray(zip_builder(one("abc")))
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<H", data, central + 28, 60_000)
    assert rejected(bytes(data)) == ("malformed", "zip entry name points outside the package")


# ---- second pass, in order ----------------------------------------------------------------

def test_encryption_flag(zip_builder):
    assert rejected(zip_builder(one("a", flags=0x0801))) == (
        "malformed", "encrypted zip packages are unsupported")


def test_symlink_entry(zip_builder):
    assert rejected(zip_builder(one("link", external=0o120777 << 16))) == (
        "traversal", "plugin package contains a symlink entry")
    # a regular-file mode is fine
    assert read_archive(zip_builder(one("f", external=0o100644 << 16))) == {"f": b"x"}


def test_deflate_method_is_api(zip_builder):
    assert rejected(zip_builder(one("a", method=8))) == (
        "api", "plugin package uses an unsupported zip compression method")


def test_check_order_encryption_before_symlink_before_method(zip_builder):
    entry = one("a", flags=0x0801, method=8, external=0o120777 << 16)
    assert rejected(zip_builder(entry))[1] == "encrypted zip packages are unsupported"
    entry = one("a", method=8, external=0o120777 << 16)
    assert rejected(zip_builder(entry))[0] == "traversal"


def test_per_file_bound(zip_builder):
    assert rejected(zip_builder(one("a", b"x" * 17)), SMALL) == (
        "bounds", "plugin package entry exceeds the configured per-file bound")
    assert read_archive(zip_builder(one("a", b"x" * 16)), SMALL) == {"a": b"x" * 16}


def test_default_per_file_bound_by_declared_size(zip_builder):
    # Declared 8 MiB + 1 is rejected before any data is read; no 8 MiB allocation needed.
    declared = DEFAULT_LIMITS.max_file_size_bytes + 1
    data = zip_builder(one("a", b"", compressed=declared, uncompressed=declared))
    assert rejected(data)[1] == "plugin package entry exceeds the configured per-file bound"
    exact = DEFAULT_LIMITS.max_file_size_bytes
    data = zip_builder(one("a", b"", compressed=exact, uncompressed=exact))
    assert rejected(data)[1] == "zip entry data points outside the package"


def test_expanded_bound(zip_builder):
    entries = [dict(name=f"f{i}", data=b"x" * 15) for i in range(3)]  # 45 > 40
    assert rejected(zip_builder(entries), SMALL) == (
        "bounds", "plugin package expanded size exceeds the configured bound")


def test_default_expanded_bound_with_shared_local_data():
    # Central entries (distinct names) share one maximal local entry: the running sum of declared
    # sizes crosses the expanded bound at entry `over` while only one file's size is allocated.
    size = DEFAULT_LIMITS.max_file_size_bytes
    over = DEFAULT_LIMITS.max_expanded_size_bytes // size + 1
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x0800, 0, 0, 0, 0, size, size, 1, 0) + b"a"
    body = local + bytes(size)
    central = b"".join(
        struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x0800, 0, 0, 0, 0, size, size,
                    2, 0, 0, 0, 0, 0, 0) + f"f{i}".encode()
        for i in range(over)
    )
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, over, over, len(central), len(body), 0)
    assert rejected(body + central + eocd) == (
        "bounds", "plugin package expanded size exceeds the configured bound")
    fits = central[: len(central) // over * (over - 1)]
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, over - 1, over - 1, len(fits), len(body), 0)
    assert len(read_archive(body + fits + eocd)) == over - 1


def test_local_header_bad_signature(zip_builder):
    data = bytearray(zip_builder(one("a")))
    data[3] = 0x07
    assert rejected(bytes(data)) == ("malformed", "zip local file header is malformed")


def test_local_offset_points_at_end(zip_builder):
    data = zip_builder(one("a", local_offset=0xFFFFFF))
    assert rejected(data) == ("malformed", "zip local file header is truncated")


@pytest.mark.parametrize("method, message", [
    (8, "zip local header disagrees with central directory"),
    (0, "zip local file header is truncated"),
])
def test_local_header_cut_off_by_end_of_file(zip_builder, method, message):
    # The local offset points into the archive comment, where only 10 header bytes remain:
    # signature and flags/method are still compared before the missing lengths are reported.
    stub = b"PK\x03\x04" + struct.pack("<HHH", 20, 0x0800, method)
    size = len(zip_builder(one("a", local_offset=0), comment=stub))
    data = zip_builder(one("a", local_offset=size - len(stub)), comment=stub)
    assert rejected(data) == ("malformed", message)
    assert rejected(zip_builder(one("a", local_offset=size - 22 - len(stub)), comment=stub))[1] == (
        "zip local file header is malformed")  # the end record's own signature


@pytest.mark.parametrize("overrides", [dict(local_flags=0), dict(local_method=8)])
def test_local_and_central_disagree(zip_builder, overrides):
    assert rejected(zip_builder(one("a", **overrides))) == (
        "malformed", "zip local header disagrees with central directory")


def test_local_name_is_not_compared(zip_builder):
    assert read_archive(zip_builder(one("a", local_name=b"zzz"))) == {"a": b"x"}


def test_data_outside(zip_builder):
    assert rejected(zip_builder(one("a", b"xy", compressed=500, uncompressed=500))) == (
        "malformed", "zip entry data points outside the package")


def test_stored_size_mismatch(zip_builder):
    assert rejected(zip_builder(one("a", b"xy", uncompressed=3))) == (
        "malformed", "zip stored entry size does not match central directory")


def test_duplicate_names(zip_builder):
    data = zip_builder([dict(name="a", data=b"1"), dict(name="a", data=b"2")])
    assert rejected(data) == ("duplicate", "plugin package contains duplicate normalized entry paths")


def test_crc_and_timestamps_are_ignored(zip_builder):
    data = zip_builder(one("a", b"hello", crc=0xDEADBEEF, time=1234, date=5678, extra=b"\x01\x02"))
    assert read_archive(data) == {"a": b"hello"}


def test_reads_python_zipfile_stored_archive():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("plugin.toml", "id = 1\n")
        archive.writestr("src/a.wat", "(module)")
    assert read_archive(buffer.getvalue()) == {"plugin.toml": b"id = 1\n", "src/a.wat": b"(module)"}


def test_python_zipfile_deflate_is_rejected():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a", "x" * 100)
    assert rejected(buffer.getvalue())[0] == "api"


# ---- writer -------------------------------------------------------------------------------

FILES = {"plugin.toml": b"id = 'x'\n", "b/c.bin": bytes(range(256)), "a": b"", "é.txt": "ü".encode()}


def test_round_trip():
    assert read_archive(write_archive(FILES)) == FILES


def test_writer_is_deterministic_and_sorted():
    first = write_archive(FILES)
    assert first == write_archive(dict(reversed(list(FILES.items()))))
    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    assert names == sorted(names, key=lambda n: n.encode())


def test_writer_header_fields():
    data = write_archive({"a": b"xyz"})
    assert struct.unpack_from("<IHHHHHIIIHH", data, 0) == (0x04034B50, 20, 0x0800, 0, 0, 0, 0, 3, 3, 1, 0)
    central = data.index(b"PK\x01\x02")
    fields = struct.unpack_from("<IHHHHHHIIIHHHHHII", data, central)
    assert fields == (0x02014B50, 20, 20, 0x0800, 0, 0, 0, 0, 3, 3, 1, 0, 0, 0, 0, 0, 0)
    eocd = data.index(b"PK\x05\x06")
    assert struct.unpack_from("<IHHHHIIH", data, eocd) == (0x06054B50, 0, 0, 1, 1, 47, central, 0)
    assert len(data) == eocd + 22


def test_empty_archive_round_trip():
    assert read_archive(write_archive({})) == {}


@pytest.mark.parametrize("files, expected", [
    ({f"f{i}": b"" for i in range(5)}, ("bounds", "plugin package contains more entries than the configured bound")),
    ({"../x": b""}, ("traversal", "plugin package entry path escapes the archive root")),
    ({"dir/": b""}, ("traversal", "plugin package entry path escapes the archive root")),
    ({"a": b"x" * 17}, ("bounds", "plugin package entry exceeds the configured per-file bound")),
    ({"a": b"x" * 16, "b": b"x" * 16, "c": b"x" * 16, "d": b"x" * 16},
     ("bounds", "plugin package exceeds the configured package size bound")),
])
def test_writer_checks(files, expected):
    small = Limits(max_entries_per_package=4, max_file_size_bytes=16, max_package_size_bytes=200)
    with pytest.raises(DiagnosticError) as info:
        write_archive(files, small)
    diag = info.value.diagnostics[0]
    assert (diag.kind, diag.message) == expected
