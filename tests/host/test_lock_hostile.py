"""`yoi plugin lock` against hostile and unusual configs (the audit of issue 18 point 3): every
input either locks and reads back as the same config, or is refused with exit 2 and a clear
message; nothing crashes, nothing is half written."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from fs_workspace import REF as FS_REF
from fs_workspace import add_fs_package
from lock_cli import items, lock

from engine.grants.lock_file import BEGIN


def test_fs_grants_lock_and_read_back_relative_to_the_workspace(tmp_path, user_home):
    """A plan's fs grants are written as the config wrote them (a relative root stays relative,
    so a committed lock works in any checkout); before, every fs grant made the lock fail."""
    ws = tmp_path / "a ws é"
    (ws / "data").mkdir(parents=True)
    (ws / "abs").mkdir()
    config = add_fs_package(ws, [("./data", ("read",)), (str(ws.resolve() / "abs"), ("list",))])
    done = lock(ws)
    assert done.exit_code == 0, done.output
    assert lock(ws, "--check").exit_code == 0
    plan = config.read_text().split(BEGIN)[1]
    assert 'root = "./data"' in plan and str(ws.resolve()) + "/abs" in plan
    item = items(ws)[FS_REF]
    assert item["status"] == "active"
    assert [e["root"] for e in item["plan"]["fs_allowlist"]] == [str(ws.resolve() / "data"), str(ws.resolve() / "abs")]


def test_a_config_holding_nan_elsewhere_can_be_locked(workspace):
    """NaN is not equal to itself: the read-back check must compare the config as written."""
    config = workspace / ".yoi" / "config.toml"
    config.write_text("[model]\ntemperature = nan\n" + config.read_text().replace(
        'config = { label = "test" }', 'config = { label = "test", bound = inf, odd = nan }'))
    done = lock(workspace)
    assert done.exit_code == 0, done.output
    assert lock(workspace, "--check").exit_code == 0


def test_a_locked_package_path_with_a_nul_byte_is_refused_not_a_crash(workspace):
    assert lock(workspace).exit_code == 0
    config = workspace / ".yoi" / "config.toml"
    config.write_text(config.read_text().replace(
        'package_path = ".yoi/plugins/example.raw-echo.yoi-plugin"', 'package_path = ".yoi/plugins/x\\u0000y"'))
    item = items(workspace)["project:example.raw-echo"]
    assert item["status"] == "rejected"
    assert item["diagnostics"] == [
        {"kind": "io", "message": "resolved plugin package metadata could not be read: invalid input"}]


def test_a_crlf_config_gets_its_plan_with_crlf_line_endings(workspace):
    """A config edited on Windows keeps one line-ending style: the plan is written in the file's."""
    config = workspace / ".yoi" / "config.toml"
    config.write_bytes(config.read_bytes().replace(b"\n", b"\r\n") + b"# last line, no newline")
    assert lock(workspace).exit_code == 0
    data = config.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") and BEGIN.encode() in data
    assert lock(workspace, "--check").exit_code == 0
    relocked = lock(workspace)
    assert relocked.exit_code == 0 and "[unchanged]" in relocked.stdout


def test_a_config_edited_while_locking_is_not_clobbered(workspace):
    from engine.grants.lock_file import LockError, prepare, write_atomically

    run_ = prepare(workspace, None)
    config = workspace / ".yoi" / "config.toml"
    config.write_text(run_.original + "\n[model]\nname = 'edited meanwhile'\n")
    edited = config.read_bytes()
    with pytest.raises(LockError, match="changed while the lock was made"):
        write_atomically(run_.path, run_.original, run_.new_text())
    assert config.read_bytes() == edited and [p.name for p in config.parent.iterdir() if ".tmp" in p.name] == []


def test_a_config_swapped_for_a_fifo_while_locking_does_not_hang(workspace, monkeypatch):
    """The last comparison reads the path again: never blocking, never following a swapped-in link."""
    from engine.grants.lock_file import LockError, prepare, write_atomically

    run_ = prepare(workspace, None)
    regular = os.lstat(run_.path)
    run_.path.unlink()
    os.mkfifo(run_.path)
    real_lstat = os.lstat
    monkeypatch.setattr(os, "lstat", lambda p, *a, **k: regular if Path(p) == run_.path else real_lstat(p, *a, **k))
    outcome: list[object] = []

    def write() -> None:
        try:
            write_atomically(run_.path, run_.original, run_.new_text())
        except LockError as error:
            outcome.append(error)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():  # unblock the reader so the test run can end
        os.close(os.open(run_.path, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(5)
        pytest.fail("write_atomically blocked on a FIFO")
    assert outcome and "changed while the lock was made" in str(outcome[0])
    assert stat.S_ISFIFO(real_lstat(run_.path).st_mode)


def test_a_missing_workspace_is_named_before_its_config(tmp_path):
    done = lock(tmp_path / "nowhere")
    assert done.exit_code == 2
    assert "workspace" in done.stderr and "does not exist" in done.stderr and "no config" not in done.stderr


def test_a_config_with_a_byte_order_mark_says_so(workspace):
    config = workspace / ".yoi" / "config.toml"
    config.write_bytes(b"\xef\xbb\xbf" + config.read_bytes())
    done = lock(workspace)
    assert done.exit_code == 2
    assert "could not be parsed as TOML (the file starts with a UTF-8 byte order mark" in done.stderr
