"""Issue 8 item 5: folder walks are iterative with a depth bound, and explanations of long
derivation chains stay bounded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.walk import MAX_FOLDER_DEPTH, FolderTooDeep, walk_entries
from hostile import RAW_ECHO, nest_folders, run_yoi


def test_walk_is_preorder_in_byte_order_and_stops_past_the_bound(tmp_path):
    for rel in ("b/x", "a/z", "a/y/deep", "c"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    assert ["/".join(parts) for _, parts in walk_entries(tmp_path)] == [
        "a", "a/y", "a/y/deep", "a/z", "b", "b/x", "c"]
    nest_folders(tmp_path / "n", 5)
    assert len(list(walk_entries(tmp_path / "n", max_depth=6))) == 5  # five nested folders fit under 6 ...
    with pytest.raises(FolderTooDeep):
        list(walk_entries(tmp_path / "n", max_depth=5))  # ... not under 5


@pytest.fixture(scope="module")
def deep_package(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("deep") / "pkg"
    shutil.copytree(RAW_ECHO, root)
    (nest_folders(root, 1000) / "f").write_text("x")
    return root


def test_check_of_a_package_1000_folders_deep_is_a_bounds_diagnostic(deep_package):
    done = run_yoi("plugin", "check", deep_package, "--json")
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "rejected" and done.returncode == 1
    assert [(d["kind"], d["message"]) for d in report["diagnostics"]] == [
        ("bounds", f"plugin directory nests folders deeper than {MAX_FOLDER_DEPTH} levels")]


def test_pack_of_a_package_1000_folders_deep_writes_nothing(deep_package, tmp_path):
    output = tmp_path / "out.yoi-plugin"
    done = run_yoi("plugin", "pack", deep_package, "--output", output)
    assert done.returncode != 0 and "internal error" not in done.stderr
    assert f"nests folders deeper than {MAX_FOLDER_DEPTH} levels" in done.stderr
    assert not output.exists()


def test_builtin_style_folder_within_the_bound_still_reads(tmp_path):
    root = tmp_path / "pkg"
    shutil.copytree(RAW_ECHO, root)
    (nest_folders(root, MAX_FOLDER_DEPTH - 1) / "f").write_text("x")
    done = run_yoi("plugin", "check", root, "--json")
    assert json.loads(done.stdout)["status"] == "active", done.stdout


def test_policy_test_over_1000_nested_folders_is_an_input_error(tmp_path):
    nest_folders(tmp_path / "cases", 1000)
    done = run_yoi("policy", "test", tmp_path / "cases")
    assert done.returncode == 2 and "internal error" not in done.stderr
    assert done.stderr == (f"yoi policy: {tmp_path / 'cases'}: error: folders nest deeper than "
                           f"{MAX_FOLDER_DEPTH} levels [rules.test-file]\n")


def test_explain_of_a_5000_step_chain_is_bounded_with_a_more_steps_line(tmp_path):
    (tmp_path / "reach.rules").write_text("reach(X) :- start(X).\nreach(Y) :- reach(X), edge(X, Y).\n")
    (tmp_path / "chain.json").write_text(json.dumps({"start": [[0]], "edge": [[i, i + 1] for i in range(5000)]}))
    args = ("policy", "eval", tmp_path / "reach.rules", "--facts", tmp_path / "chain.json",
            "--query", "start", "--explain", "reach(5000)")
    done = run_yoi(*args, memory_mib=1024)
    assert done.returncode == 0, done.stderr
    explained = done.stdout.split("explain reach(5000):\n", 1)[1]
    assert len(explained) < 100_000  # was 75 MB of indentation
    assert "... premises deeper than 32 levels not shown" in explained
    more = [line.strip() for line in explained.splitlines() if line.strip().startswith("... ") and "more" in line]
    assert len(more) == 1 and more[0].endswith(" more steps not shown (the JSON output has the whole proof)")
    # 10,002 steps in all (5,001 reach, 5,000 edge, 1 start); about two per shown level
    assert 10_002 - 2 * 32 <= int(more[0].split()[1]) < 10_002 - 32
    done = run_yoi(*args, "--json", memory_mib=1024)
    assert len(json.loads(done.stdout)["explanation"]["explain"][0]["steps"]) == 10_002  # JSON keeps all
