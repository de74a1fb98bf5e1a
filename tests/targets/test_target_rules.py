"""The built-in rules over the target profiles' facts decide each row of yoi-current-spec.md §10
for every target, with no Python `if target` (rules/targets.rules, rules/status.rules).

Each scenario is a handful of package facts as the graph exports them, evaluated with the real
rule program and the facts of all three bundled profiles; what is asserted is which target
concludes what (the row's columns in docs/targets.md). End-to-end checks of real packages are in
test_check_targets.py.
"""

from __future__ import annotations

import pytest

from engine.pipeline.evaluate import load_rules
from engine.targets import bundled_targets, target_facts

OLD, CURRENT, ENGINE = "yoi@43c9216e", "yoi@b12e0785", "engine"
TARGETS = (ENGINE, OLD, CURRENT)
P = "project:p"
MIB = 1024 * 1024
PACKAGE = {"package": [(P, "project", "p", "1.0.0", "sha256:0")], "discovered": [(P,)], "configured": [(P,)]}
COMPONENT_TOOL = {
    **PACKAGE,
    "runtime": [(P, "wasm-component", "yoi:plugin/tool@1.0.0")],
    "world": [(P, "yoi:plugin/tool@1.0.0")],
    "artifact": [(P, "component")],
    "manifest_key": [(P, k) for k in ("schema_version", "id", "name", "version", "runtime", "tools", "permissions")],
}


@pytest.fixture(scope="module")
def judge():
    import networkx as nx

    from engine.graph.facts import export_facts

    program = load_rules()
    host = {k: list(v) for k, v in export_facts(nx.MultiDiGraph()).items()}  # the registry's, the WIT variants'
    profiles = {k: list(v) for k, v in target_facts(bundled_targets().profiles).items()}

    def run(**package):
        result = program.evaluate({**host, **profiles, **{k: list(v) for k, v in package.items()}})
        found: dict[str, set[tuple[str, str]]] = {t: set() for t in TARGETS}
        for ref, target, severity, code in result.facts("target_conclusion"):
            assert ref == P
            found[target].add((severity, code))
        return found, result

    return run


def denies(found):
    return {t: {code for severity, code in f if severity == "deny"} for t, f in found.items()}


def messages(result, target, code=None):
    targeted = {c for (_, t, _, c) in result.facts("target_conclusion") if t == target}
    return sorted(c.message for c in result.conclusions if c.code in targeted and c.args[1] == target
                  and (code is None or c.code == code))


def test_every_conclusion_of_the_target_rules_is_declared_per_target():
    program = load_rules()
    codes = {rule.head.pred for rule in program.rules if rule.is_conclusion and rule.location.file.endswith("targets.rules")}
    undeclared = {code for code in codes if program.metadata[code].target is None}
    assert undeclared == {"component_built_against", "component_built_against_no_host"}  # about the artifact


def test_row_1_the_raw_runtime_is_retired_only_upstream(judge):
    found, result = judge(**PACKAGE, runtime=[(P, "wasm", "yoi-plugin-wasm-1")], artifact=[(P, "core")])
    assert denies(found) == {ENGINE: set(), OLD: set(), CURRENT: {"target_runtime_retired"}}
    assert messages(result, CURRENT) == [
        "legacy raw wasm plugin runtime `wasm` / `yoi-plugin-wasm-1` is retired; use `wasm-component`"]
    # the ABI as written, and upstream's default when absent (cur §1.3)
    _, result = judge(**PACKAGE, runtime=[(P, "wasm", "yoi-plugin-wasm-2")])
    assert messages(result, CURRENT, "target_runtime_retired") == [
        "legacy raw wasm plugin runtime `wasm` / `yoi-plugin-wasm-2` is retired; use `wasm-component`"]
    assert {c.args[1] for c in result.conclusions if c.code == "target_runtime_not_accepted"} == {OLD, ENGINE}
    _, result = judge(**PACKAGE, runtime=[(P, "wasm", "")])
    assert "`wasm` / `yoi-plugin-wasm-1` is retired" in messages(result, CURRENT, "target_runtime_retired")[0]


def test_row_1_an_unknown_world_is_not_run_by_any_target(judge):
    found, _ = judge(**PACKAGE, runtime=[(P, "wasm-component", "yoi:plugin/other@1.0.0")])
    assert denies(found) == {t: {"target_runtime_not_accepted"} for t in TARGETS}


