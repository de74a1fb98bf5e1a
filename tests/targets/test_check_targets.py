"""`--target` end to end: real packages (WAT components, upstream's own template folders, the
built Python template) through `yoi plugin check`, `list`, `show` and `explain`, judged for each
target; the rows of yoi-current-spec.md §10 (cur §N) under the targets they concern, upstream's
static inspection of URL targets (differential against engine/grants/url_targets.py), the
private-host warnings, exit codes and report shapes (issue 19)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from package_files import write_package_dir
from rule_cases import INSTANCE_MANIFEST, TOOL_MANIFEST
from wasm_builders import INSTANCE_WORLD_EXPORTS, TOOL_WORLD_EXPORTS, component

from engine.cli.main import cli
from engine.package.materialize import load_package_path

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM = ROOT / "tests" / "targets" / "upstream"
OLD, CURRENT, ENGINE = "yoi@43c9216e", "yoi@b12e0785", "engine"
JSON_CALL = [("request-json", "string")]


def run(*args, code: int | None = None):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    if code is not None:
        assert result.exit_code == code, result.output
    return result


def check_json(path, *args, code=None) -> dict:
    return json.loads(run("plugin", "check", path, "--json", *args, code=code).stdout)


def denials(report: dict, target: str) -> list[str]:
    return [f["message"] for f in report["targets"][target]["findings"] if f["severity"] == "deny"]


def findings(report: dict, target: str, severity: str | None = None) -> list[tuple[str, str]]:
    return [(f["code"], f["message"]) for f in report["targets"][target]["findings"]
            if severity is None or f["severity"] == severity]


def package(tmp_path: Path, manifest: str, artifact: bytes | None = None, name: str = "pkg") -> Path:
    files = {"tool.wasm": artifact if artifact is not None else component(TOOL_WORLD_EXPORTS)}
    return write_package_dir(tmp_path / name, textwrap.dedent(manifest), files)


def with_permission(manifest: str, permission: str) -> str:
    return manifest.replace('{ kind = "tool", name = "echo" }]', '{ kind = "tool", name = "echo" }, ' + permission + "]")


def enabling(path: Path, tmp_path: Path, permissions: list[str], grants: str = "", extra: str = "") -> Path:
    """A config enabling the package at `path` with a bound grant of `permissions`."""
    pkg = load_package_path(path)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[plugins.enabled]]\nid = "{pkg.identity}"\nsurfaces = ["tool"]\n{extra}'
        f'[plugins.enabled.grants]\nid = "{pkg.identity}"\nversion = "{pkg.manifest.version}"\n'
        f'digest = "{pkg.digest}"\npermissions = [{", ".join(permissions)}]\n{grants}'
    )
    return config


BASE = ['{ kind = "surface", surface = "tool" }', '{ kind = "tool", name = "echo" }']


# ---- upstream's own templates (done-when 1) --------------------------------------------------------


def test_upstreams_tool_template_checks_partial_everywhere():
    path = UPSTREAM / "b12e0785" / "rust-component-tool"
    for target in (CURRENT, OLD, ENGINE):
        report = check_json(path, "--target", target, code=0)
        assert report["status"] == "partial" and list(report["targets"]) == [target]
        assert report["targets"][target] == {"status": "partial", "compatible": True, "findings": []}


def test_upstreams_service_template_checks_as_upstream_does():
    """cur §4.2: rejected with exactly two grant diagnostics, in this order; accepted by the engine."""
    path = UPSTREAM / "b12e0785" / "rust-component-instance"
    report = check_json(path, "--target", "yoi-current", code=1)
    assert report["status"] == "rejected"
    assert denials(report, CURRENT) == [
        "enabled host_api.websocket grants are missing",
        "missing enabled WebSocket grant for manifest target",
    ]
    assert not report["targets"][CURRENT]["compatible"]
    # the reference's flat `diagnostics` list says it too, as upstream's check does (kind grant)
    assert [(d["kind"], d["message"]) for d in report["diagnostics"] if d.get("target") == CURRENT] == [
        ("grant", "enabled host_api.websocket grants are missing"),
        ("grant", "missing enabled WebSocket grant for manifest target"),
    ]
    engine = check_json(path, code=0)  # the default target: the engine reads it, placeholder and all
    assert engine["status"] == "partial" and engine["targets"][ENGINE]["compatible"]
    old = check_json(path, "--target", OLD, code=1)
    assert denials(old, OLD) == [
        "plugin.toml could not be parsed: yoi@43c9216e has no host API `websocket` (`host_api` permission value)",
        "plugin.toml could not be parsed: yoi@43c9216e does not read the top-level key `websocket`",
    ]


def test_check_all_gives_every_target_a_verdict_and_the_worst_exit():
    path = UPSTREAM / "b12e0785" / "rust-component-instance"
    result = run("plugin", "check", path, "--target", "all", code=1)
    assert "plugin check failed for yoi@43c9216e, yoi@b12e0785" in result.stderr
    report = check_json(path, "--target", "all", code=1)
    assert {t: v["status"] for t, v in report["targets"].items()} == {
        ENGINE: "partial", OLD: "rejected", CURRENT: "rejected"}
    # repeated and aliased names are one target, in the order given
    report = check_json(path, "--target", CURRENT, "--target", ENGINE, "--target", "yoi-current", code=1)
    assert list(report["targets"]) == [CURRENT, ENGINE]


def test_an_unknown_target_is_a_usage_error_naming_the_known_ones():
    result = run("plugin", "check", UPSTREAM / "b12e0785" / "rust-component-tool", "--target", "yoi@0000000", code=2)
    assert "unknown target `yoi@0000000`; known: engine, yoi@43c9216e, yoi@b12e0785 (alias yoi-current), all" in \
        result.stderr


# ---- the §10 rows, end to end --------------------------------------------------------------------


def test_row_1_a_raw_module_runs_everywhere_but_upstream_head():
    report = check_json(ROOT / "examples" / "raw-echo", "--target", "all", code=1)
    assert {t: v["status"] for t, v in report["targets"].items()} == {
        ENGINE: "active", OLD: "active", CURRENT: "rejected"}
    [finding] = report["targets"][CURRENT]["findings"]
    assert finding["code"] == "target_runtime_retired"
    assert finding["message"] == \
        "legacy raw wasm plugin runtime `wasm` / `yoi-plugin-wasm-1` is retired; use `wasm-component`"
    assert report["rules"]["target_runtime_retired"]["kind"] == "api"
    assert finding["location"]["file"] == "plugin.toml"
    check_json(ROOT / "examples" / "raw-echo", "--target", OLD, code=0)


def test_row_2_an_https_permission_is_unreadable_upstream_and_stays_a_verdict(tmp_path):
    path = package(tmp_path, with_permission(TOOL_MANIFEST, '{ kind = "host_api", api = "https" }'))
    report = check_json(path, "--target", "all", code=1)
    assert denials(report, CURRENT)[0] == \
        "plugin.toml could not be parsed: yoi@b12e0785 has no host API `https` (`host_api` permission value)"
    assert report["targets"][ENGINE]["compatible"]
    # 43c9216e reads it, and its own check rejects any host API request (cur §10 row 18)
    assert denials(report, OLD) == ["granted host_api.https allowlist is missing"]


def test_rows_3_and_4_current_tables_and_grants_are_unreadable_at_43c9216e(tmp_path):
    manifest = with_permission(TOOL_MANIFEST, '{ kind = "host_api", api = "request" }') + (
        '[[request]]\nscheme = "https"\nhost = "api.example.com"\nmethods = ["GET"]\npath_prefixes = ["/v1"]\n')
    path = package(tmp_path, manifest)
    config = enabling(path, tmp_path, [*BASE, '{ kind = "host_api", api = "request" }'],
                      '[[plugins.enabled.grants.request]]\nscheme = "https"\nhost = "api.example.com"\n'
                      'methods = ["GET"]\npath_prefixes = ["/v1"]\n')
    report = check_json(path, "--grants", config, "--target", "all", code=1)
    assert report["targets"][CURRENT]["status"] == "active" and report["targets"][ENGINE]["status"] == "active"
    assert set(denials(report, OLD)) == {
        "plugin.toml could not be parsed: yoi@43c9216e does not read the top-level key `request`",
        "plugin.toml could not be parsed: yoi@43c9216e has no host API `request` (`host_api` permission value)",
        "the plugin config could not be parsed: yoi@43c9216e does not read `request` in "
        "`[plugins.enabled.grants]` (unknown field)",
        "the plugin config could not be parsed: yoi@43c9216e has no host API `request` "
        "(granted `host_api` permission value)",
    }
    config_finding = next(f for f in report["targets"][OLD]["findings"] if "`[plugins.enabled.grants]`" in f["message"])
    assert config_finding["location"]["file"] == str(config)  # the enablement entry


def test_row_4_old_https_grants_are_unreadable_upstream(tmp_path):
    path = package(tmp_path, with_permission(TOOL_MANIFEST, '{ kind = "host_api", api = "https" }'))
    config = enabling(path, tmp_path, [*BASE, '{ kind = "host_api", api = "https" }'],
                      '[[plugins.enabled.grants.https]]\nhost = "api.example.com"\nmethods = ["GET"]\n')
    report = check_json(path, "--grants", config, "--target", CURRENT, code=1)
    assert "the plugin config could not be parsed: yoi@b12e0785 does not read `https` in " \
           "`[plugins.enabled.grants]` (unknown field)" in denials(report, CURRENT)
    assert check_json(path, "--grants", config, "--target", OLD, code=0)["status"] == "active"


@pytest.mark.parametrize(("interface", "refusing"), [
    ("yoi:host/https@1.0.0", CURRENT),
    ("yoi:host/request@1.0.0", OLD),
])
def test_row_5_a_host_import_the_target_does_not_link(tmp_path, interface, refusing):
    api = interface.split("/")[1].split("@")[0]
    artifact = component(TOOL_WORLD_EXPORTS, imports=[(interface, "request", JSON_CALL, "string")])
    path = package(tmp_path, with_permission(TOOL_MANIFEST, f'{{ kind = "host_api", api = "{api}" }}'), artifact)
    report = check_json(path, "--target", "all", code=1)
    linked = [t for t in (ENGINE, OLD, CURRENT) if not any(
        c == "target_import_not_linked" for c, _ in findings(report, t))]
    assert set(linked) == {ENGINE, OLD, CURRENT} - {refusing}
    assert (f"unsupported component import `{interface}`; no WASI filesystem, ambient network, environment, or "
            f"other imports are available ({refusing} passes check and list, then fails every tool call or the "
            "install)") in denials(report, refusing)
    # which host WIT it was built against, whatever the target (issue 19 point 4): the other one
    built_for = {CURRENT: OLD, OLD: CURRENT}[refusing]
    [built] = [f for f in report["conclusions"] if f["code"] == "component_built_against"]
    assert built["message"] == f"the component's host imports are those of host WIT {built_for} (wit/hosts/{built_for})"


def test_row_6_a_component_without_host_imports_is_compatible_everywhere():
    report = check_json(ROOT / "examples" / "component-echo", "--target", "all", code=0)
    assert all(v == {"status": "active", "compatible": True, "findings": []} for v in report["targets"].values())


def test_row_8_grants_without_a_declared_target(tmp_path):
    path = package(tmp_path, with_permission(TOOL_MANIFEST, '{ kind = "host_api", api = "request" }'))
    config = enabling(path, tmp_path, [*BASE, '{ kind = "host_api", api = "request" }'],
                      '[[plugins.enabled.grants.request]]\nscheme = "https"\nhost = "api.example.com"\n'
                      'methods = ["GET"]\n')
    report = check_json(path, "--grants", config, "--target", CURRENT, code=1)
    assert "manifest host_api.request target declaration is missing" in \
        [d["message"] for d in report["diagnostics"]]
    assert report["targets"][CURRENT]["status"] == "rejected"


def test_row_9_no_runtime_install_fails_upstream(tmp_path):
    manifest = TOOL_MANIFEST.split("[runtime]")[0] + '[[tools]]\nname = "echo"\ndescription = "E."\n' \
        'input_schema = { type = "object" }\n'
    path = write_package_dir(tmp_path / "pkg", textwrap.dedent(manifest))
    report = check_json(path, "--target", "all", code=1)
    assert ("info", "target_no_runtime_install_fails") in {(f["severity"], f["code"])
                                                          for f in report["targets"][CURRENT]["findings"]}
    assert not report["targets"][ENGINE]["findings"]


def test_rows_10_to_13_behaviour_under_upstream_head(tmp_path):
    manifest = INSTANCE_MANIFEST.replace('event_kinds = ["tick"]', 'event_kinds = ["tick"]\nsources = ["wss://x.example/s"]')
    path = package(tmp_path, manifest, component(INSTANCE_WORLD_EXPORTS))
    report = check_json(path, "--target", "all", code=0)
    assert {c for c, _ in findings(report, CURRENT)} == {
        "target_ingress_envelope", "target_event_kinds_enforced", "target_ingress_failure_permanent",
        "target_websocket_source_not_granted"}
    assert ("target_websocket_source_not_granted",
            "yoi@b12e0785 opens ingress `events` source `wss://x.example/s` at install and records `host-owned "
            "websocket not granted`: host_api.websocket is not granted") in findings(report, CURRENT)
    assert findings(report, OLD) == findings(report, ENGINE) == []
    assert report["targets"][CURRENT]["status"] == "active"  # notes and warnings change no status


def test_row_16_the_python_template_under_each_target(python_instance_built):
    """The issue's example: the ~18 MB componentize-py guest, its initial memory and its core
    instances, read statically from the artifact, against each target's limits."""
    report = check_json(python_instance_built, "--target", "all", code=1)
    assert report["targets"][ENGINE]["compatible"]
    for target in (OLD, CURRENT):
        said = denials(report, target)
        codes = {c for c, _ in findings(report, target, "deny")}
        assert {"target_file_too_large", "target_package_too_large", "target_initial_memory_too_large",
                "target_store_limit_exceeded", "target_initial_table_too_large"} <= codes
        assert any(m.startswith("package file `plugin.component.wasm` is ") and
                   m.endswith(f"bytes; {target} refuses any file above its per-file limit of 8388608 bytes")
                   for m in said)
        assert any(m.startswith("instantiating the artifact creates ") and
                   m.endswith(f"bytes of initial linear memory; {target}'s store limit is 2097152 bytes, so "
                              "instantiation fails") for m in said)
        assert f"instantiating the artifact creates 38 core instances; {target}'s store allows 1, so instantiation " \
               "fails" in said


