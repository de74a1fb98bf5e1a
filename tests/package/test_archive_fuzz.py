"""Property tests: any bytes, and any mutation of a valid archive, yield files or one Diagnostic
from the archive reader, never another exception (spec §5.2, DESIGN decision 6)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.diagnostics import DiagnosticError
from engine.package.archive import read_archive, write_archive
from engine.package.limits import Limits
from engine.package.paths import normalize_archive_path

SMALL = Limits(max_entries_per_package=16, max_file_size_bytes=4096, max_expanded_size_bytes=16384)
BASE = write_archive({
    "plugin.toml": b'schema_version = 1\nid = "x"\n', "a/b.wasm": b"\x00asm\x01\x00\x00\x00", "c": b"",
})
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(data: bytes) -> None:
    try:
        files = read_archive(data, SMALL)
    except DiagnosticError as error:
        assert len(error.diagnostics) == 1
        assert error.diagnostics[0].phase == "discovery"
        return
    assert isinstance(files, dict)
    for path, content in files.items():
        assert normalize_archive_path(path) == path
        assert isinstance(content, bytes) and len(content) <= SMALL.max_file_size_bytes


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes(data):
    check(data)


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes_with_end_record(data):
    check(data + b"PK\x05\x06" + bytes(18))


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(BASE) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_mutated_valid_archive(mutations):
    data = bytearray(BASE)
    for offset, value in mutations:
        data[offset] = value
    check(bytes(data))


@FUZZ
@given(st.integers(0, len(BASE)), st.integers(0, len(BASE)), st.binary(max_size=40))
def test_spliced_valid_archive(start, stop, insert):
    start, stop = min(start, stop), max(start, stop)
    check(BASE[:start] + insert + BASE[stop:])


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(
    st.text(st.characters(codec=None, exclude_categories=()), min_size=1, max_size=12)
    | st.sampled_from(["a/b", "x\ud800", "plugin.toml", "é/ü"]),
    st.binary(max_size=64), max_size=6))
def test_write_then_read_round_trips_safe_paths(files):
    safe = {p: c for p, c in files.items() if normalize_archive_path(p) == p}
    try:
        data = write_archive(safe, SMALL)
    except DiagnosticError:
        assert any("\ud800" <= ch <= "\udfff" for p in safe for ch in p)
        return
    assert read_archive(data, SMALL) == safe
