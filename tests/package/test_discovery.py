"""Discovery over the user and project stores; there is no builtin store (spec §3.2, §5.5)."""

from __future__ import annotations

import os
from pathlib import Path

from engine.package.archive import write_archive
from engine.package.discovery import Discovery, default_user_data_home, discover
from engine.package.limits import Limits
from engine.resources import examples_dir
from package_files import manifest_text, write_package_archive


def manifest(id: str, version: str = "0.1.0") -> str:
    return manifest_text(id, version, name="N")


def put(store: Path, file_name: str, id: str, version: str = "0.1.0", **files: bytes) -> Path:
    write_package_archive(store / file_name, manifest(id, version), files)
    return store / file_name


def project_store(workspace: Path) -> Path:
    return workspace / ".yoi" / "plugins"


def user_store(data_home: Path) -> Path:
    return data_home / "yoi" / "plugins"


def run(workspace, data_home=None, **kwargs) -> Discovery:
    return discover(workspace, user_data_home=data_home, **kwargs)


def summary(discovery: Discovery):
    return [(p.identity, p.label) for p in discovery.packages]


def diags(discovery: Discovery):
    return [(d.kind, d.phase, d.message, d.subject.source if d.subject else None,
             d.subject.label if d.subject else None) for d in discovery.diagnostics]


def test_user_and_project_stores(tmp_path):
    put(user_store(tmp_path / "data"), "one.yoi-plugin", "user_one")
    put(project_store(tmp_path / "ws"), "two.yoi-plugin", "project_one")
    result = run(tmp_path / "ws", tmp_path / "data")
    assert summary(result) == [("user:user_one", "one.yoi-plugin"), ("project:project_one", "two.yoi-plugin")]
    assert result.diagnostics == ()
    assert all(p.digest.startswith("sha256:") and p.input_kind == "package" for p in result.packages)
    assert result.packages[1].path == str(project_store(tmp_path / "ws") / "two.yoi-plugin")


def test_missing_stores_are_silently_skipped(tmp_path):
    assert run(tmp_path / "nowhere", tmp_path / "nodata") == Discovery((), ())
    assert run(None) == Discovery((), ())


def test_same_id_in_user_and_project_are_distinct(tmp_path):
    put(user_store(tmp_path / "data"), "a.yoi-plugin", "same")
    put(project_store(tmp_path / "ws"), "a.yoi-plugin", "same")
    result = run(tmp_path / "ws", tmp_path / "data")
    assert summary(result) == [("user:same", "a.yoi-plugin"), ("project:same", "a.yoi-plugin")]
    assert result.diagnostics == ()


def test_duplicate_identity_reported_once_and_all_kept(tmp_path):
    store = project_store(tmp_path / "ws")
    put(store, "b.yoi-plugin", "dup", "2.0.0")
    put(store, "a.yoi-plugin", "dup", "1.0.0")
    put(store, "c.yoi-plugin", "dup", "1.0.0", extra=b"x")
    put(store, "other.yoi-plugin", "solo")
    result = run(tmp_path / "ws")
    assert [p.identity for p in result.packages] == ["project:dup"] * 3 + ["project:solo"]
    dup = [d for d in result.diagnostics if d.kind == "duplicate"]
    assert len(dup) == 1 and len(result.diagnostics) == 1
    assert (dup[0].phase, dup[0].message) == ("discovery", "duplicate plugin package identity in one source store")
    assert (dup[0].subject.ref, dup[0].subject.source) == ("project:dup", "project")
    # among equal identities: digest then label order
    dups = result.packages[:3]
    assert [(p.digest, p.label) for p in dups] == sorted((p.digest, p.label) for p in dups)


def test_sort_order_source_then_local_id(tmp_path):
    put(project_store(tmp_path / "ws"), "z.yoi-plugin", "a-first")
    put(project_store(tmp_path / "ws"), "a.yoi-plugin", "b-second")
    put(user_store(tmp_path / "data"), "z.yoi-plugin", "zzz")
    result = run(tmp_path / "ws", tmp_path / "data")
    assert [p.identity for p in result.packages] == ["user:zzz", "project:a-first", "project:b-second"]