def test_row_18_upstream_check_rejects_a_requested_host_api(tmp_path):
    path = package(tmp_path, with_permission(TOOL_MANIFEST, '{ kind = "host_api", api = "fs" }'))
    report = check_json(path, "--target", "all", code=1)
    assert report["targets"][ENGINE]["status"] == "active"  # the engine notes what a grant needs
    assert denials(report, OLD) == denials(report, CURRENT) == ["granted host_api.fs scope allowlist is missing"]


def test_row_19_a_current_worker_needs_a_resolved_plan(tmp_path):
    from package_files import write_package_archive

    ws = tmp_path / "ws"
    archive = ws / ".yoi" / "plugins" / "t.comp.yoi-plugin"
    write_package_archive(archive, textwrap.dedent(TOOL_MANIFEST), {"tool.wasm": component(TOOL_WORLD_EXPORTS)})
    pkg = load_package_path(archive)
    enablement = (f'[[plugins.enabled]]\nid = "project:t.comp"\nsurfaces = ["tool"]\n[plugins.enabled.grants]\n'
                  f'id = "project:t.comp"\nversion = "1.0.0"\ndigest = "{pkg.digest}"\n'
                  'permissions = [{ kind = "surface", surface = "tool" }, { kind = "tool", name = "echo" }]\n')
    (ws / ".yoi" / "config.toml").write_text(enablement)
    def item():
        listed = json.loads(run("plugin", "list", "--workspace", ws, "--json", "--target", CURRENT, code=0).stdout)
        assert listed["target_profiles"] == [CURRENT]
        [found] = [i for i in listed["items"] if i["reference"] == "project:t.comp"]
        assert found["status"] == "active"
        return found

    assert [f["code"] for f in item()["targets"][CURRENT]["findings"]] == ["target_startup_needs_resolved_plan"]
    run("plugin", "lock", "--workspace", ws, code=0)  # writes the resolved plan into the config
    assert item()["targets"][CURRENT]["findings"] == []


