"""Target profiles as facts (engine.targets.target_facts): their schema is part of the public fact
schema (origin `target`), they say what the profiles say, and a selection exports only itself.
The rules over them are tested in test_target_rules.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.graph.facts import FACT_SCHEMA
from engine.targets import TARGET_FACT_SCHEMA, bundled_targets, target_facts
from engine.targets.schema import FLAGS, OPTIONAL_LIMITS, REQUIRED_LIMITS

DOC = Path(__file__).resolve().parents[2] / "docs" / "targets.md"
OLD, CURRENT, ENGINE = "yoi@43c9216e", "yoi@b12e0785", "engine"
MIB = 1024 * 1024

# The package facts docs/targets.md lists beside the target facts (all in FACT_SCHEMA now).
PACKAGE_FACTS = (
    "manifest_key", "config_table_key", "url_target", "url_target_usable", "url_target_relation",
    "url_target_host_class", "artifact_memory_min", "artifact_table_min", "artifact_count",
    "resolved_plan_present", "host_variant", "host_variant_interface",
)


@pytest.fixture(scope="module")
def facts():
    return target_facts(bundled_targets().profiles)


def test_every_fact_has_its_schema_arity_and_plain_values(facts):
    assert set(facts) == set(TARGET_FACT_SCHEMA)
    # part of the public schema, with the `target` origin and the same arguments
    assert {name: FACT_SCHEMA[name].args for name in TARGET_FACT_SCHEMA} == TARGET_FACT_SCHEMA
    assert {FACT_SCHEMA[name].origin for name in TARGET_FACT_SCHEMA} == {"target"}
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
    table = text[text.index("### Target facts"):text.index("### Package facts")]
    documented = set(re.findall(r"`(target_[a-z_]+|target)\(", table))
    assert documented == set(TARGET_FACT_SCHEMA)
    for pred in PACKAGE_FACTS:
        assert f"`{pred}(" in text, pred
    for flag in FLAGS:
        assert f"| `{flag}` |" in text, flag
    for limit in (*REQUIRED_LIMITS, *OPTIONAL_LIMITS):
        assert f"`{limit}`" in text, limit


def test_every_flag_a_rule_reads_is_a_declared_flag():
    """A misspelt `target_flag(T, "...")` in a rule would never match and silently turn a
    target's behaviour off; the flags are declared once (engine/targets/schema.py FLAGS)."""
    rules = Path(__file__).resolve().parents[2] / "rules"
    used = {flag for path in rules.glob("*.rules")
            for flag in re.findall(r'target_flag\(\s*\w+\s*,\s*"([^"]+)"\s*\)', path.read_text(encoding="utf-8"))}
    assert used and used <= set(FLAGS), used - set(FLAGS)
