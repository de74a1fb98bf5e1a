"""Host-owned WebSocket ingress and the network output commands (yoi-current-spec.md §6.16, §6.17)
against real servers on loopback: a `websockets` server (ws and wss with a trustme certificate)
and a TLS HTTP server. Upstream's driver tests use a mock client (cur §7.2 "Host-owned WebSocket
driver"); their counterparts are named in the docstrings and mapped in
tests/hostapi/test_current_reference.py."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from hostapi_plans import request_target, websocket_target
from runtime_guests import build, package_plan
from service_guests import command, output, service_wat

from engine.api_registry import GrantTables
from engine.plan import PlannedIngress, RestartPolicy

KINDS = ("websocket_text", "websocket_close", "websocket_error")
FAST = RestartPolicy(max_restarts=3, backoff_ms=50, backoff_max_ms=200)
NEVER = RestartPolicy(max_restarts=0)


def wait_for(condition, timeout=10.0):
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "condition not reached in time"
        time.sleep(0.01)


def socket_plan(tmp_path, server, reply='{"accepted":true}', sources=None, kinds=KINDS, grants=None,
                host_apis=("websocket",), restart=FAST, name="svc", **changes):
    target = websocket_target(server.scheme, "127.0.0.1", ("/socket",))
    ingress = PlannedIngress("socket", "", kinds, tuple(sources or (f"websocket:{server.url()}",)), None)
    plan = package_plan(tmp_path / name, build(service_wat(reply)), ingresses=(ingress,), services=("svc",),
                        tools=(), host_apis=host_apis)
    grants = (target,) if grants is None else grants
    tables = {"websocket": (target,)} if "websocket" in host_apis else {}
    return replace(plan, current_format=True, restart=restart, websocket_allowlist=grants if tables else (),
                   manifest_targets=GrantTables.of(tables), **changes)


@pytest.fixture(autouse=True)
def quiet_servers(request):
    """The servers only record what they get here: an echo would answer every `pong` the guest
    sends with a text the guest answers again."""
    for name in ("ws_server", "wss_server"):
        if name in request.fixturenames:
            request.getfixturevalue(name).on_text = lambda connection, text: None


def reply_to(url: str, text: str = "pong") -> str:
    return output(command("websocket_send", f'{{"url":"{url}","text":"{text}"}}', "reply"))


def connection(registry, ref):
    (entry,) = registry.status(ref)["websocket_connections"]
    return entry


def test_a_text_reaches_the_guest_and_its_websocket_send_reaches_the_server(registry_for, tmp_path, ws_server):
    """cur §7.2 `service_websocket_driver_enqueues_incoming_text_and_reports_close` (first half)
    and `websocket_send_output_command_sends_on_host_owned_connection`."""
    plan = socket_plan(tmp_path, ws_server, reply=reply_to(ws_server.url()))
    registry = registry_for([plan])
    registry.start(plan.ref)
    wait_for(lambda: connection(registry, plan.ref)["state"] == "Connected")
    assert ws_server.wait_for(lambda: len(ws_server.clients) == 1)
    ws_server.push("ping")
    assert ws_server.wait_for(lambda: ws_server.received == ["pong"])
    wait_for(lambda: connection(registry, plan.ref)["sent_text_frames"] == 1)
    entry = connection(registry, plan.ref)
    assert (entry["url"], entry["ingress_name"], entry["received_text_frames"], entry["queue_drops"]) == (
        ws_server.url(), "socket", 1, 0)
    assert entry["last_frame_at"].endswith("Z") and entry["last_error"] is None
    status = registry.status(plan.ref)
    assert status["dispatch_counters"]["dispatched"] == 1
    (result,) = status["output_command_results"]
    assert (result["status"], result["message"]) == ("Recorded", f"websocket_send sent 4 bytes to {ws_server.url()}")
    assert any(d["kind"] == "ServiceWebSocketConnected" for d in status["diagnostics"])


def test_a_peer_close_is_delivered_and_the_host_reconnects(registry_for, tmp_path, ws_server):
    """cur §7.2 `service_websocket_driver_enqueues_incoming_text_and_reports_close` (second half),
    then beyond upstream (which never reconnects) a new connection after the backoff."""
    plan = socket_plan(tmp_path, ws_server)
    registry = registry_for([plan])
    registry.start(plan.ref)
    assert ws_server.wait_for(lambda: len(ws_server.clients) == 1)
    ws_server.close_clients()
    wait_for(lambda: connection(registry, plan.ref)["reconnects"] == 1)
    wait_for(lambda: connection(registry, plan.ref)["state"] == "Connected")
    assert ws_server.wait_for(lambda: ws_server.connections == 2)
    status = registry.status(plan.ref)
    assert any(d["kind"] == "ServiceWebSocketClosed" for d in status["diagnostics"])
    assert status["dispatch_counters"]["dispatched"] >= 1  # the websocket_close event reached the guest
    assert connection(registry, plan.ref)["last_error"] == "host-owned WebSocket closed by peer"


def test_a_receive_error_is_a_diagnostic_and_reconnects_stop_at_the_bound(registry_for, tmp_path, ws_server):
    """cur §7.2 `service_websocket_driver_reports_receive_error_as_diagnostic`; with no restarts
    allowed the connection stays Failed."""
    plan = socket_plan(tmp_path, ws_server, restart=NEVER)
    registry = registry_for([plan])
    registry.start(plan.ref)
    assert ws_server.wait_for(lambda: len(ws_server.clients) == 1)
    for client in ws_server.clients:
        client.send(b"\x00binary")
    wait_for(lambda: connection(registry, plan.ref)["state"] == "Failed")
    message = "host-owned WebSocket receive failed: binary WebSocket messages are not supported by host_api.websocket v1"
    assert connection(registry, plan.ref)["last_error"] == message
    wait_for(lambda: "reconnects used" in (registry.status(plan.ref)["last_error"] or ""))
    status = registry.status(plan.ref)
    assert any(d["kind"] == "ServiceWebSocketError" and message in d["message"] for d in status["diagnostics"])
    assert connection(registry, plan.ref)["reconnects"] == 0 and ws_server.connections == 1


def test_a_failed_send_is_rejected_and_counted(registry_for, tmp_path, ws_server):
    """cur §7.2 `websocket_send_output_command_records_send_failure_diagnostic`: the connection
    stays attached after the peer closed it, so a send is attempted and fails."""
    plan = socket_plan(tmp_path, ws_server, reply=reply_to(ws_server.url()), restart=NEVER,
                       kinds=("websocket_text",))  # the close event is refused: no reply to it
    registry = registry_for([plan])
    registry.start(plan.ref)
    assert ws_server.wait_for(lambda: len(ws_server.clients) == 1)
    ws_server.close_clients()
    wait_for(lambda: connection(registry, plan.ref)["state"] == "Closed")
    report = registry.deliver_ingress(plan.ref, "socket", {
        "kind": "websocket_text", "source": f"websocket:{ws_server.url()}", "payload": {"text": "x"}})
    (result,) = report["output_command_results"]
    assert result["status"] == "Rejected" and result["message"].startswith(f"websocket_send failed for {ws_server.url()}: ")
    assert connection(registry, plan.ref)["send_failures"] == 1
    assert any(d["kind"] == "ServiceWebSocketSendFailed" for d in registry.status(plan.ref)["diagnostics"])


def test_websocket_send_rejects_unauthorized_targets_before_execution(registry_for, tmp_path, ws_server):
    """cur §7.2 `websocket_send_rejects_unauthorized_target_before_execution`."""
    outside = ws_server.url("/elsewhere")
    plan = socket_plan(tmp_path, ws_server, reply=reply_to(outside))
    registry = registry_for([plan])
    registry.start(plan.ref)
    wait_for(lambda: connection(registry, plan.ref)["state"] == "Connected")
    ws_server.push("ping")
    wait_for(lambda: registry.status(plan.ref)["output_command_results"])
    (result,) = registry.status(plan.ref)["output_command_results"]
    assert result["status"] == "Rejected" and "not declared by the plugin manifest" in result["message"]
    assert connection(registry, plan.ref)["sent_text_frames"] == 0 and ws_server.received == []
    # without the websocket API in the plan, the driver's open is refused
    ungranted = socket_plan(tmp_path, ws_server, host_apis=(), name="ungranted", restart=NEVER)
    registry = registry_for([ungranted])
    registry.start(ungranted.ref)
    wait_for(lambda: connection(registry, ungranted.ref)["state"] == "Failed")
    assert "not granted" in connection(registry, ungranted.ref)["last_error"]
    assert any(d["kind"] == "ServiceWebSocketError" and "not granted" in d["message"]
               for d in registry.status(ungranted.ref)["diagnostics"])


def test_no_connection_for_a_send_is_rejected(registry_for, tmp_path, ws_server):
    """cur §7.2 `service_output_commands_are_grant_checked_and_supported_transport_rejects_without_connection`
    (the websocket half): granted, but no host-owned connection for that URL."""
    other = ws_server.url("/socket/other")
    plan = socket_plan(tmp_path, ws_server, reply=reply_to(other), sources=["timer:every-second"], kinds=("tick",))
    registry = registry_for([plan])
    report = registry.deliver_ingress(plan.ref, "socket", {"kind": "tick", "source": "timer:every-second"})
    (result,) = report["output_command_results"]
    assert (result["status"], result["message"]) == (
        "Rejected", f"no host-owned WebSocket connection is active for {other}")
    assert registry.status(plan.ref)["websocket_connections"] == []  # `timer:` sources are not opened


def test_bad_sources_and_the_connection_limit_are_reported(registry_for, tmp_path, ws_server):
    sources = ["websocket:", "websocket:http://127.0.0.1/socket", "unit", *(
        f"websocket:{ws_server.url(f'/socket/{i}')}" for i in range(5))]
    plan = socket_plan(tmp_path, ws_server, sources=sources)
    registry = registry_for([plan])
    registry.start(plan.ref)
    messages = [d["message"] for d in registry.status(plan.ref)["diagnostics"] if d["kind"] == "ServiceWebSocketError"]
    assert "invalid WebSocket ingress source for socket: websocket source URL is empty" in messages
    assert "invalid WebSocket ingress source for socket: unsupported WebSocket URL scheme: http" in messages
    assert f"host-owned WebSocket connection limit (4) exceeded for {ws_server.url('/socket/4')}" in messages
    wait_for(lambda: sum(c["state"] == "Connected" for c in registry.status(plan.ref)["websocket_connections"]) == 4)
    assert ws_server.wait_for(lambda: ws_server.connections == 4)


def test_a_refused_text_is_a_queue_drop_and_the_loop_goes_on(registry_for, tmp_path, ws_server):
    plan = socket_plan(tmp_path, ws_server, kinds=("websocket_close",))  # websocket_text is not declared
    registry = registry_for([plan])
    registry.start(plan.ref)
    wait_for(lambda: connection(registry, plan.ref)["state"] == "Connected")
    ws_server.push("one")
    ws_server.push("two")
    wait_for(lambda: connection(registry, plan.ref)["queue_drops"] == 2)
    entry = connection(registry, plan.ref)
    assert entry["state"] == "Connected" and entry["received_text_frames"] == 2
    assert entry["last_error"].startswith("host-owned WebSocket ingress drop: invalid plugin ingress event: event kind")
    assert registry.status(plan.ref)["diagnostics"][-1]["kind"] == "InvalidEvent"


def test_stop_closes_every_host_owned_connection(registry_for, tmp_path, ws_server):
    plan = socket_plan(tmp_path, ws_server)
    registry = registry_for([plan])
    registry.start(plan.ref)
    assert ws_server.wait_for(lambda: len(ws_server.clients) == 1)
    status = registry.stop(plan.ref)
    assert status["websocket_connections"][0]["state"] == "Closed"
    assert ws_server.wait_for(lambda: not ws_server.clients)
    time.sleep(0.3)
    assert ws_server.connections == 1  # no reconnect after stop


def test_wss_sources_trust_the_host_ca_bundle(tmp_path, wss_server):
    from engine.runtime import HostConfig, PluginInstanceRegistry

    plan = socket_plan(tmp_path, wss_server, reply=reply_to(wss_server.url()))
    with PluginInstanceRegistry([plan], host=HostConfig(cache_dir=tmp_path / "c",
                                                        https_ca_bundle=wss_server.ca_bundle)) as registry:
        registry.start(plan.ref)
        wait_for(lambda: connection(registry, plan.ref)["state"] == "Connected")
        wss_server.push("ping")
        assert wss_server.wait_for(lambda: wss_server.received == ["pong"])


# ---- host_request_dispatch, performed (beyond upstream) ------------------------------------------


@pytest.mark.parametrize("performed", [True, False])
def test_host_request_dispatch_is_performed_through_the_request_checks(registry_for, tmp_path, https_server,
                                                                        performed):
    """cur §7.2 `service_output_commands_are_grant_checked_and_supported_transport_rejects_without_connection`
    (the request half): upstream answers `Unsupported`; here the request is performed when the
    rules allow it (`performs_host_request_dispatch`), else `Unsupported` as upstream."""
    url = https_server.url("/v1/hook")
    reply = output(command("host_request_dispatch", f'{{"method":"POST","url":"{url}","body":"hi"}}', "cmd-request"))
    target = request_target("https", "127.0.0.1", ("POST",), ("/v1",))
    ingress = PlannedIngress("events", "", ("tick",), (), None)
    plan = package_plan(tmp_path / "req", build(service_wat(reply)), ingresses=(ingress,), services=("svc",),
                        tools=(), host_apis=("request",))
    plan = replace(plan, current_format=True, host_request_dispatch=performed, request_allowlist=(target,),
                   manifest_targets=GrantTables.of({"request": (target,)}))
    registry = registry_for([plan])
    (result,) = registry.deliver_ingress(plan.ref, "events", {"kind": "tick", "source": "s"})["output_command_results"]
    if performed:
        assert (result["status"], result["message"]) == ("Recorded", f"host_request_dispatch POST {url} answered 200")
        assert result["response"] == {"status": 200, "body": "hello", "truncated": False}
        assert https_server.requests[0].startswith(b"POST /v1/hook HTTP/1.1") and https_server.requests[0].endswith(b"hi")
    else:
        assert (result["status"], result["message"]) == ("Unsupported", (
            "host_request_dispatch output command is grant-checked but transport dispatch is unsupported in v0"))
        assert https_server.connections == 0
        assert registry.status(plan.ref)["diagnostics"][-1]["kind"] == "ServiceOutputCommandUnsupported"


def test_host_request_dispatch_outside_the_targets_is_denied_before_the_network(registry_for, tmp_path, https_server):
    reply = output(command("host_request_dispatch", f'{{"method":"GET","url":"{https_server.url("/v2")}"}}'))
    target = request_target("https", "127.0.0.1", ("GET",), ("/v1",))
    plan = package_plan(tmp_path / "req", build(service_wat(reply)),
                        ingresses=(PlannedIngress("events", "", ("tick",), (), None),), services=("svc",), tools=(),
                        host_apis=("request",))
    plan = replace(plan, current_format=True, host_request_dispatch=True, request_allowlist=(target,),
                   manifest_targets=GrantTables.of({"request": (target,)}))
    registry = registry_for([plan])
    (result,) = registry.deliver_ingress(plan.ref, "events", {"kind": "tick", "source": "s"})["output_command_results"]
    assert result["status"] == "Rejected" and result["message"].startswith(
        "host_request_dispatch target denied: host_api.request target GET ")
    assert https_server.connections == 0


def test_the_requests_of_one_output_share_one_budget(registry_for, tmp_path, https_server):
    """16 slow servers cannot hold the instance for 16 x 5 s: one output's requests share 5 s."""
    https_server.respond = lambda conn, request: time.sleep(7)
    url = https_server.url("/v1/slow")
    reply = output(*(command("host_request_dispatch", f'{{"method":"GET","url":"{url}"}}', f"r{i}") for i in range(3)))
    target = request_target("https", "127.0.0.1", ("GET",), ("/v1",))
    plan = package_plan(tmp_path / "slow", build(service_wat(reply)),
                        ingresses=(PlannedIngress("events", "", ("tick",), (), None),), services=("svc",), tools=(),
                        host_apis=("request",))
    plan = replace(plan, current_format=True, host_request_dispatch=True, request_allowlist=(target,),
                   manifest_targets=GrantTables.of({"request": (target,)}))
    registry = registry_for([plan])
    registry.start(plan.ref)
    started = time.monotonic()
    results = registry.deliver_ingress(plan.ref, "events", {"kind": "tick", "source": "s"})["output_command_results"]
    assert time.monotonic() - started < 8
    assert [r["status"] for r in results] == ["Rejected"] * 3
    assert all(r["message"].endswith("timed out") for r in results), [r["message"] for r in results]


