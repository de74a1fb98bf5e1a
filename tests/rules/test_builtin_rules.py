"""The built-in rules decide classification, per-surface authorization, ABI and status."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.grants.config import parse_config
from engine.package.materialize import load_package_path
from rule_cases import check_report_of
from engine.verdict.plans import make_plans
from rule_cases import INSTANCE_MANIFEST, RAW_MANIFEST, TOOL_MANIFEST, codes, config_for, judge, write_package
from wasm_builders import INSTANCE_WORLD_EXPORTS, S, TOOL_WORLD_EXPORTS, component, core_module

RAW_OK = core_module(imports=[("yoi:tool", "input_len", "(result i32)")])
TOOL_OK = component(TOOL_WORLD_EXPORTS)
INSTANCE_OK = component(INSTANCE_WORLD_EXPORTS)

SURFACE = '{{ kind = "surface", surface = "{}" }}'
ITEM = '{{ kind = "{}", name = "{}" }}'


def _package(tmp_path: Path, manifest: str, artifact: bytes, name="pkg") -> Path:
    return write_package(tmp_path / name, manifest, {"tool.wasm": artifact})


def _with_grants(path: Path, surfaces, permissions, extra="", bind=True):
    package = load_package_path(path)
    text = config_for(package.identity, package.digest, package.manifest.version, surfaces, permissions, extra, bind)
    return parse_config(text, "config.toml")


@pytest.mark.parametrize(
    ("manifest", "artifact", "classification"),
    [(RAW_MANIFEST, RAW_OK, "legacy-raw-tool"), (TOOL_MANIFEST, TOOL_OK, "legacy-component-tool"),
     (INSTANCE_MANIFEST, INSTANCE_OK, "instance")],
)
def test_each_runtime_is_classified_and_valid_packages_are_active(tmp_path, manifest, artifact, classification):
    subject, evaluation = judge(_package(tmp_path, manifest, artifact))
    assert evaluation.value("classification", subject.ref) == classification
    assert codes(evaluation) == set()
    assert evaluation.value("status", subject.ref) == "active"
    assert evaluation.holds("tool_eligible", subject.ref, "echo")
    assert [p.ref for p in make_plans(evaluation)] == [subject.ref]


@pytest.mark.parametrize(("manifest", "artifact"), [(RAW_MANIFEST, RAW_OK), (TOOL_MANIFEST, TOOL_OK)])
def test_service_and_ingress_on_legacy_runtimes_are_rejected_with_explanation(tmp_path, manifest, artifact):
    """Issue 18 point 1: spec §1.8 step 5 fails the manifest, so the whole package is rejected
    (its tool does not run either) with the reference's explanation."""
    manifest = manifest + '\n[[services]]\nname = "svc"\ndescription = "S."\n[[ingresses]]\nname = "ev"\ndescription = "E."\n'
    manifest = manifest.replace('{ kind = "tool", name = "echo" }]', '{ kind = "tool", name = "echo" }, '
                                '{ kind = "surface", surface = "service" }, { kind = "service", name = "svc" }, '
                                '{ kind = "surface", surface = "ingress" }, { kind = "ingress", name = "ev" }]')
    subject, evaluation = judge(_package(tmp_path, manifest, artifact))
    assert subject.package is None
    assert [(d.kind, d.phase, d.message) for d in subject.diagnostics] == [
        ("surface", "manifest",
         "plugin service/ingress declarations require the yoi:plugin/instance@1.0.0 component world")]
    assert not evaluation.holds("tool_eligible", subject.ref, "echo")
    assert evaluation.value("status", subject.ref) == "rejected" and make_plans(evaluation) == ()


def _instance_grants(path, granted_surfaces, granted_items):
    perms = [SURFACE.format(s) for s in granted_surfaces] + [ITEM.format(k, n) for k, n in granted_items]
    return _with_grants(path, ["tool", "service", "ingress"], perms)


