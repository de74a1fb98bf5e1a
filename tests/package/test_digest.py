"""Deterministic digest (spec §5.7): independent of ZIP order, timestamps, flags and extra fields."""

from __future__ import annotations

import hashlib

from engine.package.archive import read_archive, write_archive
from engine.package.digest import package_digest

FILES = {
    "plugin.toml": b"schema_version = 1\n",
    "src/lib.rs": b"fn main() {}\n",
    "README.md": b"",
    b"z/\xc3\xa9.txt".decode(): b"\x00\x01",
    "a.wasm": bytes(range(200)),
}


def reference_digest(files):
    """Spec §5.7 written the plain way, as an independent check of the implementation."""
    blob = b"yoi-plugin-package-digest-v1" + b"\x00"
    for path in sorted(files, key=lambda p: p.encode("utf-8")):
        content = files[path]
        blob += path.encode("utf-8") + b"\x00" + len(content).to_bytes(8, "big")
        blob += hashlib.sha256(content).digest()
    return "sha256:" + hashlib.sha256(blob).hexdigest()


def test_known_vector():
    # Hand-computed: prefix, "a", NUL, u64 BE 3, sha256("abc").
    blob = (b"yoi-plugin-package-digest-v1\x00" + b"a\x00" + b"\x00" * 7 + b"\x03"
            + bytes.fromhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
    assert package_digest({"a": b"abc"}) == "sha256:" + hashlib.sha256(blob).hexdigest()


def test_matches_independent_implementation():
    assert package_digest(FILES) == reference_digest(FILES)
    assert package_digest({}) == reference_digest({})


def test_format():
    digest = package_digest(FILES)
    assert digest.startswith("sha256:") and len(digest) == 71
    assert digest[7:] == digest[7:].lower()


def test_sensitive_to_content_path_and_length():
    base = package_digest(FILES)
    assert package_digest({**FILES, "README.md": b" "}) != base
    assert package_digest({**FILES, "extra": b""}) != base
    renamed = dict(FILES)
    renamed["README.txt"] = renamed.pop("README.md")
    assert package_digest(renamed) != base
    # the NUL separator keeps ("ab", "c") and ("a", "bc")-style splits apart
    assert package_digest({"ab": b"c"}) != package_digest({"a": b"bc"})


def test_bytewise_path_order_not_insertion_order():
    assert package_digest(dict(reversed(list(FILES.items())))) == package_digest(FILES)
    # uppercase sorts before lowercase byte-wise
    assert reference_digest({"B": b"1", "a": b"2"}) == package_digest({"a": b"2", "B": b"1"})


def test_archive_and_folder_digest_equal(tmp_path, package_dir_writer):
    from engine.package.materialize import read_directory

    folder = package_dir_writer(tmp_path / "pkg", None, FILES)
    from_folder = read_directory(folder)
    assert from_folder == FILES
    from_archive = read_archive(write_archive(from_folder))
    assert package_digest(from_archive) == package_digest(from_folder) == reference_digest(FILES)


def test_independent_of_zip_order_timestamps_flags_and_extra(zip_builder):
    canonical = package_digest(read_archive(write_archive(FILES)))
    entries = [
        dict(name=name, data=data, time=0x6000 + i, date=0x5000 + i, crc=0x1234 + i,
             flags=0 if i % 2 else 0x0800, extra=b"\x55\x54\x05\x00\x01abcd",
             central_extra=b"\x75\x78\x00\x00", entry_comment=b"note", external=0o100644 << 16)
        for i, (name, data) in enumerate(reversed(list(FILES.items())))
    ]
    hostile_order = zip_builder(entries, prefix=b"self-extractor stub", comment=b"archive comment")
    assert read_archive(hostile_order) == FILES
    assert package_digest(read_archive(hostile_order)) == canonical