def test_a_send_after_the_outputs_budget_is_spent_is_not_attempted(registry_for, tmp_path, ws_server, https_server):
    """The network commands of one output share one budget: after a request that used it up, a
    websocket_send is rejected without touching the socket (a peer that stops reading would
    otherwise add 5 s per send, 16 sends per output)."""
    https_server.respond = lambda conn, request: time.sleep(7)
    slow = https_server.url("/v1/slow")
    reply = output(command("host_request_dispatch", f'{{"method":"GET","url":"{slow}"}}', "slow"),
                   command("websocket_send", f'{{"url":"{ws_server.url()}","text":"late"}}', "late"))
    request = request_target("https", "127.0.0.1", ("GET",), ("/v1",))
    plan = socket_plan(tmp_path, ws_server, reply=reply, kinds=("websocket_text",),
                       host_apis=("websocket", "request"), host_request_dispatch=True, request_allowlist=(request,))
    plan = replace(plan, manifest_targets=GrantTables.of({"websocket": plan.websocket_allowlist,
                                                          "request": (request,)}))
    registry = registry_for([plan])
    registry.start(plan.ref)
    assert ws_server.wait_for(lambda: len(ws_server.clients) == 1)
    report = registry.deliver_ingress(plan.ref, "socket", {
        "kind": "websocket_text", "source": f"websocket:{ws_server.url()}", "payload": {"text": "go"}})
    slow_result, late = report["output_command_results"]
    assert slow_result["status"] == "Rejected" and slow_result["message"].endswith("timed out")
    assert (late["status"], late["command_id"]) == ("Rejected", "late")
    assert late["message"] == "websocket_send not attempted: the 5 s budget of this output's network commands is spent"
    assert connection(registry, plan.ref)["sent_text_frames"] == 0
    time.sleep(0.2)
    assert "late" not in ws_server.received