def test_missing_service_grant_denies_service_only(tmp_path):
    path = _package(tmp_path, INSTANCE_MANIFEST, INSTANCE_OK)
    config = _instance_grants(path, ["tool", "service", "ingress"], [("tool", "echo"), ("ingress", "events")])
    subject, evaluation = judge(path, config)
    found = {c.code: c for c in evaluation.conclusions(subject.ref)}
    assert found["item_not_granted"].message == "granted service permission for `svc` is missing"
    assert evaluation.holds("tool_eligible", subject.ref, "echo")
    assert evaluation.holds("ingress_eligible", subject.ref, "events")
    assert not evaluation.holds("service_eligible", subject.ref, "svc")
    assert evaluation.value("status", subject.ref) == "partial"


def test_missing_ingress_surface_grant_denies_ingress_only(tmp_path):
    path = _package(tmp_path, INSTANCE_MANIFEST, INSTANCE_OK)
    config = _instance_grants(path, ["tool", "service"], [("tool", "echo"), ("service", "svc"), ("ingress", "events")])
    subject, evaluation = judge(path, config)
    messages = [c.message for c in evaluation.conclusions(subject.ref) if c.severity == "deny"]
    assert messages == ["granted surfaces.ingress permission is missing"]
    assert evaluation.holds("tool_eligible", subject.ref, "echo")
    assert evaluation.holds("service_eligible", subject.ref, "svc")
    plan = make_plans(evaluation)[0]
    assert [t.name for t in plan.tools] == ["echo"] and [s.name for s in plan.services] == ["svc"]
    assert plan.ingresses == () and plan.authorized_surfaces == ("tool", "service")


def test_missing_tool_grant_keeps_service_and_ingress_eligible(tmp_path):
    path = _package(tmp_path, INSTANCE_MANIFEST, INSTANCE_OK)
    config = _instance_grants(path, ["service", "ingress"], [("service", "svc"), ("ingress", "events")])
    subject, evaluation = judge(path, config)
    assert [c.message for c in evaluation.conclusions(subject.ref) if c.severity == "deny"] == [
        "granted surfaces.tool permission is missing"]
    assert evaluation.holds("service_eligible", subject.ref, "svc")
    assert evaluation.holds("ingress_eligible", subject.ref, "events")
    assert not evaluation.holds("tool_eligible", subject.ref, "echo")
    assert evaluation.value("status", subject.ref) == "partial"


def test_service_only_enablement_ignores_unselected_tool(tmp_path):
    path = _package(tmp_path, INSTANCE_MANIFEST, INSTANCE_OK)
    config = _with_grants(path, ["service"], [SURFACE.format("service"), ITEM.format("service", "svc")])
    subject, evaluation = judge(path, config)
    assert codes(evaluation) == set()
    assert evaluation.value("status", subject.ref) == "active"
    report = check_report_of(evaluation, str(path))
    assert report["inspection"]["tools"] == [] and report["inspection"]["services"][0]["eligible"] is True


def test_tool_namespace_and_external_write(tmp_path):
    manifest = RAW_MANIFEST.replace('input_schema = { type = "object" }',
                                    'input_schema = { type = "object" }\nexternal_write = true')
    path = _package(tmp_path, manifest, RAW_OK)
    config = _with_grants(path, ["tool"], [SURFACE.format("tool"), '{ kind = "tool_namespace", namespace = "ec" }'])
    subject, evaluation = judge(path, config)
    assert [c.message for c in evaluation.conclusions(subject.ref) if c.severity == "deny"] == [
        "requested external_write permission is missing"]
    assert evaluation.value("status", subject.ref) == "rejected"


