"""Issue 18 point 3: `yoi plugin lock` writes the resolved plan (spec §3.7) into the config, and
startup, list, show and explain use it as it is: a package that is gone or whose digest changed
is refused with the reference's wording, never resolved again."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path

import pytest

from engine.grants.config import load_config
from engine.grants.lock_file import BEGIN, END
from engine.host.startup import evaluate_startup
from engine.package.archive import write_archive
from engine.package.materialize import read_directory
from example_workspace import EXAMPLES, yoi
from lock_cli import items, lock, run

MISMATCH = "resolved plugin package digest does not match current package content"
ALL_REFS = {"project:example.raw-echo", "project:example.component-echo", "project:example.counter"}


def replace_with_other_version(workspace: Path, name: str, folder: str, version: str = "0.2.0") -> None:
    """Put another version of an example at the same store path (the same identity)."""
    files = read_directory(EXAMPLES / folder)
    files["plugin.toml"] = files["plugin.toml"].replace(b'version = "0.1.0"', f'version = "{version}"'.encode())
    (workspace / ".yoi" / "plugins" / name).write_bytes(write_archive(files))


def test_lock_appends_the_plan_and_leaves_every_other_byte(workspace):
    config = workspace / ".yoi" / "config.toml"
    config.write_text(config.read_text() + "\n# a comment the lock must keep\n[model]\nname = 'x'")  # no final newline
    os.chmod(config, 0o640)
    before = config.read_bytes()
    done = lock(workspace, "--json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["status"] == "written" and {r["reference"] for r in report["resolved"]} == ALL_REFS
    assert all("config" not in r for r in report["resolved"])  # a record's config may hold secrets
    after = config.read_bytes()
    assert after.startswith(before) and stat.S_IMODE(os.stat(config).st_mode) == 0o640
    added = after[len(before):].decode()
    assert added.startswith("\n\n" + BEGIN + "\n") and added.endswith(END + "\n")

    plugins = tomllib.loads(after.decode())["plugins"]
    record = next(r for r in plugins["resolved"] if r["identity"]["local_id"] == "example.counter")
    assert list(record)[:8] == ["identity", "source", "package_path", "package_label", "digest", "version",
                                "enabled_surfaces", "config"]  # the reference's record shape (§3.7), then ours
    assert record["package_path"] == ".yoi/plugins/example.counter.yoi-plugin"  # relative: works in any checkout
    assert record["manifest"]["id"] == "example.counter" and record["grants"]["id"] == "project:example.counter"
    assert record["config"] == {"label": "test"}

    assert lock(workspace, "--check").exit_code == 0
    again = lock(workspace)
    assert again.exit_code == 0 and "[unchanged]" in again.stdout and config.read_bytes() == after


def test_relocking_replaces_only_the_block_in_place(workspace):
    config = workspace / ".yoi" / "config.toml"
    assert lock(workspace).exit_code == 0
    text = config.read_text()
    config.write_text(text + "\n[worker]\nname = 'after the lock'\n")
    head, tail = text.split(BEGIN)[0], "\n[worker]\nname = 'after the lock'\n"
    replace_with_other_version(workspace, "example.raw-echo.yoi-plugin", "raw-echo")
    stale = lock(workspace, "--check")
    assert stale.exit_code == 1 and "is stale; run `yoi plugin lock`" in stale.stderr
    assert lock(workspace).exit_code == 0
    relocked = config.read_text()
    assert relocked.startswith(head + BEGIN) and relocked.endswith(END + "\n" + tail)
    assert relocked.count(BEGIN) == 1
    assert lock(workspace, "--check").exit_code == 0


def test_startup_refuses_a_replaced_locked_package_instead_of_following_it(workspace):
    assert lock(workspace).exit_code == 0
    replace_with_other_version(workspace, "example.counter.yoi-plugin", "instance-counter")
    report = evaluate_startup(workspace)
    assert set(report.started_refs) == ALL_REFS - {"project:example.counter"}
    (refused,) = report.refused
    assert refused["ref"] == "project:example.counter" and refused["reasons"][0] == MISMATCH
    item = items(workspace)["project:example.counter"]
    assert item["status"] == "rejected" and item["resolved"] is False
    assert {"kind": "digest", "message": MISMATCH} in item["diagnostics"]
    call = yoi("plugin", "call", "example.counter", "counter", "--workspace", str(workspace), "-q")
    assert call.returncode == 1 and MISMATCH in call.stderr


def test_an_unpinned_enablement_follows_a_replaced_package_only_without_a_lock(workspace):
    """Without a lock, an enablement naming only an id resolves to whatever the store holds now;
    with one, the record keeps the package it was locked to and the new one is refused."""
    config = workspace / ".yoi" / "config.toml"
    config.write_text('[[plugins.enabled]]\nid = "project:example.raw-echo"\nsurfaces = ["tool"]\n')
    assert items(workspace)["project:example.raw-echo"]["version"] == "0.1.0"
    assert lock(workspace).exit_code == 0
    replace_with_other_version(workspace, "example.raw-echo.yoi-plugin", "raw-echo")
    locked = items(workspace)["project:example.raw-echo"]
    assert (locked["status"], locked["resolved"]) == ("rejected", False)
    assert [d["message"] for d in locked["diagnostics"]] == [MISMATCH]
    shown = run("show", "example.raw-echo", "--workspace", str(workspace))
    assert shown.exit_code == 0 and MISMATCH in shown.stdout
    explained = run("explain", "project:example.raw-echo", "--workspace", str(workspace))
    assert explained.exit_code == 0 and MISMATCH in explained.stdout
    assert explained.stdout.startswith("plugin project:example.raw-echo [rejected]")
    config.write_text(config.read_text().split(BEGIN)[0])  # the lock removed: resolution follows
    assert items(workspace)["project:example.raw-echo"]["version"] == "0.2.0"


def test_a_locked_package_that_is_gone_is_refused(workspace):
    assert lock(workspace).exit_code == 0
    (workspace / ".yoi" / "plugins" / "example.raw-echo.yoi-plugin").unlink()
    item = items(workspace)["project:example.raw-echo"]
    assert item["status"] == "rejected"
    assert item["diagnostics"] == [
        {"kind": "io", "message": "resolved plugin package metadata could not be read: not found"}]


def test_an_enablement_added_after_the_lock_does_not_start(workspace):
    config = workspace / ".yoi" / "config.toml"
    text = config.read_text()
    first = text.index("[[plugins.enabled]]", text.index("[[plugins.enabled]]") + 1)
    config.write_text(text[first:])  # only component-echo and counter are enabled when locking
    assert lock(workspace).exit_code == 0
    config.write_text(text[:first] + config.read_text())  # raw-echo enabled again, not locked
    report = evaluate_startup(workspace)
    assert "project:example.raw-echo" not in report.started_refs
    item = items(workspace)["project:example.raw-echo"]
    assert item["status"] == "rejected" and "run `yoi plugin lock`" in item["diagnostics"][0]["message"]
    assert lock(workspace, "--check").exit_code == 1


def test_a_locked_package_behind_a_symlink_inside_its_store_is_read(workspace):
    """Discovery follows a symlink that stays in the store (spec §5.5); so does the lock."""
    store = workspace / ".yoi" / "plugins"
    (store / "echo-v1.data").write_bytes((store / "example.raw-echo.yoi-plugin").read_bytes())  # no candidate
    (store / "example.raw-echo.yoi-plugin").unlink()
    (store / "example.raw-echo.yoi-plugin").symlink_to("echo-v1.data")
    assert lock(workspace).exit_code == 0
    assert set(evaluate_startup(workspace).started_refs) == ALL_REFS


def test_a_locked_record_outside_its_store_is_refused(workspace):
    assert lock(workspace).exit_code == 0
    config = workspace / ".yoi" / "config.toml"
    outside = workspace.parent / "outside.yoi-plugin"
    outside.write_bytes((workspace / ".yoi" / "plugins" / "example.raw-echo.yoi-plugin").read_bytes())
    config.write_text(config.read_text().replace(
        'package_path = ".yoi/plugins/example.raw-echo.yoi-plugin"', 'package_path = "../outside.yoi-plugin"'))
    item = items(workspace)["project:example.raw-echo"]
    assert item["diagnostics"] == [
        {"kind": "traversal", "message": "resolved plugin package path escapes its source store"}]


@pytest.mark.parametrize(("text", "says"), [
    ("[[plugins.enabled]\n", "could not be parsed as TOML"),
    ('plugins = { enabled = [{ id = "project:example.raw-echo" }] }\n', "inline table"),
    ('[[plugins.enabled]]\nid = "project:example.raw-echo"\n[[plugins.resolved]]\nsource = "project"\n',
     "plugins.resolved[0].digest` is required"),
    ('[[plugins.enabled]]\nid = "project:example.raw-echo"\n[[plugins.diagnostics]]\nkind = "io"\n'
     'phase = "discovery"\nmessage = "by yoi"\n', "outside the block"),
    (f"{BEGIN}\n", "lock markers"),
])
def test_a_config_the_lock_cannot_take_is_left_as_it_was(workspace, text, says):
    config = workspace / ".yoi" / "config.toml"
    config.write_text(text)
    done = lock(workspace)
    assert done.exit_code == 2 and says in done.stderr, done.stderr
    assert config.read_text() == text


def test_no_config_and_symlinked_configs_are_not_written(workspace, tmp_path):
    config = workspace / ".yoi" / "config.toml"
    target = tmp_path / "real.toml"
    target.write_text(config.read_text())
    config.unlink()
    missing = lock(workspace)
    assert missing.exit_code == 2 and "there is no config to lock" in missing.stderr
    config.symlink_to(target)
    linked = lock(workspace, "--config", str(config))
    assert linked.exit_code == 2 and "is a symlink" in linked.stderr
    assert target.read_text().count(BEGIN) == 0 and config.is_symlink()
    assert lock(workspace, "--config", str(target)).exit_code == 0
    assert BEGIN in target.read_text()


def test_a_plan_written_by_yoi_reads_as_a_lock(workspace):
    """The reference's record shape (no `limits`/`restart`, `manifest` kept) is a lock too."""
    assert lock(workspace).exit_code == 0
    config = workspace / ".yoi" / "config.toml"
    plain = config.read_text().replace(BEGIN + "\n", "").replace(END + "\n", "")
    config.write_text(plain)
    locked = load_config(config).lock
    assert locked is not None and {r.ref for r in locked.records} == ALL_REFS
    assert set(evaluate_startup(workspace).started_refs) == ALL_REFS
    replace_with_other_version(workspace, "example.counter.yoi-plugin", "instance-counter")
    assert evaluate_startup(workspace).refused[0]["reasons"][0] == MISMATCH
    done = lock(workspace)  # yoi's own plan is not ours to replace
    assert done.exit_code == 2 and "outside the block" in done.stderr


def test_an_enablement_that_failed_to_resolve_never_starts(workspace):
    """A version pin that does not match refuses the enablement at resolution (spec §3.3 step 4);
    its grants, bound to the real package, must not start it anyway (they did before issue 18)."""
    config = workspace / ".yoi" / "config.toml"
    text = config.read_text()
    at = text.index('id = "project:example.counter"')
    config.write_text(text[:at] + text[at:].replace('version = "0.1.0"', 'version = "9.9.9"', 1))
    report = evaluate_startup(workspace)
    assert "project:example.counter" not in report.started_refs
    (refused,) = report.refused
    assert refused["reasons"][0] == (
        "enabled plugin exact version requirement does not match discovered package version")