@pytest.mark.parametrize(("facts", "expected"), [
    # row 2: the host_api value
    ({"requests": [(P, "host_api", "https")]}, {CURRENT: {"target_host_api_unreadable"}}),
    ({"requests": [(P, "host_api", "websocket")]}, {OLD: {"target_host_api_unreadable"}}),
    ({"requests": [(P, "host_api", "request")]}, {OLD: {"target_host_api_unreadable"}}),
    ({"requests": [(P, "host_api", "fs")]}, {}),
    # row 3: top-level tables
    ({"manifest_key": [(P, "websocket")]}, {OLD: {"target_manifest_key_unreadable"}}),
    ({"manifest_key": [(P, "request")]}, {OLD: {"target_manifest_key_unreadable"}}),
    ({"manifest_key": [(P, "https")]}, {t: {"target_manifest_key_unreadable"} for t in TARGETS}),
    # row 4: grant tables and granted values
    ({"config_table_key": [(P, "plugins.enabled.grants", "https")]}, {CURRENT: {"target_config_key_unreadable"}}),
    ({"config_table_key": [(P, "plugins.enabled.grants", "websocket")]}, {OLD: {"target_config_key_unreadable"}}),
    ({"grants": [(P, "host_api", "https")], "grant_present": [(P,)]}, {CURRENT: {"target_grant_host_api_unreadable"}}),
    ({"grants": [(P, "host_api", "request")], "grant_present": [(P,)]}, {OLD: {"target_grant_host_api_unreadable"}}),
    # the engine's own keys are read by the engine only
    ({"config_table_key": [(P, "plugins.enabled", "limits")]},
     {OLD: {"target_config_key_unreadable"}, CURRENT: {"target_config_key_unreadable"}}),
    ({"config_table_key": [(P, "plugins", "host")]},
     {OLD: {"target_config_key_unreadable"}, CURRENT: {"target_config_key_unreadable"}}),
    ({"config_table_key": [(P, "plugins", "resolved")]}, {}),
])
def test_rows_2_to_4_what_a_target_cannot_read_is_its_rejection(judge, facts, expected):
    found, _ = judge(**{**COMPONENT_TOOL, **{k: COMPONENT_TOOL.get(k, []) + v for k, v in facts.items()}})
    assert denies(found) == {t: expected.get(t, set()) for t in TARGETS}


def test_an_unreadable_manifest_rejects_even_a_package_the_engine_calls_active(judge):
    base = {**COMPONENT_TOOL, "manifest_key": COMPONENT_TOOL["manifest_key"] + [(P, "websocket")]}
    _, result = judge(**base, resolved=[(P,)])
    assert {(t, s) for (_, t, s) in result.facts("target_gate_status")} >= {(OLD, "rejected")}
    assert (P, OLD) not in set(result.facts("target_compatible"))
    assert (P, CURRENT) in set(result.facts("target_compatible"))
    assert messages(result, OLD) == [
        "plugin.toml could not be parsed: yoi@43c9216e does not read the top-level key `websocket`"]


@pytest.mark.parametrize(("interface", "rejecting"), [
    ("yoi:host/https@1.0.0", {CURRENT}),  # row 5: passes upstream's check, fails its install
    ("yoi:host/request@1.0.0", {OLD}),
    ("yoi:host/websocket@1.0.0", {OLD}),
    ("yoi:host/fs@1.0.0", set()),  # row 6
])
def test_row_5_host_imports_a_target_does_not_link(judge, interface, rejecting):
    imports = [(P, interface, "f", "func", "func(request-json: string) -> string")]
    found, result = judge(**COMPONENT_TOOL, artifact_import=imports)
    assert {t for t, codes in denies(found).items() if "target_import_not_linked" in codes} == rejecting
    for target in rejecting:
        assert messages(result, target, "target_import_not_linked") == [
            f"unsupported component import `{interface}`; no WASI filesystem, ambient network, environment, or other "
            f"imports are available ({target} passes check and list, then fails every tool call or the install)"]


def test_row_6_a_component_without_host_imports_passes_everywhere(judge):
    found, _ = judge(**COMPONENT_TOOL, tool=[(P, "echo")])
    assert found == {t: set() for t in TARGETS}


