"""The fs host API on real folders: scoping, symlinks at every position, special files, bounds."""

from __future__ import annotations

import json
import os
import threading

import pytest
from hostapi_plans import fs_grant, make_plan

from engine.runtime.hostapi import HostApis

SECRET = "CONTENT-MUST-NOT-LEAK"


def fs_apis(*grants, host_apis=("fs",)) -> HostApis:
    return HostApis(make_plan(host_apis, fs=grants))


def call(apis: HostApis, op: str, **fields) -> tuple[bool, str]:
    return apis.dispatch("fs", op, json.dumps(fields).encode())


@pytest.fixture
def tree(tmp_path):
    """root/ (granted) with a file, a subfolder, and an outside folder next to it."""
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("alpha")
    (root / "sub" / "b.txt").write_text("beta")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    return root, outside


def test_read_list_and_write_inside_the_root(tree):
    root, _ = tree
    apis = fs_apis(fs_grant(root))
    assert json.loads(call(apis, "read", path="a.txt")[1]) == {"path": "a.txt", "content": "alpha", "truncated": False}
    assert json.loads(call(apis, "read", path="./sub/./b.txt")[1])["content"] == "beta"
    listing = json.loads(call(apis, "list", path=".")[1])
    assert listing == {"path": ".", "entries": [{"name": "a.txt", "kind": "file"}, {"name": "sub", "kind": "dir"}],
                       "truncated": False}
    ok, response = call(apis, "write", path="sub/new.txt", content="gamma")
    assert ok and json.loads(response) == {"path": "sub/new.txt", "bytes_written": 5}
    assert (root / "sub" / "new.txt").read_text() == "gamma"
    assert sorted(os.listdir(root / "sub")) == ["b.txt", "new.txt"]  # no temporary file left behind


@pytest.mark.parametrize("path,expected", [
    ("../outside/secret.txt", "FS path traversal outside the grant root is denied"),
    ("sub/../../outside/secret.txt", "FS path traversal outside the grant root is denied"),
    ("/etc/passwd", "FS request paths must be relative to a configured fs grant root"),
    ("", "FS path must not be empty"),
    ("a.txt\u0000x", "FS path contains a NUL byte"),
    ("a" * 4097, "FS path exceeds 4096 bytes"),
    ("\ud800", "invalid FS read request JSON: a \\u escape is a lone surrogate"),
    ("missing.txt", "FS path component is unavailable for missing.txt"),
    ("a.txt/x", "FS path component is unavailable for a.txt: not a directory"),
    ("sub", "FS read target is not a regular file: sub"),
    (".", "FS read target is not a regular file: ."),
])
def test_read_refusals(tree, path, expected):
    ok, message = call(fs_apis(fs_grant(tree[0])), "read", path=path)
    assert not ok and message.startswith(expected), message
    assert SECRET not in message


def _link_setups(root, outside):
    """A symlink at each position: leaf, middle component, first component, and the root itself."""
    (root / "leaf.txt").symlink_to(outside / "secret.txt")
    (root / "mid").symlink_to(outside)
    (root / "sub" / "deep").symlink_to(outside)
    (root / "inner.txt").symlink_to(root / "a.txt")  # even a link that stays inside is refused


@pytest.mark.parametrize("op,path,fields", [
    ("read", "leaf.txt", {}), ("read", "mid/secret.txt", {}), ("read", "sub/deep/secret.txt", {}),
    ("read", "inner.txt", {}), ("list", "mid", {}), ("list", "sub/deep", {}), ("list", "mid/.", {}),
    ("write", "leaf.txt", {"content": "x"}), ("write", "mid/secret.txt", {"content": "x"}),
    ("write", "sub/deep/new.txt", {"content": "x"}),
])
def test_symlinks_at_every_position_are_refused(tree, op, path, fields):
    root, outside = tree
    _link_setups(root, outside)
    ok, message = call(fs_apis(fs_grant(root)), op, path=path, **fields)
    assert not ok and "FS path symlink escape is denied" in message, message
    assert SECRET not in message
    assert (outside / "secret.txt").read_text() == SECRET
    assert sorted(os.listdir(outside)) == ["secret.txt"]


def test_list_shows_symlinks_without_following_them(tree):
    root, outside = tree
    _link_setups(root, outside)
    os.mkfifo(root / "pipe")
    entries = json.loads(call(fs_apis(fs_grant(root)), "list", path=".")[1])["entries"]
    kinds = {e["name"]: e["kind"] for e in entries}
    assert kinds == {"a.txt": "file", "sub": "dir", "leaf.txt": "symlink", "mid": "symlink",
                     "inner.txt": "symlink", "pipe": "other"}


@pytest.mark.parametrize("setup,expected", [
    (lambda root: root.parent / "missing", "configured fs grant root is unavailable"),
    (lambda root: root / "a.txt", "configured fs grant root must be a directory"),
    (lambda root: _symlink(root.parent / "rootlink", root), "configured fs grant root must not be a symlink"),
    (lambda root: "relative/root", "configured fs grant root must be an absolute path"),
    (lambda root: "   ", "configured fs grant root is invalid"),
])
def test_grant_root_must_be_an_existing_real_directory(tree, setup, expected):
    # A usable grant first (its root is missing), so the plan is authorized and the last error wins.
    apis = fs_apis(fs_grant("/nonexistent-yoi-root-xyz"), fs_grant(setup(tree[0])))
    assert call(apis, "read", path="a.txt") == (False, expected)


def _symlink(link, target):
    link.symlink_to(target)
    return link


def test_first_grant_that_resolves_wins(tree, tmp_path):
    root, outside = tree
    apis = fs_apis(fs_grant(outside / "nope"), fs_grant(root, ("read",)), fs_grant(outside, ("read",)))
    assert json.loads(call(apis, "read", path="a.txt")[1])["content"] == "alpha"
    assert json.loads(call(apis, "read", path="secret.txt")[1])["content"] == SECRET


def test_operations_are_separate_grants(tree):
    root, _ = tree
    write_only = fs_apis(fs_grant(root, ("write",)))
    assert call(write_only, "read", path="a.txt") == (False, "host_api.fs read denied: no matching operation grant")
    assert call(write_only, "list", path=".") == (False, "host_api.fs list denied: no matching operation grant")
    assert call(write_only, "write", path="sub", content="x") == (False, "FS write target is a directory: sub")
    assert call(write_only, "write", path="c.txt", content="x")[0]


def test_missing_api_or_scope_denies(tree):
    root, _ = tree
    assert call(fs_apis(fs_grant(root), host_apis=()), "read", path="a.txt") == (
        False, "plugin host API dispatch denied: host API `fs` is not in the plan")
    assert call(fs_apis(host_apis=("fs",)), "read", path="a.txt") == (
        False, "plugin host API dispatch denied: granted host_api.fs scope allowlist is missing")
    assert call(fs_apis(fs_grant(root, ())), "read", path="a.txt")[1].endswith("scope allowlist is missing")


def test_list_of_a_file_says_the_target_is_not_a_directory(tree):
    """Issue 18 point 6: the reference's wording (spec §6.11); a middle component that is a file
    keeps the component message."""
    apis = fs_apis(fs_grant(tree[0]))
    assert call(apis, "list", path="a.txt") == (False, "FS list target is not a directory: a.txt")
    assert call(apis, "list", path="a.txt/x") == (False, "FS path component is unavailable for a.txt: not a directory")


def test_special_files_never_block_and_are_refused(tree):
    root, _ = tree
    os.mkfifo(root / "fifo")
    apis = fs_apis(fs_grant(root))
    assert call(apis, "read", path="fifo") == (False, "FS read target is not a regular file: fifo")
    assert call(apis, "write", path="fifo", content="x") == (False, "FS write target is not a regular file: fifo")
    assert call(apis, "list", path="fifo") == (False, "FS list target is not a directory: fifo")  # spec §6.11
    dev = fs_apis(fs_grant("/dev", ("read",)))
    assert call(dev, "read", path="zero") == (False, "FS read target is not a regular file: zero")


