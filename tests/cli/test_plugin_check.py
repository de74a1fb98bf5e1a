"""`yoi plugin check` (spec §4.2): JSON and human shapes, statuses and exit codes, on real
folders and archives built in tmp_path."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli.main import cli
from engine.package.archive import write_archive
from engine.report.check import TOOL_TEMPLATE_PLACEHOLDER, build_check_report

MANIFEST = """\
schema_version = 1
id = "example.check"
name = "Check example"
version = "0.2.0"
surfaces = ["tool"]
permissions = [
  { kind = "surface", surface = "tool" },
  { kind = "tool", name = "echo" },
]

[runtime]
kind = "wasm-component"
component = "plugin.component.wasm"
world = "yoi:plugin/tool@1.0.0"

[[tools]]
name = "echo"
description = "Echo"
input_schema = { type = "object", properties = { text = { type = "string" } }, required = ["text"] }
"""
COMPONENT = b"\x00asm\x0d\x00\x01\x00"  # a component preamble; check never runs or inspects it
REPORT_KEYS = [
    "command", "status", "input_path", "input_kind", "package", "diagnostics",
    "static_inspection", "safety", "next_steps",
]
PACKAGE_KEYS = [
    "reference", "package", "source", "version", "schema_version", "digest", "package_path",
    "entries", "surfaces", "tools", "permissions",
]
SAFETY = {
    "no_network": True, "no_plugin_execution": True,
    "no_enablement_config_mutation": True, "no_secrets_generated": True,
}


def package_files(manifest: str = MANIFEST, component: bytes | None = COMPONENT) -> dict[str, bytes]:
    files = {"plugin.toml": manifest.encode()}
    if component is not None:
        files["plugin.component.wasm"] = component
    return files


def write_dir(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def stored_zip(entries: dict[str, bytes]) -> bytes:
    """A stored ZIP written field by field, so it can hold names write_archive refuses."""
    body, central = bytearray(), bytearray()
    for name, data in entries.items():
        raw = name.encode()
        offset = len(body)
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, 0, len(data), len(data), len(raw), 0)
        body += raw + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, 0, len(data), len(data),
            len(raw), 0, 0, 0, 0, 0, offset,
        ) + raw
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(body), 0)
    return bytes(body + central + eocd)


def run(*args: str):
    return CliRunner().invoke(cli, ["plugin", "check", *args])


def run_json(path: Path, expect_exit: int) -> dict:
    result = run(str(path), "--json")
    assert result.exit_code == expect_exit, result.output
    report = json.loads(result.stdout)
    assert list(report) == REPORT_KEYS
    assert report["command"] == "check" and report["safety"] == SAFETY
    assert report["input_path"] == str(path)
    return report


# -- active ----------------------------------------------------------------------------------

def test_plugin_check_accepts_valid_directory_and_reports_json_shape(tmp_path):
    folder = write_dir(tmp_path / "pkg", package_files())
    report = run_json(folder, 0)
    assert report["status"] == "active" and report["input_kind"] == "directory"
    package = report["package"]
    assert list(package) == PACKAGE_KEYS
    assert package["reference"] == "project:example.check" and package["package"] == "example.check"
    assert (package["source"], package["version"], package["schema_version"]) == ("project", "0.2.0", 1)
    assert package["digest"].startswith("sha256:") and len(package["digest"]) == 71
    assert package["package_path"] == str(folder)
    assert package["entries"] == ["plugin.component.wasm", "plugin.toml"]
    assert package["surfaces"] == ["tool"] and package["tools"] == ["echo"]
    assert package["permissions"] == ["surfaces.tool", "tool.echo"]
    assert report["diagnostics"] == []
    assert report["static_inspection"] == {"status": "active", "diagnostics": 0}
    assert len(report["next_steps"]) == 3
    assert "`project:example.check` with matching digest and grants" in report["next_steps"][1]


def test_active_human_output(tmp_path):
    folder = write_dir(tmp_path / "pkg", package_files())
    result = run(str(folder))
    assert result.exit_code == 0 and result.stderr == ""
    digest = build_check_report(folder)["package"]["digest"]
    assert result.stdout.splitlines() == [
        f"plugin check: {folder} [active] input_kind=directory",
        f"package: project:example.check version=0.2.0 digest={digest} entries=2 source=project "
        "surfaces=tool tools=1",
        f"enablement guidance: pin reference `project:example.check` and digest `{digest}` explicitly; "
        "this command does not mutate config",
        "diagnostics: none",
        "safety: no Plugin execution; no enablement config mutation; no secrets generated",
        "next steps:",
        "  - Package metadata is valid without executing Plugin code.",
        "  - To enable after review, add an explicit plugin enablement entry for `project:example.check` "
        "with matching digest and grants.",
        "  - Run `yoi plugin pack <path>` to create a deterministic .yoi-plugin archive.",
    ]


def test_archive_input_matches_folder_digest(tmp_path):
    files = package_files()
    folder = write_dir(tmp_path / "pkg", files)
    archive = tmp_path / "pkg.yoi-plugin"
    archive.write_bytes(write_archive(files))
    from_archive = run_json(archive, 0)
    assert from_archive["input_kind"] == "package" and from_archive["status"] == "active"
    assert from_archive["package"]["digest"] == build_check_report(folder)["package"]["digest"]


def test_format_json_equals_json_flag(tmp_path):
    folder = write_dir(tmp_path / "pkg", package_files())
    assert run(str(folder), "--format", "json").stdout == run(str(folder), "--json").stdout


def test_bundled_examples_check_active():
    from engine.resources import examples_dir

    folders = [p for p in sorted(examples_dir().iterdir()) if (p / "plugin.toml").is_file()]
    assert folders, "bundled examples are missing"
    for folder in folders:
        report = build_check_report(folder)
        assert (report["status"], report["diagnostics"]) == ("active", []), folder


# -- partial ---------------------------------------------------------------------------------

def test_placeholder_component_is_partial(tmp_path):
    assert len(TOOL_TEMPLATE_PLACEHOLDER) == 115
    folder = write_dir(tmp_path / "pkg", package_files(component=TOOL_TEMPLATE_PLACEHOLDER))
    report = run_json(folder, 0)
    assert report["status"] == "partial"
    assert report["diagnostics"] == [{
        "kind": "placeholder", "phase": "runtime",
        "message": "plugin component runtime artifact `plugin.component.wasm` is the generated placeholder; "
        "replace it with a real built component before enabling or execution",
    }]
    assert report["static_inspection"] == {"status": "active", "diagnostics": 0}
    assert report["next_steps"][2] == "Do not enable this Plugin while check status is partial."
    lines = run(str(folder)).stdout.splitlines()
    assert lines[2] == (
        "enablement guidance: not ready to enable; replace the generated placeholder component and rerun "
        "check; this command does not mutate config"
    )
    assert lines[3:5] == ["diagnostics:", f"  - kind=placeholder phase=runtime message={report['diagnostics'][0]['message']}"]


def test_placeholder_with_extra_byte_is_not_recognized(tmp_path):
    folder = write_dir(tmp_path / "pkg", package_files(component=TOOL_TEMPLATE_PLACEHOLDER + b"\n"))
    assert run_json(folder, 0)["status"] == "active"


# -- rejected: materialization ---------------------------------------------------------------

def assert_materialize_rejected(report: dict, kind: str, phase: str) -> dict:
    assert report["status"] == "rejected"
    assert report["package"] is None and report["static_inspection"] is None
    assert report["next_steps"] == ["Fix the reported package diagnostic and run `yoi plugin check` again."]
    diagnostic = report["diagnostics"][0]
    assert (diagnostic["kind"], diagnostic["phase"]) == (kind, phase)
    return diagnostic


def test_plugin_check_rejects_invalid_manifest(tmp_path):
    folder = write_dir(tmp_path / "pkg", package_files(MANIFEST.replace("schema_version = 1", "schema_version = 999")))
    result = run(str(folder), "--json")
    assert result.exit_code == 1
    assert result.stderr == "yoi plugin: plugin check failed; see diagnostics above\n"
    diagnostic = assert_materialize_rejected(json.loads(result.stdout), "api", "manifest")
    assert diagnostic["message"] == "plugin schema/API version is unsupported"


def test_plugin_check_rejects_malformed_toml_without_leaking(tmp_path):
    folder = write_dir(tmp_path / "pkg", package_files(MANIFEST + 'token = "hunter2\n'))
    diagnostic = assert_materialize_rejected(run_json(folder, 1), "malformed", "manifest")
    assert diagnostic["message"] == "plugin.toml could not be parsed at line 20, column 17"


def test_plugin_check_reports_every_schema_error(tmp_path):
    text = MANIFEST.replace('world = "yoi', 'foo = 1\nworld = "yoi') + 'permissions_extra = 1\n'
    report = run_json(write_dir(tmp_path / "pkg", package_files(text)), 1)
    assert [d["message"] for d in report["diagnostics"]] == [
        "plugin.toml: unknown key `runtime.foo`",
        "plugin.toml: unknown key `tools[0].permissions_extra`",
    ]


def test_plugin_check_rejects_missing_runtime_artifact(tmp_path):
    folder = write_dir(tmp_path / "pkg", package_files(component=None))
    diagnostic = assert_materialize_rejected(run_json(folder, 1), "missing", "manifest")
    assert "path not present" in diagnostic["message"]


def test_plugin_check_rejects_missing_manifest(tmp_path):
    folder = write_dir(tmp_path / "pkg", {"README.md": b"hi"})
    diagnostic = assert_materialize_rejected(run_json(folder, 1), "missing", "manifest")
    assert "plugin.toml" in diagnostic["message"]


def test_plugin_check_rejects_unsafe_package_archive(tmp_path):
    archive = tmp_path / "evil.yoi-plugin"
    archive.write_bytes(stored_zip({"plugin.toml": MANIFEST.encode(), "../evil": b"x"}))
    report = run_json(archive, 1)
    assert report["input_kind"] == "package"
    diagnostic = assert_materialize_rejected(report, "traversal", "discovery")
    assert "escapes" in diagnostic["message"]


def test_rejected_human_output(tmp_path):
    folder = write_dir(tmp_path / "pkg", package_files(component=None))
    result = run(str(folder))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"plugin check: {folder} [rejected] input_kind=directory",
        "diagnostics:",
        "  - kind=missing phase=manifest message=plugin manifest references a path not present in the package",
        "safety: no Plugin execution; no enablement config mutation; no secrets generated",
        "next steps:",
        "  - Fix the reported package diagnostic and run `yoi plugin check` again.",
    ]
    assert result.stderr == "yoi plugin: plugin check failed; see diagnostics above\n"


# -- rejected: tool definitions --------------------------------------------------------------

TOOLS = """
[[tools]]
name = "echo"
description = "again"
input_schema = { type = "object" }

