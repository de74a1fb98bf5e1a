"""The `request` host API (yoi b12e0785, yoi-current-spec.md §6.10) against real servers on
loopback: a TLS server with a trustme CA and a plain HTTP server. Upstream's tests with mock
clients (cur §7.2 "Request host API") have their counterparts here, named in the docstrings;
tests/hostapi/test_current_reference.py maps each one."""

from __future__ import annotations

import json
import socket
import time

import pytest
from hostapi_plans import make_plan, request_target

from engine.runtime import HostConfig
from engine.runtime.hostapi import HostApis

RECORD = request_target("https", "127.0.0.1", ("GET", "POST"), ("/v1",))  # `record_with_request_grant`


def descriptor(method="GET", url="", **extra) -> bytes:
    return json.dumps({"method": method, "url": url, **extra}).encode()


def apis_for(server=None, grants=(RECORD,), targets=None, resolver=None) -> HostApis:
    plan = make_plan(("request",), request=grants, targets=None if targets is None else {"request": targets})
    return HostApis(plan, HostConfig(https_ca_bundle=server.ca_bundle if server else None, resolver=resolver))


def test_a_granted_https_request_reaches_the_server_and_answers_in_upstreams_shape(https_server):
    ok, answer = apis_for(https_server).dispatch(
        "request", "request", descriptor("POST", https_server.url("/v1/echo?q=1"),
                                         headers=[{"name": "X-Trace", "value": "abc"}], body="payload"))
    assert ok, answer
    data = json.loads(answer)
    assert (data["status"], data["body"], data["truncated"]) == (200, "hello", False)
    assert {"name": "Content-Type", "value": "text/plain"} in data["headers"]
    sent = https_server.requests[0]
    assert sent.startswith(b"POST /v1/echo?q=1 HTTP/1.1\r\n") and sent.endswith(b"\r\n\r\npayload")
    assert f"Host: 127.0.0.1:{https_server.port}\r\n".encode() in sent
    assert b"User-Agent: yoi-plugin-request-host-api/0.1\r\n" in sent and b"X-Trace: abc" in sent


def test_plain_http_is_allowed_where_target_and_grant_say_http(http_server):
    target = request_target("http", "127.0.0.1", ("GET",), ("/health",))
    ok, answer = apis_for(grants=(target,)).dispatch(
        "request", "request", descriptor(url=f"http://127.0.0.1:{http_server.port}/health"))
    assert ok, answer
    assert json.loads(answer)["body"] == "hello"
    assert http_server.requests[0].startswith(b"GET /health HTTP/1.1\r\n")
    # an https-only target and grant never reach the same server over http
    ok, message = apis_for().dispatch("request", "request", descriptor(url=f"http://127.0.0.1:{http_server.port}/v1"))
    assert (ok, message) == (
        False, f"host_api.request target GET http://127.0.0.1:{http_server.port}/v1 is not declared by the plugin manifest")
    assert http_server.connections == 1


# cur §7.2 `disallowed_request_targets_deny_before_network`: each refused before any connection,
# the message containing upstream's word. Two departures (engine SSRF policy, docs/host-apis.md):
# `localhost` and an ungranted loopback literal are blocked by address before the allowlist.
DENY_BEFORE_NETWORK = [
    ("GET", "http://api.example.test/v1/data", "is not declared by the plugin manifest"),
    ("TRACE", "https://api.example.test/v1/data", "request method `TRACE` is not allowed"),
    ("GET", "https://other.example.test/v1/data", "is not declared by the plugin manifest"),
    ("GET", "http://localhost/v1/data", 'request blocked local/private host "localhost"'),
    ("GET", "http://127.0.0.1/v1/data", 'request blocked local/private host "127.0.0.1"'),
    ("GET", "file:///tmp/secret", 'unsupported request URL scheme "file"; only http and https are allowed'),
    ("GET", "ws://api.example.test/v1/data", "WebSocket URLs are not supported by host_api.request"),
    # beyond upstream's list
    ("GET", "https://api.example.test/v2/data", "is not declared by the plugin manifest"),
    ("get", "https://api.example.test/v1/data", "request method `get` is not allowed"),
    ("GET", "https://user:pw@api.example.test/v1/data", "request URLs with embedded credentials are not allowed"),
    ("GET", "https:///v1/data", "request URL must include a host"),
    ("GET", "/v1/data", "invalid request URL: relative URL without a base"),
    ("GET", "https://api.example.test/v1/../admin", "invalid request URL: path must not contain `.` or `..` segments"),
    ("GET", "https://api.example.test/v1/%2e%2e/admin", "invalid request URL: path must not contain"),
    ("GET", "https://api.example.test/v1/..;x/admin", "invalid request URL: path must not contain"),
    ("GET", "https://2130706433/v1/x", "IPv4 hosts must be written as four decimal numbers"),
    ("GET", "https://169.254.169.254/v1/x", 'request blocked local/private host "169.254.169.254"'),
    ("GET", "https://[::ffff:127.0.0.1]/v1/x", "request blocked local/private host"),
    ("GET", "https://db.localhost/v1/x", 'request blocked local/private host "db.localhost"'),
    ("GET", "https://api.example.test:99999/v1/x", "invalid request URL: invalid port number"),
    ("GET", "https://api.exämple.test/v1/x", "invalid request URL: URL must be ASCII"),
]