# ---- upstream's static inspection of URL targets (cur §4.1): rules vs url_targets.inspect ---------

REQUEST_CASES = [
    # (manifest targets, grants)
    ([{"scheme": "https", "host": "api.example.com", "methods": ["GET"], "path_prefixes": ["/v1"]}], []),
    ([{"scheme": "https", "host": "api.example.com", "methods": ["GET"], "path_prefixes": ["/v1"]}],
     [{"scheme": "https", "host": "api.example.com", "methods": ["GET"], "path_prefixes": ["/v1"]}]),
    ([{"scheme": "https", "host": "api.example.com", "methods": ["GET", "POST"], "path_prefixes": ["/v1"]}],
     [{"scheme": "https", "host": "api.example.com", "methods": ["GET"], "path_prefixes": ["/v1/a"]}]),
    ([{"scheme": "*", "host": "*", "methods": ["GET"]}],
     [{"scheme": "https", "host": "api.example.com", "methods": ["GET"], "path_prefixes": ["/v1"]}]),
    ([{"scheme": "https", "host": "api.example.com", "methods": ["GET"], "path_prefixes": ["/v1"]}],
     [{"scheme": "*", "host": "*", "methods": ["GET", "POST"]}]),
    ([{"scheme": "https", "host": "a.example.com", "methods": ["GET"], "path_prefixes": ["/"]}],
     [{"scheme": "https", "host": "b.example.com", "methods": ["GET"], "path_prefixes": ["/"]},
      {"scheme": "https", "host": "a.example.com", "port": 443, "methods": ["get"], "path_prefixes": ["/x"]},
      {"scheme": "*", "host": "*", "methods": ["DELETE"]}]),
    ([{"scheme": "https", "host": "a.example.com", "port": 8443, "methods": ["GET"], "path_prefixes": ["/v1"]},
      {"scheme": "https", "host": "a.example.com", "methods": ["GET"], "path_prefixes": ["/v10"]}],
     [{"scheme": "https", "host": "A.EXAMPLE.COM.", "methods": [" get "], "path_prefixes": ["/v1"]},
      {"scheme": "https", "host": "a.example.com", "methods": ["GET"]}]),
]


