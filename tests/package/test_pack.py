"""`pack` (spec §5.6): deterministic archives, atomic output, re-read report, CLI shapes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from engine.cli.main import cli
from engine.diagnostics import DiagnosticError
from engine.package.archive import read_archive
from engine.package.discovery import discover
from engine.package.materialize import read_directory
from engine.package.pack import default_output, pack_directory

MANIFEST = """\
schema_version = 1
id = "example.packed"
name = "Packed"
version = "2.0.0"
surfaces = ["tool"]
permissions = [{ kind = "surface", surface = "tool" }, { kind = "tool", name = "echo" }]

[[tools]]
name = "echo"
description = "Echo."
input_schema = { type = "object" }
"""


@pytest.fixture
def plugin_dir(tmp_path, package_dir_writer):
    return package_dir_writer(tmp_path / "my-plugin", MANIFEST, {
        "README.md": "readme", "src/lib.rs": "fn main() {}", ".hidden/x": b"\x00\xff",
    })


def test_pack_default_output_and_report(plugin_dir):
    output, package = pack_directory(plugin_dir)
    assert output == plugin_dir.parent / "my-plugin.yoi-plugin"
    assert package.input_kind == "package" and package.identity == "project:example.packed"
    assert package.path == str(output) and package.label == "my-plugin.yoi-plugin"
    assert read_archive(output.read_bytes()) == read_directory(plugin_dir)
    assert package.entries == (".hidden/x", "README.md", "plugin.toml", "src/lib.rs")


def test_pack_twice_is_byte_identical(plugin_dir, tmp_path):
    first, one = pack_directory(plugin_dir, tmp_path / "one.yoi-plugin")
    os.utime(plugin_dir / "README.md", (1, 1))  # timestamps never reach the archive
    second, two = pack_directory(plugin_dir, tmp_path / "two.yoi-plugin")
    assert first.read_bytes() == second.read_bytes()
    assert one.digest == two.digest


def test_pack_then_discover(plugin_dir, tmp_path):
    store = tmp_path / "ws" / ".yoi" / "plugins"
    output, package = pack_directory(plugin_dir, store / "nested" / ".." / "packed.yoi-plugin")
    result = discover(tmp_path / "ws", user_data_home=None)
    assert [(p.identity, p.digest) for p in result.packages] == [("project:example.packed", package.digest)]
    assert result.diagnostics == ()


def test_output_parents_created_and_existing_file_overwritten(plugin_dir, tmp_path):
    target = tmp_path / "a" / "b" / "out.yoi-plugin"
    pack_directory(plugin_dir, target)
    target.write_bytes(b"old content")
    pack_directory(plugin_dir, target)
    assert read_archive(target.read_bytes())["plugin.toml"] == MANIFEST.encode()
    assert [p.name for p in target.parent.iterdir()] == ["out.yoi-plugin"]  # no temp files left


def test_symlink_in_folder_is_rejected_and_nothing_written(plugin_dir, tmp_path):
    os.symlink(tmp_path, plugin_dir / "escape")
    with pytest.raises(DiagnosticError) as info:
        pack_directory(plugin_dir)
    assert info.value.diagnostics[0].message == "plugin directory contains a symlink entry"
    assert not default_output(plugin_dir).exists()


def test_invalid_manifest_writes_nothing(tmp_path, package_dir_writer):
    folder = package_dir_writer(tmp_path / "bad", 'schema_version = 1\nid = ".bad"\nname = "n"\nversion = "1"\n')
    target = tmp_path / "bad.yoi-plugin"
    target.write_bytes(b"previous")
    with pytest.raises(DiagnosticError):
        pack_directory(folder)
    assert target.read_bytes() == b"previous"


def test_output_directory_cannot_be_created(plugin_dir, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("file")
    with pytest.raises(DiagnosticError) as info:
        pack_directory(plugin_dir, blocker / "sub" / "out.yoi-plugin")
    diag = info.value.diagnostics[0]
    assert diag.kind == "io"
    assert diag.message.startswith("plugin package output directory could not be created: ")


def test_output_is_an_existing_directory(plugin_dir, tmp_path):
    (tmp_path / "taken.yoi-plugin").mkdir()
    with pytest.raises(DiagnosticError) as info:
        pack_directory(plugin_dir, tmp_path / "taken.yoi-plugin")
    assert info.value.diagnostics[0].message.startswith("plugin package output could not be written: ")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".taken")] == []


def test_default_output_names(tmp_path):
    assert default_output(tmp_path / "x") == tmp_path / "x.yoi-plugin"
    assert default_output(tmp_path / "x" / ".") == tmp_path / "x.yoi-plugin"


# ---- CLI ----------------------------------------------------------------------------------

def invoke(*args):
    return CliRunner().invoke(cli, ["plugin", "pack", *args])


def test_cli_json(plugin_dir, tmp_path):
    output = tmp_path / "cli.yoi-plugin"
    result = invoke(str(plugin_dir), "--output", str(output), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    _, package = pack_directory(plugin_dir, tmp_path / "ref.yoi-plugin")
    assert report == {
        "command": "pack",
        "status": "packed",
        "input_path": str(plugin_dir),
        "output_path": str(output),
        "package": {
            "reference": "project:example.packed",
            "package": "example.packed",
            "source": "project",
            "version": "2.0.0",
            "schema_version": 1,
            "digest": package.digest,
            "package_path": str(output),
            "entries": [".hidden/x", "README.md", "plugin.toml", "src/lib.rs"],
            "surfaces": ["tool"],
            "tools": ["echo"],
            "permissions": ["surfaces.tool", "tool.echo"],
        },
        "safety": {"no_network": True, "no_plugin_execution": True,
                   "no_enablement_config_mutation": True, "no_secrets_generated": True},
    }
    assert invoke(str(plugin_dir), "--output", str(output), "--format", "json").stdout == result.stdout


def test_cli_human(plugin_dir):
    result = invoke(str(plugin_dir))
    assert result.exit_code == 0, result.output
    output = plugin_dir.parent / "my-plugin.yoi-plugin"
    _, package = pack_directory(plugin_dir)
    assert result.stdout.splitlines() == [
        f"plugin pack: {output} [packed]",
        f"package: project:example.packed version=2.0.0 digest={package.digest} entries=4",
        "safety: deterministic stored .yoi-plugin archive; no Plugin execution; no config mutation",
    ]


def test_cli_rejected_package_exits_1(tmp_path, package_dir_writer):
    folder = package_dir_writer(tmp_path / "nomanifest", None, {"a.txt": "a"})
    result = invoke(str(folder))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == "yoi plugin: plugin pack failed: plugin package is missing root plugin.toml"


def test_cli_usage_and_unreadable_input_exit_2(tmp_path):
    assert invoke().exit_code == 2
    result = invoke(str(tmp_path / "does-not-exist"))
    assert result.exit_code == 2
    assert result.stderr.strip() == "yoi plugin: plugin pack failed: plugin directory could not be read: not found"


def test_console_script_end_to_end(plugin_dir, tmp_path):
    output = tmp_path / "e2e.yoi-plugin"
    done = subprocess.run(
        [sys.executable, "-m", "engine.cli.main", "plugin", "pack", str(plugin_dir), "--output",
         str(output), "--json"], capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["output_path"] == str(output)


def test_output_that_is_a_symlink_fifo_or_device_is_never_replaced(plugin_dir, tmp_path):
    """The atomic rename replaces any directory entry: as root, `--output /dev/null` swapped the
    device node for an archive. Only a regular file is overwritten; anything else is exit 2."""
    target = tmp_path / "target.yoi-plugin"
    target.write_bytes(b"keep")
    (tmp_path / "link.yoi-plugin").symlink_to(target)
    os.mkfifo(tmp_path / "fifo.yoi-plugin")
    # (not /dev/null itself: a regression would then break the machine running the tests)
    for output in (tmp_path / "link.yoi-plugin", tmp_path / "fifo.yoi-plugin"):
        result = invoke(str(plugin_dir), "--output", str(output))
        assert result.exit_code == 2, result.output
        assert "exists and is not a regular file" in result.stderr and result.stdout == ""
    assert target.read_bytes() == b"keep" and (tmp_path / "link.yoi-plugin").is_symlink()
    assert (tmp_path / "fifo.yoi-plugin").is_fifo()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
