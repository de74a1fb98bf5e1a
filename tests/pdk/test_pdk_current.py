"""The PDK's yoi b12e0785 additions (yoi-current-spec.md §6.14, §7.4): the current event fields,
output commands built from an event, and the request/websocket helpers over stand-in bindings
(the real host is exercised end to end in tests/authoring/test_python_service.py)."""

from __future__ import annotations

import json

import pytest

from yoi_pdk import HostError, IngressEvent, InstanceGlue, Plugin, Request, ServiceOutput, ServiceOutputCommand
from yoi_pdk import ToolError, WebSocket

EVENT = IngressEvent.from_json(json.dumps({
    "kind": "websocket_text", "source": "websocket:wss://example.com/socket", "ingress_name": "socket",
    "payload": {"url": "wss://example.com/socket", "text": "ping"}, "created_at": "2026-06-25T00:00:00Z",
    "attempt": 1, "correlation_id": "event-1"}))


def test_the_current_event_fields_are_read():
    assert (EVENT.ingress_name, EVENT.attempt, EVENT.correlation_id) == ("socket", 1, "event-1")
    assert (EVENT.websocket_text(), EVENT.websocket_url()) == ("ping", "wss://example.com/socket")
    assert IngressEvent("k", "s", {"text": 1}).websocket_text() is None
    with pytest.raises(ToolError, match="`ingress_name` must be a string"):
        IngressEvent.from_json('{"kind":"k","source":"s","ingress_name":1}')


def test_service_output_helper_builds_runtime_command_envelope():
    """cur §7.4 `service_output_helper_builds_runtime_command_envelope`."""
    out = ServiceOutput.websocket_send(EVENT, "reply-1", "wss://example.com/socket", "pong").to_dict()
    assert out["accepted"] is True
    (command,) = out["output_commands"]
    assert command == {"correlation_id": "event-1:reply-1", "source_event_id": "event-1", "command_id": "reply-1",
                       "kind": "websocket_send", "payload": {"url": "wss://example.com/socket", "text": "pong"},
                       "requested_at": "2026-06-25T00:00:00Z"}


def test_command_ids_are_sanitized_and_bounded_and_events_without_ids_refused():
    command = ServiceOutputCommand.new(EVENT, "a\nb" + "x" * 300, "diagnostic_status_update", {})
    assert "\n" not in command.command_id and len(command.command_id.encode()) <= 128
    assert command.command_id.startswith("a-b")
    with pytest.raises(ToolError, match="command_id must not be empty"):
        ServiceOutputCommand.new(EVENT, "", "websocket_send", {})
    with pytest.raises(ToolError, match="requires ingress event correlation_id"):
        ServiceOutputCommand.new(IngressEvent("k", "s"), "c", "websocket_send", {})
    with pytest.raises(ToolError, match="payload exceeds 16384 bytes"):
        ServiceOutputCommand.new(EVENT, "c", "websocket_send", {"text": "x" * 17000})
    with pytest.raises(ToolError, match="unknown service output command kind"):
        ServiceOutputCommand.new(EVENT, "c", "shell", {})
    assert ServiceOutputCommand.new(IngressEvent("k", "s", correlation_id="e"), "c", "websocket_send", {}).requested_at \
        == "1970-01-01T00:00:00Z"
    status = ServiceOutputCommand.status_update(EVENT, "s1", {"ready": True}, "ok").to_dict()
    assert status["kind"] == "diagnostic_status_update" and status["payload"] == {"message": "ok", "status": {"ready": True}}
    dispatch = ServiceOutputCommand.request_dispatch(EVENT, "r1", "GET", "https://api.example.test/v1").to_dict()
    assert dispatch["payload"] == {"method": "GET", "url": "https://api.example.test/v1"}


class Binding:
    def __init__(self, **answers):
        self.answers, self.calls = answers, []

    def __getattr__(self, name):
        def call(*args):
            self.calls.append((name, args))
            return self.answers[name]
        return call


def test_request_helper_is_called_like_a_function():
    binding = Binding(request='{"status":200,"headers":[],"body":"{\\"ok\\":1}","truncated":false}')
    request = Request(binding)
    assert request("GET", "https://api.example.test/v1")["status"] == 200
    assert request.get_json("https://api.example.test/v1") == {"ok": 1}
    assert json.loads(binding.calls[0][1][0]) == {"method": "GET", "url": "https://api.example.test/v1"}
    with pytest.raises(HostError, match="request method `TRACE` is not allowed"):
        request("TRACE", "https://x")
    with pytest.raises(HostError, match="host API request is not linked"):
        Request()("GET", "https://x")


def test_websocket_helper_opens_sends_receives_and_closes():
    binding = Binding(open='{"handle":3,"url":"wss://g/socket"}', send_text='{"sent":true,"bytes":4}',
                      recv='{"type":"text","text":"pong"}', close='{"closed":true}')
    sock = WebSocket(binding)
    handle = sock.open("wss://g/socket?v=1")
    assert (handle, sock.send(handle, "ping"), sock.recv(handle, 99999), sock.close(handle)) == (3, 4, "pong", True)
    assert binding.calls[2] == ("recv", (3, 30000))  # the cap is applied before the host sees it
    assert WebSocket(Binding(recv='{"type":"closed"}')).recv(1) is None
    with pytest.raises(HostError, match="websocket: unknown WebSocket handle 9"):
        WebSocket(Binding(send_text='{"error":{"message":"unknown WebSocket handle 9"}}')).send(9, "x")
    with pytest.raises(HostError, match="exceeds 32768 bytes"):
        sock.send(1, "x" * 32769)


def test_the_glue_hands_both_helpers_to_handlers():
    seen = {}

    class Echo(Plugin):
        def handle_ingress(self, ctx, name, event):
            seen["ctx"] = ctx
            return ServiceOutput.websocket_send(event, "r", event.websocket_url(), event.websocket_text())

    request, websocket = Request(Binding()), WebSocket(Binding())
    glue = InstanceGlue(Echo, request=request, websocket=websocket)
    glue.start("null")
    out = json.loads(glue.handle_ingress("socket", json.dumps({
        "kind": "websocket_text", "source": "websocket:ws://h/s", "ingress_name": "socket", "correlation_id": "e1",
        "payload": {"url": "ws://h/s", "text": "hi"}, "created_at": "2026-01-01T00:00:00Z", "attempt": 1})))
    assert out["output_commands"][0]["payload"] == {"url": "ws://h/s", "text": "hi"}
    assert seen["ctx"].request is request and seen["ctx"].websocket is websocket