@pytest.mark.parametrize(("interfaces", "variants"), [
    (["yoi:host/https@1.0.0"], {OLD}),
    (["yoi:host/request@1.0.0", "yoi:host/fs@1.0.0"], {CURRENT}),
    (["yoi:host/fs@1.0.0"], {OLD, CURRENT}),
    (["yoi:host/https@1.0.0", "yoi:host/websocket@1.0.0"], set()),
])
def test_the_host_wit_a_component_was_built_against(judge, interfaces, variants):
    imports = [(P, i, "f", "func", "") for i in interfaces]
    _, result = judge(**COMPONENT_TOOL, artifact_import=imports)
    assert {v for (_, v) in result.facts("built_against")} == variants
    found = {(c.code, c.severity) for c in result.conclusions if c.code.startswith("component_built_against")}
    assert found == ({("component_built_against", "info")} if variants else {("component_built_against_no_host", "warn")})


def test_rows_9_to_13_behaviour_notes_are_for_upstream_releases(judge):
    found, _ = judge(**PACKAGE, runtime=[(P, "none", "")], tool=[(P, "echo")])
    assert found[CURRENT] == {("info", "target_no_runtime_install_fails")}
    assert found[OLD] == found[ENGINE] == set()  # the engine denies it itself (runtime_not_declared)
    service = {
        **PACKAGE,
        "runtime": [(P, "wasm-component", "yoi:plugin/instance@1.0.0")],
        "ingress": [(P, "events")],
        "ingress_event_kind": [(P, "events", "tick")],
        "ingress_source": [(P, "events", "websocket:wss://example.com/socket"), (P, "events", "timer:1s")],
        "ingress_websocket_source": [(P, "events", "websocket:wss://example.com/socket", "wss://example.com/socket")],
        "enabled_surface": [(P, "service"), (P, "ingress")],
    }
    found, result = judge(**service)
    assert found[CURRENT] == {
        ("info", "target_ingress_envelope"), ("info", "target_event_kinds_enforced"),
        ("warn", "target_websocket_source_not_granted"), ("info", "target_ingress_failure_permanent"),
    }
    assert found[ENGINE] == found[OLD] == set()
    # only `websocket:`/`ws://`/`wss://` sources are opened (cur §1.4)
    assert [c.args[3] for c in result.conclusions if c.code == "target_websocket_source_not_granted"] == [
        "websocket:wss://example.com/socket"]
    found, _ = judge(**service, grants=[(P, "host_api", "websocket")])
    assert ("warn", "target_websocket_source_not_granted") not in found[CURRENT]


def test_row_16_the_python_template_fits_only_the_engine(judge):
    """The issue's example: an 18 MB component, 12.4 MiB of initial memory, 38 core instances."""
    python = {
        **COMPONENT_TOOL,
        "artifact_size": [(P, 18_000_000)],
        "package_file_size": [(P, "plugin.component.wasm", 18_000_000)],
        "package_size": [(P, 18_100_000)],
        "artifact_memory_min": [(P, 13_000_000)],
        "artifact_table_min": [(P, 4000)],
        "artifact_count": [(P, "instances", 38), (P, "memories", 1), (P, "tables", 2)],
    }
    too_big = {"target_package_too_large", "target_file_too_large", "target_initial_memory_too_large",
               "target_initial_table_too_large", "target_store_limit_exceeded"}
    found, result = judge(**python)
    assert denies(found) == {OLD: too_big, CURRENT: too_big, ENGINE: set()}
    said = messages(result, CURRENT)
    assert "instantiating the artifact creates 38 core instances; yoi@b12e0785's store allows 1, so instantiation fails" in said
    assert ("instantiating the artifact creates 13000000 bytes of initial linear memory; yoi@b12e0785's store limit "
            "is 2097152 bytes, so instantiation fails") in said
    assert ("package file `plugin.component.wasm` is 18000000 bytes; yoi@b12e0785 refuses any file above its "
            "per-file limit of 8388608 bytes") in said
    # the artifact is not reported twice: its per-file denial says it
    assert not {c for c in denies(found)[CURRENT] if c == "target_artifact_too_large"}
    found, _ = judge(**COMPONENT_TOOL, artifact_size=[(P, 40 * MIB)])
    assert denies(found) == {t: {"target_artifact_too_large"} for t in TARGETS}