def _tables(api: str, entries: list[dict], prefix: str) -> str:
    from engine.grants.url_targets import UrlTarget

    out = ""
    for entry in entries:
        out += f"[[{prefix}{api}]]\n" + "".join(
            f"{k} = {json.dumps(v)}\n" for k, v in UrlTarget.of(api, entry).to_table().items())
    return out


@pytest.mark.parametrize(("targets", "grants"), REQUEST_CASES)
def test_url_inspection_rules_say_what_upstreams_inspection_says(tmp_path, targets, grants):
    from engine.grants.url_targets import REQUEST, UrlTarget, inspect

    manifest = with_permission(TOOL_MANIFEST, '{ kind = "host_api", api = "request" }') + _tables(REQUEST, targets, "")
    path = package(tmp_path, manifest)
    config = enabling(path, tmp_path, [*BASE, '{ kind = "host_api", api = "request" }'],
                      _tables(REQUEST, grants, "plugins.enabled.grants."))
    report = check_json(path, "--grants", config, "--target", CURRENT)
    oracle = inspect(REQUEST, [UrlTarget.of(REQUEST, t) for t in targets], [UrlTarget.of(REQUEST, g) for g in grants])
    expected = sorted((entry.eligible, entry.diagnostic) for entry in oracle if entry.diagnostic)
    inspection = [f for f in report["targets"][CURRENT]["findings"] if f["code"].startswith("target_url_")]
    assert sorted((f["severity"] != "deny", f["message"]) for f in inspection) == expected
    for finding in inspection:  # each names the entry's label (upstream's `permission` suffix)
        assert any(finding["args"][3] == entry.permission.split(" ", 2)[2] for entry in oracle)