def test_bounds(tree):
    root, _ = tree
    (root / "big.txt").write_bytes(b"x" * 70000)
    for index in range(300):
        (root / "sub" / f"f{index:03d}").write_text("")
    apis = fs_apis(fs_grant(root))
    data = json.loads(call(apis, "read", path="big.txt")[1])
    assert len(data["content"]) == 65536 and data["truncated"] is True
    listing = json.loads(call(apis, "list", path="sub")[1])
    assert len(listing["entries"]) == 256 and listing["truncated"] is True
    assert listing["entries"][0]["name"] == "b.txt" and listing["entries"][-1]["name"] == "f254"
    # The content bound (65536) cannot be passed inside a 65536-byte descriptor: the descriptor
    # bound refuses first, and nothing is created.
    assert call(apis, "write", path="huge.txt", content="y" * 65537) == (
        False, "FS request descriptor exceeds 65536 bytes")
    assert not (root / "huge.txt").exists()
    assert call(apis, "write", path="exact.txt", content="y" * 65500)[0]
    assert call(apis, "write", path="sub/", content="x") == (False, "FS write path must name a file")
    assert call(apis, "write", path="nodir/x.txt", content="x")[1].startswith(
        "FS path component is unavailable for nodir")
    assert not (root / "nodir").exists()  # write never creates directories
    assert apis.dispatch("fs", "read", b"{" * 65537) == (False, "FS request descriptor exceeds 65536 bytes")


@pytest.mark.parametrize("descriptor,expected", [
    (b'{"path":"a.txt","extra":1}', "invalid FS read request JSON: unknown field"),
    (b'{"path":1}', "invalid FS read request JSON: field `path` must be a string"),
    (b'{}', "invalid FS read request JSON: missing field `path`"),
    (b'[]', "invalid FS read request JSON: expected an object"),
    (b'{"path":"a.txt","path":"b"}', "invalid FS read request JSON: duplicate field"),
])
def test_malformed_descriptors(tree, descriptor, expected):
    ok, message = fs_apis(fs_grant(tree[0])).dispatch("fs", "read", descriptor)
    assert not ok and message.startswith(expected), message


def test_diagnostics_redact_secret_like_paths_and_never_show_content(tree):
    root, _ = tree
    apis = fs_apis(fs_grant(root))
    ok, message = call(apis, "read", path="secret=my-token-value.txt")
    assert not ok and "my-token-value" not in message and "<redacted>" in message
    ok, message = call(apis, "write", path="nodir/x.txt", content=SECRET)
    assert not ok and SECRET not in message
    ok, message = call(apis, "read", path="sub/" + "d" * 300)
    assert not ok and len(message.encode()) <= 515


def test_writes_to_one_target_are_serialized_and_never_partial(tree):
    root, _ = tree
    apis = fs_apis(fs_grant(root))
    payloads = [chr(ord("a") + i) * 60000 for i in range(8)]
    seen: list[str] = []
    results: list[bool] = []

    def writer(text: str, spelling: str) -> None:
        results.append(call(apis, "write", path=spelling, content=text)[0])

    def reader() -> None:
        for _ in range(50):
            ok, response = call(apis, "read", path="target.txt")
            if ok:
                seen.append(json.loads(response)["content"])

    call(apis, "write", path="target.txt", content=payloads[0])
    threads = [threading.Thread(target=writer, args=(p, "./target.txt" if i % 2 else "target.txt"))
               for i, p in enumerate(payloads)] + [threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(results) and len(results) == len(payloads)
    final = (root / "target.txt").read_text()
    assert final in payloads
    assert seen and all(text in payloads for text in seen)  # whole files only, never a mix
    assert sorted(os.listdir(root)) == ["a.txt", "sub", "target.txt"]


def test_write_keeps_the_mode_of_an_existing_file_and_replaces_it(tree):
    root, _ = tree
    os.chmod(root / "a.txt", 0o600)
    assert call(fs_apis(fs_grant(root)), "write", path="a.txt", content="new")[0]
    assert (root / "a.txt").read_text() == "new" and (root / "a.txt").stat().st_mode & 0o777 == 0o600


def test_list_stops_scanning_a_huge_folder(tree, monkeypatch):
    from engine.runtime.hostapi import fs

    root, _ = tree
    monkeypatch.setattr(fs, "MAX_LIST_SCAN", 3)  # the bound, not the folder, is made small
    for index in range(5):
        (root / "sub" / f"n{index}").write_text("")
    listing = json.loads(call(fs_apis(fs_grant(root)), "list", path="sub")[1])
    assert len(listing["entries"]) == 3 and listing["truncated"] is True
    monkeypatch.setattr(fs, "MAX_LIST_SCAN", 6)
    listing = json.loads(call(fs_apis(fs_grant(root)), "list", path="sub")[1])
    assert len(listing["entries"]) == 6 and listing["truncated"] is False
