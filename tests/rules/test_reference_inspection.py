"""Ports of the reference's static-inspection and grant tests (spec §7.2) onto the rules."""

from __future__ import annotations

from pathlib import Path

from engine.grants.config import parse_config
from engine.package.archive import write_archive
from engine.package.discovery import discover
from engine.package.materialize import load_package_path
from engine.pipeline.evaluate import evaluate
from engine.verdict.plans import make_plans
from engine.pipeline.subjects import workspace_subjects
from rule_cases import RAW_MANIFEST, TOOL_MANIFEST, codes, config_for, judge, write_package
from wasm_builders import TOOL_WORLD_EXPORTS, component, core_module

RAW = core_module(imports=[("yoi:tool", "input_len", "(result i32)")])
SURFACE = '{{ kind = "surface", surface = "{}" }}'
TOOL = '{{ kind = "tool", name = "{}" }}'
TWO_TOOLS = RAW_MANIFEST.replace(
    '{ kind = "tool", name = "echo" }]', '{ kind = "tool", name = "echo" }, { kind = "tool", name = "other" }]'
) + '\n[[tools]]\nname = "other"\ndescription = "Other."\ninput_schema = { type = "object" }\n'


def _grants(path: Path, permissions: list[str], surfaces=("tool",), extra="", bind=True):
    package = load_package_path(path)
    return parse_config(config_for(package.identity, package.digest, package.manifest.version, surfaces,
                                   permissions, extra, bind), "grants.toml")


def _denials(evaluation, ref):
    return [c.message for c in evaluation.conclusions(ref) if c.severity == "deny"]


def test_no_grant_denies_the_tool_with_the_reference_message(tmp_path):
    path = write_package(tmp_path / "p", RAW_MANIFEST, {"tool.wasm": RAW})
    config = parse_config('[[plugins.enabled]]\nid = "project:t.raw"\n', "grants.toml")
    subject, evaluation = judge(path, config)
    assert _denials(evaluation, subject.ref) == ["granted surfaces.tool permission is missing"]
    assert make_plans(evaluation) == ()


def test_specific_tool_grant_authorizes_only_that_tool(tmp_path):
    path = write_package(tmp_path / "p", TWO_TOOLS, {"tool.wasm": RAW})
    subject, evaluation = judge(path, _grants(path, [SURFACE.format("tool"), TOOL.format("echo")]))
    assert evaluation.holds("tool_eligible", subject.ref, "echo")
    assert not evaluation.holds("tool_eligible", subject.ref, "other")
    assert _denials(evaluation, subject.ref) == ["granted tool permission for `other` is missing"]
    assert [t.name for t in make_plans(evaluation)[0].tools] == ["echo"]
    assert evaluation.value("status", subject.ref) == "partial"


def test_requested_surface_permission_is_required(tmp_path):
    manifest = RAW_MANIFEST.replace('permissions = [{ kind = "surface", surface = "tool" }, ', "permissions = [")
    path = write_package(tmp_path / "p", manifest, {"tool.wasm": RAW})
    subject, evaluation = judge(path, _grants(path, [SURFACE.format("tool"), TOOL.format("echo")]))
    assert _denials(evaluation, subject.ref) == ["requested surfaces.tool permission is missing"]