@pytest.mark.parametrize(("method", "url", "expected"), DENY_BEFORE_NETWORK)
def test_disallowed_request_targets_deny_before_network(connects, method, url, expected):
    calls = []
    grant = request_target("https", "api.example.test", ("GET", "POST"), ("/v1",))
    apis = apis_for(grants=(grant,), resolver=lambda h, p: calls.append(h) or ["93.184.216.34"])
    ok, message = apis.dispatch("request", "request", descriptor(method, url))
    assert not ok and expected in message, message
    assert calls == [] and connects() == []


def test_loopback_request_requires_explicit_manifest_target_and_grant(http_server):
    """cur §7.2 `loopback_request_requires_explicit_manifest_and_grant`, with a literal address:
    under the engine `localhost` is never reachable (`loopback_request_is_blocked_by_name`)."""
    url = f"http://127.0.0.1:{http_server.port}/health"
    target = request_target("http", "127.0.0.1", ("GET",), ("/health",), port=http_server.port)
    ok, message = apis_for(grants=(), targets=(target,)).dispatch("request", "request", descriptor(url=url))
    assert not ok and "grants" in message and http_server.connections == 0
    wildcard = request_target("*", "*", ("GET",))
    ok, message = apis_for(grants=(wildcard,), targets=(target,)).dispatch("request", "request", descriptor(url=url))
    assert (ok, message) == (False, 'request blocked local/private host "127.0.0.1"')  # a `*` grant names no address
    ok, answer = apis_for(grants=(target,), targets=(target,)).dispatch("request", "request", descriptor(url=url))
    assert ok and json.loads(answer)["status"] == 200 and http_server.connections == 1


def test_loopback_request_is_blocked_by_name_whatever_the_grants():
    target = request_target("http", "localhost", ("GET",), ("/health",), port=8080)
    ok, message = apis_for(grants=(target,), targets=(target,)).dispatch(
        "request", "request", descriptor(url="http://localhost:8080/health"))
    assert (ok, message) == (False, 'request blocked local/private host "localhost"')


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("Upgrade", "websocket", "persistent connection upgrade headers are not supported by host_api.request"),
    ("Connection", "keep-alive, Upgrade", "persistent connection upgrade headers are not supported by host_api.request"),
    ("Accept", "text/html, text/event-stream;q=0.9", "SSE/event-stream requests are not supported by host_api.request"),
    ("Authorization", "Bearer abc", "request header `Authorization` is credential-like and must be supplied by an "
                                    "explicit future secret-ref grant, not guest memory"),
    ("X-Api-Key", "k", "is credential-like"),
    ("Host", "evil.test", "request header `Host` is set by the host, not the guest"),
    ("Content-Length", "0", "request header `Content-Length` is set by the host, not the guest"),
    ("Connection", "close", "request header `Connection` is set by the host, not the guest"),
    ("Bad Name", "x", "invalid request header name `Bad Name`"),
    ("X-A", "line\r\nInjected: 1", "invalid request header value for `X-A`"),
    ("", "x", "request header name is invalid"),
    ("X-" + "a" * 63, "x", "request header name is invalid"),
    ("X-Big", "v" * 1025, "request header `X-Big` exceeds 1024 bytes"),
])
def test_upgrade_sse_credential_and_framing_headers_are_rejected(https_server, name, value, expected):
    """cur §7.2 `upgrade_and_sse_headers_are_rejected`, and the rest of step 5's header rules."""
    ok, message = apis_for(https_server).dispatch(
        "request", "request", descriptor(url=https_server.url("/v1/x"), headers=[{"name": name, "value": value}]))
    assert not ok and expected in message, message
    assert https_server.connections == 0


def test_descriptor_bounds_come_first_and_are_upstreams(https_server):
    apis = apis_for(https_server)
    assert apis.dispatch("request", "request", b"x" * 49153) == (False, "request descriptor exceeds 49152 bytes")
    ok, message = apis.dispatch("request", "request", b"{not json")
    assert not ok and message.startswith("invalid request JSON: ")
    headers = [{"name": f"X-{i}", "value": "v"} for i in range(17)]
    assert apis.dispatch("request", "request", descriptor(url=https_server.url("/v1"), headers=headers)) == (
        False, "request descriptor has too many headers (max 16)")
    assert apis.dispatch("request", "request", descriptor("POST", https_server.url("/v1"), body="b" * 32769)) == (
        False, "request body exceeds 32768 bytes")
    assert https_server.connections == 0