[[tools]]
name = "Bad Tool"
description = "x"
input_schema = { type = "object", properties = { q = "not-a-schema" } }
"""


def test_tool_definition_problems_reject_the_package(tmp_path):
    folder = write_dir(tmp_path / "pkg", package_files(MANIFEST + TOOLS))
    report = run_json(folder, 1)
    assert report["status"] == "rejected"
    assert report["static_inspection"] == {"status": "rejected", "diagnostics": 3}
    assert report["package"]["tools"] == ["echo", "echo", "Bad Tool"]
    assert report["diagnostics"] == [
        {"kind": "malformed", "phase": "resolution",
         "message": "tool `echo` has duplicate name within plugin manifest"},
        {"kind": "malformed", "phase": "resolution",
         "message": "tool `echo` has duplicate name within plugin manifest"},
        {"kind": "malformed", "phase": "resolution",
         "message": "tool `Bad Tool` has invalid name: name must not contain whitespace or control characters; "
         "tool `Bad Tool` has invalid input_schema: $.properties.q: schema node must be a JSON object"},
    ]
    assert report["next_steps"] == ["Fix the reported diagnostics before enabling or packing this Plugin."]
    lines = run(str(folder)).stdout.splitlines()
    assert lines[2] == "enablement guidance: not ready to enable; fix diagnostics first; this command does not mutate config"


def test_tool_problems_with_placeholder_stay_rejected(tmp_path):
    folder = write_dir(tmp_path / "pkg", package_files(MANIFEST + TOOLS, component=TOOL_TEMPLATE_PLACEHOLDER))
    report = run_json(folder, 1)
    assert report["status"] == "rejected"
    assert report["diagnostics"][-1]["kind"] == "placeholder"
    assert report["static_inspection"]["diagnostics"] == 3


def test_tools_are_inspected_only_when_surfaces_lists_tool(tmp_path):
    # Faithful to the reference (§4.2, §9 quirk 2): `surfaces` verbatim decides what is inspected.
    text = MANIFEST.replace('surfaces = ["tool"]', "surfaces = []") + TOOLS
    report = run_json(write_dir(tmp_path / "pkg", package_files(text)), 0)
    assert report["status"] == "active" and report["diagnostics"] == []


def test_long_tool_diagnostics_are_cli_bounded(tmp_path):
    name = "x" * 120 + " y"
    text = MANIFEST + f'[[tools]]\nname = "{name}"\ndescription = "d"\ninput_schema = {{ type = "string" }}\n'
    report = run_json(write_dir(tmp_path / "pkg", package_files(text)), 1)
    message = report["diagnostics"][0]["message"]
    assert len(message) == 241 and message.endswith("\u2026")


# -- usage and unreadable input --------------------------------------------------------------

def test_missing_input_path_is_exit_2_without_report(tmp_path):
    result = run(str(tmp_path / "nope"))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("yoi plugin: plugin check input `")
    assert result.stderr.rstrip().endswith("could not be read: not found")


@pytest.mark.parametrize("args", [[], ["a", "b"], ["--format", "xml", "."]])
def test_usage_errors_exit_2(args):
    assert run(*args).exit_code == 2