def test_host_api_import_is_permission_checked(tmp_path):
    artifact = component(TOOL_WORLD_EXPORTS, imports=[("yoi:host/https@1.0.0", "request", [("request-json", "string")], "string")])
    path = write_package(tmp_path / "p", TOOL_MANIFEST, {"tool.wasm": artifact})
    subject, evaluation = judge(path, _grants(path, [SURFACE.format("tool"), TOOL.format("echo")]))
    assert "host_import_not_requested" in codes(evaluation)
    manifest = TOOL_MANIFEST.replace('{ kind = "tool", name = "echo" }]',
                                     '{ kind = "tool", name = "echo" }, { kind = "host_api", api = "https" }]')
    path = write_package(tmp_path / "q", manifest, {"tool.wasm": artifact})
    granted = [SURFACE.format("tool"), TOOL.format("echo"), '{ kind = "host_api", api = "https" }']
    subject, evaluation = judge(path, _grants(path, granted))
    assert "granted host_api.https allowlist is missing" in _denials(evaluation, subject.ref)
    assert "host_import_denied" in codes(evaluation)
    subject, evaluation = judge(path, _grants(path, granted, extra='https = [{ host = "api.example.com", methods = ["GET"] }]\n'))
    assert codes(evaluation) == set()
    assert evaluation.holds("host_api_eligible", subject.ref, "https")


TRAPPING_COMPONENT = """
(component
  (core module $m
    (memory (export "memory") 1)
    (func $boom unreachable)
    (start $boom)
    (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)
    (func (export "call") (param i32 i32 i32 i32) (result i32) i32.const 0))
  (core instance $i (instantiate $m))
  (func (export "call") (param "tool-name" string) (param "input-json" string) (result string)
    (canon lift (core func $i "call") (memory (core memory $i "memory"))
      (realloc (core func $i "cabi_realloc")) string-encoding=utf8)))
"""


def test_component_whose_start_traps_is_inspected_without_running(tmp_path):
    import wasmtime

    path = write_package(tmp_path / "p", TOOL_MANIFEST, {"tool.wasm": wasmtime.wat2wasm(TRAPPING_COMPONENT)})
    subject, evaluation = judge(path)
    assert evaluation.value("classification", subject.ref) == "legacy-component-tool"
    assert codes(evaluation) == set()
    assert evaluation.value("status", subject.ref) == "active"


def _store_package(store: Path, name: str, manifest: str, artifact: bytes) -> str:
    files = {"plugin.toml": manifest.encode(), "tool.wasm": artifact}
    store.mkdir(parents=True, exist_ok=True)
    (store / f"{name}.yoi-plugin").write_bytes(write_archive(files))
    return load_package_path(store / f"{name}.yoi-plugin").digest


def test_same_tool_name_in_two_enabled_packages_is_denied_for_one(tmp_path):
    store = tmp_path / ".yoi" / "plugins"
    config = []
    for local in ("a.one", "b.two"):
        manifest = RAW_MANIFEST.replace('id = "t.raw"', f'id = "{local}"')
        digest = _store_package(store, local, manifest, RAW)
        config.append(config_for(f"project:{local}", digest, "1.0.0", ["tool"], [SURFACE.format("tool"), TOOL.format("echo")]))
    config_path = tmp_path / ".yoi" / "config.toml"
    config_path.write_text("\n".join(config))
    from engine.grants.config import load_config

    discovery = discover(tmp_path, user_data_home=None)
    evaluation = evaluate(workspace_subjects(tmp_path, load_config(config_path), discovery))
    collisions = [c for c in evaluation.conclusions() if c.code == "tool_name_collision"]
    assert [c.args for c in collisions] == [("project:b.two", "echo", "project:a.one")]
    assert evaluation.holds("tool_eligible", "project:a.one", "echo")
    assert not evaluation.holds("tool_eligible", "project:b.two", "echo")


def test_inspection_uses_the_discovered_bytes_not_the_file_again(tmp_path):
    store = tmp_path / ".yoi" / "plugins"
    digest = _store_package(store, "t.raw", RAW_MANIFEST, RAW)
    config = parse_config(config_for("project:t.raw", digest, "1.0.0", ["tool"],
                                     [SURFACE.format("tool"), TOOL.format("echo")]), "c.toml")
    discovery = discover(tmp_path, user_data_home=None)
    (store / "t.raw.yoi-plugin").unlink()
    evaluation = evaluate(workspace_subjects(tmp_path, config, discovery))
    assert evaluation.value("status", "project:t.raw") == "active"