def test_dns_resolution_is_pinned_to_validated_public_socket_addresses(connects):
    """cur §7.2 `dns_resolution_is_pinned_to_validated_public_socket_addresses`: the resolver is
    asked once for (host, port); the connect goes to the validated answer (stopped by the
    loopback-only audit hook before the syscall, which records where it was going)."""
    calls = []

    def resolver(host, port):
        calls.append((host, port))
        return ["93.184.216.34", "93.184.216.34"]

    grant = request_target("https", "api.example.test", ("GET",), ("/v1",))
    ok, _ = apis_for(grants=(grant,), resolver=resolver).dispatch(
        "request", "request", descriptor(url="https://API.example.test.:8443/v1/x"))
    assert not ok
    assert calls == [("api.example.test", 8443)]
    assert connects() == [("93.184.216.34", 8443)]


@pytest.mark.parametrize("answers", [["127.0.0.1"], ["93.184.216.34", "10.0.0.1"], ["::ffff:127.0.0.1"], ["fe80::1%1"]])
def test_a_granted_name_resolving_to_a_private_address_is_refused(connects, answers):
    """cur §7.2 `dns_resolution_can_pin_explicit_private_addresses` is a departure: upstream pins
    127.0.0.1 for a granted name; the engine host keeps SSRF protection (docs/host-apis.md)."""
    grant = request_target("https", "api.example.test", ("GET",), ("/v1",))
    ok, message = apis_for(grants=(grant,), resolver=lambda h, p: answers).dispatch(
        "request", "request", descriptor(url="https://api.example.test/v1/x"))
    assert not ok and message.startswith("request blocked local/private address ")
    assert connects() == []


def test_timeout_is_bounded_and_secrets_in_messages_are_redacted(https_server):
    """cur §7.2 `timeout_and_secret_diagnostics_are_bounded_and_redacted`: a server that never
    answers ends the call at the deadline with a bounded message that redacts a secret-like path."""
    https_server.respond = lambda conn, request: time.sleep(3)
    apis = apis_for(https_server, grants=(request_target("https", "127.0.0.1", ("GET",), ()),))
    started = time.monotonic()
    ok, message = apis.dispatch("request", "request", descriptor(url=https_server.url("/token=abcdef123456/" + "p" * 600)),
                                deadline=time.monotonic() + 0.5)
    assert time.monotonic() - started < 2.5
    assert not ok and message.startswith("request to https://127.0.0.1:") and message.endswith("timed out")
    assert "abcdef123456" not in message and len(message.encode()) <= 513


def test_response_size_bound_truncates(https_server):
    body = b"x" * 70000
    https_server.respond = lambda conn, request: conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    ok, answer = apis_for(https_server).dispatch("request", "request", descriptor(url=https_server.url("/v1/big")))
    data = json.loads(answer)
    assert ok and len(data["body"]) == 65536 and data["truncated"] is True


def test_redirects_are_answers_not_followed(https_server):
    https_server.respond = lambda conn, request: conn.sendall(
        b"HTTP/1.1 302 Found\r\nLocation: https://169.254.169.254/\r\nContent-Length: 0\r\n\r\n")
    ok, answer = apis_for(https_server).dispatch("request", "request", descriptor(url=https_server.url("/v1/r")))
    assert ok and json.loads(answer)["status"] == 302 and https_server.connections == 1


def test_request_host_api_still_rejects_websocket_urls():
    for url in ("wss://api.example.test/v1", "ws://127.0.0.1/v1"):
        ok, message = apis_for().dispatch("request", "request", descriptor(url=url))
        assert (ok, message) == (False, "WebSocket URLs are not supported by host_api.request")


def test_the_host_ca_bundle_is_trusted_and_nothing_else(https_server):
    ok, message = apis_for(None).dispatch("request", "request", descriptor(url=https_server.url("/v1/x")))
    assert not ok and "certificate verify failed" in message
    https_server.reissue("other.test")  # a certificate for another name
    ok, message = apis_for(https_server).dispatch("request", "request", descriptor(url=https_server.url("/v1/x")))
    assert not ok and "certificate verify failed" in message


def test_unusable_declarations_are_refused_with_upstreams_messages():
    no_methods = request_target(methods=("TRACE",))
    assert apis_for(grants=(RECORD,), targets=(no_methods,)).denial("request") == (
        "plugin host API dispatch denied: manifest host_api.request target declaration is missing")
    assert apis_for(grants=(no_methods,), targets=(RECORD,)).denial("request") == (
        "plugin host API dispatch denied: enabled host_api.request grants are missing")


def test_a_server_that_talks_garbage_or_hangs_up_fails_the_call_cleanly(http_server):
    target = request_target("http", "127.0.0.1", ("GET",), ())
    apis = apis_for(grants=(target,))
    url = f"http://127.0.0.1:{http_server.port}/x"
    http_server.respond = lambda conn, request: conn.sendall(b"SSH-2.0-OpenSSH\r\n")
    ok, message = apis.dispatch("request", "request", descriptor(url=url))
    assert (ok, message) == (False, f"request to {url} failed: response is not HTTP/1.x")
    http_server.respond = lambda conn, request: conn.shutdown(socket.SHUT_RDWR)
    ok, message = apis.dispatch("request", "request", descriptor(url=url))
    assert not ok and message.startswith(f"request to {url} failed: ")


# ---- a real component importing yoi:host/request@1.0.0 -------------------------------------------


def _component_plan(tmp_path, name: str, host_apis=("request",)):
    from dataclasses import replace

    from hostapi_guests import component_guest
    from runtime_guests import build, package_plan

    from engine.api_registry import GrantTables

    plan = package_plan(tmp_path / name, build(component_guest(("request",))), tools=("get",), host_apis=host_apis)
    return replace(plan, request_allowlist=(RECORD,), manifest_targets=GrantTables.of({"request": (RECORD,)}))


def test_a_component_importing_request_reaches_a_real_server(tmp_path, registry_for, https_server):
    plan = _component_plan(tmp_path, "req")
    registry = registry_for([plan])
    output = registry.call_tool(plan.ref, "get", {"method": "GET", "url": https_server.url("/v1/x")})
    assert json.loads(output["content"])["body"] == "hello"
    refused = registry.call_tool(plan.ref, "get", {"method": "GET", "url": https_server.url("/v2/x")})
    assert json.loads(refused["content"]) == {"error": {"message": (
        f"host_api.request target GET https://127.0.0.1:{https_server.port}/v2/x is not declared by the plugin manifest")}}
    assert https_server.connections == 1


def test_component_denies_request_import_without_a_planned_grant(tmp_path, registry_for):
    """cur §7.2 `component_tool_denies_host_import_without_matching_grant` (now importing
    `yoi:host/request@1.0.0`): refused before instantiation."""
    from engine.runtime import RuntimeFault

    plan = _component_plan(tmp_path, "req-denied", host_apis=())
    registry = registry_for([plan])
    with pytest.raises(RuntimeFault) as raised:
        registry.call_tool(plan.ref, "get", {"method": "GET", "url": "https://127.0.0.1/v1"})
    assert "plugin host API dispatch denied: host API `request` is not in the plan" in raised.value.message


def test_component_request_import_is_permission_checked_by_manifest_and_grants(tmp_path):
    """cur §7.2 `component_host_api_imports_are_permission_checked_by_manifest_and_grants`: a
    component importing yoi:host/request@1.0.0 gives, in turn, the permission, the declaration and
    the grant diagnostics (the rules run upstream's gate statically)."""
    from hostapi_guests import component_guest
    from runtime_guests import build

    from engine.grants.config import parse_config
    from engine.package.materialize import load_package_path
    from rule_cases import INSTANCE_MANIFEST, config_for, judge, write_package

    artifact = build(component_guest(("request",)))
    base = INSTANCE_MANIFEST.replace('name = "echo"', 'name = "get"')
    perms = ['{ kind = "surface", surface = "tool" }', '{ kind = "tool", name = "get" }']

    def denials(manifest: str, grants: str = "", api_granted: bool = True):
        path = write_package(tmp_path / f"p{len(list(tmp_path.iterdir()))}", manifest, {"tool.wasm": artifact})
        package = load_package_path(path)
        granted = perms + (['{ kind = "host_api", api = "request" }'] if api_granted else [])
        config = parse_config(config_for(package.identity, package.digest, "1.0.0", ["tool"], granted, grants), "c")
        subject, evaluation = judge(path, config)
        return [c.message for c in evaluation.conclusions(subject.ref) if c.severity == "deny"]

    assert "artifact imports `yoi:host/request@1.0.0` but the manifest does not request host_api.request" in denials(
        base, api_granted=False)
    requested = base.replace('{ kind = "tool", name = "get" },',
                             '{ kind = "tool", name = "get" }, { kind = "host_api", api = "request" },')
    assert "manifest host_api.request target declaration is missing" in denials(requested)
    declared = requested + ('[[request]]\nscheme = "https"\nhost = "api.example.test"\nmethods = ["GET"]\n'
                            'path_prefixes = ["/v1"]\n')
    assert "enabled host_api.request grants are missing" in denials(declared)
    grant = '[[plugins.enabled.grants.request]]\nscheme = "https"\nhost = "api.example.test"\nmethods = ["GET"]\n'
    assert denials(declared, grant) == []
