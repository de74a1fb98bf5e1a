"""The registry through real plans: the bundled examples via the real pipeline, legacy component
and raw tools, instance state, one instance shared by tool and ingress, plan re-checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from runtime_guests import COUNT, build, fault_of, instance_wat, package_plan

from engine.grants.config import load_config
from engine.pipeline.evaluate import evaluate
from engine.verdict.plans import make_plans
from engine.pipeline.subjects import check_subject

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
WORKSPACE_GRANTS = EXAMPLES / "workspace" / ".yoi" / "config.toml"


def pipeline_plans(package: Path, config_text: str | None = None, tmp_path: Path | None = None):
    config_path = WORKSPACE_GRANTS
    if config_text is not None:
        config_path = tmp_path / "config.toml"
        config_path.write_text(config_text)
    return make_plans(evaluate([check_subject(package, load_config(config_path))]))


def test_counter_from_the_pipeline_keeps_state_and_refuses_the_ungranted_ingress(make_registry):
    (plan,) = pipeline_plans(EXAMPLES / "instance-counter")
    registry = make_registry([plan])
    ref = plan.ref
    assert registry.call_tool(ref, "counter", {})["summary"] == "counter is at 1"
    assert registry.call_tool(ref, "counter", "{}") == {"summary": "counter is at 2", "content": '{"count":2}'}
    fault = fault_of(registry.deliver_ingress, ref, "counter-events", {"kind": "tick", "source": "example",
                                                                       "payload": {}})
    assert (fault.kind, fault.message) == (  # spec §6.6 words, with the rules' reason
        "denied", "plugin ingress permission denied: granted surfaces.ingress permission is missing")
    status = registry.status(ref)
    assert status["lifecycle"] == "Started"
    assert status["component_status"] == {"state": "ready", "data": {"count": 2, "events": 0}}
    assert status["services"] == [{"name": "counter-service", "lifecycle": "host-managed", "state": "running"}]
    (tool,) = registry.tools()
    assert tool.name == "counter" and tool.input_schema == {"type": "object", "additionalProperties": False}
    assert tool.origin == {"kind": "plugin", "plugin_id": ref.split(":", 1)[1], "plugin_ref": ref,
                           "source": plan.source, "digest": plan.digest, "package_version": "0.1.0",
                           "package_api_version": 1, "surface": "tool"}


def test_a_missing_service_grant_leaves_the_service_out_while_the_tool_works(make_registry, tmp_path):
    text = WORKSPACE_GRANTS.read_text().replace('  { kind = "service", name = "counter-service" },\n', "")
    (plan,) = pipeline_plans(EXAMPLES / "instance-counter", text, tmp_path)
    assert plan.services == () and "service" not in plan.authorized_surfaces
    registry = make_registry([plan])
    assert registry.call_tool(plan.ref, "counter", {})["summary"] == "counter is at 1"
    assert registry.status(plan.ref)["services"] == []


def test_legacy_component_and_raw_tools_run_per_call(make_registry, tmp_path):
    echo = (EXAMPLES / "component-echo" / "echo.component.wasm").read_bytes()
    raw = (EXAMPLES / "raw-echo" / "echo.wasm").read_bytes()
    component_plan = package_plan(tmp_path / "cecho", echo, runtime="tool-component", tools=("component_echo",))
    raw_plan = package_plan(tmp_path / "recho", raw, runtime="raw", tools=("raw_echo",))
    registry = make_registry([component_plan, raw_plan])
    text = {"text": "h\u00e9llo \"quoted\" \u2713"}
    for plan, tool in ((component_plan, "component_echo"), (raw_plan, "raw_echo")):
        first = registry.call_tool(plan.ref, tool, text)
        assert first["summary"].endswith(tool)
        assert first["content"] == '{"text":"h\u00e9llo \\"quoted\\" \u2713"}'
        assert registry.call_tool(plan.ref, tool, "{}")["content"] == "{}"
        status = registry.status(plan.ref)  # spec §6.4: a legacy adapter is created Ready and stays Ready
        assert status["lifecycle"] == "Ready"
        assert status["diagnostics"] == [
            {"state": "Ready", "message": "legacy tool runtime adapted behind PluginInstanceRegistry"}]


def test_tool_and_ingress_reach_the_same_instance(make_registry, tmp_path):
    plan = package_plan(tmp_path / "shared", build(instance_wat()), tools=("count",), services=("svc",),
                        ingresses=("events",))
    registry = make_registry([plan])
    assert registry.call_tool(plan.ref, "count", {})["summary"] == "count 1"
    report = registry.deliver_ingress(plan.ref, "events", {"kind": "tick", "source": "any", "payload": None})
    assert report["output"] == {"accepted": True, "count": 2} and report["accepted"] is True
    assert registry.call_tool(plan.ref, "count", {})["summary"] == "count 3"
    assert registry.status(plan.ref)["services"][0]["state"] == "running"


def test_unknown_refs_tools_and_ingresses_are_not_found(make_registry, tmp_path):
    plan = package_plan(tmp_path / "p", build(instance_wat()), tools=("count",), ingresses=("events",))
    registry = make_registry([plan])
    assert fault_of(registry.call_tool, "project:nope", "count", {}).kind == "not_found"
    other = fault_of(registry.call_tool, plan.ref, "other", {})
    assert other.kind == "not_found" and other.message == (
        f"plugin tool `other` from `{plan.ref}` (digest {plan.digest}) failed closed: "
        "requested tool is not declared by plugin manifest")
    assert fault_of(registry.deliver_ingress, plan.ref, "other", {}).message == (
        "requested ingress is not declared by plugin manifest")
    assert registry.status("project:nope") is None and registry.stop("project:nope") is None  # spec §6.3
    assert registry.status(plan.ref)["lifecycle"] == "Ready"  # nothing was started by refusals


def test_tool_input_is_checked_before_the_guest_runs(make_registry, tmp_path):
    plan = package_plan(tmp_path / "p", build(instance_wat()))
    registry = make_registry([plan])
    oversize = fault_of(registry.call_tool, plan.ref, "count", '{"a":"' + "x" * 70000 + '"}')
    assert oversize.kind == "invalid_input" and oversize.message == "plugin tool `count` input exceeds 65536 bytes"
    broken = fault_of(registry.call_tool, plan.ref, "count", "{nope")
    assert broken.kind == "invalid_input" and "input is not valid JSON" in broken.message
    assert registry.call_tool(plan.ref, "count", {})["summary"] == "count 1"


def test_tools_come_only_from_plans_with_the_tool_surface(make_registry, tmp_path):
    shown = package_plan(tmp_path / "a", build(instance_wat()), tools=("count",))
    hidden = package_plan(tmp_path / "b", build(instance_wat()), tools=("count",), surfaces=("service",),
                          services=("svc",))
    registry = make_registry([shown, hidden])
    assert [(t.plugin_ref, t.name) for t in registry.tools()] == [(shown.ref, "count")]
    refused = fault_of(registry.call_tool, hidden.ref, "count", {})
    assert refused.kind == "denied" and refused.message.endswith("failed closed: plugin tool surface is not enabled")
    assert fault_of(registry.deliver_ingress, shown.ref, "events", {}).message == "plugin ingress surface is not enabled"
    assert registry.refs() == (shown.ref, hidden.ref)


def test_importing_the_runtime_imports_neither_wasmtime_nor_the_rule_layers():
    code = ("import sys, engine.runtime, engine.runtime.instance; print(sorted(m for m in sys.modules if "
            "m.startswith(('wasmtime', 'engine.graph', 'engine.datalog', 'engine.report', 'engine.rules'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_python_values_that_are_not_json_are_refused(make_registry, tmp_path):
    plan = package_plan(tmp_path / "p", build(instance_wat()), ingresses=("events",))
    registry = make_registry([plan])
    for value in ({"x": float("nan")}, {"x": object()}, {"x": "\ud800"}):
        assert fault_of(registry.call_tool, plan.ref, "count", value).kind == "invalid_input"
        event = {"kind": "tick", "source": "s", "payload": value}
        assert fault_of(registry.deliver_ingress, plan.ref, "events", event).kind == "invalid_input"
    assert registry.call_tool(plan.ref, "count", {"x": 1.5})["summary"] == "count 1"


def test_the_engine_and_its_ticker_start_with_the_first_instance_and_stop_on_close(tmp_path):
    from engine.runtime import HostConfig, PluginInstanceRegistry

    plan = package_plan(tmp_path / "p", build(instance_wat()))
    registry = PluginInstanceRegistry([plan], HostConfig(cache_dir=tmp_path / "c"))
    registry.tools(), registry.status(plan.ref)
    assert registry._wasm is None  # nothing compiled, no thread, until something starts
    registry.start(plan.ref)
    ticker = registry._wasm._ticker
    assert ticker.is_alive()
    registry.close()
    assert not ticker.is_alive() and registry.status(plan.ref)["lifecycle"] == "Stopped"
    assert fault_of(registry.call_tool, plan.ref, "count", {}).kind == "stopped"
    registry.close()  # idempotent


def test_an_unsupported_runtime_kind_fails_closed(make_registry, tmp_path):
    from dataclasses import replace

    plan = replace(package_plan(tmp_path / "p", build(instance_wat())), runtime_kind="native")
    registry = make_registry([plan])
    fault = fault_of(registry.call_tool, plan.ref, "count", {})
    assert fault.kind == "load" and "unsupported plugin runtime kind `native`" in fault.message
    assert registry.status(plan.ref)["lifecycle"] == "Failed"


def test_tool_input_is_checked_against_the_plans_input_schema_before_the_guest_runs(make_registry):
    """The counter's schema is `{type = "object", additionalProperties = false}`: an extra key or
    a wrong type is `invalid_input` naming the JSON path; the guest is never entered (its count
    does not move) and the instance stays started."""
    (plan,) = pipeline_plans(EXAMPLES / "instance-counter")
    registry = make_registry([plan])
    ref = plan.ref
    assert registry.call_tool(ref, "counter", {})["summary"] == "counter is at 1"
    hostile_key = "k\x1b[2J" + "x" * 5000
    for value, why in (({"extra": 1}, "$: property `extra` is not allowed"), ("[]", "$: expected object"),
                       ('"text"', "$: expected object"), (7, "$: expected object"),
                       ({hostile_key: 1}, "$: property `k [2Jxxx")):
        fault = fault_of(registry.call_tool, ref, "counter", value)
        assert fault.kind == "invalid_input", fault
        assert fault.message.startswith(f"plugin tool `counter` input does not match its input_schema: {why}")
        assert len(fault.message) < 300 and "\x1b" not in fault.message
    status = registry.status(ref)
    assert status["lifecycle"] == "Started" and status["calls"] == {"tool": 1, "ingress": 0, "faults": 0}
    assert registry.call_tool(ref, "counter", "{}")["summary"] == "counter is at 2"


def test_required_and_nested_properties_are_checked_with_their_path(make_registry, tmp_path):
    from dataclasses import replace

    from engine.plan import PlannedTool

    schema = ('{"type":"object","required":["query"],"additionalProperties":false,"properties":{'
              '"query":{"type":"string"},"tags":{"type":"array","items":{"type":"string","enum":["a","b"]}}}}')
    plan = package_plan(tmp_path / "p", build(instance_wat()))
    plan = replace(plan, tools=(PlannedTool("count", "", schema, False),))
    registry = make_registry([plan])
    for value, why in (({}, "$: missing required property `query`"),
                       ({"query": 1}, "$.query: expected string"),
                       ({"query": "q", "tags": ["a", "c"]}, "$.tags[1]: value is not one of the enum values"),
                       ('{"query": "q", "tags": {}}', "$.tags: expected array")):
        fault = fault_of(registry.call_tool, plan.ref, "count", value)
        assert fault.kind == "invalid_input" and fault.message.endswith(f"input_schema: {why}"), fault
    assert registry.call_tool(plan.ref, "count", {"query": "q", "tags": ["b"]})["summary"] == "count 1"
    assert registry.status(plan.ref)["lifecycle"] == "Started"


def test_non_standard_json_numbers_are_refused_in_input_and_in_guest_output(make_registry, tmp_path):
    """NaN, Infinity and numbers that overflow to infinity are not JSON: refused in caller input
    (the guest is not entered) and in guest output (a caller's JSON would carry them on)."""
    plan = package_plan(tmp_path / "p", build(instance_wat(ingress=(COUNT, '{"n":NaN}'))), ingresses=("events",))
    registry = make_registry([plan])
    for text in ('{"x": NaN}', '{"x": -Infinity}', '{"x": 1e400}'):
        assert fault_of(registry.call_tool, plan.ref, "count", text).kind == "invalid_input"
        event = '{"kind": "tick", "source": "s", "payload": %s}' % text
        assert fault_of(registry.deliver_ingress, plan.ref, "events", event).kind == "invalid_input"
    fault = fault_of(registry.deliver_ingress, plan.ref, "events", {"kind": "tick", "source": "s", "payload": {}})
    assert fault.kind == "invalid_output" and "NaN is not JSON" in fault.message
    assert registry.call_tool(plan.ref, "count", '{"x": 1e300}')["summary"] == "count 2"


def test_repeated_object_keys_in_input_are_refused(make_registry, tmp_path):
    """Parsers disagree on which duplicate wins, so a schema check of one value could pass while
    the guest reads the other: `{"q": "evil", "q": "safe"}` is refused before either happens."""
    from dataclasses import replace

    from engine.plan import PlannedTool

    schema = '{"type":"object","properties":{"q":{"type":"string","enum":["safe"]}}}'
    plan = package_plan(tmp_path / "p", build(instance_wat()), ingresses=("events",))
    plan = replace(plan, tools=(PlannedTool("count", "", schema, False),))
    registry = make_registry([plan])
    fault = fault_of(registry.call_tool, plan.ref, "count", '{"q": "evil", "q": "safe"}')
    assert fault.kind == "invalid_input" and 'object key "q" appears twice' in fault.message
    event = '{"kind": "tick", "source": "s", "payload": {"a": {"b": 1, "b": 2}}}'
    assert fault_of(registry.deliver_ingress, plan.ref, "events", event).kind == "invalid_input"
    assert registry.call_tool(plan.ref, "count", '{"q": "safe"}')["summary"] == "count 1"


def test_a_hand_made_plan_with_a_schema_that_is_not_json_refuses_every_input(make_registry, tmp_path):
    from dataclasses import replace

    from engine.plan import PlannedTool

    plan = package_plan(tmp_path / "p", build(instance_wat()))
    registry = make_registry([replace(plan, tools=(PlannedTool("count", "", "{not json", False),))])
    fault = fault_of(registry.call_tool, plan.ref, "count", {})
    assert fault.kind == "invalid_input" and "the plan's input_schema is not JSON" in fault.message