@pytest.mark.parametrize(
    ("grant_fields", "message"),
    [
        ("", "plugin grant is missing a source-qualified package id binding"),
        ('id = "project:other"\n', "plugin grant package id binding does not match enabled package"),
        ('id = "nope"\n', "plugin grant package id binding is not a valid source-qualified plugin id"),
        ('id = "project:t.raw"\n', "plugin grant is missing a deterministic digest binding"),
        ('id = "project:t.raw"\ndigest = "sha256:00"\n', "plugin grant digest binding does not match enabled package digest"),
        ('id = "project:t.raw"\ndigest = "DIGEST"\n', "plugin grant is missing an exact package version binding"),
        ('id = "project:t.raw"\ndigest = "DIGEST"\nversion = "9"\n', "plugin grant version binding does not match enabled package version"),
    ],
)
def test_grant_binding_rules_follow_reference_order(tmp_path, grant_fields, message):
    # Issue 16: a grant-binding problem has one owner, resolution (spec §3.4): it is reported once,
    # as the input diagnostic that keeps the enablement unresolved, and no rule repeats it.
    from engine.grants.model import Enablement, Grants
    from engine.grants.resolve import resolve
    from engine.package.model import Permission
    from engine.pipeline.evaluate import evaluate
    from engine.pipeline.subjects import _subject_from

    package = load_package_path(_package(tmp_path, RAW_MANIFEST, RAW_OK))
    fields = dict(line.split(" = ") for line in grant_fields.strip().splitlines())
    fields = {k: v.strip('"').replace("DIGEST", package.digest) for k, v in fields.items()}
    grants = Grants(permissions=(Permission("surface", "tool"), Permission("tool", "echo")), **fields)
    enablement = Enablement(id=package.identity, surfaces=("tool",), grants=grants)
    subject = _subject_from(package.identity, "workspace", package, resolve([enablement], [package]), enablement, "x")
    evaluation = evaluate([subject])
    assert [d.message for d in subject.diagnostics] == [message] and not subject.resolved
    assert [c.message for c in evaluation.conclusions(subject.ref) if c.severity == "deny"] == []
    assert evaluation.value("status", subject.ref) == "rejected"
    assert not evaluation.holds("tool_eligible", subject.ref, "echo")


def test_host_api_without_grants_says_allowlist_needed_instead_of_rejecting(tmp_path):
    manifest = RAW_MANIFEST.replace('{ kind = "tool", name = "echo" }]',
                                    '{ kind = "tool", name = "echo" }, { kind = "host_api", api = "https" }]')
    path = _package(tmp_path, manifest, RAW_OK)
    subject, evaluation = judge(path)
    assert codes(evaluation) == set()
    assert "host_api_allowlist_needed" in codes(evaluation, "info")
    assert evaluation.value("status", subject.ref) == "active"
    config = _with_grants(path, ["tool"], [SURFACE.format("tool"), ITEM.format("tool", "echo"),
                                           '{ kind = "host_api", api = "https" }'])
    subject, evaluation = judge(path, config)
    assert "host_api_allowlist_missing" in codes(evaluation)
    assert evaluation.holds("tool_eligible", subject.ref, "echo")
    config = _with_grants(path, ["tool"], [SURFACE.format("tool"), ITEM.format("tool", "echo"),
                                           '{ kind = "host_api", api = "https" }'],
                          extra='https = [{ host = "api.example.com", methods = ["get"] }]\n')
    subject, evaluation = judge(path, config)
    assert codes(evaluation) == set()
    assert evaluation.holds("host_api_eligible", subject.ref, "https")


def test_abi_missing_export_is_denied(tmp_path):
    exports = dict(INSTANCE_WORLD_EXPORTS)
    del exports["handle-ingress"]
    subject, evaluation = judge(_package(tmp_path, INSTANCE_MANIFEST, component(exports)))
    found = [c for c in evaluation.conclusions(subject.ref) if c.code == "component_missing_export"]
    assert found and "handle-ingress" in found[0].message
    assert evaluation.value("status", subject.ref) == "rejected"
    assert not evaluation.holds("tool_eligible", subject.ref, "echo")
    assert make_plans(evaluation) == ()


def test_abi_wrong_signature_is_denied(tmp_path):
    artifact = component({"call": ([("tool-name", S)], S)})
    subject, evaluation = judge(_package(tmp_path, TOOL_MANIFEST, artifact))
    found = [c for c in evaluation.conclusions(subject.ref) if c.code == "component_export_signature"]
    assert found and "func(tool-name: string) -> string" in found[0].message
    assert "func(tool-name: string, input-json: string) -> string" in found[0].message


