"""The `websocket` host API (yoi b12e0785, yoi-current-spec.md §6.15) against real WebSocket
servers on loopback (the `websockets` sync server; wss with a trustme certificate). Upstream's
tests with mock clients (cur §7.2 "WebSocket host API") have counterparts here, named in the
docstrings; tests/hostapi/test_current_reference.py maps each one."""

from __future__ import annotations

import json
import socket
import time

import pytest
from hostapi_plans import make_plan, websocket_target

from engine.runtime import HostConfig
from engine.runtime.hostapi import HostApis
from engine.runtime.hostapi.websocket import WebSocketApi

LOOP = websocket_target("ws", "127.0.0.1", ("/socket", "/gateway"))


def opening(url: str, **extra) -> bytes:
    return json.dumps({"url": url, **extra}).encode()


def apis_for(server=None, grants=(LOOP,), targets=None, resolver=None) -> HostApis:
    plan = make_plan(("websocket",), websocket=grants, targets=None if targets is None else {"websocket": targets})
    bundle = getattr(server, "ca_bundle", None)
    return HostApis(plan, HostConfig(https_ca_bundle=bundle, resolver=resolver))


def ws(apis: HostApis, op: str, *args, deadline=None):
    if op == "open":
        return apis.dispatch("websocket", "open", args[0], deadline)
    return apis.dispatch_call("websocket", op, tuple(args), deadline)


def test_websocket_open_send_recv_close_is_bounded_and_explicit(ws_server):
    """cur §7.2 `websocket_open_send_recv_close_is_bounded_and_explicit`, over a real socket."""
    apis = apis_for()
    ok, answer = ws(apis, "open", opening(ws_server.url("/gateway?v=10")))
    assert ok, answer
    assert json.loads(answer) == {"handle": 1, "url": f"ws://127.0.0.1:{ws_server.port}/gateway"}
    assert ws_server.wait_for(lambda: ws_server.paths == ["/gateway?v=10"])  # the query is sent, not answered
    assert ws_server.headers[0]["user-agent"] == "yoi-plugin-host/1"
    assert ws(apis, "send-text", 1, "ping") == (True, '{"sent":true,"bytes":4}')
    assert json.loads(ws(apis, "recv", 1, 2000)[1]) == {"type": "text", "text": "ping"}
    assert ws(apis, "close", 1) == (True, '{"closed":true}')
    assert ws_server.wait_for(lambda: not ws_server.clients)
    assert ws(apis, "close", 1) == (True, '{"closed":false}')  # unknown: not an error
    assert ws(apis, "send-text", 1, "x") == (False, "unknown WebSocket handle 1")


def test_wss_trusts_the_host_ca_bundle_and_verifies_the_name(wss_server):
    grant = websocket_target("wss", "127.0.0.1", ("/socket",))
    ok, answer = ws(apis_for(wss_server, grants=(grant,)), "open", opening(wss_server.url()))
    assert ok, answer
    ok, message = ws(apis_for(None, grants=(grant,)), "open", opening(wss_server.url()))
    assert not ok and message.startswith(f"WebSocket connection failed for wss://127.0.0.1:{wss_server.port}/socket: ")
    assert "certificate verify failed" in message


def test_websocket_max_open_connections_rejects_before_network_open(ws_server):
    """cur §7.2 `websocket_max_open_connections_rejects_before_network_open`."""
    apis = apis_for()
    handles = [json.loads(ws(apis, "open", opening(ws_server.url()))[1])["handle"] for _ in range(4)]
    assert handles == [1, 2, 3, 4]
    assert ws(apis, "open", opening(ws_server.url())) == (
        False, "host_api.websocket open connection limit (4) exceeded before dialing")
    assert ws_server.wait_for(lambda: ws_server.connections == 4)
    assert ws(apis, "close", 2)[1] == '{"closed":true}'
    assert json.loads(ws(apis, "open", opening(ws_server.url()))[1])["handle"] == 5  # ids increase, never reused early


