"""Issue 17 point 1: a plugin never touches the host's own control files. A plugin granted fs
read+write on its project folder (a natural grant for a formatter) tries to rewrite
`.yoi/config.toml`, read it, list the package store, plant a compiled artifact in a cache kept in
the project (`YOI_CACHE=$PWD/.cache`, common in CI) and edit the `--policy` folder: each is a
bounded host-API error, whatever the grant, while its own files stay reachable. On main every one
of these succeeded."""

from __future__ import annotations

import json
import os

import pytest
from fs_workspace import LOCAL_ID, add_fs_package
from hostapi_plans import fs_grant
from serve_client import send, serve

from engine.runtime.hostapi.fs import FsApi
from engine.runtime.hostapi.protected import ProtectedPaths


def _answer(process, request_id, tool, payload):
    reply = send(process, {"id": request_id, "op": "call", "plugin": LOCAL_ID, "tool": tool, "input": payload})
    assert reply["ok"], reply
    return json.loads(reply["result"]["content"])


PROTECTED_WORDS = "is a protected host path"


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "notes.txt").write_text("mine")
    policy = ws / "policy"
    policy.mkdir()
    (policy / "org.rules").write_text('warn org_note(P) "reviewed" :- package(P, _, _, _, _).\n')
    monkeypatch.setenv("YOI_CACHE", str(ws / ".cache"))  # the cache in the project, as in CI
    config = add_fs_package(ws, [(str(ws), ("read", "list", "write"))])
    return ws, config, policy


def test_a_project_grant_never_reaches_the_hosts_control_files(project):
    ws, config, policy = project
    original = config.read_bytes()
    process = serve(ws, "-q", "--policy", str(policy))
    try:
        assert _answer(process, 1, "read", {"path": "notes.txt"})["content"] == "mine"  # its own files: fine
        assert _answer(process, 2, "write", {"path": "notes.txt", "content": "edited"})["bytes_written"] == 6
        names = {e["name"] for e in _answer(process, 3, "ls", {"path": ".yoi"})["entries"]}
        assert names == {"config.toml", "plugins"}  # a folder holding protected paths may be listed
        assert (ws / ".cache" / "compiled-wasm").is_dir()  # the plugin's own compile filled the cache
        attempts = [
            ("write", {"path": ".yoi/config.toml", "content": '[[plugins.enabled]]\nid = "x"\n'}),
            ("read", {"path": ".yoi/config.toml"}),
            ("read", {"path": "./.yoi//config.toml"}),
            ("ls", {"path": ".yoi/plugins"}),
            ("write", {"path": ".yoi/plugins/evil.yoi-plugin", "content": "PK"}),
            ("write", {"path": ".cache/compiled-wasm/planted.module.cwasm", "content": "\u007fELF"}),
            ("read", {"path": ".cache/mac.key"}),
            ("ls", {"path": ".cache"}),
            ("write", {"path": "policy/org.rules", "content": "# gone\n"}),
            ("read", {"path": "policy/org.rules"}),
        ]
        for index, (tool, payload) in enumerate(attempts):
            error = _answer(process, 10 + index, tool, payload)["error"]["message"]
            assert PROTECTED_WORDS in error, (tool, payload, error)
            assert len(error.encode()) <= 512 and "plugins.enabled" not in error
    finally:
        process.stdin.close()
        process.wait(timeout=60)
    assert process.returncode == 0
    assert config.read_bytes() == original
    assert not (ws / ".cache" / "compiled-wasm" / "planted.module.cwasm").exists()
    assert not (ws / ".yoi" / "plugins" / "evil.yoi-plugin").exists()
    assert (policy / "org.rules").read_text().startswith("warn org_note")
    assert (ws / "notes.txt").read_text() == "edited"


def test_other_spellings_hard_links_and_roots_inside_protected_folders(tmp_path):
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    secret = tmp_path / "host" / "config.toml"
    secret.parent.mkdir()
    secret.write_text("secret = 1")
    os.link(secret, root / "alias.toml")  # a hard link of the config inside the granted folder
    store = root / "store"
    store.mkdir()
    (store / "pkg").write_text("x")
    guarded = ProtectedPaths([str(secret), str(store)])
    api = FsApi((fs_grant(root),), guarded)
    for op, payload in (("read", {"path": "alias.toml"}), ("write", {"path": "alias.toml", "content": "y"}),
                        ("list", {"path": "store"}), ("read", {"path": "sub/../store/pkg"}),
                        ("read", {"path": "store/pkg"})):
        with pytest.raises(Exception) as error:
            api.run(op, json.dumps(payload).encode())
        assert PROTECTED_WORDS in str(error.value) or "traversal" in str(error.value), (op, payload)
    inside = FsApi((fs_grant(store),), guarded)  # a root inside a protected folder: nothing under it
    for op, payload in (("list", {"path": "."}), ("read", {"path": "pkg"})):
        with pytest.raises(Exception) as error:
            inside.run(op, json.dumps(payload).encode())
        assert PROTECTED_WORDS in str(error.value)
    assert secret.read_text() == "secret = 1"
    assert json.loads(api.run("list", b'{"path": "sub"}'))["entries"] == []


def test_case_folded_spellings_are_protected_too():
    guarded = ProtectedPaths(["/srv/ws/.yoi/config.toml"])
    assert guarded.holds("/srv/ws/.yoi/config.toml") and guarded.holds("/srv/ws/.YOI/Config.TOML")
    assert guarded.holds("/srv/ws/.yoi/config.toml/x") and not guarded.holds("/srv/ws/.yoi/config.toml2")
    assert not guarded.holds("/srv/ws/.yoi")
