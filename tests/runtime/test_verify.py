"""The digest re-check reads and hashes the package again on every (re)start (spec §5.7): no stat
comparison, symlinks swapped in after planning refused (not followed), FIFOs never block, deep
folders bounded, and it digests exactly the files engine.package reads."""

from __future__ import annotations

import os
from dataclasses import replace

from runtime_guests import TOOL_OK, TRAP, build, fault_of, instance_wat, package_plan, when_name_is

from engine.package.digest import package_digest
from engine.package.materialize import read_directory
from engine.plan import RestartPolicy
from engine.runtime.artifact import MAX_FOLDER_DEPTH, read_verified_files


def test_the_runtime_reads_the_same_files_as_the_package_reader(tmp_path):
    plan = package_plan(tmp_path / "p", build(instance_wat()))
    nested = tmp_path / "p" / "docs" / "deeper"
    nested.mkdir(parents=True)
    (nested / "notes.md").write_text("notes")
    (tmp_path / "p" / "empty").mkdir()
    os.mkfifo(tmp_path / "p" / "a-fifo")  # neither reader counts (or opens) it
    assert read_verified_files(plan) == read_directory(tmp_path / "p")
    assert "docs/deeper/notes.md" in read_verified_files(plan)


def test_a_same_size_rewrite_with_the_old_timestamps_is_still_refused(make_registry, tmp_path):
    """Proof that the re-check is not a stat comparison: size, mtime and inode all unchanged."""
    plan = package_plan(tmp_path / "p", build(instance_wat()))
    manifest = tmp_path / "p" / "plugin.toml"
    before = manifest.stat()
    text = manifest.read_bytes()
    with open(manifest, "r+b") as handle:  # same inode, same size
        handle.write(text.replace(b"runtime test package", b"RUNTIME TEST PACKAGE"))
    os.utime(manifest, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = manifest.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    fault = fault_of(make_registry([plan]).start, plan.ref)
    assert fault.kind == "load" and "package/module load error: resolved plugin package digest does not match current package content" in fault.message


def test_symlinks_swapped_in_after_planning_are_refused_not_followed(make_registry, tmp_path):
    """Same bytes behind the link, so only the symlink itself can be the reason."""
    plan = package_plan(tmp_path / "p", build(instance_wat()))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    artifact = tmp_path / "p" / plan.artifact_path
    (elsewhere / artifact.name).write_bytes(artifact.read_bytes())
    artifact.unlink()
    artifact.symlink_to(elsewhere / artifact.name)
    fault = fault_of(make_registry([plan]).start, plan.ref)
    assert fault.kind == "load" and "symlink" in fault.message


def test_a_restart_verifies_the_package_again(make_registry, tmp_path):
    wat = instance_wat(tool=(when_name_is("boom", TRAP), TOOL_OK))
    plan = package_plan(tmp_path / "p", build(wat), tools=("count", "boom"),
                        restart=RestartPolicy(max_restarts=3, backoff_ms=0, backoff_max_ms=0))
    registry = make_registry([plan])
    assert registry.call_tool(plan.ref, "count", {})["summary"] == "count 0"
    (tmp_path / "p" / "added.txt").write_text("added while the instance ran")
    assert registry.call_tool(plan.ref, "count", {})["summary"] == "count 0"  # loaded bytes keep running
    assert fault_of(registry.call_tool, plan.ref, "boom", {}).kind == "trap"
    fault = fault_of(registry.call_tool, plan.ref, "count", {})
    assert fault.kind == "load" and "package/module load error: resolved plugin package digest does not match current package content" in fault.message
    (tmp_path / "p" / "added.txt").unlink()  # the approved bytes again: the next restart works
    assert registry.call_tool(plan.ref, "count", {})["summary"] == "count 0"


def test_deep_folders_and_vanished_packages_are_bounded_load_faults(make_registry, tmp_path):
    deep = package_plan(tmp_path / "deep", build(instance_wat()))
    folder = tmp_path / "deep"
    for _ in range(MAX_FOLDER_DEPTH + 8):
        folder = folder / "d"
    folder.mkdir(parents=True)
    gone = package_plan(tmp_path / "gone", build(instance_wat()), ref="project:gone")
    os.rename(tmp_path / "gone", tmp_path / "moved")
    archive_gone = replace(gone, package_path=str(tmp_path / "nothing.yoi-plugin"), ref="project:archive-gone")
    registry = make_registry([deep, gone, archive_gone])
    fault = fault_of(registry.start, deep.ref)
    assert fault.kind == "load" and f"deeper than {MAX_FOLDER_DEPTH} folders" in fault.message
    for ref in ("project:gone", "project:archive-gone"):
        fault = fault_of(registry.start, ref)
        assert fault.kind == "load" and "package/module load error" in fault.message and len(fault.message) < 512
    assert package_digest(read_verified_files(replace(gone, package_path=str(tmp_path / "moved")))) == gone.digest
