"""Issue 17 point 6: `serve` answers as soon as each answer is ready. A plugin whose tool spins
until its deadline no longer delays another plugin's answers: requests to different instances
run concurrently, responses are written as they complete and matched by `id` (required, unique
among requests in flight). Requests to one instance keep their order. `--ordered` keeps the old
lock-step protocol. All through a real `yoi plugin serve` process."""

from __future__ import annotations

import json

import pytest
import wasmtime
from example_workspace import add_raw_package, enablement, write_config
from serve_client import SAFETY_TIMEOUT, Responses, serve

SPIN = wasmtime.wat2wasm('(module (memory (export "memory") 1) (func (export "yoi_tool_call") (loop $l (br $l))))')
SLOW_MS = 3000


@pytest.fixture
def spinning(workspace):
    _, table = add_raw_package(workspace, "spin.tool", "spin", artifact=SPIN)
    limits = f"\n[plugins.enabled.limits]\ntimeout_ms = {SLOW_MS}\nfuel = 10000000000\n"
    write_config(workspace, enablement("raw-echo"), enablement("instance-counter"), table + limits)
    return workspace


def _write(process, *requests) -> None:
    process.stdin.write(b"".join(json.dumps(r).encode() + b"\n" for r in requests))
    process.stdin.flush()


def _close(process) -> int:
    process.stdin.close()
    return process.wait(SAFETY_TIMEOUT)


SLOW_CALL = {"op": "call", "plugin": "spin.tool", "tool": "spin"}
FAST_CALL = {"op": "call", "plugin": "example.raw-echo", "tool": "raw_echo", "input": {"text": "hi"}}


def test_a_fast_plugin_is_answered_while_another_spins(spinning):
    process = serve(spinning, "-q")
    read_line = Responses(process).next
    try:
        _write(process, {"id": "start-spin", "op": "start", "plugin": "spin.tool"},
               {"id": "start-echo", "op": "start", "plugin": "example.raw-echo"})
        assert {read_line()["id"] for _ in range(2)} == {"start-spin", "start-echo"}
        _write(process, {"id": "slow", **SLOW_CALL}, {"id": "fast", **FAST_CALL})
        first, second = read_line(), read_line()
        assert first["id"] == "fast" and first["ok"] and json.loads(first["result"]["content"]) == {"text": "hi"}
        assert second["id"] == "slow" and second["error"]["kind"] == "timeout"
    finally:
        assert _close(process) == 0


def test_ids_are_required_and_unique_among_requests_in_flight(spinning):
    process = serve(spinning, "-q")
    read_line = Responses(process).next
    try:
        _write(process, {"id": 7, **SLOW_CALL}, {"id": 7, **FAST_CALL}, {"op": "tools"},
               {"id": None, "op": "tools"})
        duplicate, missing, null = read_line(), read_line(), read_line()
        assert duplicate == {"id": 7, "ok": False, "error": {
            "kind": "invalid_request", "message": "`id` is already used by a request in flight"}}
        for answer in (missing, null):
            assert answer["id"] is None and answer["error"]["kind"] == "invalid_request"
            assert "`id` is required" in answer["error"]["message"]
        assert read_line()["id"] == 7  # the spinning call, when its deadline ends it
        _write(process, {"id": 7, **FAST_CALL})  # no longer in flight: the id may be used again
        assert read_line()["ok"] is True
    finally:
        assert _close(process) == 0


def test_requests_to_one_instance_stay_in_order(spinning):
    process = serve(spinning, "-q")
    read_line = Responses(process).next
    try:
        calls = [{"id": n, "op": "call", "plugin": "example.counter", "tool": "counter"} for n in range(20)]
        _write(process, *calls, {"id": "status", "op": "status", "plugin": "example.counter"})
        answers = [read_line() for _ in range(21)]
        by_id = {a["id"]: a for a in answers}
        assert [by_id[n]["result"]["summary"] for n in range(20)] == [f"counter is at {n + 1}" for n in range(20)]
        assert [a["id"] for a in answers] == [*range(20), "status"]  # one instance: in request order
        assert by_id["status"]["result"]["calls"]["tool"] == 20
    finally:
        assert _close(process) == 0


def test_ordered_keeps_the_lock_step_protocol(spinning):
    process = serve(spinning, "-q", "--ordered")
    read_line = Responses(process).next
    try:
        _write(process, {"id": "slow", **SLOW_CALL}, FAST_CALL)  # `id` is optional here
        first, second = read_line(), read_line()
        assert first["id"] == "slow" and first["error"]["kind"] == "timeout"
        assert second["id"] is None and second["ok"] is True
    finally:
        assert _close(process) == 0


def test_eof_answers_what_is_in_flight_before_exiting(spinning):
    process = serve(spinning, "-q")
    _write(process, {"id": "slow", **SLOW_CALL}, {"id": "fast", **FAST_CALL})
    out, err = process.communicate(timeout=SAFETY_TIMEOUT)
    assert process.returncode == 0 and b"Traceback" not in err
    assert sorted(json.loads(line)["id"] for line in out.splitlines()) == ["fast", "slow"]
