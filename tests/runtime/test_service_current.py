"""The service runtime of current-format packages (yoi-current-spec.md §6.4, §6.6, §6.16, §6.18)
with real WAT components: lifecycle names, the ingress FIFO and its counters, typed errors, the
current envelope, output commands, and restart where upstream fails for good. Upstream's tests
(cur §7.2) have counterparts named in the docstrings; tests/hostapi/test_current_reference.py
maps each one."""

from __future__ import annotations

import json
import threading
from dataclasses import replace

import pytest
from runtime_guests import SPIN, TRAP, build, fault_of, loop, package_plan
from service_guests import command, output, service_wat

from engine.plan import PlannedIngress, RestartPolicy, RuntimeLimits

INGRESS = PlannedIngress("events", "", ("tick", "websocket_text"), (), None)
PLAIN = '{"accepted":true}'


def current_plan(tmp_path, reply=PLAIN, prelude="", name="svc", **changes):
    plan = package_plan(tmp_path / name, build(service_wat(reply, prelude)), ingresses=(INGRESS,),
                        services=("svc",), tools=("count",))
    return replace(plan, current_format=True, **changes)


def _wait(condition, timeout=10.0):
    import time

    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.001)


def tick(**extra):
    return {"kind": "tick", "source": "test", "payload": {"n": 1}, **extra}


def test_service_only_install_retains_host_managed_instance(make_registry, tmp_path):
    """cur §7.2 `service_only_install_retains_host_managed_instance` and the status shape (§6.18)."""
    plan = current_plan(tmp_path)
    registry = make_registry([plan])
    assert registry.status(plan.ref)["lifecycle"] == "Ready"
    status = registry.start(plan.ref)
    assert (status["lifecycle"], status["queue_depth"], status["queue_capacity"], status["last_error"]) == (
        "Running", 0, 32, None)
    assert status["dispatch_counters"] == {"enqueued": 0, "dispatched": 0, "rejected": 0, "failed": 0, "timed_out": 0}
    assert status["output_command_results"] == [] and status["websocket_connections"] == []
    assert status["diagnostics"][-1] == {"state": "Running", "message": "plugin instance started", "kind": "Lifecycle"}
    assert {"restarts", "limits", "queue", "calls", "services"} <= set(status)  # the engine's own fields stay


def test_component_lifecycle_reports_status_and_stop(make_registry, tmp_path):
    """cur §7.2 `component_lifecycle_reports_status_and_stop_outputs`."""
    plan = current_plan(tmp_path)
    registry = make_registry([plan])
    registry.start(plan.ref)
    assert registry.status(plan.ref)["lifecycle"] == "Running"
    stopped = registry.stop(plan.ref)
    assert stopped["lifecycle"] == "Stopped" and stopped["component_status"] == {"state": "stopped"}
    messages = [(d["kind"], d["message"]) for d in stopped["diagnostics"]]
    assert ("Lifecycle", "plugin service stop requested; ingress queue is closed") in messages


def test_component_lifecycle_rejects_start_error_status(make_registry, tmp_path):
    """cur §7.2 `component_lifecycle_rejects_start_error_status`."""
    plan = package_plan(tmp_path / "bad", build(service_wat(PLAIN, start='{"error":{"message":"no"}}')),
                        ingresses=(INGRESS,), services=("svc",))
    registry = make_registry([replace(plan, current_format=True, restart=RestartPolicy(max_restarts=0))])
    fault = fault_of(registry.start, plan.ref)
    assert "start returned error" in fault.message
    status = registry.status(plan.ref)
    assert status["lifecycle"] == "Failed" and "start returned error" in status["last_error"]


def test_ingress_queue_dispatches_serially_and_reports_status(make_registry, tmp_path):
    """cur §7.2 `ingress_queue_dispatches_serially_and_reports_status`, with the current envelope."""
    plan = current_plan(tmp_path, reply='{"accepted":true,"seen":{event_id}}'.replace("{event_id}", '"{event_id}"'))
    registry = make_registry([plan])
    first = registry.deliver_ingress(plan.ref, "events", tick())
    second = registry.deliver_ingress(plan.ref, "events", tick(correlation_id="c" * 36))
    assert second["output"]["seen"] == "c" * 36
    assert len(first["output"]["seen"]) == 36 and first["output"]["seen"][14] == "7"  # a UUIDv7 from the host
    assert isinstance(first["output"]["queue_latency_ms"], int)
    assert (second["queue_depth"], second["dispatch_counters"]["enqueued"], second["dispatch_counters"]["dispatched"]) \
        == (0, 2, 2)
    status = registry.status(plan.ref)
    assert status["calls"]["ingress"] == 2 and status["last_error"] is None


