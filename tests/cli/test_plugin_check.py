"""`yoi plugin check` (spec §4.2, extended): JSON and human shapes, statuses and exit codes, on
real folders and archives built in tmp_path with real wasm artifacts (assembled from WAT).

Intended differences from the reference, pinned here: tools are inspected for every declared
surface (not only when `surfaces` lists `tool`), and a requested host API without `--grants`
gives an info note instead of rejecting the package. Diagnostics found by the rules carry phase
`rules` plus `severity`, `code` and `location` after the reference's `kind`/`phase`/`message`.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.artifact.placeholder import TOOL_TEMPLATE_PLACEHOLDER
from engine.cli.main import cli
from engine.package.archive import write_archive
from engine.package.materialize import load_package_path
from wasm_builders import TOOL_WORLD_EXPORTS, component, core_module

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
RAW_MANIFEST = MANIFEST.replace(
    'kind = "wasm-component"\ncomponent = "plugin.component.wasm"\nworld = "yoi:plugin/tool@1.0.0"',
    'kind = "wasm"\nabi = "yoi-plugin-wasm-1"\nentry = "plugin.wasm"',
)
COMPONENT = component(TOOL_WORLD_EXPORTS)  # a real yoi:plugin/tool@1.0.0 component
RAW_MODULE = core_module(imports=[("yoi:tool", "input_len", "(result i32)")])  # memory + yoi_tool_call
REFERENCE_REPORT_KEYS = [
    "command", "status", "input_path", "input_kind", "package", "diagnostics",
    "static_inspection", "safety", "next_steps",
]
REPORT_KEYS = [
    "command", "status", "verdict_view", "fail_on", "input_path", "input_kind", "package", "classification",
    "diagnostics", "static_inspection", "inspection", "conclusions", "targets", "run_findings", "rules", "limits", "plan",
    "grants", "assumed_grant_rules", "signatures", "provenance", "safety", "next_steps",
]
PACKAGE_KEYS = [
    "reference", "package", "source", "version", "schema_version", "digest", "package_path",
    "entries", "surfaces", "tools", "permissions",
]
RULE_DIAGNOSTIC_KEYS = ["kind", "phase", "message", "severity", "code", "location"]
SAFETY = {
    "no_network": True, "no_plugin_execution": True,
    "no_enablement_config_mutation": True, "no_secrets_generated": True,
}
ACTIVE_STEPS = [
    "Package metadata is valid without executing Plugin code.",
    "To enable after review, add an explicit plugin enablement entry for `project:example.check` "
    "with matching digest and grants.",
    "Run `yoi plugin pack <path>` to create a deterministic .yoi-plugin archive.",
]
REJECTED_STEPS = ["Fix the reported diagnostics before enabling or packing this Plugin."]
GATE_VERDICT_LINE = "verdict: view=gate (any deny rejects) fail_on=deny"


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
    # The reference's keys keep their relative order; ours are added between them.
    assert [key for key in report if key in REFERENCE_REPORT_KEYS] == REFERENCE_REPORT_KEYS
    assert report["command"] == "check" and report["safety"] == SAFETY
    assert (report["verdict_view"], report["fail_on"], report["run_findings"]) == ("gate", "deny", [])
    assert report["input_path"] == str(path)
    for diagnostic in report["diagnostics"]:
        assert list(diagnostic)[:3] == ["kind", "phase", "message"]
        if diagnostic["phase"] == "rules":
            assert list(diagnostic) == RULE_DIAGNOSTIC_KEYS
    return report


def manifest_line(folder: Path, location: dict) -> str:
    assert location["file"] == "plugin.toml"
    return (folder / "plugin.toml").read_text().splitlines()[location["line"] - 1]


def digest_of(path: Path) -> str:
    return load_package_path(path).digest


# -- active ----------------------------------------------------------------------------------

def test_plugin_check_accepts_valid_directory_and_reports_json_shape(tmp_path):
    folder = write_dir(tmp_path / "pkg", package_files())
    report = run_json(folder, 0)
    assert report["status"] == "active" and report["input_kind"] == "directory"
    package = report["package"]
    assert list(package) == PACKAGE_KEYS
    assert package["reference"] == "project:example.check" and package["package"] == "example.check"
    assert (package["source"], package["version"], package["schema_version"]) == ("project", "0.2.0", 1)
    assert package["digest"] == digest_of(folder)
    assert package["digest"].startswith("sha256:") and len(package["digest"]) == 71
    assert package["package_path"] == str(folder)
    assert package["entries"] == ["plugin.component.wasm", "plugin.toml"]
    assert package["surfaces"] == ["tool"] and package["tools"] == ["echo"]
    assert package["permissions"] == ["surfaces.tool", "tool.echo"]
    assert report["diagnostics"] == [] and report["conclusions"] == []
    assert report["static_inspection"] == {"status": "active", "diagnostics": 0}
    assert report["classification"] == "legacy-component-tool" and report["grants"] == "assumed"
    inspection = report["inspection"]
    assert inspection["runtime"]["status"] == "wasm-component/yoi:plugin/tool@1.0.0"
    assert inspection["runtime"]["eligible"] is True and inspection["runtime"]["diagnostic"] is None
    assert [(t["name"], t["requested"], t["granted"], t["eligible"]) for t in inspection["tools"]] == [
        ("echo", True, True, True)]
    assert inspection["services"] == inspection["ingresses"] == inspection["host_apis"] == []
    assert inspection["abi"] == []
    assert report["next_steps"] == ACTIVE_STEPS


def test_active_human_output(tmp_path):
    folder = write_dir(tmp_path / "pkg", package_files())
    result = run(str(folder))
    assert result.exit_code == 0 and result.stderr == ""
    digest = digest_of(folder)
    assert result.stdout.splitlines() == [
        f"plugin check: {folder} [active] input_kind=directory",
        f"package: project:example.check version=0.2.0 digest={digest} entries=2 source=project "
        "surfaces=tool tools=1",
        f"enablement guidance: pin reference `project:example.check` and digest `{digest}` explicitly; "
        "this command does not mutate config",
        "classification: legacy-component-tool runtime=wasm-component/yoi:plugin/tool@1.0.0 eligible=true "
        "grants=assumed",
        "tools: echo=eligible",
        "diagnostics: none",
        GATE_VERDICT_LINE,
        "safety: no Plugin execution; no enablement config mutation; no secrets generated",
        "next steps:",
        *(f"  - {step}" for step in ACTIVE_STEPS),
    ]


def test_raw_core_module_is_active_legacy_raw_tool(tmp_path):
    folder = write_dir(tmp_path / "pkg", {"plugin.toml": RAW_MANIFEST.encode(), "plugin.wasm": RAW_MODULE})
    report = run_json(folder, 0)
    assert (report["status"], report["classification"], report["diagnostics"]) == ("active", "legacy-raw-tool", [])
    assert report["inspection"]["runtime"]["status"] == "wasm/yoi-plugin-wasm-1"
    assert report["package"]["entries"] == ["plugin.toml", "plugin.wasm"]


def test_archive_input_matches_folder_digest(tmp_path):
    files = package_files()
    folder = write_dir(tmp_path / "pkg", files)
    archive = tmp_path / "pkg.yoi-plugin"
    archive.write_bytes(write_archive(files))
    from_archive = run_json(archive, 0)
    assert from_archive["input_kind"] == "package" and from_archive["status"] == "active"
    assert from_archive["package"]["digest"] == run_json(folder, 0)["package"]["digest"]
    assert from_archive["package"]["package_path"] == str(archive)


def test_format_json_equals_json_flag(tmp_path):
    folder = write_dir(tmp_path / "pkg", package_files())
    assert run(str(folder), "--format", "json").stdout == run(str(folder), "--json").stdout


def test_bundled_examples_check_active():
    from engine.resources import examples_dir

    folders = [p for p in sorted(examples_dir().iterdir()) if (p / "plugin.toml").is_file()]
    assert len(folders) == 3, "bundled examples are missing"
    for folder in folders:
        report = run_json(folder, 0)
        assert (report["status"], report["diagnostics"]) == ("active", []), folder


# -- partial ---------------------------------------------------------------------------------

PLACEHOLDER_MESSAGE = (
    "plugin component runtime artifact `plugin.component.wasm` is the generated placeholder; "
    "replace it with a real built component before enabling or execution"
)


def test_placeholder_component_is_partial(tmp_path):
    assert len(TOOL_TEMPLATE_PLACEHOLDER) == 115
    folder = write_dir(tmp_path / "pkg", package_files(component=TOOL_TEMPLATE_PLACEHOLDER))
    report = run_json(folder, 0)
    assert report["status"] == "partial"
    [diagnostic] = report["diagnostics"]
    assert {k: diagnostic[k] for k in ("kind", "message", "severity", "code")} == {
        "kind": "placeholder", "message": PLACEHOLDER_MESSAGE, "severity": "warn", "code": "artifact_is_placeholder",
    }
    assert manifest_line(folder, diagnostic["location"]) in ("[runtime]", 'component = "plugin.component.wasm"')
    assert report["static_inspection"] == {"status": "active", "diagnostics": 0}
    assert report["next_steps"][2] == "Do not enable this Plugin while check status is partial."
    lines = run(str(folder)).stdout.splitlines()
    assert lines[2] == (
        "enablement guidance: not ready to enable; replace the generated placeholder component and rerun "
        "check; this command does not mutate config"
    )
    where = f"{diagnostic['location']['file']}:{diagnostic['location']['line']}"
    at = lines.index("diagnostics:")
    assert lines[at + 1] == f"  - kind=placeholder phase=rules severity=warn at={where} message={PLACEHOLDER_MESSAGE}"


def test_placeholder_with_extra_byte_is_not_recognized(tmp_path):
    # Not the placeholder, and not WebAssembly either: rejected as unreadable, never partial.
    folder = write_dir(tmp_path / "pkg", package_files(component=TOOL_TEMPLATE_PLACEHOLDER + b"\n"))
    report = run_json(folder, 1)
    assert report["status"] == "rejected"
    assert [d["code"] for d in report["diagnostics"]] == ["artifact_unreadable"]
    assert all(d["kind"] != "placeholder" for d in report["diagnostics"])


# -- rejected: materialization ---------------------------------------------------------------

def assert_materialize_rejected(report: dict, kind: str, phase: str) -> dict:
    assert report["status"] == "rejected"
    assert report["package"] is None and report["static_inspection"] is None
    assert report["inspection"] is None and report["classification"] is None
    assert report["next_steps"] == ["Fix the reported package diagnostic and run `yoi plugin check` again."]
    diagnostic = report["diagnostics"][0]
    # the reference's three keys first; every finding then has severity, code and location
    # (one finding form for input problems and rule conclusions, issue 16)
    assert list(diagnostic) == RULE_DIAGNOSTIC_KEYS and diagnostic["severity"] == "deny"
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
    result = run(str(folder), "--json")
    assert "hunter2" not in result.output
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
    archive.write_bytes(stored_zip({"plugin.toml": MANIFEST.encode(), "plugin.component.wasm": COMPONENT,
                                    "../evil": b"x"}))
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
        "  - kind=missing phase=manifest at=plugin.toml:13 message=plugin manifest references a path not present in "
        "the package",
        GATE_VERDICT_LINE,
        "safety: no Plugin execution; no enablement config mutation; no secrets generated",
        "next steps:",
        "  - Fix the reported package diagnostic and run `yoi plugin check` again.",
    ]
    assert result.stderr == "yoi plugin: plugin check failed; see diagnostics above\n"


# -- rejected: artifact versus declared runtime ----------------------------------------------

def test_core_module_declared_as_component_is_rejected(tmp_path):
    folder = write_dir(tmp_path / "pkg", package_files(component=RAW_MODULE))
    report = run_json(folder, 1)
    assert report["status"] == "rejected"
    [denial] = [d for d in report["diagnostics"] if d["severity"] == "deny"]
    assert (denial["kind"], denial["code"]) == ("abi", "component_declared_but_core")
    assert "not a component" in denial["message"]
    assert report["inspection"]["runtime"]["eligible"] is False
    assert report["inspection"]["tools"][0]["eligible"] is False
    assert report["static_inspection"] == {"status": "rejected", "diagnostics": 1}
    assert report["next_steps"] == REJECTED_STEPS


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
TOOL_DENIALS = [
    ("grant", "item_not_requested", "requested tool permission for `Bad Tool` is missing"),
    ("malformed", "tool_duplicate_name", "tool `echo` has duplicate name within plugin manifest"),
    ("malformed", "tool_invalid_name",
     "tool `Bad Tool` has invalid name: name must not contain whitespace or control characters"),
    ("malformed", "tool_invalid_schema",
     "tool `Bad Tool` has invalid input_schema: $.properties.q: schema node must be a JSON object"),
]


def _denials(report: dict) -> list[tuple[str, str, str]]:
    return sorted((d["kind"], d["code"], d["message"]) for d in report["diagnostics"] if d.get("severity") == "deny")


def test_tool_definition_problems_reject_the_package(tmp_path):
    folder = write_dir(tmp_path / "pkg", package_files(MANIFEST + TOOLS))
    report = run_json(folder, 1)
    assert report["status"] == "rejected"
    assert report["static_inspection"] == {"status": "rejected", "diagnostics": 4}
    assert report["package"]["tools"] == ["echo", "echo", "Bad Tool"]
    assert _denials(report) == TOOL_DENIALS
    # Each denial points at its own [[tools]] table in plugin.toml.
    by_code = {d["code"]: d for d in report["diagnostics"]}
    assert manifest_line(folder, by_code["tool_invalid_name"]["location"]) == "[[tools]]"
    assert by_code["tool_invalid_name"]["location"]["line"] == by_code["tool_invalid_schema"]["location"]["line"]
    # Per tool, the inspection joins that tool's problems; both `echo` entries carry the duplicate.
    tools = report["inspection"]["tools"]
    assert [t["eligible"] for t in tools] == [False, False, False]
    assert tools[0]["diagnostic"] == tools[1]["diagnostic"] == "tool `echo` has duplicate name within plugin manifest"
    assert sorted(tools[2]["diagnostic"].split("; ")) == sorted(m for _, _, m in TOOL_DENIALS if "Bad Tool" in m)
    assert report["next_steps"] == REJECTED_STEPS
    lines = run(str(folder)).stdout.splitlines()
    assert lines[2] == "enablement guidance: not ready to enable; fix diagnostics first; this command does not mutate config"
    assert "tools: echo=denied, echo=denied, Bad Tool=denied" in lines


def test_tool_problems_with_placeholder_stay_rejected(tmp_path):
    folder = write_dir(tmp_path / "pkg", package_files(MANIFEST + TOOLS, component=TOOL_TEMPLATE_PLACEHOLDER))
    report = run_json(folder, 1)
    assert report["status"] == "rejected"
    assert report["diagnostics"][-1]["kind"] == "placeholder"
    assert report["static_inspection"]["diagnostics"] == 4


def test_denied_tool_and_placeholder_is_rejected(tmp_path):
    # Issue 8: check is a gate; a denied tool rejects even beside a placeholder artifact.
    bad = '[[tools]]\nname = "Bad Tool"\ndescription = "x"\ninput_schema = { type = "object" }\n'
    folder = write_dir(tmp_path / "pkg", package_files(MANIFEST + bad, component=TOOL_TEMPLATE_PLACEHOLDER))
    report = run_json(folder, 1)
    assert report["status"] == "rejected"
    assert report["next_steps"] == REJECTED_STEPS


def test_tools_are_inspected_for_every_declared_surface(tmp_path):
    # Changed from the reference (§4.2, §9 quirk 2): a tool is judged even when `surfaces`
    # omits "tool", so a bad tool cannot slip through; the omission itself is a warning.
    text = MANIFEST.replace('surfaces = ["tool"]', "surfaces = []") + TOOLS
    folder = write_dir(tmp_path / "pkg", package_files(text))
    report = run_json(folder, 1)
    assert report["status"] == "rejected"
    assert _denials(report) == TOOL_DENIALS
    [warning] = [d for d in report["diagnostics"] if d["severity"] == "warn"]
    assert warning["code"] == "declarations_without_surface"
    assert warning["message"] == "the manifest declares tool entries but `surfaces` does not list `tool`"
    assert manifest_line(folder, warning["location"]) == "surfaces = []"


def test_good_tool_without_tool_surface_is_active_with_a_warning(tmp_path):
    text = MANIFEST.replace('surfaces = ["tool"]', "surfaces = []")
    report = run_json(write_dir(tmp_path / "pkg", package_files(text)), 0)
    assert report["status"] == "active"
    assert [(d["severity"], d["code"]) for d in report["diagnostics"]] == [("warn", "declarations_without_surface")]
    assert report["inspection"]["tools"][0]["eligible"] is True


def test_long_tool_diagnostics_are_cli_bounded(tmp_path):
    name = "x" * 120 + " y"
    text = MANIFEST + f'[[tools]]\nname = "{name}"\ndescription = "d"\ninput_schema = {{ type = "string" }}\n'
    # One good tool and one with an invalid name: an invalid tool name fails the whole install
    # (spec §2.1, §6.2; issue 18 point 1), so neither is eligible, and check rejects.
    folder = write_dir(tmp_path / "pkg", package_files(text))
    report = run_json(folder, 1)
    assert report["status"] == "rejected"
    assert [t["eligible"] for t in report["inspection"]["tools"]] == [False, False]
    assert report["next_steps"] == REJECTED_STEPS
    assert run(str(folder)).stdout.splitlines()[2] == (
        "enablement guidance: not ready to enable; fix diagnostics first; this command does not mutate config")
    # The reference joined one tool's problems with `; ` and bounded the result: so does the
    # inspection entry of that tool; each rule diagnostic is bounded on its own.
    joined = report["inspection"]["tools"][1]["diagnostic"]
    assert len(joined) == 241 and joined.endswith("\u2026") and "; " in joined
    assert {d["code"] for d in report["diagnostics"]} == {"item_not_requested", "tool_invalid_name", "tool_invalid_schema"}
    assert all(len(d["message"]) <= 241 for d in report["diagnostics"])


def test_very_long_messages_are_cli_bounded_everywhere(tmp_path):
    name = "x" * 300 + " y"
    text = MANIFEST + f'[[tools]]\nname = "{name}"\ndescription = "d"\ninput_schema = {{ type = "object" }}\n'
    folder = write_dir(tmp_path / "pkg", package_files(text))
    report = run_json(folder, 1)
    assert report["diagnostics"]
    for message in [d["message"] for d in report["diagnostics"]] + [c["message"] for c in report["conclusions"]]:
        assert len(message) == 241 and message.endswith("\u2026")
    assert all(len(line) < 241 + 120 for line in run(str(folder)).stdout.splitlines())


# -- host APIs without --grants --------------------------------------------------------------

def test_requested_host_api_without_grants_is_a_note_not_a_rejection(tmp_path):
    # Changed from the reference (§4.2 quirk): no allowlist can be assumed, so check says one is
    # needed instead of rejecting the package.
    text = MANIFEST.replace('  { kind = "tool", name = "echo" },\n',
                            '  { kind = "tool", name = "echo" },\n  { kind = "host_api", api = "https" },\n')
    folder = write_dir(tmp_path / "pkg", package_files(text))
    report = run_json(folder, 0)
    assert report["status"] == "active" and report["diagnostics"] == []
    [note] = report["conclusions"]
    assert (note["severity"], note["code"]) == ("info", "host_api_allowlist_needed")
    assert "needs a grant allowlist" in note["message"]
    assert manifest_line(folder, note["location"]) == '  { kind = "host_api", api = "https" },'
    [api] = report["inspection"]["host_apis"]
    assert (api["permission"], api["requested"], api["eligible"], api["diagnostic"]) == (
        "host_api.https", True, False, None)
    assert "needs a grant allowlist" in api["note"]
    assert report["inspection"]["tools"][0]["eligible"] is True
    lines = run(str(folder)).stdout.splitlines()
    assert f"note: {note['message']}" in lines and "diagnostics: none" in lines


# -- usage and unreadable input --------------------------------------------------------------

def test_missing_input_path_is_exit_2_without_report(tmp_path):
    result = run(str(tmp_path / "nope"))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("yoi plugin: plugin check input `")
    assert result.stderr.rstrip().endswith("could not be read: not found")


@pytest.mark.parametrize("args", [[], ["a", "b"], ["--format", "xml", "."]])
def test_usage_errors_exit_2(args):
    assert run(*args).exit_code == 2