def test_abi_wasi_import_is_denied_with_stub_wasi_hint(tmp_path):
    artifact = component(TOOL_WORLD_EXPORTS, imports=[("wasi:random/random@0.2.0", "get-random-u64", [], "u64")])
    subject, evaluation = judge(_package(tmp_path, TOOL_MANIFEST, artifact))
    found = [c for c in evaluation.conclusions(subject.ref) if c.code == "component_wasi_import"]
    assert found and "wasi:random/random@0.2.0" in found[0].message and "--stub-wasi" in found[0].message


def test_abi_other_ambient_import_is_denied(tmp_path):
    artifact = component(TOOL_WORLD_EXPORTS, imports=[("acme:net/socket@1.0.0", "connect", [("host", S)], "u32")])
    subject, evaluation = judge(_package(tmp_path, TOOL_MANIFEST, artifact))
    assert "component_unsupported_import" in codes(evaluation)


def test_core_bytes_declared_as_component_are_denied(tmp_path):
    subject, evaluation = judge(_package(tmp_path, TOOL_MANIFEST, RAW_OK))
    assert "component_declared_but_core" in codes(evaluation)
    assert evaluation.value("status", subject.ref) == "rejected"


def test_component_declared_as_raw_is_denied(tmp_path):
    subject, evaluation = judge(_package(tmp_path, RAW_MANIFEST, TOOL_OK))
    assert "core_declared_but_component" in codes(evaluation)


def test_raw_abi_requires_exports_and_allows_only_yoi_imports(tmp_path):
    artifact = core_module(imports=[("wasi_snapshot_preview1", "fd_write", "(param i32 i32 i32 i32) (result i32)"),
                                    ("yoi:tool", "shell", "(result i32)")], exports_call=False)
    subject, evaluation = judge(_package(tmp_path, RAW_MANIFEST, artifact))
    found = codes(evaluation)
    assert {"raw_missing_export", "raw_unsupported_module", "raw_unsupported_import"} <= found
    wrong_type = core_module(call_type="(result i32)")
    subject, evaluation = judge(_package(tmp_path, RAW_MANIFEST, wrong_type, name="p2"))
    assert "raw_export_signature" in codes(evaluation)


def test_placeholder_artifact_makes_check_partial_and_unplannable(tmp_path):
    placeholder = (b"placeholder component artifact for authoring-template checks; "
                   b"replace with a built wasm component before enabling.\n")
    subject, evaluation = judge(_package(tmp_path, TOOL_MANIFEST, placeholder))
    assert "artifact_is_placeholder" in codes(evaluation, "warn")
    assert evaluation.value("status", subject.ref) == "partial"
    assert make_plans(evaluation) == ()


def test_invalid_and_duplicate_tool_definitions_are_denied(tmp_path):
    manifest = RAW_MANIFEST + '\n[[tools]]\nname = "echo"\ndescription = "again"\ninput_schema = { type = "object" }\n'
    manifest += '\n[[tools]]\nname = "Bad Tool"\ndescription = "x"\ninput_schema = { type = "string" }\n'
    subject, evaluation = judge(_package(tmp_path, manifest, RAW_OK))
    found = codes(evaluation)
    assert {"tool_duplicate_name", "tool_invalid_name", "tool_invalid_schema"} <= found
    report = check_report_of(evaluation, "x")
    locations = {d["code"]: d["location"] for d in report["diagnostics"]}
    assert locations["tool_invalid_name"]["line"] > locations["tool_duplicate_name"]["line"] > 1


def test_unreadable_package_is_rejected(tmp_path):
    path = write_package(tmp_path / "bad", "schema_version = 2\n")
    subject, evaluation = judge(path)
    assert subject.package is None
    assert evaluation.value("status", subject.ref) == "rejected"
    report = check_report_of(evaluation, str(path))
    assert report["package"] is None and report["diagnostics"][0]["phase"] == "manifest"


def test_org_policy_denial_blocks_the_package(tmp_path):
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "org.rules").write_text(
        'deny no_raw_wasm(P) "raw wasm is not allowed here" :- classification(P, "legacy-raw-tool").\n')
    subject, evaluation = judge(_package(tmp_path, RAW_MANIFEST, RAW_OK), policy_dirs=[policy])
    assert "no_raw_wasm" in codes(evaluation)
    assert evaluation.value("status", subject.ref) == "rejected"