def test_the_guest_receives_the_current_envelope_in_upstreams_field_order(make_registry, tmp_path):
    from runtime_guests import forwarding_wat

    plan = package_plan(tmp_path / "fw", build(forwarding_wat("yoi:host/fs@1.0.0", "read")), ingresses=(INGRESS,),
                        services=("svc",))
    del plan  # the forwarding guest would need fs granted; the envelope is checked at the boundary instead
    from engine.runtime.service.envelope import FIELDS, current_event

    text, event = current_event(INGRESS, "events", tick(), 65536, None)
    assert list(json.loads(text)) == list(FIELDS) == [
        "kind", "source", "ingress_name", "payload", "created_at", "attempt", "correlation_id"]
    assert event["attempt"] == 1 and event["ingress_name"] == "events" and event["created_at"].endswith("Z")


@pytest.mark.parametrize(("change", "message"), [
    ({"source": " "}, "invalid plugin ingress event: source must not be empty"),
    ({"ingress_name": "other"}, "invalid plugin ingress event: event ingress `other` does not match dispatch ingress"),
    ({"kind": ""}, "invalid plugin ingress event: event kind must not be empty"),
    ({"created_at": ""}, "invalid plugin ingress event: created_at must not be empty"),
    ({"attempt": 0}, "invalid plugin ingress event: attempt must be greater than zero"),
    ({"correlation_id": ""}, "invalid plugin ingress event: correlation_id must not be empty"),
    ({"kind": "tock"}, "invalid plugin ingress event: event kind `tock` is not declared for ingress `events`"),
    ({"payload": "x" * 70000}, "invalid plugin ingress event: plugin ingress event exceeds 65536 bytes"),
    ({"extra": 1}, "invalid plugin ingress event: event contains unsupported key `extra`"),
])
def test_invalid_ingress_event_is_typed_rejection(make_registry, tmp_path, change, message):
    """cur §7.2 `invalid_ingress_event_is_typed_rejection` and §6.6 steps 3-11, in their words."""
    plan = current_plan(tmp_path)
    registry = make_registry([plan])
    fault = fault_of(registry.deliver_ingress, plan.ref, "events", tick(**change))
    assert fault.kind == "invalid_input" and fault.message.startswith(message), fault.message
    status = registry.status(plan.ref)
    assert status["dispatch_counters"]["rejected"] == 1 and status["dispatch_counters"]["enqueued"] == 0
    assert status["diagnostics"][-1]["kind"] == "InvalidEvent" and status["last_error"] == fault.message


def test_bounded_ingress_queue_rejects_full_queue(make_registry, tmp_path):
    """cur §7.2 `bounded_ingress_queue_rejects_full_queue`: with the capacity lowered to 1, one event
    is dispatched, one waits, and the next is refused."""
    plan = current_plan(tmp_path, prelude=loop(20_000_000), limits=RuntimeLimits(timeout_ms=5000, fuel=10**9))
    registry = make_registry([plan])
    registry.start(plan.ref)
    service = registry._handle(plan.ref).service
    service.queue.capacity = 1
    done = []

    def deliver():
        done.append(registry.deliver_ingress(plan.ref, "events", tick()))

    workers = [threading.Thread(target=deliver) for _ in range(2)]
    workers[0].start()
    _wait(lambda: service.queue.dispatching)
    workers[1].start()
    _wait(lambda: service.queue.depth == 1)
    fault = fault_of(registry.deliver_ingress, plan.ref, "events", tick())
    for worker in workers:
        worker.join(20)
    assert (fault.kind, fault.message) == ("busy", "plugin ingress queue is full (capacity 1)")
    status = registry.status(plan.ref)
    assert status["dispatch_counters"]["rejected"] == 1 and len(done) == 2
    assert status["dispatch_counters"]["enqueued"] == status["dispatch_counters"]["dispatched"] == 2
    assert [d["kind"] for d in status["diagnostics"]].count("QueueFull") == 1


def test_events_are_dispatched_in_arrival_order(make_registry, tmp_path):
    plan = current_plan(tmp_path, reply='{"accepted":true,"id":"{event_id}"}', prelude=loop(200_000))
    registry = make_registry([plan])
    registry.start(plan.ref)
    seen, lock = [], threading.Lock()
    order = [f"{i:036d}" for i in range(8)]

    def send(event_id):
        report = registry.deliver_ingress(plan.ref, "events", tick(correlation_id=event_id))
        with lock:
            seen.append(report["output"]["id"])

    threads = []
    service = registry._handle(plan.ref).service
    for index, event_id in enumerate(order):  # each waits in the FIFO behind the ones before it
        thread = threading.Thread(target=send, args=(event_id,))
        thread.start()
        threads.append(thread)
        _wait(lambda index=index: len(seen) + service.queue.depth + service.queue.dispatching > index)
    for thread in threads:
        thread.join(20)
    assert sorted(seen) == order and registry.status(plan.ref)["dispatch_counters"]["dispatched"] == 8


