"""Issue 18 point 1 (spec §4.1): a package with no `[runtime]` always gets the runtime diagnostic
`plugin runtime is not declared`, so a hook-only package is `rejected` by `check` and a bare
manifest names its reason instead of "diagnostics: none"."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from engine.cli.main import cli
from package_files import write_package_dir

HEAD = 'schema_version = 1\nid = "example.summarizer"\nname = "Summarizer"\nversion = "0.1.0"\n'
HOOK_ONLY = HEAD + 'surfaces = ["hook"]\n[[hooks]]\nid = "on-turn"\nfile = "hooks/on.md"\n'


@pytest.mark.parametrize(("text", "files"), [(HOOK_ONLY, {"hooks/on.md": "hi"}), (HEAD, {})], ids=["hook-only", "bare"])
def test_check_rejects_a_package_without_a_runtime_and_says_why(tmp_path, text, files):
    folder = write_package_dir(tmp_path / "pkg", text, files)
    done = CliRunner().invoke(cli, ["plugin", "check", str(folder), "--json"])
    assert done.exit_code == 1, done.output
    report = json.loads(done.stdout)
    assert report["status"] == "rejected"
    assert [(d["code"], d["message"]) for d in report["diagnostics"]] == [
        ("runtime_not_declared", "plugin runtime is not declared")]
    assert report["plan"] is None
    human = CliRunner().invoke(cli, ["plugin", "check", str(folder)])
    assert "message=plugin runtime is not declared" in human.stdout and "diagnostics: none" not in human.stdout


def test_an_enabled_hook_only_package_is_rejected_in_list(tmp_path, monkeypatch):
    from engine.package.pack import pack_directory

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    folder = write_package_dir(tmp_path / "pkg", HOOK_ONLY, {"hooks/on.md": "hi"})
    ws = tmp_path / "ws"
    pack_directory(folder, ws / ".yoi" / "plugins" / "summarizer.yoi-plugin")
    (ws / ".yoi" / "config.toml").write_text('[[plugins.enabled]]\nid = "project:example.summarizer"\n')
    done = CliRunner().invoke(cli, ["plugin", "list", "--workspace", str(ws), "--json"])
    (item,) = json.loads(done.stdout)["items"]
    assert (item["status"], item["resolved"], item["static_eligible"]) == ("rejected", True, False)
    assert [(c["code"], c["message"]) for c in item["conclusions"]] == [
        ("runtime_not_declared", "plugin runtime is not declared")]
