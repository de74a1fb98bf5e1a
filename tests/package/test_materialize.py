"""Materialization (spec §5.4), folder reading (§5.6 step 1) and loading a package path (§4.2)."""

from __future__ import annotations

import os

import pytest

from engine.diagnostics import DiagnosticError
from engine.package.archive import write_archive
from engine.package.digest import package_digest
from engine.package.limits import DEFAULT_LIMITS, Limits
from engine.package.materialize import (
    io_error_text, load_package_path, materialize, read_directory, read_package_file,
)

MANIFEST = 'schema_version = 1\nid = "example.mat"\nname = "Mat"\nversion = "1.2.3"\n'


def failure(call, *args, **kwargs):
    with pytest.raises(DiagnosticError) as info:
        call(*args, **kwargs)
    (diag,) = info.value.diagnostics
    return diag.kind, diag.message


def test_materialize_builds_package():
    files = {"plugin.toml": MANIFEST.encode(), "b.txt": b"b", "a.txt": b"a"}
    package = materialize(files, source="user", path="/p", label="p", input_kind="directory")
    assert package.identity == "user:example.mat"
    assert package.digest == package_digest(files)
    assert package.entries == ("a.txt", "b.txt", "plugin.toml")
    assert (package.path, package.label, package.input_kind) == ("/p", "p", "directory")
    assert package.manifest.version == "1.2.3"


def test_materialize_requires_root_manifest():
    with pytest.raises(DiagnosticError) as info:
        materialize({"sub/plugin.toml": MANIFEST.encode()}, source="project", path="x", label="x",
                    input_kind="package")
    (diag,) = info.value.diagnostics
    assert (diag.kind, diag.phase, diag.message) == (
        "missing", "manifest", "plugin package is missing root plugin.toml")


def test_materialize_passes_manifest_errors_through():
    kind, message = failure(materialize, {"plugin.toml": b"\xff"}, source="project", path="x",
                            label="x", input_kind="package")
    assert (kind, message) == ("malformed", "plugin.toml is not valid UTF-8")


def test_read_directory_reads_everything_sorted(tmp_path, package_dir_writer):
    root = package_dir_writer(tmp_path / "pkg", MANIFEST, {
        ".hidden": b"h", "target/debug/x": b"x", "src/lib.rs": b"fn", "README.md": b"r",
    })
    (root / "empty").mkdir()
    files = read_directory(root)
    assert files == {"plugin.toml": MANIFEST.encode(), ".hidden": b"h", "target/debug/x": b"x",
                     "src/lib.rs": b"fn", "README.md": b"r"}
    # walk order: entries sorted per directory, depth first
    assert list(files) == [".hidden", "README.md", "plugin.toml", "src/lib.rs", "target/debug/x"]


def test_read_directory_missing_and_not_a_directory(tmp_path):
    assert failure(read_directory, tmp_path / "nope") == ("io", "plugin directory could not be read: not found")
    (tmp_path / "file").write_text("x")
    assert failure(read_directory, tmp_path / "file") == ("malformed", "plugin directory input is not a directory")


def test_read_directory_io_message_never_echoes_path(tmp_path):
    secret = tmp_path / "token-abc123-secret"
    kind, message = failure(read_directory, secret)
    assert "abc123" not in message and str(tmp_path) not in message


@pytest.mark.parametrize("target_kind", ["file", "dir", "dangling"])
def test_read_directory_rejects_symlinks(tmp_path, package_dir_writer, target_kind):
    root = package_dir_writer(tmp_path / "pkg", MANIFEST, {"inside.txt": b"i"})
    outside = tmp_path / "outside"
    if target_kind == "file":
        outside.write_text("o")
    elif target_kind == "dir":
        outside.mkdir()
    (root / "sub").mkdir()
    os.symlink(outside, root / "sub" / "link")
    assert failure(read_directory, root) == ("traversal", "plugin directory contains a symlink entry")


def test_read_directory_root_may_be_a_symlink(tmp_path, package_dir_writer):
    root = package_dir_writer(tmp_path / "pkg", MANIFEST)
    os.symlink(root, tmp_path / "alias")
    assert read_directory(tmp_path / "alias") == {"plugin.toml": MANIFEST.encode()}


def test_read_directory_skips_non_regular_files(tmp_path, package_dir_writer):
    root = package_dir_writer(tmp_path / "pkg", MANIFEST)
    os.mkfifo(root / "fifo")
    assert set(read_directory(root)) == {"plugin.toml"}