def test_a_websocket_grant_only_entry_is_ineligible(tmp_path):
    manifest = with_permission(TOOL_MANIFEST, '{ kind = "host_api", api = "websocket" }') + \
        '[[websocket]]\nscheme = "wss"\nhost = "gw.example.com"\npath_prefixes = ["/socket"]\n'
    path = package(tmp_path, manifest)
    config = enabling(path, tmp_path, [*BASE, '{ kind = "host_api", api = "websocket" }'],
                      '[[plugins.enabled.grants.websocket]]\nscheme = "wss"\nhost = "gw.example.com"\n'
                      'path_prefixes = ["/socket"]\n[[plugins.enabled.grants.websocket]]\nscheme = "*"\nhost = "*"\n')
    report = check_json(path, "--grants", config, "--target", CURRENT, code=0)
    assert ("target_url_grant_constrained",
            "broad/arbitrary enabled WebSocket grant is constrained by manifest declarations") in \
        findings(report, CURRENT, "warn")
    assert report["targets"][CURRENT]["status"] == "active"  # informational: eligible with a diagnostic
    # a grant no manifest target intersects is ineligible: `grant-only`
    config = enabling(path, tmp_path, [*BASE, '{ kind = "host_api", api = "websocket" }'],
                      '[[plugins.enabled.grants.websocket]]\nscheme = "wss"\nhost = "gw.example.com"\n'
                      'path_prefixes = ["/socket"]\n[[plugins.enabled.grants.websocket]]\nscheme = "wss"\n'
                      'host = "elsewhere.example.com"\npath_prefixes = ["/"]\n')
    report = check_json(path, "--grants", config, "--target", CURRENT, code=1)
    assert denials(report, CURRENT) == ["enabled WebSocket grant has no matching manifest declaration"]
    assert report["targets"][CURRENT]["status"] == "rejected"


