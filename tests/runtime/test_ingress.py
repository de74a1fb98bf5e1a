"""Ingress envelopes are checked against the plan (kind, source, payload schema, known keys, size)
before the guest sees them; of the guest's output_commands only diagnostic_status_update applies."""

from __future__ import annotations

import json

import pytest
from runtime_guests import COUNT, INGRESS_OK, build, fault_of, instance_wat, package_plan

from engine.plan import PlannedIngress, RuntimeLimits
from engine.runtime.schema_check import schema_error

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}, "tag": {"type": "string", "enum": ["a", "b"]}},
          "required": ["n"], "additionalProperties": False}
SENSOR = PlannedIngress("sensor", "", ("tick", "tock"), ("sensor-a", "sensor-b"), json.dumps(SCHEMA))
OPEN = PlannedIngress("open", "", ("tick",), (), None)
GOOD = {"kind": "tick", "source": "sensor-a", "payload": {"n": 1}}


@pytest.fixture
def registry_and_plan(make_registry, tmp_path):
    plan = package_plan(tmp_path / "p", build(instance_wat()), ingresses=(SENSOR, OPEN))
    return make_registry([plan]), plan


@pytest.mark.parametrize("event, words", [
    ({**GOOD, "kind": "boom"}, "does not accept event kind `boom`"),
    ({**GOOD, "source": "sensor-c"}, "does not accept events from source `sensor-c`"),
    ({**GOOD, "payload": {}}, "payload does not match its input_schema: $.payload: missing required property `n`"),
    ({**GOOD, "payload": {"n": "1"}}, "$.payload.n: expected integer"),
    ({**GOOD, "payload": {"n": True}}, "$.payload.n: expected integer"),
    ({**GOOD, "payload": {"n": 1, "tag": "c"}}, "$.payload.tag: value is not one of the enum values"),
    ({**GOOD, "payload": {"n": 1, "x": 0}}, "$.payload: property `x` is not allowed"),
    ({**GOOD, "payload": [1]}, "$.payload: expected object"),
    ({**GOOD, "extra": "x"}, "unsupported key `extra`"),
    ({"kind": "tick", "source": "sensor-a"}, "must include `payload`"),
    ({**GOOD, "attempt": -1}, "`attempt` must be a non-negative integer"),
    ({**GOOD, "correlation_id": 7}, "`correlation_id` must be a string"),
    ({**GOOD, "kind": 1}, "`kind` and `source` must be strings"),
    ([GOOD], "must be a JSON object"),
    ('{"kind": "tick",', "is not valid JSON"),
    ({**GOOD, "payload": {"n": 1, "tag": "a" * 70000}}, "exceeds 65536 bytes"),
])
def test_bad_envelopes_are_refused_before_the_guest_runs(event, words, registry_and_plan):
    registry, plan = registry_and_plan
    fault = fault_of(registry.deliver_ingress, plan.ref, "sensor", event)
    assert fault.kind == "invalid_input" and words in fault.message
    report = registry.deliver_ingress(plan.ref, "sensor", GOOD)
    assert report["output"]["count"] == 1  # nothing refused reached the guest


def test_good_envelopes_with_optional_fields_and_any_source_when_none_is_declared(registry_and_plan):
    registry, plan = registry_and_plan
    full = {**GOOD, "kind": "tock", "created_at": "2026-01-01T00:00:00Z", "attempt": 2, "correlation_id": "c-1"}
    assert registry.deliver_ingress(plan.ref, "sensor", json.dumps(full))["output"]["count"] == 1
    anywhere = {"kind": "tick", "source": "whatever", "payload": None}
    report = registry.deliver_ingress(plan.ref, "open", anywhere)
    assert report == {"plugin_ref": plan.ref, "ingress": "open", "accepted": True,
                      "output": {"accepted": True, "count": 2}, "applied_commands": [], "refused_commands": [],
                      # spec §6.6: the instance's diagnostics, as `{state, message}`
                      "diagnostics": [{"state": "Started", "message": "plugin instance started"}]}


def test_only_status_updates_are_applied_from_output_commands(make_registry, tmp_path):
    commands = [
        {"kind": "diagnostic_status_update", "status": {"health": "degraded"}},
        {"kind": "host_request_dispatch", "url": "https://example.com"},
        {"kind": "diagnostic_status_update", "status": "x", "extra": 1},
        "not an object",
    ]
    reply = json.dumps({"accepted": True, "output_commands": commands})
    plan = package_plan(tmp_path / "p", build(instance_wat(ingress=(COUNT, reply))), ingresses=(OPEN,))
    registry = make_registry([plan])
    report = registry.deliver_ingress(plan.ref, "open", {"kind": "tick", "source": "s", "payload": 1})
    assert report["applied_commands"] == [{"kind": "diagnostic_status_update", "status": {"health": "degraded"}}]
    assert len(report["refused_commands"]) == 3
    assert 'kind "host_request_dispatch" refused' in report["refused_commands"][0]
    status = registry.status(plan.ref)
    assert status["status_update"] == {"health": "degraded"}
    assert [d["message"] for d in status["diagnostics"][-3:]] == report["refused_commands"]
    assert report["diagnostics"] == status["diagnostics"]  # a copy of the instance's, `{state, message}`


@pytest.mark.parametrize("reply, words", [
    ("[1,2]", "plugin ingress output must be a JSON object"),
    ("nope", "plugin ingress output is not JSON"),
    ('{"pad":"' + "x" * 3000 + '"}', "plugin ingress output exceeds 2048 bytes"),
])
def test_ingress_output_must_be_a_bounded_json_object(reply, words, make_registry, tmp_path):
    plan = package_plan(tmp_path / "p", build(instance_wat(ingress=("", reply))), ingresses=(OPEN,),
                        limits=RuntimeLimits(max_output_bytes=2048))
    registry = make_registry([plan])
    fault = fault_of(registry.deliver_ingress, plan.ref, "open", {"kind": "tick", "source": "s", "payload": 1})
    assert fault.kind == "invalid_output" and words in fault.message
    assert registry.status(plan.ref)["lifecycle"] == "Started"


def test_the_ingress_surface_outside_the_plan_is_denied_while_the_tool_works(make_registry, tmp_path):
    plan = package_plan(tmp_path / "p", build(instance_wat(ingress=(COUNT, INGRESS_OK))), ingresses=(OPEN,),
                        surfaces=("tool",))
    registry = make_registry([plan])
    fault = fault_of(registry.deliver_ingress, plan.ref, "open", {"kind": "tick", "source": "s", "payload": 1})
    assert fault.kind == "denied"
    assert registry.call_tool(plan.ref, "count", {})["summary"] == "count 1"


@pytest.mark.parametrize("schema, value, error", [
    ({"type": "number"}, 1.5, None), ({"type": "number"}, True, "$: expected number"),
    ({"type": "integer"}, 2.0, None), ({"type": "null"}, None, None),
    ({"type": "array", "items": {"type": "string"}}, ["a", 1], "$[1]: expected string"),
    ({"type": "object", "additionalProperties": {"type": "boolean"}}, {"a": 1}, "$.a: expected boolean"),
    ({"type": "string", "enum": [1, "1"]}, "1", None), ({"enum": [1]}, 1.0, "$: value is not one of the enum values"),
])
def test_the_schema_subset_validator(schema, value, error):
    assert schema_error(schema, value) == error


def test_a_lone_surrogate_is_refused_not_a_guest_fault(registry_and_plan):
    registry, plan = registry_and_plan
    hostile = '{"kind":"tick","source":"x","payload":"\\ud800"}'
    fault = fault_of(registry.deliver_ingress, plan.ref, "open", hostile)
    assert fault.kind == "invalid_input"
    assert fault_of(registry.call_tool, plan.ref, "count", {"a": "\ud800"}).kind == "invalid_input"
    # escaped, the text is ASCII but still no UTF-8 string: refused before the guest, as ingress is
    # (issue 17 point 8; on main this one reached the guest)
    for text in ('{"a": "\\ud800"}', '{"\\udfff": 1}', '["x\\ud83d"]'):
        fault = fault_of(registry.call_tool, plan.ref, "count", text)
        assert fault.kind == "invalid_input" and "lone surrogate" in fault.message
    assert registry.status(plan.ref)["calls"]["tool"] == 0  # the guest never ran
    assert registry.call_tool(plan.ref, "count", '{"a": "\\ud83d\\ude00"}')["summary"] == "count 1"  # a pair is fine
    assert registry.status(plan.ref)["lifecycle"] == "Started"


def test_an_ingress_never_calls_a_tool_nor_changes_the_tool_list(make_registry, tmp_path):
    """MISSION: Service/Ingress never call tools, and the model-visible tools are fixed for the run,
    whatever an ingress output asks for."""
    commands = [{"kind": kind, "tool": "count", "name": "count", "input": {}, "description": "new"}
                for kind in ("tool_call", "call_tool", "register_tool", "tool")]
    reply = json.dumps({"accepted": True, "output_commands": commands})
    plan = package_plan(tmp_path / "p", build(instance_wat(ingress=(COUNT, reply))), ingresses=(OPEN,))
    registry = make_registry([plan])
    before = registry.tools()
    report = registry.deliver_ingress(plan.ref, "open", {"kind": "tick", "source": "s", "payload": 1})
    assert report["applied_commands"] == [] and len(report["refused_commands"]) == len(commands)
    assert registry.status(plan.ref)["calls"] == {"tool": 0, "ingress": 1, "faults": 0}
    assert registry.tools() == before and [t.name for t in before] == ["count"]


def test_a_status_update_is_bounded_in_bytes_not_characters():
    """Issue 17 point 8: 6,000 three-byte characters are 18,000 bytes, over the 16 KiB bound (on
    main they passed as 6,000 characters)."""
    from engine.runtime.ingress import MAX_STATUS_UPDATE_BYTES, apply_output_commands

    wide = "€" * (MAX_STATUS_UPDATE_BYTES // 3 + 500)
    assert len(wide) < MAX_STATUS_UPDATE_BYTES < len(wide.encode())
    outcome = apply_output_commands({"output_commands": [{"kind": "diagnostic_status_update", "status": wide}]})
    assert outcome.applied == () and not outcome.has_update
    assert outcome.refused == (f"output command 0 refused: status exceeds {MAX_STATUS_UPDATE_BYTES} bytes",)
    narrow = "e" * (MAX_STATUS_UPDATE_BYTES - 100)
    fits = apply_output_commands({"output_commands": [{"kind": "diagnostic_status_update", "status": narrow}]})
    assert fits.has_update and fits.status_update == narrow