def test_websocket_open_failure_releases_capacity_reservation():
    """cur §7.2 `websocket_open_failure_releases_capacity_reservation`: a dial to a closed port
    fails and leaves no reservation; four opens still fit afterwards."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    apis = apis_for()
    for _ in range(5):
        ok, message = ws(apis, "open", opening(f"ws://127.0.0.1:{port}/socket"))
        assert not ok and message.startswith(f"WebSocket connection failed for ws://127.0.0.1:{port}/socket: ")
    assert apis.handler("websocket")._reserved == 0 and apis.handler("websocket").open_handles == 0


def test_websocket_open_requires_manifest_and_grant(ws_server, connects):
    """cur §7.2 `websocket_open_requires_manifest_and_grant`: nothing is dialed."""
    url = ws_server.url()
    other = websocket_target("ws", "127.0.0.1", ("/other",))
    ok, message = ws(apis_for(grants=(other,), targets=(LOOP,)), "open", opening(url))
    assert (ok, message) == (False, f"host_api.websocket target {url} is not covered by enabled WebSocket grants")
    ok, message = ws(apis_for(grants=(LOOP,), targets=(other,)), "open", opening(url))
    assert (ok, message) == (False, f"host_api.websocket target {url} is not declared by the plugin manifest")
    assert apis_for(grants=(), targets=(LOOP,)).denial("websocket") == (
        "plugin host API dispatch denied: enabled host_api.websocket grants are missing")
    assert ws_server.connections == 0 and connects() == []


def test_websocket_loopback_requires_an_explicit_literal_target_and_grant(ws_server):
    """cur §7.2 `websocket_loopback_requires_explicit_manifest_and_grant`; and beyond upstream, a
    `*` grant names no address, so it never reaches loopback (the engine's SSRF policy)."""
    url = ws_server.url()
    exact = websocket_target("ws", "127.0.0.1", ("/socket",), port=ws_server.port)
    assert not ws(apis_for(grants=(), targets=(exact,)), "open", opening(url))[0]
    wildcard = websocket_target("*", "*")
    assert ws(apis_for(grants=(wildcard,), targets=(exact,)), "open", opening(url)) == (
        False, 'WebSocket blocked local/private host "127.0.0.1"')
    assert ws(apis_for(grants=(exact,), targets=(exact,)), "open", opening(url))[0]
    assert ws_server.wait_for(lambda: ws_server.connections == 1)


def test_websocket_rejects_guest_headers_subprotocols_and_non_utf8_text(ws_server):
    """cur §7.2 `websocket_rejects_guest_headers_and_binary_send_surface`."""
    apis = apis_for()
    ok, message = ws(apis, "open", opening(ws_server.url(), headers=[{"name": "Authorization", "value": "x"}]))
    assert not ok and "handshake headers" in message and message == (
        "WebSocket handshake headers from guest memory are not supported; future secret-ref grants must inject "
        "credential-bearing headers explicitly")
    assert ws(apis, "open", opening(ws_server.url(), protocols=["chat"])) == (
        False, "WebSocket subprotocol negotiation is not supported by host_api.websocket v1")
    assert ws(apis, "open", opening(ws_server.url()))[0]
    ok, message = ws(apis, "send-text", 1, "bad \ud800 text")
    assert (ok, message) == (False, "WebSocket send_text requires UTF-8 text")
    assert ws(apis, "send-text", 1, "é" * 16385) == (False, "WebSocket text frame exceeds 32768 bytes")
    assert ws_server.wait_for(lambda: ws_server.connections == 1) and ws_server.received == []


@pytest.mark.parametrize(("url", "expected"), [
    ("https://127.0.0.1/socket", "HTTP URLs are not supported by host_api.websocket"),
    ("ftp://127.0.0.1/socket", 'unsupported WebSocket URL scheme "ftp"; only ws and wss are allowed'),
    ("ws:///socket", "WebSocket URL must include a host"),
    ("ws://u:p@127.0.0.1/socket", "WebSocket URLs with embedded credentials are not allowed"),
    ("ws://127.0.0.1/socket/../admin", "invalid WebSocket URL: path must not contain"),
    ("ws://localhost/socket", 'WebSocket blocked local/private host "localhost"'),
    ("ws://10.0.0.1/socket", 'WebSocket blocked local/private host "10.0.0.1"'),
    ("ws://93.184.216.34/elsewhere", "is not declared by the plugin manifest"),
])
def test_open_url_checks_come_before_any_dial(connects, url, expected):
    ok, message = ws(apis_for(grants=(websocket_target("*", "*", ()),), targets=(LOOP,)), "open", opening(url))
    assert not ok and expected in message, message
    assert connects() == []


def test_open_descriptor_bound_and_shape():
    apis = apis_for()
    assert ws(apis, "open", b" " * 8193) == (False, "WebSocket open descriptor exceeds 8192 bytes")
    ok, message = ws(apis, "open", b'{"url": "ws://127.0.0.1/socket", "extra": 1}')
    assert not ok and message.startswith("invalid WebSocket open request JSON: ")


def test_dns_is_resolved_once_and_the_validated_address_is_dialed(connects):
    """Beyond upstream (which lets tungstenite resolve): the host resolves and pins; the connect
    goes to the validated answer (stopped by the loopback-only audit hook, which records it)."""
    calls = []

    def resolver(host, port):
        calls.append((host, port))
        return ["93.184.216.34"]

    grant = websocket_target("wss", "gw.example.test", ("/socket",))
    ok, message = ws(apis_for(grants=(grant,), resolver=resolver), "open", opening("wss://gw.example.test:8443/socket"))
    assert not ok and calls == [("gw.example.test", 8443)] and connects() == [("93.184.216.34", 8443)]
    ok, message = ws(apis_for(grants=(grant,), resolver=lambda h, p: ["127.0.0.1"]), "open",
                     opening("wss://gw.example.test/socket"))
    assert (ok, message) == (False, 'WebSocket blocked local/private address 127.0.0.1 for host "gw.example.test"')


def test_recv_answers_text_closed_and_upstreams_errors(ws_server):
    apis = apis_for()
    assert ws(apis, "open", opening(ws_server.url()))[0]
    started = time.monotonic()
    assert ws(apis, "recv", 1, 200) == (False, "WebSocket receive timed out")
    assert 0.15 < time.monotonic() - started < 2
    ws(apis, "send-text", 1, "cmd:binary")
    assert ws(apis, "recv", 1, 2000) == (False, "binary WebSocket messages are not supported by host_api.websocket v1")
    ws(apis, "send-text", 1, "cmd:big")
    assert ws(apis, "recv", 1, 2000) == (False, "WebSocket text message exceeds 65536 bytes")
    assert ws(apis, "open", opening(ws_server.url()))[0]
    ws(apis, "send-text", 2, "cmd:close")
    assert ws(apis, "recv", 2, 2000) == (True, '{"type":"closed"}')
    assert ws(apis, "recv", 2, 2000) == (True, '{"type":"closed"}')  # the handle stays until close
    assert ws(apis, "open", opening(ws_server.url()))[0]
    ws(apis, "send-text", 3, "cmd:drop")
    assert ws(apis, "recv", 3, 2000) == (False, "WebSocket stream ended")


def test_recv_never_outlives_the_guest_call(ws_server):
    apis = apis_for()
    assert ws(apis, "open", opening(ws_server.url()))[0]
    started = time.monotonic()
    assert ws(apis, "recv", 1, 30000, deadline=time.monotonic() + 0.3) == (False, "WebSocket receive timed out")
    assert time.monotonic() - started < 2


def test_handles_expire_after_fifteen_minutes(ws_server):
    now = [1000.0]
    api = WebSocketApi((LOOP,), (LOOP,), clock=lambda: now[0])
    assert json.loads(api.open(opening(ws_server.url())))["handle"] == 1
    now[0] += 15 * 60 - 1
    assert api.send_text(1, "still") == '{"sent":true,"bytes":5}'
    now[0] += 1
    with pytest.raises(Exception, match="unknown WebSocket handle 1"):
        api.send_text(1, "gone")
    assert ws_server.wait_for(lambda: not ws_server.clients)  # the expired handle was closed


def test_closing_the_store_closes_every_handle(ws_server):
    apis = apis_for()
    for _ in range(3):
        assert ws(apis, "open", opening(ws_server.url()))[0]
    assert ws_server.wait_for(lambda: len(ws_server.clients) == 3)
    apis.release()
    assert ws_server.wait_for(lambda: not ws_server.clients)
    assert ws(apis, "send-text", 1, "x") == (False, "unknown WebSocket handle 1")


# ---- a real component importing yoi:host/websocket@1.0.0 -----------------------------------------


def _guest_plan(tmp_path, name: str, port: int):
    from dataclasses import replace

    from hostapi_guests import websocket_guest
    from runtime_guests import build, package_plan

    from engine.api_registry import GrantTables

    plan = package_plan(tmp_path / name, build(websocket_guest()), tools=("open", "send", "recv", "close"),
                        host_apis=("websocket",))
    return replace(plan, websocket_allowlist=(LOOP,), manifest_targets=GrantTables.of({"websocket": (LOOP,)}))


def test_a_component_drives_a_connection_through_the_four_linked_functions(tmp_path, registry_for, ws_server):
    """The linker's handle adapters (u32 arguments) and the store's handle table, end to end."""
    plan = _guest_plan(tmp_path, "wsguest", ws_server.port)
    registry = registry_for([plan])

    def call(tool, value):
        return json.loads(registry.call_tool(plan.ref, tool, value)["content"])

    assert call("open", {"url": ws_server.url()}) == {"handle": 1, "url": ws_server.url()}
    assert call("send", {"t": "hello"}) == {"sent": True, "bytes": 13}
    assert call("recv", {}) == {"type": "text", "text": '{"t":"hello"}'}
    assert call("close", {}) == {"closed": True}
    assert call("open", {"url": ws_server.url()})["handle"] == 2
    assert ws_server.wait_for(lambda: len(ws_server.clients) == 1)
    registry.stop(plan.ref)  # the instance's store goes, and its handles with it
    assert ws_server.wait_for(lambda: not ws_server.clients)
