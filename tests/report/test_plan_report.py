"""Reports show the plan the runtime may start: only what the rules approved, immutable."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from engine.pipeline.evaluate import evaluate
from rule_cases import check_path
from engine.verdict.plans import make_plans
from engine.pipeline.subjects import check_subject
from engine.grants.config import load_config

ROOT = Path(__file__).resolve().parents[2]
COUNTER = ROOT / "examples" / "instance-counter"
WORKSPACE_GRANTS = ROOT / "examples" / "workspace" / ".yoi" / "config.toml"


def test_plan_in_the_check_report_holds_only_eligible_items():
    # check is a gate (the ungranted ingress rejects), but the plan is what startup would start
    # in the per-surface view: the good tool and service.
    report = check_path(COUNTER, WORKSPACE_GRANTS)
    assert report["status"] == "rejected"
    plan = report["plan"]
    assert plan["ref"] == "project:example.counter" and plan["classification"] == "instance"
    assert (plan["tools"], plan["services"], plan["ingresses"]) == (["counter"], ["counter-service"], [])
    assert plan["authorized_surfaces"] == ["tool", "service"]
    assert plan["digest"] == report["package"]["digest"]


def test_plan_is_immutable_and_carries_config_and_limits():
    subject = check_subject(COUNTER, load_config(WORKSPACE_GRANTS))
    (plan,) = make_plans(evaluate([subject]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.tools = ()
    assert plan.config_json == '{"label":"demo"}'
    assert plan.limits.fuel == 5_000_000 and plan.limits.memory_bytes == 2 * 1024 * 1024
    assert plan.tools[0].input_schema == {"type": "object", "additionalProperties": False}


def test_no_plan_for_a_rejected_package(tmp_path):
    (tmp_path / "plugin.toml").write_text((COUNTER / "plugin.toml").read_text())
    (tmp_path / "counter.component.wasm").write_bytes(b"\x00asm\x01\x00\x00\x00")  # core bytes, not a component
    report = check_path(tmp_path)
    assert report["status"] == "rejected" and report["plan"] is None