@pytest.mark.parametrize("name", ["back\\slash", "bad\udcffname"])
def test_read_directory_unsafe_relative_path(tmp_path, package_dir_writer, name):
    root = package_dir_writer(tmp_path / "pkg", MANIFEST)
    try:
        (root / name).write_bytes(b"x")
    except (UnicodeEncodeError, OSError):
        pytest.skip("file system refuses the name")
    assert failure(read_directory, root) == ("traversal", "plugin directory contains an unsafe relative path")


def test_read_directory_bounds(tmp_path, package_dir_writer):
    small = Limits(max_file_size_bytes=10, max_entries_per_package=3, max_expanded_size_bytes=20)
    root = package_dir_writer(tmp_path / "a", "x", {"big": b"x" * 11})
    assert failure(read_directory, root, small) == (
        "bounds", "plugin directory file exceeds the configured per-file bound")
    root = package_dir_writer(tmp_path / "b", "x", {"1": b"", "2": b"", "3": b""})
    assert failure(read_directory, root, small) == (
        "bounds", "plugin directory contains more files than the configured bound")
    root = package_dir_writer(tmp_path / "c", "x", {"1": b"x" * 10, "2": b"x" * 10})
    assert failure(read_directory, root, small) == (
        "bounds", "plugin directory expanded size exceeds the configured bound")
    assert len(read_directory(package_dir_writer(tmp_path / "d", "x", {"1": b"x" * 10}), small)) == 2


def test_load_package_path_directory_and_archive(tmp_path, package_dir_writer):
    root = package_dir_writer(tmp_path / "my-plugin", MANIFEST, {"data/a.bin": b"\x00\x01"})
    folder = load_package_path(root)
    assert (folder.input_kind, folder.label, folder.source, folder.path) == (
        "directory", "my-plugin", "project", str(root))
    archive = tmp_path / "my.yoi-plugin"
    archive.write_bytes(write_archive(folder.files))
    packed = load_package_path(archive, source="user")
    assert (packed.input_kind, packed.label, packed.identity) == ("package", "my.yoi-plugin", "user:example.mat")
    assert packed.digest == folder.digest
    assert dict(packed.files) == dict(folder.files)


def test_load_package_path_archive_failures(tmp_path):
    assert failure(load_package_path, tmp_path / "missing.yoi-plugin") == (
        "io", "plugin package metadata could not be read: not found")
    bad = tmp_path / "bad.yoi-plugin"
    bad.write_bytes(b"garbage")
    assert failure(load_package_path, bad) == ("malformed", "zip end-of-central-directory was not found")
    os.mkfifo(tmp_path / "fifo.yoi-plugin")
    assert failure(load_package_path, tmp_path / "fifo.yoi-plugin") == (
        "malformed", "plugin package candidate is not a regular file")


def test_package_size_bound(tmp_path):
    archive = tmp_path / "big.yoi-plugin"
    archive.write_bytes(write_archive({"plugin.toml": MANIFEST.encode(), "pad": b"x" * 300}))
    assert failure(read_package_file, archive, Limits(max_package_size_bytes=200)) == (
        "bounds", "plugin package exceeds the configured package size bound")
    # the default bound, using a sparse file so nothing large is written
    with open(archive, "r+b") as handle:
        handle.truncate(DEFAULT_LIMITS.max_package_size_bytes + 1)
    assert failure(load_package_path, archive)[1] == "plugin package exceeds the configured package size bound"


def test_manifest_size_bound_follows_the_given_limits(tmp_path, package_dir_writer):
    root = package_dir_writer(tmp_path / "pkg", MANIFEST + "#" * 40)
    small = Limits(max_manifest_size_bytes=len(MANIFEST))
    assert failure(load_package_path, root, limits=small) == (
        "bounds", "plugin.toml exceeds the configured manifest size bound")
    assert load_package_path(root).manifest.id == "example.mat"


def test_io_error_words():
    assert io_error_text(FileNotFoundError(2, "x", "/secret/path")) == "not found"
    assert io_error_text(PermissionError(13, "x")) == "permission denied"
    assert io_error_text(FileExistsError(17, "x")) == "already exists"
    assert io_error_text(OSError(22, "x")) == "invalid input"
    assert io_error_text(UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad")) == "invalid data"
    assert io_error_text(OSError(5, "disk on fire")) == "I/O error"
