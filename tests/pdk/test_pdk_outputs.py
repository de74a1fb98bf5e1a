"""yoi_pdk bounds and typed outputs, as plain Python on the host (spec §6.14, §6.9)."""

from __future__ import annotations

import json

import pytest

from yoi_pdk import (
    MAX_CONTENT_BYTES, MAX_ERROR_MESSAGE_BYTES, MAX_SUMMARY_BYTES, MAX_TOOL_OUTPUT_BYTES, IngressEvent, PluginStatus,
    ServiceOutput, ToolError, ToolOutput, bound_text,
)
from yoi_pdk.bounds import PLUGIN_INSTANCE_WORLD, TOOL_WORLD, byte_len
from yoi_pdk.outputs import bounded_json, lifecycle_error


def decode_like_host(text: str) -> dict:
    """The host's ToolOutput rules (spec §6.9), to prove every output the PDK makes is accepted."""
    assert 0 < byte_len(text) <= MAX_TOOL_OUTPUT_BYTES
    value = json.loads(text)
    assert set(value) <= {"summary", "content"}
    assert isinstance(value["summary"], str) and value["summary"]
    assert byte_len(value["summary"]) <= MAX_SUMMARY_BYTES
    assert value.get("content") is None or isinstance(value["content"], str)
    return value


def test_constants_match_the_reference():
    assert (TOOL_WORLD, PLUGIN_INSTANCE_WORLD) == ("yoi:plugin/tool@1.0.0", "yoi:plugin/instance@1.0.0")
    assert (MAX_TOOL_OUTPUT_BYTES, MAX_SUMMARY_BYTES, MAX_CONTENT_BYTES, MAX_ERROR_MESSAGE_BYTES) == (
        65536, 1024, 60416, 4096)


def test_bound_text_replaces_controls_and_cuts_at_a_character_boundary():
    assert bound_text("a\x00b\x1bc\nd\te\x7f", 100) == "a b c\nd\te "
    cut = bound_text("é" * 10, 9)  # 20 bytes into 9: 6 bytes (3 chars) + ellipsis
    assert cut == "ééé\u2026" and byte_len(cut) == 9
    assert bound_text("abc", 3) == "abc"
    assert byte_len(bound_text("x" * 5000, 4096)) == 4096


def test_bound_text_survives_lone_surrogates():
    assert bound_text("a\ud800b", 10).startswith("a")


def test_tool_output_summary_is_bounded_and_never_blank():
    assert ToolOutput("   ").summary == "tool completed"
    long = ToolOutput("s" * 5000)
    assert byte_len(long.summary) == MAX_SUMMARY_BYTES and long.summary.endswith("\u2026")
    assert ToolOutput("ok").to_dict() == {"summary": "ok"}


def test_tool_output_content_is_bounded_then_shrunk_to_fit_the_serialized_limit():
    plain = ToolOutput("s", "c" * 100_000)
    assert byte_len(plain.content) == MAX_CONTENT_BYTES
    # quotes double and control-free escapes blow up the JSON: content must shrink further
    escaped = ToolOutput("s" * 2000, '"' * 60_000)
    decode_like_host(escaped.to_json())
    assert byte_len(escaped.to_json()) <= MAX_TOOL_OUTPUT_BYTES
    assert len(escaped.content) < 60_000
    decode_like_host(ToolOutput("ünïcødé ✓", "ü" * 40_000).to_json())


def test_tool_output_json_keeps_the_value_or_refuses_it():
    out = ToolOutput.json("done", {"n": 1, "text": "ü"})
    assert json.loads(out.content) == {"n": 1, "text": "ü"}
    assert '"ü"' in out.content  # raw UTF-8, like the host's serde_json
    with pytest.raises(ToolError) as too_big:
        ToolOutput.json("done", "x" * 70_000)
    assert too_big.value.code == "invalid_output" and "exceeds 65536 bytes" in too_big.value.message
    with pytest.raises(ToolError) as not_json:
        ToolOutput.json("done", {1, 2})
    assert not_json.value.code == "serialization"
    with pytest.raises(ToolError):
        ToolOutput.json("done", float("nan"))


def test_tool_error_codes_messages_and_rendering():
    assert ToolError("weird", "m").code == "failed"
    unsupported = ToolError.unsupported_tool("nope")
    assert (unsupported.code, unsupported.message) == ("unsupported_tool", "unsupported tool `nope`")
    error = ToolError("denied", "no\x00access " + "x" * 5000, details={"hint": 1})
    assert byte_len(error.message) == MAX_ERROR_MESSAGE_BYTES and "\x00" not in error.message
    value = decode_like_host(error.to_output().to_json())
    assert value["summary"] == "tool error: denied"
    assert json.loads(value["content"])["error"]["details"] == {"hint": 1}