def test_only_yoi_plugin_extension_is_a_candidate(tmp_path):
    store = project_store(tmp_path / "ws")
    put(store, "good.yoi-plugin", "good")
    (store / "notes.txt").write_text("x")
    (store / "archive.zip").write_bytes(b"x")
    (store / ".yoi-plugin").write_bytes(b"x")  # no stem: not a candidate
    (store / "upper.YOI-PLUGIN").write_bytes(b"x")
    assert summary(run(tmp_path / "ws")) == [("project:good", "good.yoi-plugin")]


def test_bad_package_never_hides_good_ones(tmp_path):
    store = project_store(tmp_path / "ws")
    put(store, "a-good.yoi-plugin", "good_a")
    (store / "b-garbage.yoi-plugin").write_bytes(b"not a zip")
    (store / "c-nomanifest.yoi-plugin").write_bytes(write_archive({"x": b""}))
    (store / "d-badmanifest.yoi-plugin").write_bytes(
        write_archive({"plugin.toml": b'schema_version = 2\nid = "bad_v"\nname = "n"\nversion = "1"\n'}))
    put(store, "e-good.yoi-plugin", "good_e")
    result = run(tmp_path / "ws")
    assert summary(result) == [("project:good_a", "a-good.yoi-plugin"), ("project:good_e", "e-good.yoi-plugin")]
    by_label = {d.subject.label: d for d in result.diagnostics}
    assert set(by_label) == {"b-garbage.yoi-plugin", "c-nomanifest.yoi-plugin", "d-badmanifest.yoi-plugin"}
    assert by_label["b-garbage.yoi-plugin"].message == "zip end-of-central-directory was not found"
    assert by_label["c-nomanifest.yoi-plugin"].kind == "missing"
    bad = by_label["d-badmanifest.yoi-plugin"]
    assert (bad.kind, bad.phase) == ("api", "manifest")
    # identity is known once the id is safe, and the digest of the content is attached
    assert bad.subject.ref == "project:bad_v" and bad.subject.digest.startswith("sha256:")
    assert all(d.subject.source == "project" for d in result.diagnostics)


def test_deeply_nested_manifest_is_a_diagnostic_not_a_crash(tmp_path):
    store = project_store(tmp_path / "ws")
    nested = b'schema_version = 1\nid = "deep"\nx = ' + b"[" * 5000 + b"]" * 5000 + b"\n"
    store.mkdir(parents=True)
    (store / "deep.yoi-plugin").write_bytes(write_archive({"plugin.toml": nested}))
    put(store, "ok.yoi-plugin", "ok")
    result = run(tmp_path / "ws")
    assert summary(result) == [("project:ok", "ok.yoi-plugin")]
    assert diags(result) == [("malformed", "manifest",
                              "plugin.toml could not be parsed: values are nested too deeply",
                              "project", "deep.yoi-plugin")]


def test_symlink_escaping_the_store_is_traversal(tmp_path):
    outside = put(tmp_path / "elsewhere", "evil.yoi-plugin", "evil")
    store = project_store(tmp_path / "ws")
    put(store, "good.yoi-plugin", "good")
    os.symlink(outside, store / "escape.yoi-plugin")
    result = run(tmp_path / "ws")
    assert summary(result) == [("project:good", "good.yoi-plugin")]
    assert diags(result) == [("traversal", "discovery", "plugin package path escapes its source store",
                              "project", "escape.yoi-plugin")]


def test_symlink_inside_the_store_is_followed(tmp_path):
    store = project_store(tmp_path / "ws")
    real = put(store / "real", "pkg.bin", "inner")
    os.symlink(real, store / "alias.yoi-plugin")
    assert summary(run(tmp_path / "ws")) == [("project:inner", "alias.yoi-plugin")]


def test_dangling_symlink_is_io(tmp_path):
    store = project_store(tmp_path / "ws")
    store.mkdir(parents=True)
    os.symlink(tmp_path / "gone", store / "dangling.yoi-plugin")
    assert diags(run(tmp_path / "ws")) == [
        ("io", "discovery", "plugin package could not be read: not found", "project", "dangling.yoi-plugin")]


def test_symlink_loop_is_io(tmp_path):
    store = project_store(tmp_path / "ws")
    store.mkdir(parents=True)
    os.symlink(store / "loop.yoi-plugin", store / "loop.yoi-plugin")
    put(store, "ok.yoi-plugin", "ok")
    result = run(tmp_path / "ws")
    assert summary(result) == [("project:ok", "ok.yoi-plugin")]
    assert diags(result) == [
        ("io", "discovery", "plugin package could not be read: I/O error", "project", "loop.yoi-plugin")]


def test_non_regular_candidate(tmp_path):
    store = project_store(tmp_path / "ws")
    (store / "folder.yoi-plugin").mkdir(parents=True)
    os.mkfifo(store / "pipe.yoi-plugin")
    result = run(tmp_path / "ws")
    assert [(k, m, label) for k, _, m, _, label in diags(result)] == [
        ("malformed", "plugin package candidate is not a regular file", "folder.yoi-plugin"),
        ("malformed", "plugin package candidate is not a regular file", "pipe.yoi-plugin"),
    ]


def test_package_size_bound(tmp_path):
    store = project_store(tmp_path / "ws")
    put(store, "big.yoi-plugin", "big", pad=b"x" * 500)
    put(store, "small.yoi-plugin", "small")
    result = run(tmp_path / "ws", limits=Limits(max_package_size_bytes=400))
    assert summary(result) == [("project:small", "small.yoi-plugin")]
    assert diags(result)[0][:3] == ("bounds", "discovery", "plugin package exceeds the configured package size bound")


def test_too_many_packages_processes_the_first(tmp_path):
    store = project_store(tmp_path / "ws")
    for i in range(5):
        put(store, f"p{i}.yoi-plugin", f"pkg{i}")
    result = run(tmp_path / "ws", limits=Limits(max_packages_per_store=3))
    assert [p.manifest.id for p in result.packages] == ["pkg0", "pkg1", "pkg2"]
    assert diags(result) == [("bounds", "discovery",
                              "plugin store contains more packages than the configured discovery bound",
                              "project", None)]


def test_store_that_is_a_file_cannot_be_listed(tmp_path):
    store = project_store(tmp_path / "ws")
    store.parent.mkdir(parents=True)
    store.write_text("not a folder")
    result = run(tmp_path / "ws")
    assert [(d.kind, d.message) for d in result.diagnostics] == [
        ("io", "plugin store could not be listed: I/O error")]


def test_a_store_holds_only_archives_not_folders(tmp_path, package_dir_writer):
    """Spec §5.5: candidates are `*.yoi-plugin` files; a package folder in a store is not one."""
    store = project_store(tmp_path / "ws")
    package_dir_writer(store / "alpha", manifest("alpha"), {"data.txt": "d"})
    put(store, "beta.yoi-plugin", "beta")
    assert summary(run(tmp_path / "ws")) == [("project:beta", "beta.yoi-plugin")]


def test_there_is_no_builtin_store(tmp_path, monkeypatch):
    """Issue 18 point 4: the bundled examples are no hidden third store. An empty workspace with
    an empty user store discovers nothing, and `builtin:` refs have no store to come from."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    (tmp_path / "ws").mkdir()
    assert discover(tmp_path / "ws") == Discovery((), ())
    assert discover(None) == Discovery((), ())
    assert not any(p.source == "builtin" for p in discover(examples_dir() / "workspace").packages)


def test_user_data_home_from_environment(tmp_path, monkeypatch):
    put(user_store(tmp_path / "xdg"), "x.yoi-plugin", "from_xdg")
    put(user_store(tmp_path / "home" / ".local" / "share"), "h.yoi-plugin", "from_home")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_user_data_home() == tmp_path / "xdg"
    assert summary(discover(None)) == [("user:from_xdg", "x.yoi-plugin")]
    monkeypatch.delenv("XDG_DATA_HOME")
    assert summary(discover(None)) == [("user:from_home", "h.yoi-plugin")]
    monkeypatch.setenv("XDG_DATA_HOME", "")  # empty counts as unset
    assert default_user_data_home() == tmp_path / "home" / ".local" / "share"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.delenv("HOME")
    assert default_user_data_home() is None
    assert discover(None) == Discovery((), ())
    # an explicit value wins over the environment; None disables the user store
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert summary(discover(None, user_data_home=tmp_path / "home" / ".local" / "share")) == [("user:from_home", "h.yoi-plugin")]
    assert discover(None, user_data_home=None) == Discovery((), ())