def test_row_18_upstream_check_rejects_every_host_api_request(judge):
    assumed = {**COMPONENT_TOOL, "grant_assumed": [(P,)], "grant_present": [(P,)]}
    found, result = judge(**assumed, requests=[(P, "host_api", "fs")], grants=[(P, "host_api", "fs")])
    assert denies(found) == {ENGINE: set(), OLD: {"target_check_empty_grants"}, CURRENT: {"target_check_empty_grants"}}
    assert messages(result, CURRENT) == ["granted host_api.fs scope allowlist is missing"]
    found, result = judge(**assumed, requests=[(P, "host_api", "https")], grants=[(P, "host_api", "https")])
    assert messages(result, OLD, "target_check_empty_grants") == ["granted host_api.https allowlist is missing"]
    assert denies(found)[CURRENT] == {"target_host_api_unreadable"}
    # with a real enablement the allowlist is judged as it is
    found, _ = judge(**COMPONENT_TOOL, requests=[(P, "host_api", "fs")])
    assert denies(found) == {t: set() for t in TARGETS}


def test_row_19_a_current_worker_starts_only_from_a_resolved_plan(judge):
    enabled = {**COMPONENT_TOOL, "grant_present": [(P,)]}
    found, _ = judge(**enabled)
    assert found == {OLD: set(), ENGINE: set(), CURRENT: {("warn", "target_startup_needs_resolved_plan")}}
    found, _ = judge(**enabled, resolved_plan_present=[(P,)])
    assert found[CURRENT] == set()
    found, _ = judge(**enabled, grant_assumed=[(P,)])  # `check` without a config: nothing to start from
    assert found[CURRENT] == set()


# ---- statuses per target (rules/status.rules) ---------------------------------------------------


def statuses(result, predicate="target_status"):
    return {t: s for (_, t, s) in result.facts(predicate)}


def test_a_target_denial_never_changes_the_packages_own_verdict(judge):
    raw = {"artifact_export": [(P, "", "memory", "memory", ""), (P, "", "yoi_tool_call", "func", "() -> ()")]}
    _, result = judge(**PACKAGE, **raw, runtime=[(P, "wasm", "yoi-plugin-wasm-1")], artifact=[(P, "core")])
    assert statuses(result, "target_gate_status")[CURRENT] == "rejected"
    assert not [c for c in result.facts("conclusion") if c[2].startswith("target_")]
    assert not list(result.facts("abi_broken"))


def test_target_statuses_and_their_worst():
    from engine.pipeline.evaluate import evaluate
    from engine.pipeline.inputs import select_targets
    from engine.pipeline.subjects import check_subject
    from engine.resources import examples_dir

    subject = check_subject(examples_dir() / "raw-echo")
    evaluation = evaluate([subject], targets=select_targets(["all"]))
    assert statuses(evaluation.result) == {ENGINE: "active", OLD: "active", CURRENT: "rejected"}
    assert statuses(evaluation.result, "target_gate_status") == {ENGINE: "active", OLD: "active", CURRENT: "rejected"}
    assert evaluation.value("targets_status", subject.ref) == "rejected"
    assert evaluation.value("status", subject.ref) == "active"  # its own verdict: the engine runs it
    only_old = evaluate([subject], targets=select_targets([OLD]))
    assert only_old.value("targets_gate_status", subject.ref) == "active"
    assert only_old.holds("plannable", subject.ref) and evaluation.holds("plannable", subject.ref)


def test_a_denial_about_one_host_api_leaves_the_package_partial(judge):
    """Under the per-surface view a target's denial about a host API takes that API away only."""
    granted = {
        **COMPONENT_TOOL, "resolved": [(P,)], "binding_ok": [], "tool": [(P, "echo")],
        "requests": [(P, "surface", "tool"), (P, "tool", "echo"), (P, "host_api", "fs")],
        "grants": [(P, "surface", "tool"), (P, "tool", "echo"), (P, "host_api", "fs")],
        "enabled_surface": [(P, "tool")], "grant_present": [(P,)], "grant_assumed": [(P,)],
        "declares_surface": [(P, "tool")], "manifest_surface": [(P, "tool")],
    }
    _, result = judge(**granted)
    assert statuses(result)[ENGINE] == "active"
    assert statuses(result)[CURRENT] == "partial"  # the check's empty fs grant: fs is out, the tool stays
    assert statuses(result, "target_gate_status")[CURRENT] == "rejected"
