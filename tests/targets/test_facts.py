"""Target profiles as facts, and the draft rules of docs/targets.md deciding cur §10 rows from
those facts alone (no Python `if target`): the draft is loaded with the rule engine and run over
hand-written package facts, one scenario per row."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.datalog import loads
from engine.graph.facts import FACT_SCHEMA
from engine.targets import TARGET_FACT_SCHEMA, bundled_targets, target_facts
from engine.targets.schema import FLAGS, OPTIONAL_LIMITS, REQUIRED_LIMITS

DOC = Path(__file__).resolve().parents[2] / "docs" / "targets.md"
OLD, CURRENT, ENGINE = "yoi@43c9216e", "yoi@b12e0785", "engine"
MIB = 1024 * 1024

# The package facts the draft needs that the graph does not export yet (docs/targets.md, "Planned").
PLANNED = {
    "manifest_key": 2,
    "config_key": 3,
    "url_target": 5,
    "url_target_usable": 4,
    "url_target_relation": 5,
    "url_target_host_class": 5,
    "artifact_memory_min": 2,
    "artifact_count": 3,
    "resolved_plan_present": 1,
}


@pytest.fixture(scope="module")
def facts():
    return target_facts(bundled_targets().profiles)


def test_every_fact_has_its_schema_arity_and_plain_values(facts):
    assert set(facts) == set(TARGET_FACT_SCHEMA)
    assert not set(TARGET_FACT_SCHEMA) & set(FACT_SCHEMA)  # new names, nothing shadowed
    for pred, rows in facts.items():
        assert rows, pred  # every predicate has a fact in the bundled set
        for row in rows:
            assert len(row) == len(TARGET_FACT_SCHEMA[pred]), pred
            assert all(type(v) in (str, int) for v in row), (pred, row)  # never a bool


def test_facts_say_what_the_profiles_say(facts):
    assert {r for r in facts["target"]} == {(OLD,), (CURRENT,), (ENGINE,)}
    assert facts["target_default"] == {(ENGINE,)}
    assert facts["target_alias"] == {(CURRENT, "yoi-current")}
    assert (CURRENT, "wasm") in facts["target_retired_runtime"]
    assert (OLD, "wasm", "yoi-plugin-wasm-1") in facts["target_accepts_runtime"]
    assert not any(r[:2] == (CURRENT, "wasm") for r in facts["target_accepts_runtime"])
    assert (OLD, "https", "core", "yoi:https") in facts["target_host_interface"]
    assert (CURRENT, "request", "component", "yoi:host/request@1.0.0") in facts["target_host_interface"]
    assert (CURRENT, "websocket", "websocket") in facts["target_host_api_manifest_table"]
    assert (OLD, "plugins.enabled.grants", "https") in facts["target_config_key"]
    assert (CURRENT, "plugins.enabled.grants", "https") not in facts["target_config_key"]
    assert (ENGINE, "component", "instances", 64) in facts["target_store_limit"]
    assert (CURRENT, "memory_bytes", 2 * MIB) in facts["target_limit"]
    assert (CURRENT, "Read") in facts["target_reserved_tool"]
    # flags: only the ones that are on
    assert (CURRENT, "private_hostname_reachable") in facts["target_flag"]
    assert (ENGINE, "private_hostname_reachable") not in facts["target_flag"]


def test_facts_of_a_selection_name_only_it():
    chosen = bundled_targets().select(["yoi-current"])
    assert target_facts(chosen)["target"] == {(CURRENT,)}


def test_docs_list_every_fact_flag_and_limit():
    text = DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"`(target_[a-z_]+|target)\(", text))
    assert documented == set(TARGET_FACT_SCHEMA)
    for pred in PLANNED:
        assert f"`{pred}(" in text, pred
    for flag in FLAGS:
        assert f"| `{flag}` |" in text, flag
    for limit in (*REQUIRED_LIMITS, *OPTIONAL_LIMITS):
        assert f"`{limit}`" in text, limit


# ---- the draft rules -----------------------------------------------------------------------------


def _draft_program():
    text = DOC.read_text(encoding="utf-8")
    draft = text[text.index("### Draft rules"):]
    (block,) = re.findall(r"^```datalog\n(.*?)^```$", draft, re.M | re.S)
    inputs = {pred: len(fact.args) for pred, fact in FACT_SCHEMA.items()}
    inputs |= {pred: len(args) for pred, args in TARGET_FACT_SCHEMA.items()} | PLANNED
    return loads(block, "docs/targets.md", inputs=inputs)


@pytest.fixture(scope="module")
def judge(facts):
    program = _draft_program()

    def run(**package):
        result = program.evaluate({**facts, **{k: list(v) for k, v in package.items()}})
        out: dict[str, set[tuple]] = {OLD: set(), CURRENT: set(), ENGINE: set()}
        for c in result.conclusions:
            out[c.args[1]].add((c.severity, c.code))
        return out, result

    return run


P = "project:p"
COMPONENT_TOOL = {"runtime": [(P, "wasm-component", "yoi:plugin/tool@1.0.0")], "artifact": [(P, "component")]}


def denies(verdicts):
    return {t: {code for sev, code in found if sev == "deny"} for t, found in verdicts.items()}


def test_row_1_raw_runtime_is_retired_only_upstream(judge):
    verdicts, result = judge(runtime=[(P, "wasm", "yoi-plugin-wasm-1")], artifact=[(P, "core")])
    assert denies(verdicts) == {OLD: set(), ENGINE: set(), CURRENT: {"target_runtime_retired"}}
    (message,) = [c.message for c in result.conclusions]
    assert message == "legacy raw wasm plugin runtime `wasm` / `yoi-plugin-wasm-1` is retired; use `wasm-component`"
    _, result = judge(runtime=[(P, "wasm", "")])
    assert [c.args[2] for c in result.conclusions if c.code == "target_runtime_retired"] == ["yoi-plugin-wasm-1"]
    # 43c9216e needs the ABI named (spec §1.3 step 1): no target runs a raw module without one
    assert {c.args[1] for c in result.conclusions if c.code == "target_runtime_not_accepted"} == {OLD, ENGINE}


def test_rows_2_to_4_unreadable_formats(judge):
    old_format = {
        **COMPONENT_TOOL,
        "requests": [(P, "host_api", "https")],
        "grants": [(P, "host_api", "https")],
        "config_key": [(P, "plugins.enabled.grants", "https")],
        "manifest_key": [(P, "permissions")],
    }
    assert denies(judge(**old_format)[0]) == {
        OLD: set(), ENGINE: set(),
        CURRENT: {"target_host_api_unreadable", "target_grant_host_api_unreadable", "target_config_unreadable"},
    }
    new_format = {
        **COMPONENT_TOOL,
        "requests": [(P, "host_api", "websocket")],
        "grants": [(P, "host_api", "websocket")],
        "config_key": [(P, "plugins.enabled.grants", "websocket")],
        "manifest_key": [(P, "websocket")],
        "url_target_usable": [(P, "manifest", "websocket", 0), (P, "grant", "websocket", 0)],
    }
    assert denies(judge(**new_format)[0]) == {
        CURRENT: set(), ENGINE: set(),
        OLD: {"target_host_api_unreadable", "target_grant_host_api_unreadable", "target_config_unreadable",
              "target_manifest_unreadable"},
    }
    engine_only = {**COMPONENT_TOOL, "config_key": [(P, "plugins.enabled", "limits")]}
    assert denies(judge(**engine_only)[0]) == {
        ENGINE: set(), OLD: {"target_config_unreadable"}, CURRENT: {"target_config_unreadable"}}


def test_row_5_an_https_import_fails_install_upstream(judge):
    imports = [(P, "yoi:host/https@1.0.0", "request", "func", "func(request-json: string) -> string")]
    assert denies(judge(**COMPONENT_TOOL, artifact_import=imports)[0]) == {
        OLD: set(), ENGINE: set(), CURRENT: {"target_import_not_linked"}}
    imports = [(P, "yoi:host/websocket@1.0.0", "open", "func", "")]
    assert denies(judge(**COMPONENT_TOOL, artifact_import=imports)[0]) == {
        CURRENT: set(), ENGINE: set(), OLD: {"target_import_not_linked"}}


def test_row_6_a_component_without_imports_passes_everywhere(judge):
    verdicts, _ = judge(**COMPONENT_TOOL, tool=[(P, "echo")])
    assert verdicts == {OLD: set(), CURRENT: set(), ENGINE: set()}


def test_row_7_private_targets_warn_only_where_reachable(judge):
    found, result = judge(
        url_target=[(P, "grant", "request", 0, "http://127.0.0.1 GET /")],
        url_target_host_class=[(P, "grant", "request", 0, "loopback")],
    )
    assert found == {OLD: set(), ENGINE: set(), CURRENT: {("warn", "target_private_address_reachable")}}


def test_row_8_declared_target_and_grant_are_both_needed(judge):
    base = {"requests": [(P, "host_api", "request")], "grants": [(P, "host_api", "request")]}
    assert denies(judge(**base)[0])[CURRENT] == {"target_declaration_missing"}
    assert denies(judge(**base)[0])[ENGINE] == {"target_declaration_missing"}
    declared = {**base, "url_target_usable": [(P, "manifest", "request", 0)]}
    assert denies(judge(**declared)[0])[CURRENT] == {"target_grants_missing"}
    both = {**base, "url_target_usable": [(P, "manifest", "request", 0), (P, "grant", "request", 0)]}
    assert denies(judge(**both)[0])[CURRENT] == set()


def test_rows_9_to_13_behaviour_changes(judge):
    found, _ = judge(runtime=[(P, "none", "")], tool=[(P, "echo")])
    assert found[CURRENT] == found[ENGINE] == {("info", "target_no_runtime_install_fails")} and not found[OLD]
    service = {
        "runtime": [(P, "wasm-component", "yoi:plugin/instance@1.0.0")],
        "ingress": [(P, "events")],
        "ingress_event_kind": [(P, "events", "tick")],
        "ingress_source": [(P, "events", "websocket:wss://example.com/socket")],
        "enabled_surface": [(P, "service"), (P, "ingress")],
    }
    found, _ = judge(**service)
    assert found[CURRENT] == {
        ("info", "target_ingress_envelope"), ("info", "target_event_kinds_enforced"),
        ("warn", "target_websocket_source_not_granted"), ("info", "target_ingress_failure_permanent"),
    }
    # issue 20 made the engine's host open `websocket:` sources and send the current envelope
    # (targets/engine.toml flags `ingress_sources_live`, `ingress_envelope_current`)
    assert found[ENGINE] == {
        ("info", "target_ingress_envelope"), ("info", "target_event_kinds_enforced"),
        ("warn", "target_websocket_source_not_granted"),
    }
    assert found[OLD] == set()


def test_row_16_the_python_template_fits_only_the_engine(judge):
    """The issue's example: an 18 MB component with 12.4 MiB initial memory and 38 core instances."""
    python = {
        **COMPONENT_TOOL,
        "artifact_size": [(P, 18_000_000)],
        "package_file_size": [(P, "plugin.component.wasm", 18_000_000)],
        "package_size": [(P, 18_100_000)],
        "artifact_memory_min": [(P, 13_000_000)],
        "artifact_count": [(P, "instances", 38), (P, "memories", 1), (P, "tables", 2)],
    }
    too_big = {"target_package_too_large", "target_file_too_large", "target_artifact_too_large",
               "target_memory_too_small", "target_store_limit_exceeded"}
    verdicts, result = judge(**python)
    assert denies(verdicts) == {OLD: too_big, CURRENT: too_big, ENGINE: set()}
    messages = {c.message for c in result.conclusions if c.args[1] == CURRENT}
    assert "the artifact instantiates 38 core instances; yoi@b12e0785 allows 1" in messages
    assert "the artifact starts with 13000000 bytes of linear memory; yoi@b12e0785 allows 2097152" in messages