# ---- private and local hosts (issue 19 point 5) -------------------------------------------------


@pytest.mark.parametrize(("host", "warned"), [
    ("127.0.0.1", "loopback"), ("[::1]", "loopback"), ("10.0.0.7", "private"), ("192.168.1.1", "private"),
    ("169.254.10.1", "link-local"), ("169.254.169.254", "metadata"), ("localhost", "localhost"),
    ("*", "wildcard"), ("api.example.com", None), ("8.8.8.8", None),
])
def test_private_hosts_warn_under_a_target_that_blocks_none(tmp_path, host, warned):
    target = {"scheme": "http", "host": host, "methods": ["GET"], "path_prefixes": ["/"]}
    manifest = with_permission(TOOL_MANIFEST, '{ kind = "host_api", api = "request" }') + \
        _tables("request", [target], "")
    path = package(tmp_path, manifest)
    config = enabling(path, tmp_path, [*BASE, '{ kind = "host_api", api = "request" }'],
                      _tables("request", [target], "plugins.enabled.grants."))
    report = check_json(path, "--grants", config, "--target", "all")
    private = {(c, m) for c, m in findings(report, CURRENT, "warn") if c.startswith("target_private_")}
    if warned is None:
        assert private == set()
    else:
        label = f"http://{host} GET /" + (" [broad-request]" if host == "*" else "")
        assert private == {
            ("target_private_target", f"yoi@b12e0785 blocks no private addresses: host_api.request target "
                                      f"`{label}` can reach a {warned} host"),
            ("target_private_grant", f"yoi@b12e0785 blocks no private addresses: host_api.request grant "
                                     f"`{label}` lets the plugin reach a {warned} host"),
        }
    assert not [c for c, _ in findings(report, ENGINE) if c.startswith("target_private_")]  # SSRF protection on
    localhost = [c for c, _ in findings(report, ENGINE) if c == "target_localhost_refused"]
    assert localhost == (["target_localhost_refused"] if warned == "localhost" else [])


