"""Issue 8 item 4: every file a command reads is a regular file, read without blocking and with a
byte bound that does not trust st_size; a FIFO, device or symlink where none is expected is a
clear exit-2 error at once. Each CLI case runs in a child under a memory limit and a hang guard."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from engine.safe_read import ReadError, read_bounded
from hostile import RAW_ECHO, run_yoi

NOT_REGULAR = "not a regular file (a FIFO, device or socket)"


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)  # nobody ever writes: a blocking open or read would hang
    return path


def test_reader_refuses_fifo_device_folder_and_oversize(tmp_path, fifo):
    for path, kind in ((fifo, "malformed"), (Path("/dev/zero"), "malformed"), (tmp_path, "malformed")):
        with pytest.raises(ReadError) as info:
            read_bounded(path, 1024)
        assert info.value.kind == kind
    big = tmp_path / "big"
    big.write_bytes(b"x" * 1025)
    with pytest.raises(ReadError) as info:
        read_bounded(big, 1024)
    assert (info.value.kind, info.value.reason) == ("bounds", "larger than 1 KiB")
    assert read_bounded(big, 1025) == b"x" * 1025


def test_reader_bound_does_not_trust_st_size():
    # procfs reports st_size 0 for files that do hold data: the bound still applies to what is read
    assert os.stat("/proc/self/status").st_size == 0
    with pytest.raises(ReadError) as info:
        read_bounded("/proc/self/status", 16)
    assert info.value.kind == "bounds"
    assert b"Name:" in read_bounded("/proc/self/status", 1 << 20)


def test_reader_refuses_a_final_symlink_only_when_asked(tmp_path):
    target = tmp_path / "target"
    target.write_bytes(b"data")
    link = tmp_path / "link"
    link.symlink_to(target)
    assert read_bounded(link, 100) == b"data"
    with pytest.raises(ReadError) as info:
        read_bounded(link, 100, follow_symlinks=False)
    assert info.value.kind == "traversal"


def test_policy_eval_facts_dev_zero_fails_at_once_under_a_memory_limit(tmp_path):
    (tmp_path / "r.rules").write_text("q(X) :- p(X).\n")
    done = run_yoi("policy", "eval", tmp_path / "r.rules", "--facts", "/dev/zero", memory_mib=512)
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"yoi policy: facts file /dev/zero: cannot read: {NOT_REGULAR}\n"


@pytest.mark.parametrize("command", [
    ["plugin", "list", "--workspace", "{ws}", "--config", "{fifo}"],
    ["plugin", "show", "project:example.raw-echo", "--workspace", "{ws}", "--config", "{fifo}"],
    ["plugin", "check", str(RAW_ECHO), "--grants", "{fifo}"],
])
def test_config_fifo_is_an_input_error_not_a_hang(tmp_path, fifo, command):
    done = run_yoi(*(part.format(ws=tmp_path, fifo=fifo) for part in command))
    assert done.returncode == 2, done.stdout
    assert f"plugin config could not be read: {NOT_REGULAR}" in done.stderr


def test_workspace_config_that_is_a_fifo_or_a_symlink_is_refused(tmp_path):
    config = tmp_path / ".yoi" / "config.toml"
    config.parent.mkdir()
    os.mkfifo(config)
    done = run_yoi("plugin", "list", "--workspace", tmp_path)
    assert done.returncode == 2 and NOT_REGULAR in done.stderr
    config.unlink()
    (tmp_path / "elsewhere.toml").write_text("")
    config.symlink_to(tmp_path / "elsewhere.toml")  # a checkout must not point the host elsewhere
    done = run_yoi("plugin", "list", "--workspace", tmp_path)
    assert done.returncode == 2
    assert "plugin config could not be read: is a symlink, which is not followed here" in done.stderr


def test_rules_fifo_named_or_found_in_a_policy_folder_is_reported(tmp_path, fifo):
    done = run_yoi("policy", "lint", fifo)
    assert done.returncode == 2 and f"cannot read: {NOT_REGULAR} [rules.io]" in done.stdout
    folder = tmp_path / "policy"
    folder.mkdir()
    os.mkfifo(folder / "a.rules")
    (folder / "b.rules").symlink_to(tmp_path / "nowhere.rules")
    done = run_yoi("policy", "lint", folder)
    assert done.returncode == 2
    assert done.stdout.splitlines() == [
        f"{folder / 'a.rules'}: error: cannot read: {NOT_REGULAR} [rules.io]",
        f"{folder / 'b.rules'}: error: cannot read: is a symlink, which is not followed here [rules.io]",
        "2 error(s)",
    ]
    done = run_yoi("plugin", "check", RAW_ECHO, "--policy", folder)
    assert done.returncode == 2 and NOT_REGULAR in done.stderr + done.stdout


def test_policy_test_files_and_case_facts_are_read_safely(tmp_path):
    cases = tmp_path / "cases"
    cases.mkdir()
    os.mkfifo(cases / "a.test.toml")
    done = run_yoi("policy", "test", cases)
    assert done.returncode == 2 and f"cannot read: {NOT_REGULAR}" in done.stderr
    (cases / "a.test.toml").unlink()
    (tmp_path / "r.rules").write_text("q(X) :- p(X).\n")
    (tmp_path / "real.json").write_text(json.dumps({"p": [["a"]]}))
    (cases / "facts.json").symlink_to(tmp_path / "real.json")
    (cases / "b.test.toml").write_text(
        '[[case]]\nname = "linked"\nrules = ["../r.rules"]\nfacts = "facts.json"\n'
        'expect_facts = { q = [["a"]] }\n'
        '[[case]]\nname = "device"\nrules = ["../r.rules"]\nfacts = "/dev/zero"\n')
    done = run_yoi("policy", "test", cases, "--json", memory_mib=512)
    assert done.returncode == 1
    failures = {c["name"]: c["failures"] for c in json.loads(done.stdout)["cases"]}
    assert failures == {
        "linked": ["error: facts file `facts.json`: cannot read: is a symlink, which is not followed here"],
        "device": [f"error: facts file `/dev/zero`: cannot read: {NOT_REGULAR}"],
    }


def test_wit_check_of_a_fifo_fails_at_once(fifo):
    done = run_yoi("wit", "check", fifo)
    assert done.returncode == 2 and f"cannot read file: {NOT_REGULAR}" in done.stderr


def test_package_archive_that_is_a_device_or_fifo_is_refused(fifo):
    for path in (fifo, Path("/dev/zero")):
        done = run_yoi("plugin", "check", path, "--json", memory_mib=512)
        assert done.returncode in (1, 2), done.stderr
        report = json.loads(done.stdout)
        assert [d["message"] for d in report["diagnostics"]] == ["plugin package candidate is not a regular file"]


def test_rules_file_that_is_not_utf8_or_too_big_is_a_load_error(tmp_path):
    from engine.datalog import LoadError, load
    from engine.datalog.program import MAX_RULES_FILE_BYTES

    (tmp_path / "bad.rules").write_bytes(b"p(\xff).\n")
    with pytest.raises(LoadError) as info:
        load(tmp_path / "bad.rules")
    assert [(d.code, d.message) for d in info.value.diagnostics] == [("rules.encoding", "not UTF-8 (byte 2)")]
    with (tmp_path / "big.rules").open("wb") as handle:
        handle.truncate(MAX_RULES_FILE_BYTES + 1)  # sparse: no real bytes written
    with pytest.raises(LoadError) as info:
        load(tmp_path / "big.rules")
    assert [(d.code, d.message) for d in info.value.diagnostics] == [("rules.io", "cannot read: larger than 1 MiB")]


def test_a_facts_file_too_big_to_parse_in_bounded_memory_is_refused_before_parsing(tmp_path):
    """JSON takes about twelve times its size once parsed: under the old 256 MiB bound a 120 MB
    facts file died of a MemoryError (an internal error) in a 1.5 GB process. Over 32 MiB is bad
    input now, for `policy eval --facts` and a test case's facts file alike."""
    big = tmp_path / "facts.json"
    with big.open("wb") as handle:
        handle.truncate(40 * 1024 * 1024)  # sparse: no real bytes written
    (tmp_path / "p.rules").write_text("warn w(X) :- fs_grant(X, _, _).\n")
    done = run_yoi("policy", "eval", "--facts", big, tmp_path / "p.rules", memory_mib=512)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().endswith("cannot read: larger than 32 MiB"), done.stderr
    (tmp_path / "t.test.toml").write_text('[[case]]\nname = "c"\nrules = ["p.rules"]\nfacts = "facts.json"\n')
    done = run_yoi("policy", "test", tmp_path / "t.test.toml", memory_mib=512)
    assert done.returncode == 1 and "cannot read: larger than 32 MiB" in done.stdout, done.stdout + done.stderr