def test_row_18_upstream_check_rejects_host_api_requests(judge):
    found, result = judge(grant_assumed=[(P,)], requests=[(P, "host_api", "websocket")],
                          url_target_usable=[(P, "manifest", "websocket", 0)])
    assert denies(found) == {ENGINE: set(), OLD: {"target_host_api_unreadable"},
                             CURRENT: {"target_check_empty_grants"}}
    assert [c.message for c in result.conclusions if c.args[1] == CURRENT] == [
        "enabled host_api.websocket grants are missing"]


def test_row_19_startup_needs_a_resolved_plan_upstream(judge):
    found, _ = judge(configured=[(P,)])
    assert found == {OLD: set(), ENGINE: set(), CURRENT: {("warn", "target_startup_needs_resolved_plan")}}
    found, _ = judge(configured=[(P,)], resolved_plan_present=[(P,)])
    assert found[CURRENT] == set()


def test_reserved_tool_names_collide_under_every_target(judge):
    found, _ = judge(tool=[(P, "Read"), (P, "ViewImage"), (P, "echo")])
    assert {t: {c for _, c in f} for t, f in found.items()} == {
        t: {"target_tool_name_reserved"} for t in (OLD, CURRENT, ENGINE)}
    _, result = judge(tool=[(P, "ViewImage")])
    assert {c.args[1] for c in result.conclusions} == {CURRENT, ENGINE}
