"""`yoi plugin serve` end to end as a real subprocess (issue 9 item 8): JSON lines both ways, one
response per request in order, state kept across calls, malformed lines answered, EOF exits 0."""

from __future__ import annotations

import json

import pytest

from engine.host.serve import MAX_LINE_BYTES
from serve_client import SAFETY_TIMEOUT, send, serve

COUNTER = "example.counter"
TICK = {"kind": "tick", "source": "example", "payload": {}}


@pytest.fixture
def server(workspace):
    process = serve(workspace)
    yield process
    if process.poll() is None:
        process.kill()
        process.wait()


def test_serve_end_to_end(server):
    tools = send(server, {"id": 1, "op": "tools"})
    assert tools["id"] == 1 and tools["ok"] is True
    assert {t["name"] for t in tools["result"]} == {"raw_echo", "component_echo", "counter"}
    counter_tool = next(t for t in tools["result"] if t["name"] == "counter")
    assert counter_tool["origin"]["plugin_ref"] == "project:example.counter"
    assert counter_tool["input_schema"] == {"type": "object", "additionalProperties": False}

    started = send(server, {"id": "s", "op": "start", "plugin": COUNTER})
    assert started["ok"] and started["result"]["lifecycle"] == "Started"
    first = send(server, {"id": 2, "op": "call", "plugin": COUNTER, "tool": "counter", "input": {}})
    second = send(server, {"id": 3, "op": "call", "plugin": COUNTER, "tool": "counter"})
    assert first == {"id": 2, "ok": True, "result": {"summary": "counter is at 1", "content": '{"count":1}'}}
    assert second["result"]["summary"] == "counter is at 2"  # one instance, state kept
    delivered = send(server, {"id": 4, "op": "ingress", "plugin": COUNTER, "ingress": "counter-events", "event": TICK})
    assert delivered["ok"] and delivered["result"]["output"] == {"accepted": True, "count": 2, "events": 1}
    status = send(server, {"id": 5, "op": "status", "plugin": COUNTER})["result"]
    assert status["lifecycle"] == "Started" and status["component_status"]["data"] == {"count": 2, "events": 1}
    assert status["services"][0]["name"] == "counter-service"
    assert status["calls"] == {"tool": 2, "ingress": 1, "faults": 0}

    # lazily started on first use: another instance, untouched by the counter's state
    raw = send(server, {"id": 6, "op": "call", "plugin": "project:example.raw-echo", "tool": "raw_echo",
                        "input": {"text": "hi"}})
    assert raw["ok"] and json.loads(raw["result"]["content"]) == {"text": "hi"}

    # malformed lines and bad requests get error responses; the loop goes on
    for line, request_id, kind in [
        ("not json", None, "invalid_request"), ("[1, 2]", None, "invalid_request"), ('"text"', None, "invalid_request"),
        ('{"id": 7, "op": "fly"}', 7, "invalid_request"),
        ('{"id": 8, "op": "call", "plugin": "example.counter", "tool": "counter", "extra": 1}', 8, "invalid_request"),
        ('{"id": 9, "op": "call", "plugin": "example.counter"}', 9, "invalid_request"),
        ('{"id": 10, "op": "call", "plugin": "no.such", "tool": "x"}', 10, "not_found"),
        ('{"id": 11, "op": "call", "plugin": "example.counter", "tool": "nope"}', 11, "not_found"),
        ('{"id": 12, "op": "call", "plugin": "example.counter", "tool": 5}', 12, "invalid_request"),
        ('{"id": 13, "op": "start", "plugin": 5}', 13, "invalid_request"),
        ('{"id": 14, "op": "ingress", "plugin": "example.counter", "ingress": "counter-events", "event": '
         '{"kind": "tock", "source": "example", "payload": {}}}', 14, "invalid_input"),
        ('{"id": 15, "op": "tools", "x": NaN}', None, "invalid_request"),
        ('{"id": 16, "op": "call", "plugin": "example.counter", "tool": "counter", "input": {"x": 1e999}}', None,
         "invalid_request"),
        ("[" * 100000 + "]" * 100000, None, "invalid_request"),
    ]:
        response = send(server, line)
        assert response["id"] == request_id and response["ok"] is False, (line[:80], response)
        assert response["error"]["kind"] == kind, (line[:80], response)
        assert 0 < len(response["error"]["message"]) <= 512

    assert send(server, {"id": 16, "op": "call", "plugin": COUNTER, "tool": "counter"})["result"]["summary"] == \
        "counter is at 3"  # the bad requests did not disturb the instance
    stopped = send(server, {"id": 17, "op": "stop", "plugin": COUNTER})
    assert stopped["ok"] and stopped["result"]["lifecycle"] == "Stopped"
    after = send(server, {"id": 18, "op": "call", "plugin": COUNTER, "tool": "counter"})
    assert after["ok"] is False and after["error"]["kind"] == "stopped"
    assert send(server, {"id": 19, "op": "status", "plugin": COUNTER})["result"]["lifecycle"] == "Stopped"

    server.stdin.close()  # EOF: every instance stops, exit 0
    assert server.wait(SAFETY_TIMEOUT) == 0
    assert server.stdout.read() == b""
    stderr = server.stderr.read().decode()
    assert "yoi plugin host: 3 plugin package(s) planned, 0 refused" in stderr and "Traceback" not in stderr


