"""fs roots written relative to the workspace (issue 21 point 7): `root = "./data"` in a committed
`.yoi/config.toml` is resolved canonically against the workspace (the folder holding `.yoi/`),
never against the working folder, before the rules see it; the facts keep the written form and
say it was relative; the `engine` target accepts it, the yoi targets flag it at its `root` line
(the profiles' flag `fs_root_absolute_required`), and the runtime serves the folder it names.
On main every relative root was a config error (exit 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fs_workspace import LOCAL_ID, REF, add_fs_package
from hostile import run_yoi
from serve_client import send, serve

from engine.grants.config import load_config, parse_config

CWD_DECOY = "decoy: the working folder's data"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A workspace with `data/notes.txt`, and another working folder that has a `data/` too (so a
    root resolved against the working folder would be seen)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    ws = tmp_path / "ws"
    (ws / "data").mkdir(parents=True)
    (ws / "data" / "notes.txt").write_text("workspace notes")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "data").mkdir(parents=True)
    (elsewhere / "data" / "notes.txt").write_text(CWD_DECOY)
    return ws, elsewhere


def _line_of(config: Path, needle: str) -> int:
    return next(n for n, line in enumerate(config.read_text().splitlines(), 1) if needle in line)


def _item(ws: Path, *args, cwd: Path) -> dict:
    done = run_yoi("plugin", "list", "--workspace", ws, "--json", *args, cwd=cwd)
    return next(i for i in json.loads(done.stdout)["items"] if i["reference"] == REF)


def _fs_rows(facts: dict) -> dict:
    return {pred: facts[pred] for pred in ("fs_grant", "fs_grant_written", "fs_grant_root_relative")}


@pytest.mark.parametrize("written", ["./data", "data", "data/", "./sub/../data"])
def test_a_relative_root_resolves_against_the_workspace_not_the_working_folder(project, written):
    ws, elsewhere = project
    add_fs_package(ws, [(written, ("read",))])
    data = str(ws.resolve() / "data")
    # a workspace command run from another folder
    item = _item(ws, cwd=elsewhere)
    assert item["status"] == "active"
    assert [entry["root"] for entry in item["plan"]["fs_allowlist"]] == [data]
    assert not [c for c in item["conclusions"] if c["severity"] != "info"]
    # the facts keep the written form, say it was relative, and carry the resolved root
    facts = json.loads(run_yoi("plugin", "facts", LOCAL_ID, "--workspace", ws, cwd=elsewhere).stdout)
    assert _fs_rows(facts) == {"fs_grant": [[REF, data, "read"]], "fs_grant_written": [[REF, written, data]],
                               "fs_grant_root_relative": [[REF, written, data]]}
    # `check --grants <ws>/.yoi/config.toml` (no --workspace): the config's own workspace
    config = ws / ".yoi" / "config.toml"
    (enablement,) = load_config(config).enabled
    assert enablement.grants.fs[0].root == data and enablement.grants.fs[0].written == written


def test_a_config_outside_a_workspace_is_relative_to_its_own_folder(tmp_path, monkeypatch):
    (tmp_path / "ci" / "data").mkdir(parents=True)
    (tmp_path / "data").mkdir()
    monkeypatch.chdir(tmp_path)  # the working folder has a `data/` too
    config = tmp_path / "ci" / "grants.toml"
    config.write_text('[[plugins.enabled]]\nid = "project:p"\n[plugins.enabled.grants]\n'
                      'fs = [{ root = "data", operations = ["read"] }]\n')
    (enablement,) = load_config(Path("ci/grants.toml")).enabled
    assert enablement.grants.fs[0].root == str(tmp_path.resolve() / "ci" / "data")
    # parse_config with a workspace named by the caller (a workspace command's --workspace)
    (named,) = parse_config(config.read_text(), str(config), workspace=tmp_path).enabled
    assert named.grants.fs[0].root == str(tmp_path.resolve() / "data")


def test_a_symlinked_relative_root_resolves_to_its_target(project, tmp_path):
    ws, elsewhere = project
    real = tmp_path / "shared" / "real"
    real.mkdir(parents=True)
    (ws / "linked").symlink_to(real)
    link_in_ws = tmp_path / "ws-link"  # the workspace itself reached through a symlink: no warning for that
    link_in_ws.symlink_to(ws)
    add_fs_package(ws, [("./linked", ("read",)), ("../shared/real", ("list",))])
    item = _item(link_in_ws, cwd=elsewhere)
    target = str(real.resolve())
    assert [entry["root"] for entry in item["plan"]["fs_allowlist"]] == [target, target]
    elsewheres = [c["args"][1:] for c in item["conclusions"] if c["code"] == "fs_grant_root_resolves_elsewhere"]
    assert elsewheres == [["./linked", target]]  # the symlink, not `..` nor the workspace's own link


def test_a_relative_root_reaching_protected_or_broad_paths_is_judged_like_an_absolute_one(project):
    ws, elsewhere = project
    climbs = "/".join([".."] * (len(ws.resolve().parts) + 2))  # above `/`: normalizes to `/`
    add_fs_package(ws, [("./.yoi", ("read",)), (climbs, ("list",))])
    item = _item(ws, cwd=elsewhere)
    codes = {(c["code"], c["args"][1]) for c in item["conclusions"]}
    assert ("fs_grant_covers_protected_path", str(ws.resolve() / ".yoi")) in codes
    assert ("fs_grant_broad_root", "/") in codes


def test_the_engine_target_accepts_it_and_the_yoi_targets_flag_it_at_the_root_line(project):
    ws, elsewhere = project
    config = add_fs_package(ws, [("./data", ("read",))])
    archive = ws / ".yoi" / "plugins" / f"{LOCAL_ID}.yoi-plugin"
    line = _line_of(config, 'root = "./data"')
    engine = run_yoi("plugin", "check", archive, "--grants", config, "--fail-on", "warn", "--json", cwd=elsewhere)
    assert engine.returncode == 0, engine.stdout
    assert json.loads(engine.stdout)["targets"]["engine"]["findings"] == []
    done = run_yoi("plugin", "check", archive, "--grants", config, "--target", "yoi@b12e0785", "--json", cwd=elsewhere)
    assert done.returncode == 1
    verdict = json.loads(done.stdout)["targets"]["yoi@b12e0785"]
    found = {f["code"]: f for f in verdict["findings"]}
    data = str(ws.resolve() / "data")
    relative = found["target_fs_root_relative"]
    assert relative["severity"] == "warn" and relative["args"][2:] == ["./data", data]
    assert relative["message"] == (
        f"yoi@b12e0785 reads fs grant roots as absolute host paths only: `./data` (here resolved against the "
        f"workspace to `{data}`) is unusable there; write the absolute path")
    assert (relative["location"]["file"], relative["location"]["line"]) == (str(config), line)
    missing = found["target_fs_allowlist_missing"]  # no absolute root left: upstream finds none usable
    assert missing["severity"] == "deny" and missing["message"] == "granted host_api.fs scope allowlist is missing"
    assert missing["location"]["line"] == line
    sarif = run_yoi("plugin", "check", archive, "--grants", config, "--target", "yoi@43c9216e", "--format", "sarif",
                    cwd=elsewhere)
    results = {r["ruleId"]: r for r in json.loads(sarif.stdout)["runs"][0]["results"]}
    assert results["yoi/target_fs_root_relative"]["locations"][0]["physicalLocation"]["region"]["startLine"] == line


def test_beside_an_absolute_root_a_relative_one_is_flagged_but_not_denied(project):
    ws, elsewhere = project
    add_fs_package(ws, [("./data", ("read",)), (str(ws.resolve() / "data"), ("list",))])
    item = _item(ws, "--target", "yoi@43c9216e", cwd=elsewhere)
    codes = {(f["severity"], f["code"]) for f in item["targets"]["yoi@43c9216e"]["findings"]}
    assert ("warn", "target_fs_root_relative") in codes and ("deny", "target_fs_allowlist_missing") not in codes


def test_serve_reads_a_file_under_the_relative_root_from_another_working_folder(project):
    ws, elsewhere = project
    add_fs_package(ws, [("./data", ("read", "list"))])
    process = serve(ws, "-q", cwd=elsewhere)
    try:
        reply = send(process, {"id": 1, "op": "call", "plugin": LOCAL_ID, "tool": "read",
                               "input": {"path": "notes.txt"}})
        assert reply["ok"], reply
        assert json.loads(reply["result"]["content"])["content"] == "workspace notes"
        listed = send(process, {"id": 2, "op": "call", "plugin": LOCAL_ID, "tool": "ls", "input": {"path": "."}})
        assert [e["name"] for e in json.loads(listed["result"]["content"])["entries"]] == ["notes.txt"]
    finally:
        process.stdin.close()
        process.wait(timeout=60)
    call = subprocess.run(  # not run_yoi: its address-space cap is below what wasmtime reserves
        [sys.executable, "-m", "engine.cli.main", "plugin", "call", LOCAL_ID, "read", "--input",
         '{"path": "notes.txt"}', "--workspace", str(ws), "-q"],
        cwd=elsewhere, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert call.returncode == 0, call.stderr
    assert "workspace notes" in call.stdout and CWD_DECOY not in call.stdout


def test_the_runtime_refuses_a_relative_root_without_a_workspace_or_moved_since_planning(project, tmp_path):
    from hostapi_plans import make_plan

    from engine.api_registry.fs import FsGrant
    from engine.runtime.hostapi import HostApis

    ws, elsewhere = project
    data = str(ws.resolve() / "data")
    lost = FsGrant(data, ("read",), "./data", None)  # e.g. rebuilt from a report without its workspace
    ok, answer = HostApis(make_plan(("fs",), fs=[lost])).dispatch("fs", "read", b'{"path": "notes.txt"}')
    assert not ok and "no longer resolves" in answer and "workspace notes" not in answer
    (ws / "real").mkdir()
    (ws / "real" / "notes.txt").write_text("other")
    os.rename(ws / "data", ws / "data-old")
    (ws / "data").symlink_to(ws / "real")  # `./data` now names another folder
    moved = FsGrant(data, ("read",), "./data", str(ws.resolve()))
    ok, answer = HostApis(make_plan(("fs",), fs=[moved])).dispatch("fs", "read", b'{"path": "notes.txt"}')
    assert not ok and "other" not in answer


def test_a_root_that_is_no_folder_is_flagged_when_judged_and_never_opened(project):
    """A FIFO, a file or a device as an fs root gives the plugin nothing (the runtime refuses
    every operation under it); the reviewer hears it from `list`, which only stats the root, so
    a FIFO never blocks it. A root that is not there yet is not flagged."""
    ws, elsewhere = project
    os.mkfifo(ws / "pipe")
    (ws / "file.txt").write_text("x")
    add_fs_package(ws, [("./pipe", ("read",)), ("./file.txt", ("read",)), ("/dev/null", ("read",)),
                        ("./later", ("read",)), ("./data", ("read",))])
    item = _item(ws, cwd=elsewhere)
    flagged = {(c["args"][1], c["args"][2]) for c in item["conclusions"] if c["code"] == "fs_grant_root_not_a_folder"}
    assert flagged == {(str(ws.resolve() / "pipe"), "fifo"), (str(ws.resolve() / "file.txt"), "file"),
                       ("/dev/null", "device")}


def test_the_verdict_cache_keys_on_what_a_root_is():
    """Making the folder after a check must not answer from a verdict taken while it was a file."""
    import hashlib

    from engine.api_registry.fs import FsGrant
    from engine.pipeline.inputs import key_material

    def key(grant: FsGrant) -> str:
        digest = hashlib.sha256()
        key_material(digest, grant)
        return digest.hexdigest()

    assert FsGrant("/srv/x", ("read",), kind="file") == FsGrant("/srv/x", ("read",))  # the same grant
    assert key(FsGrant("/srv/x", ("read",), kind="file")) != key(FsGrant("/srv/x", ("read",)))