def test_dispatch_failure_marks_the_service_failed_then_it_restarts(make_registry, tmp_path):
    """cur §7.2 `ingress_dispatch_failure_marks_service_failed_and_rejects_later_events`; then,
    beyond upstream (which stays Failed for good), a restart after the backoff."""
    plan = current_plan(tmp_path, prelude=f"(if (i32.gt_u (local.get 3) (i32.const 400)) (then {TRAP}))",
                        restart=RestartPolicy(max_restarts=2, backoff_ms=300, backoff_max_ms=300))
    registry = make_registry([plan])
    fault = fault_of(registry.deliver_ingress, plan.ref, "events", tick(payload={"big": "x" * 400}))
    assert fault.message.startswith("plugin ingress dispatch failed closed: ")
    status = registry.status(plan.ref)
    assert status["lifecycle"] == "Failed" and status["dispatch_counters"]["failed"] == 1
    assert "DispatchFailed" in [d["kind"] for d in status["diagnostics"]]
    refused = fault_of(registry.deliver_ingress, plan.ref, "events", tick())
    assert refused.message.startswith("plugin service is failed for ingress dispatch: ")
    assert registry.status(plan.ref)["diagnostics"][-1]["kind"] == "ServiceFailed"
    import time

    time.sleep(0.35)
    report = registry.deliver_ingress(plan.ref, "events", tick())  # a fresh instance: its count starts over
    assert report["accepted"] and registry.status(plan.ref)["lifecycle"] == "Running"
    assert registry.status(plan.ref)["restarts"]["count"] == 1


def test_ingress_dispatch_timeout_records_typed_diagnostic(make_registry, tmp_path):
    """cur §7.2 `ingress_dispatch_timeout_records_typed_diagnostic` (the deadline interrupts the
    guest here; upstream measures after the call)."""
    plan = current_plan(tmp_path, prelude=SPIN, limits=RuntimeLimits(timeout_ms=50, fuel=10**10),
                        restart=RestartPolicy(max_restarts=0))
    registry = make_registry([plan])
    fault = fault_of(registry.deliver_ingress, plan.ref, "events", tick())
    assert (fault.kind, fault.message) == ("timeout", "plugin ingress dispatch timed out after 50ms")
    status = registry.status(plan.ref)
    assert status["lifecycle"] == "Failed"
    assert (status["dispatch_counters"]["timed_out"], status["dispatch_counters"]["failed"]) == (1, 1)
    assert "DispatchTimeout" in [d["kind"] for d in status["diagnostics"]]


def test_stopped_service_rejects_ingress_events(make_registry, tmp_path):
    """cur §7.2 `stopped_service_rejects_ingress_events`."""
    plan = current_plan(tmp_path)
    registry = make_registry([plan])
    registry.start(plan.ref)
    registry.stop(plan.ref)
    fault = fault_of(registry.deliver_ingress, plan.ref, "events", tick())
    assert (fault.kind, fault.message) == (
        "stopped", "plugin service rejects ingress while stopping/stopped (state Stopped)")
    assert registry.status(plan.ref)["diagnostics"][-1]["kind"] == "ServiceStopped"


# ---- output commands (cur §6.16) -----------------------------------------------------------------


def test_status_update_command_is_recorded_separately_from_tool_output(make_registry, tmp_path):
    """cur §7.2 `service_output_command_records_diagnostic_status_separately_from_tool_output`."""
    reply = output(command("diagnostic_status_update", '{"status":{"ready":true}}', "cmd-status"))
    plan = current_plan(tmp_path, reply)
    registry = make_registry([plan])
    report = registry.deliver_ingress(plan.ref, "events", tick())
    (result,) = report["output_command_results"]
    assert (result["status"], result["command_id"], result["kind"]) == ("Recorded", "cmd-status",
                                                                        "diagnostic_status_update")
    assert result["message"] == "plugin service status update recorded" and result["recorded_at"].endswith("Z")
    status = registry._handle(plan.ref).snapshot()  # status() would ask the guest again
    assert status["component_status"] == {"ready": True} and status["output_command_results"] == [result]
    recorded = [d for d in status["diagnostics"] if d["kind"] == "ServiceOutputCommandRecorded"]
    assert recorded and "cmd-status" in recorded[0]["message"]
    assert registry.call_tool(plan.ref, "count", {}) == {"summary": "ok 2"}