def test_serve_refuses_an_oversized_line_without_losing_the_next_one(workspace):
    process = serve(workspace, "-q")
    huge = b'{"id": 1, "op": "tools", "pad": "' + b"x" * (MAX_LINE_BYTES + 10) + b'"}'
    requests = b"\n".join([huge, b'{"id": 2, "op": "tools", "plugin": "example.raw-echo"}', b"", b"  "]) + b"\n"
    out, err = process.communicate(requests, timeout=SAFETY_TIMEOUT)
    assert process.returncode == 0 and err == b""
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 2  # blank lines are not requests
    assert lines[0] == {"id": None, "ok": False,
                        "error": {"kind": "invalid_request", "message": f"request line exceeds {MAX_LINE_BYTES} bytes"}}
    assert lines[1]["id"] == 2 and [t["name"] for t in lines[1]["result"]] == ["raw_echo"]


def test_serve_with_nothing_planned_still_answers(tmp_path, user_home):
    empty = tmp_path / "empty"
    empty.mkdir()
    process = serve(empty)
    out, err = process.communicate(b'{"id": 1, "op": "tools"}\n{"id": 2, "op": "start", "plugin": "x"}\n',
                                   timeout=SAFETY_TIMEOUT)
    assert process.returncode == 0
    first, second = (json.loads(line) for line in out.splitlines())
    assert first == {"id": 1, "ok": True, "result": []}
    assert second["error"]["kind"] == "not_found"
    assert b"0 plugin package(s) planned, 0 refused" in err


def test_serve_refuses_a_policy_denied_package_with_the_rules_reason(workspace, tmp_path):
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "org.rules").write_text(
        'deny no_raw(P) "raw modules are retired" :- classification(P, "legacy-raw-tool").\n')
    process = serve(workspace, "--policy", str(policy))
    out, err = process.communicate(
        b'{"id": 1, "op": "call", "plugin": "example.raw-echo", "tool": "raw_echo", "input": {}}\n'
        b'{"id": 2, "op": "tools"}\n', timeout=SAFETY_TIMEOUT)
    assert process.returncode == 0
    refused, tools = (json.loads(line) for line in out.splitlines())
    assert refused["error"] == {"kind": "denied", "message": "plugin package `project:example.raw-echo` was refused "
                                "at startup [rejected]: raw modules are retired"}
    assert "raw_echo" not in {t["name"] for t in tools["result"]}
    assert b"refused project:example.raw-echo [rejected]\n    reason: raw modules are retired" in err


def test_serve_loop_answers_every_line_shape_in_process(workspace):
    """The loop itself, without a registry call: hostile lines get bounded answers, never raise."""
    from engine.host.serve import ServeLoop, encode_response, read_lines
    from engine.host.startup import evaluate_startup
    import io

    loop = ServeLoop(evaluate_startup(workspace), registry=None)
    lines = list(read_lines(io.BytesIO(b"a\n" + b"x" * 50 + b"\nlast"), limit=10))
    assert lines == [b"a", None, b"last"]
    for line in (b"\xff\xfe", b'{"id": 1, "op": "call", "plugin": "\\ud800", "tool": "t"}', b"1e999999",
                 b'{"id": ' + b"[" * 990 + b"]" * 990 + b', "op": 5}', b'{"id": {"a": [1]}, "op": null}'):
        response = loop.respond(line)
        assert response["ok"] is False and response["error"]["kind"] in ("invalid_request", "not_found")
        assert json.loads(encode_response(response))["ok"] is False
    assert loop.respond(b'{"id": {"a": [1]}, "op": null}')["id"] == {"a": [1]}
