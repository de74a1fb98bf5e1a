"""The glue between a Plugin and the instance/tool world exports, on the host: state lives as
long as the instance, and no guest exception ever escapes the boundary."""

from __future__ import annotations

import json

from yoi_pdk import (
    IngressEvent, InstanceGlue, Plugin, PluginStatus, ServiceOutput, ToolError, ToolOutput, ToolPlugin,
    instance_world, tool, tool_world,
)
from yoi_pdk.plugin import NOT_STARTED


class Counter(Plugin):
    def start(self, ctx, config):
        self.count, self.events, self.label = 0, 0, (config or {}).get("label")
        return PluginStatus.ready({"label": self.label})

    def handle_tool(self, ctx, name, input):
        if name == "boom":
            raise RuntimeError("guest exception on purpose")
        if name == "deny":
            raise ToolError("denied", "not today")
        if name == "exit":
            raise SystemExit(3)
        self.count += 1
        return ToolOutput.json(f"count is {self.count}", {"count": self.count, "tool": ctx.name})

    def handle_ingress(self, ctx, name, event: IngressEvent):
        self.events += 1
        return ServiceOutput({"events": self.events, "kind": event.kind}).with_status({"events": self.events})

    def status(self, ctx):
        return PluginStatus.ready({"count": self.count, "events": self.events})


def tool_json(text: str) -> dict:
    value = json.loads(text)
    assert set(value) <= {"summary", "content"}
    return value


def test_state_persists_across_calls_and_surfaces():
    glue = InstanceGlue(Counter)
    assert json.loads(glue.start('{"label":"demo"}')) == {"state": "ready", "data": {"label": "demo"}}
    assert json.loads(tool_json(glue.handle_tool("count", "{}"))["content"]) == {"count": 1, "tool": "count"}
    assert json.loads(tool_json(glue.handle_tool("count", "{}"))["content"])["count"] == 2
    ingress = json.loads(glue.handle_ingress("events", '{"kind":"tick","source":"timer","payload":{}}'))
    assert ingress["data"] == {"events": 1, "kind": "tick"}
    assert ingress["output_commands"] == [{"kind": "diagnostic_status_update", "status": {"events": 1}}]
    assert json.loads(glue.status()) == {"state": "ready", "data": {"count": 2, "events": 1}}
    assert json.loads(glue.stop()) == {"state": "stopped", "data": None}


def test_exceptions_become_tool_errors_never_escape():
    glue = InstanceGlue(Counter)
    glue.start("null")
    boom = tool_json(glue.handle_tool("boom", "{}"))
    assert boom["summary"] == "tool error: failed"
    assert json.loads(boom["content"])["error"]["message"] == "RuntimeError: guest exception on purpose"
    assert json.loads(tool_json(glue.handle_tool("deny", "{}"))["content"])["error"]["code"] == "denied"
    assert tool_json(glue.handle_tool("exit", "{}"))["summary"] == "tool error: failed"
    bad_input = json.loads(tool_json(glue.handle_tool("count", "{nope"))["content"])["error"]
    assert bad_input["code"] == "invalid_input"
    # the instance is still alive and its state intact
    assert json.loads(tool_json(glue.handle_tool("count", "{}"))["content"])["count"] == 1


def test_calls_outside_start_and_stop_are_refused_as_data():
    glue = InstanceGlue(Counter)
    assert NOT_STARTED in tool_json(glue.handle_tool("count", "{}"))["content"]
    assert json.loads(glue.status()) == {"error": {"code": "failed", "message": NOT_STARTED}}
    glue.start("not json")  # invalid config is passed as None, like the reference
    glue.stop()
    assert json.loads(glue.handle_ingress("events", '{"kind":"k","source":"s"}'))["error"]["message"] == NOT_STARTED


def test_lifecycle_errors_are_error_json():
    class Broken(Plugin):
        def start(self, ctx, config):
            raise ValueError("bad config")

        def status(self, ctx):
            return {"x": {1, 2}}  # not JSON

    glue = InstanceGlue(Broken)
    assert json.loads(glue.start("{}")) == {"error": {"message": "ValueError: bad config"}}
    assert glue.plugin is None  # a failed start leaves nothing started
    glue.plugin = Broken()
    assert "not JSON" in json.loads(glue.status())["error"]["message"]


def test_hostile_exception_and_oversize_outputs_are_contained():
    class Hostile(Exception):
        def __str__(self):
            raise RuntimeError("no")

    class Loud(Plugin):
        def handle_tool(self, ctx, name, input):
            raise Hostile()

        def handle_ingress(self, ctx, name, event):
            return {"blob": "x" * 100_000}

        def status(self, ctx):
            return PluginStatus.ready("y" * 100_000)

    glue = InstanceGlue(Loud)
    glue.start("null")
    assert "Hostile: <unprintable>" in tool_json(glue.handle_tool("t", "{}"))["content"]
    assert json.loads(glue.handle_ingress("i", '{"kind":"k","source":"s"}')) == {
        "error": {"message": "ingress output exceeds 65536 bytes"}}
    assert "exceeds 65536 bytes" in json.loads(glue.status())["error"]["message"]


def test_handler_return_values_are_normalised():
    class Plain(Plugin):
        def handle_tool(self, ctx, name, input):
            return {"str": "summary only", "none": None, "value": [1, 2]}.get(name, input)

        def handle_ingress(self, ctx, name, event):
            return None if name == "none" else [event.payload]

    glue = InstanceGlue(Plain)
    glue.start("null")
    calls = {name: tool_json(glue.handle_tool(name, '"x"')) for name in ("str", "none", "value")}
    assert calls["str"] == {"summary": "summary only"}
    assert calls["none"] == {"summary": "tool completed"}
    assert calls["value"] == {"summary": "tool completed", "content": "[1,2]"}
    assert json.loads(glue.handle_ingress("none", '{"kind":"k","source":"s"}')) == {"accepted": True}
    assert json.loads(glue.handle_ingress("x", '{"kind":"k","source":"s","payload":7}')) == {
        "accepted": True, "data": [7]}


class Echo(ToolPlugin):
    @tool("example_echo")
    def echo(self, ctx, input):
        return ToolOutput(f"echo: {input['text']}", input["text"])


def test_tool_plugin_dispatches_by_decorated_name():
    assert Echo.tools == {"example_echo": "echo"}
    world = tool_world(Echo)()
    assert tool_json(world.call("example_echo", '{"text":"hi"}')) == {"summary": "echo: hi", "content": "hi"}
    unsupported = json.loads(tool_json(world.call("other", "{}"))["content"])["error"]
    assert unsupported == {"code": "unsupported_tool", "message": "unsupported tool `other`"}
    missing_key = json.loads(tool_json(world.call("example_echo", "{}"))["content"])["error"]
    assert missing_key["message"] == "KeyError: 'text'"


def test_tool_world_reports_a_failed_start_as_a_tool_error():
    class NoStart(ToolPlugin):
        def start(self, ctx, config):
            raise RuntimeError("cannot start")

    out = tool_json(tool_world(NoStart)().call("t", "{}"))
    assert out["summary"] == "tool error: failed" and "cannot start" in out["content"]


def test_instance_world_class_shares_one_glue_across_objects():
    world = instance_world(Counter)
    world().start("null")
    world().handle_tool("count", "{}")  # componentize-py may create a WitWorld per call
    assert json.loads(json.loads(world().handle_tool("count", "{}"))["content"])["count"] == 2
    assert json.loads(world().status())["data"]["count"] == 2