def test_one_ungranted_command_suppresses_every_sibling(make_registry, tmp_path):
    """cur §7.2 `service_output_command_rejects_ungranted_request_without_executing_status_update`."""
    reply = output(command("diagnostic_status_update", '{"status":{"ready":true}}', "cmd-status"),
                   command("host_request_dispatch", '{"method":"GET","url":"https://api.example.test/v1"}',
                           "cmd-request"))
    plan = current_plan(tmp_path, reply)
    registry = make_registry([plan])
    before = registry.start(plan.ref)["component_status"]
    report = registry.deliver_ingress(plan.ref, "events", tick())
    (result,) = report["output_command_results"]
    assert (result["status"], result["command_id"]) == ("Rejected", "cmd-request")
    assert result["message"] == "host_request_dispatch not granted: host API `request` is not in the plan"
    status = registry._handle(plan.ref).snapshot()
    assert status["component_status"] == before
    assert any(d["kind"] == "ServiceOutputCommandRejected" and "cmd-request" in d["message"]
               for d in status["diagnostics"])
    assert status["last_error"].startswith("service output command cmd-request (host_request_dispatch): ")


@pytest.mark.parametrize(("commands", "message"), [
    ('[{"kind":"diagnostic_status_update"}]', "malformed service output command envelope: missing field `correlation_id`"),
    ('[{"kind":"x","extra":1}]', "malformed service output command envelope: unknown field `extra`"),
    ('"nope"', "service output_commands must be an array"),
    ("[" + ",".join(['{"kind":"x"}'] * 17) + "]", "service output_commands exceeds 16 commands"),
    ("[" + command("shell", "{}") + "]", "malformed service output command envelope: unknown variant `shell`"),
    ("[" + command("diagnostic_status_update", "{}", event_id="other") + "]",
     "source_event_id must match the ingress event correlation_id"),
    ("[" + command("diagnostic_status_update", "{}", command_id="") + "]",
     "command_id is empty, too long, or contains control characters"),
    ("[" + command("diagnostic_status_update", "{}", requested_at="yesterday") + "]", "requested_at must be RFC3339: "),
    ("[" + command("diagnostic_status_update", '{"x":"' + "y" * 17000 + '"}') + "]", "payload exceeds 16384 bytes"),
    ("[" + command("diagnostic_status_update", '{"mood":1}') + "]",
     "invalid diagnostic_status_update payload: unknown field `mood`"),
    ("[" + command("websocket_send", '{"url":"ws://h/s"}') + "]", "invalid websocket_send payload: missing field `text`"),
    ("[" + command("websocket_send", '{"url":"https://h/s","text":"t"}') + "]",
     "HTTP URLs are not supported by websocket_send"),
    # `websocket_send text exceeds 32768 bytes` cannot be reached: a payload over 16384 bytes is refused first.
    ("[" + command("websocket_send", '{"url":"ws://93.184.216.34/s","text":"t"}') + "]",
     "websocket_send not granted: host API `websocket` is not in the plan"),
])
def test_malformed_and_invalid_commands_are_rejected_with_upstreams_words(make_registry, tmp_path, commands, message):
    """cur §7.2 `service_output_command_rejects_malformed_envelope`, and §6.16 steps 1-7."""
    reply = '{"accepted":true,"output_commands":' + commands + "}"
    plan = current_plan(tmp_path, reply)
    registry = make_registry([plan])
    results = registry.deliver_ingress(plan.ref, "events", tick())["output_command_results"]
    assert results and all(r["status"] == "Rejected" for r in results)
    assert results[0]["message"].startswith(message), results[0]["message"]
    assert registry.status(plan.ref)["lifecycle"] == "Running"  # command failures never fail the dispatch


def test_results_are_bounded_to_the_last_32(make_registry, tmp_path):
    reply = output(*(command("diagnostic_status_update", "{}", f"c{i}") for i in range(16)))
    plan = current_plan(tmp_path, reply)
    registry = make_registry([plan])
    for _ in range(3):
        registry.deliver_ingress(plan.ref, "events", tick())
    results = registry.status(plan.ref)["output_command_results"]
    assert len(results) == 32 and results[-1]["command_id"] == "c15"


def test_a_package_that_is_not_current_format_keeps_the_43c9216e_path(make_registry, tmp_path):
    plan = replace(current_plan(tmp_path), current_format=False)
    registry = make_registry([plan])
    report = registry.deliver_ingress(plan.ref, "events", tick())
    assert set(report) == {"plugin_ref", "ingress", "accepted", "output", "applied_commands", "refused_commands",
                           "diagnostics"}  # issue 18 point 6: the 43c9216e report, refused commands apart
    assert registry.status(plan.ref)["lifecycle"] == "Started" and "queue_depth" not in registry.status(plan.ref)