def test_tool_error_drops_details_that_do_not_fit_or_do_not_serialize():
    big = ToolError("failed", "m", details="d" * 70_000).to_output()
    assert json.loads(big.content) == {"error": {"code": "failed", "message": "m"}}
    odd = ToolError("failed", "m", details=object()).to_output()
    assert json.loads(odd.content) == {"error": {"code": "failed", "message": "m"}}


def test_plugin_status_helpers():
    assert PluginStatus.ready({"n": 1}).to_dict() == {"state": "ready", "data": {"n": 1}}
    assert PluginStatus.stopped().to_dict() == {"state": "stopped", "data": None}
    assert PluginStatus.failed("why").to_dict() == {"state": "failed", "data": "why"}
    assert byte_len(PluginStatus("s" * 500).to_dict()["state"]) <= 64


def test_ingress_event_parses_the_envelope_strictly():
    event = IngressEvent.from_json('{"kind":"tick","source":"timer","payload":{"n":1},"attempt":2,'
                                   '"created_at":"2026-01-01T00:00:00Z","correlation_id":"c1"}')
    assert (event.kind, event.source, event.payload, event.attempt, event.correlation_id) == (
        "tick", "timer", {"n": 1}, 2, "c1")
    assert IngressEvent.from_json('{"kind":"k","source":"s"}').payload is None
    for bad, words in [
        ("not json", "not valid JSON"), ("[1]", "JSON object"), ('{"kind":1,"source":"s"}', "must be strings"),
        ('{"kind":"k"}', "must be strings"), ('{"kind":"k","source":"s","extra":1}', "unsupported key `extra`"),
        ('{"kind":"k","source":"s","attempt":-1}', "non-negative"), ('{"kind":"k","source":"s","attempt":true}',
                                                                      "non-negative"),
        ('{"kind":"k","source":"s","created_at":5}', "`created_at` must be a string"), ("[" * 100_000, "JSON"),
    ]:
        with pytest.raises(ToolError) as caught:
            IngressEvent.from_json(bad)
        assert caught.value.code == "invalid_input" and words in caught.value.message, bad[:40]


def test_created_at_is_the_time_a_guest_may_use():
    """A guest has no clock (stubbed WASI): the PDK gives it the event's own time instead."""
    from datetime import UTC, datetime, timedelta, timezone

    event = IngressEvent.from_json('{"kind":"k","source":"s","created_at":"2026-01-01T10:00:00Z"}')
    assert event.created_at_datetime() == datetime(2026, 1, 1, 10, tzinfo=UTC)
    offset = IngressEvent.from_json('{"kind":"k","source":"s","created_at":"2026-01-01T10:00:00+02:00"}')
    assert offset.created_at_datetime().utcoffset() == timedelta(hours=2)
    assert offset.created_at_datetime().tzinfo == timezone(timedelta(hours=2))
    assert IngressEvent.from_json('{"kind":"k","source":"s"}').created_at_datetime() is None
    for bad, words in [("yesterday", "not an ISO 8601 time"), ("2026-01-01T10:00:00", "no time zone")]:
        event = IngressEvent.from_json(f'{{"kind":"k","source":"s","created_at":"{bad}"}}')
        with pytest.raises(ToolError) as caught:
            event.created_at_datetime()
        assert caught.value.code == "invalid_input" and words in caught.value.message


def test_service_output_and_status_update_commands():
    out = ServiceOutput({"seen": 1}).with_status({"queue": 0})
    assert out.to_dict() == {"accepted": True, "data": {"seen": 1},
                             "output_commands": [{"kind": "diagnostic_status_update", "status": {"queue": 0}}]}
    assert ServiceOutput().to_dict() == {"accepted": True}
    with pytest.raises(ToolError, match="16384 bytes"):
        ServiceOutput.status_update("x" * 20_000)
    with pytest.raises(ToolError, match="more than 16"):
        ServiceOutput(None, [ServiceOutput.status_update(i) for i in range(17)])
    with pytest.raises(ToolError) as not_json:
        ServiceOutput.status_update({1})
    assert not_json.value.code == "serialization"


def test_lifecycle_json_is_bounded():
    assert json.loads(bounded_json({"a": 1}, "status")) == {"a": 1}
    assert json.loads(bounded_json("x" * 70_000, "status")) == {
        "error": {"message": "status output exceeds 65536 bytes"}}
    assert "not JSON" in json.loads(bounded_json({1}, "stop"))["error"]["message"]
    assert byte_len(lifecycle_error("m" * 10_000)["error"]["message"]) == MAX_ERROR_MESSAGE_BYTES


def test_pdk_imports_nothing_but_the_standard_library():
    import subprocess
    import sys

    code = ("import sys, yoi_pdk; bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('engine', 'wasmtime', 'click', 'lark', 'cerberus', 'networkx')); print(bad)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr
