"""A guest chooses the text of its own failure: `start` may return `{"error": ...}` holding bidi
overrides and isolates (U+202E, U+2066). That text reaches the human lines a host prints on
stderr (serve's `service start failed`, a development load's `did not start`), where it must be
shown escaped, never raw: raw, it reorders what the terminal shows. Found by the attack on the
commands that run plugin code (before this, both lines carried U+202E as it was)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from example_workspace import ROOT, yoi
from runtime_guests import LIFECYCLE_OK, TOOL_OK, build, instance_wat
from serve_client import SAFETY_TIMEOUT

from engine.package.archive import write_archive
from engine.package.digest import package_digest
from engine.package.materialize import read_directory

HOSTILE = '{"error":"\u202e\u2066evil"}'
MANIFEST = """schema_version = 1
id = "hostile.start"
name = "Hostile start"
version = "0.1.0"
description = "Its start fails with text that would reorder a terminal line."
surfaces = ["tool", "service"]
permissions = [
  { kind = "surface", surface = "tool" },
  { kind = "surface", surface = "service" },
  { kind = "tool", name = "count" },
  { kind = "service", name = "svc" },
]

[runtime]
kind = "wasm-component"
component = "guest.component.wasm"
world = "yoi:plugin/instance@1.0.0"

[[tools]]
name = "count"
description = "count"
input_schema = { type = "object" }

[[services]]
name = "svc"
description = "svc"
lifecycle = "host-managed"
"""


def hostile_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "hostile.start"
    folder.mkdir()
    (folder / "plugin.toml").write_text(MANIFEST)
    (folder / "guest.component.wasm").write_bytes(build(instance_wat(start=("", HOSTILE), tool=("", TOOL_OK),
                                                                     status=("", LIFECYCLE_OK))))
    return folder


def assert_escaped(stderr: str, line_start: str) -> None:
    lines = [line for line in stderr.splitlines() if line_start in line]
    assert lines, stderr
    for line in lines:
        assert "\u202e" not in line and "\u2066" not in line, line
        assert "\\u202e\\u2066evil" in line, line


def test_serve_prints_a_failed_service_start_escaped(tmp_path, user_home):
    folder = hostile_folder(tmp_path)
    workspace = tmp_path / "ws"
    store = workspace / ".yoi" / "plugins"
    store.mkdir(parents=True)
    files = read_directory(folder)
    (store / "hostile.start.yoi-plugin").write_bytes(write_archive(files))
    permissions = ", ".join(['{ kind = "surface", surface = "tool" }', '{ kind = "surface", surface = "service" }',
                             '{ kind = "tool", name = "count" }', '{ kind = "service", name = "svc" }'])
    (workspace / ".yoi" / "config.toml").write_text(
        '[[plugins.enabled]]\nid = "project:hostile.start"\nversion = "0.1.0"\nsurfaces = ["tool", "service"]\n\n'
        '[plugins.enabled.grants]\nid = "project:hostile.start"\nversion = "0.1.0"\n'
        f'digest = "{package_digest(files)}"\npermissions = [{permissions}]\n')
    done = subprocess.run([sys.executable, "-c", "from engine.cli.main import main; main()", "plugin", "serve",
                           "--workspace", str(workspace)], input=b"", capture_output=True, cwd=ROOT,
                          timeout=SAFETY_TIMEOUT)
    assert done.returncode == 0
    assert_escaped(done.stderr.decode(), "service start failed project:hostile.start")


def test_a_development_load_prints_a_failed_start_escaped(tmp_path, user_home):
    done = yoi("plugin", "call", str(hostile_folder(tmp_path)), "count", "--input", "{}")
    assert done.returncode == 1
    assert_escaped(done.stderr, "project:hostile.start did not start")
