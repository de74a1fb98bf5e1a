"""Issue 17 point 3: fs roots are judged as the runtime will use them. `/proc/self/root/etc` and a
workspace symlink to `/etc` both name `/etc`; an org rule denying roots under `/etc` must see
that (on main both passed it and the runtime served /etc/passwd). `fs_grant` carries the resolved
root, `fs_grant_written` the written one; a root whose resolution changed after startup is refused."""

from __future__ import annotations

import json
import os

import pytest
from fs_workspace import LOCAL_ID, REF, add_fs_package
from hostile import run_yoi

from engine.grants.config import parse_config
from engine.api_registry.fs import resolve_root

ORG = 'deny no_etc(P) "fs grants must not reach /etc" :- fs_grant(P, R, _), startswith(R, "/etc").\n'


@pytest.fixture
def org(tmp_path):
    folder = tmp_path / "org"
    folder.mkdir()
    (folder / "org.rules").write_text(ORG)
    return folder


def _item(report: dict) -> dict:
    return next(item for item in report["items"] if item["reference"] == REF)


@pytest.mark.parametrize("spelling", ["proc", "symlink"])
def test_a_root_that_names_etc_is_judged_as_etc(spelling, tmp_path, org, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    ws = tmp_path / "ws"
    ws.mkdir()
    if spelling == "proc":
        root = "/proc/self/root/etc"
    else:
        (ws / "shared").symlink_to("/etc")
        root = str(ws / "shared")
    add_fs_package(ws, [(root, ("read",))])
    done = run_yoi("plugin", "list", "--workspace", ws, "--policy", org, "--json")
    item = _item(json.loads(done.stdout))
    assert item["status"] == "rejected", item["status"]
    assert any(c["code"] == "no_etc" for c in item["conclusions"])
    resolved = [c for c in item["conclusions"] if c["code"] == "fs_grant_root_resolves_elsewhere"]
    assert resolved and resolved[0]["args"][1:] == [root, "/etc"]
    call = run_yoi("plugin", "call", LOCAL_ID, "read", "--input", '{"path": "passwd"}', "--workspace", ws,
                   "--policy", org, "-q")
    assert call.returncode == 1 and "refused at startup" in call.stderr and "root:" not in call.stdout


def test_facts_carry_the_resolved_and_the_written_root(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    text = ('[[plugins.enabled]]\nid = "project:p"\n[plugins.enabled.grants]\n'
            f'fs = [{{ root = "{tmp_path}/link", operations = ["read"] }}, '
            f'{{ root = "{tmp_path}/real", operations = ["list"] }}]\n')
    (enablement,) = parse_config(text, "c.toml").enabled
    first, second = enablement.grants.fs
    assert (first.root, first.written) == (str(tmp_path / "real"), str(tmp_path / "link"))
    assert (second.root, second.written) == (str(tmp_path / "real"), None)  # unchanged: nothing extra kept
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    assert resolve_root(str(loop)) == ""  # a loop resolves to nothing usable
    assert resolve_root("/proc/self/root/etc") == "/etc"


def test_a_root_whose_resolution_changes_after_startup_is_refused(tmp_path, monkeypatch):
    from engine.host.startup import start_plans
    from engine.runtime import HostConfig, RuntimeFault

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    ws = tmp_path / "ws"
    for name, text in (("data", "approved"), ("other", "not approved")):
        (ws / name).mkdir(parents=True)
        (ws / name / "file.txt").write_text(text)
    (ws / "current").symlink_to(ws / "data")
    add_fs_package(ws, [(str(ws / "current"), ("read",))])
    report = start_plans(ws, host=HostConfig(cache_dir=tmp_path / "compiled"))
    with report.registry as registry:
        (plan,) = [registry.plan(ref) for ref in registry.refs() if ref == REF]
        assert plan.fs_allowlist[0].root == str(ws / "data")
        read = json.dumps({"path": "file.txt"})
        assert json.loads(registry.call_tool(REF, "read", read)["content"])["content"] == "approved"
        os.remove(ws / "current")
        (ws / "current").symlink_to(ws / "other")  # swapped after startup
        answer = json.loads(registry.call_tool(REF, "read", read)["content"])
        assert "no longer resolves to the planned" in answer["error"]["message"]
        os.remove(ws / "current")
        (ws / "current").symlink_to(ws / "data")
        os.rename(ws / "data", ws / "data-moved")  # a symlink in the resolved root itself
        (ws / "data").symlink_to(ws / "other")
        answer = json.loads(registry.call_tool(REF, "read", read)["content"])
        assert "root" in answer["error"]["message"] and "not approved" not in json.dumps(answer)
        with pytest.raises(RuntimeFault):
            registry.call_tool("project:nope", "read", read)