# ---- reports and commands ------------------------------------------------------------------------


def test_sarif_has_a_run_property_per_target_and_marks_target_results():
    result = run("plugin", "check", ROOT / "examples" / "raw-echo", "--target", "all", "--format", "sarif", code=1)
    run_ = json.loads(result.stdout)["runs"][0]
    props = run_["properties"]
    assert {k for k in props if k.startswith("yoi/target/")} == {f"yoi/target/{t}" for t in (ENGINE, OLD, CURRENT)}
    assert props[f"yoi/target/{CURRENT}"] == {"compatible": False, "status": {"project:example.raw-echo": "rejected"}}
    [result_] = [r for r in run_["results"] if r["ruleId"] == "yoi/target_runtime_retired"]
    assert result_["properties"]["target"] == CURRENT and result_["level"] == "error"


def test_human_check_shows_targets_only_when_asked_or_when_they_speak(tmp_path):
    plain = run("plugin", "check", ROOT / "examples" / "component-echo", code=0).stdout
    assert "targets:" not in plain
    asked = run("plugin", "check", ROOT / "examples" / "raw-echo", "--target", "all", code=1).stdout
    assert "  - yoi@b12e0785 [rejected] incompatible" in asked and "  - engine [active] compatible" in asked
    assert "diagnostics: none of the package's own (see the targets below)" in asked


def test_check_of_several_packages_prints_a_matrix():
    result = run("plugin", "check", ROOT / "examples" / "raw-echo", ROOT / "examples" / "component-echo",
                 UPSTREAM / "b12e0785" / "rust-component-instance", "--target", "all", code=1)
    lines = result.stdout.splitlines()
    start = lines.index("compatibility (status per target; * = the target itself denies something):")
    assert lines[start + 1].split() == ["package", ENGINE, OLD, CURRENT]
    assert lines[start + 2].split() == ["project:example.raw-echo", "active", "active", "rejected*"]
    assert lines[start + 3].split() == ["project:example.component-echo", "active", "active", "active"]
    assert lines[start + 4].split() == ["project:example.rust_service_plugin", "partial", "rejected*", "rejected*"]
    assert "(2 of 3 packages failed)" in result.stderr
    reports = json.loads(run("plugin", "check", ROOT / "examples" / "raw-echo", ROOT / "examples" / "component-echo",
                             "--json").stdout)
    assert [r["status"] for r in reports] == ["active", "active"]


def test_list_show_and_explain_take_targets(tmp_path):
    from example_workspace import enablement, write_config

    ws = tmp_path / "ws"
    write_config(ws, enablement("raw-echo"), enablement("component-echo"))
    listed = run("plugin", "list", "--workspace", ws, "--target", "all", code=0).stdout
    assert "compatibility (status per target; * = the target itself denies something):" in listed
    assert "targets=engine:" in listed
    shown = run("plugin", "show", "example.raw-echo", "--workspace", ws, "--target", CURRENT, "--json", code=0)
    item = json.loads(shown.stdout)
    assert item["status"] == "rejected" and list(item["targets"]) == [CURRENT]
    explained = run("plugin", "explain", "example.raw-echo", "--workspace", ws, "--target", CURRENT)
    assert "target yoi@b12e0785: rejected (incompatible)" in explained.stdout
    assert "legacy raw wasm plugin runtime `wasm` / `yoi-plugin-wasm-1` is retired" in explained.stdout
    data = json.loads(run("plugin", "explain", "example.raw-echo", "--workspace", ws, "--target", CURRENT,
                          "--json").stdout)
    assert data["targets"][CURRENT]["reasons"][0]["code"] == "target_runtime_retired"


def test_the_target_set_is_part_of_the_evaluation():
    """One place decides the run's targets (engine.pipeline.inputs.select_targets), and the
    evaluation carries them: the verdict cache must key on them."""
    from engine.pipeline.check import evaluate_check
    from engine.pipeline.inputs import select_targets

    evaluation = evaluate_check(ROOT / "examples" / "raw-echo", targets=select_targets(["yoi-current", "all"]))
    assert evaluation.target_names == (CURRENT, ENGINE, OLD)
    assert evaluate_check(ROOT / "examples" / "raw-echo").target_names == (ENGINE,)



def test_the_readme_matrix_is_what_check_prints(tmp_path, python_instance_built):
    """README "Targets": the packages x targets matrix of the bundled examples and the templates."""
    from engine.authoring.build import build
    from engine.authoring.new import create

    for name in ("wat-instance", "wat-tool"):
        create(name, str(tmp_path / name))
        build(str(tmp_path / name))
    paths = [ROOT / "examples" / n for n in ("raw-echo", "component-echo", "instance-counter")]
    paths += [python_instance_built, tmp_path / "wat-instance", tmp_path / "wat-tool"]
    printed = run("plugin", "check", *paths, "--target", "all", code=1).stdout.splitlines()
    start = printed.index("compatibility (status per target; * = the target itself denies something):")
    rows = {line.split()[0]: line.split()[1:] for line in printed[start + 2:]}
    readme = (ROOT / "README.md").read_text().splitlines()
    at = readme.index("compatibility (status per target; * = the target itself denies something):")
    assert readme[at + 1].split() == printed[start + 1].split()
    documented = {line.split()[0]: line.split()[1:] for line in readme[at + 2:at + 9]}
    rows["project:example.python_instance"] = rows.pop("project:acme.py_counter")  # the fixture's own id
    assert {ref: documented[ref] for ref in rows} == rows
    assert documented["project:example.python_tool"] == documented["project:example.python_instance"]


def test_the_verdict_cache_keys_on_the_targets_judged_for(tmp_path, monkeypatch):
    """The selected targets are RunInputs (key material): a cached verdict for one target set is
    never the answer for another, nor for an edited profile."""
    from dataclasses import replace

    from engine.pipeline.check import check_inputs
    from engine.pipeline.inputs import select_targets

    path = ROOT / "examples" / "raw-echo"
    default = check_inputs(path)
    current = check_inputs(path, targets=select_targets([CURRENT]))
    both = check_inputs(path, targets=select_targets([CURRENT, ENGINE]))
    keys = {default.cache_key(), current.cache_key(), both.cache_key()}
    assert None not in keys and len(keys) == 3
    assert check_inputs(path, targets=select_targets(["yoi-current"])).cache_key() == current.cache_key()
    edited = replace(current, targets=(replace(current.targets[0], limits=(("memory_bytes", 1),)),))
    assert edited.cache_key() != current.cache_key()
    # through the CLI, with the suite's cache on: the same package, judged again, for other targets
    monkeypatch.setenv("YOI_CACHE", str(tmp_path / "cache"))
    assert check_json(path, code=0)["status"] == "active"
    assert check_json(path, code=0)["status"] == "active"  # a hit
    assert check_json(path, "--target", CURRENT, code=1)["status"] == "rejected"
    assert list(check_json(path, "--target", "all", code=1)["targets"]) == [ENGINE, OLD, CURRENT]
