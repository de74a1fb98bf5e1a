"""The https host API against a real TLS server on loopback (spec §6.10, §7.2)."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest
from hostapi_plans import https_grant, make_plan

from engine.runtime import HostConfig
from engine.runtime.hostapi import HostApis
from engine.runtime.hostapi.https import MAX_CA_BUNDLE_BYTES, MAX_RESPONSE_BODY_BYTES


def request(method="GET", url="", **extra) -> bytes:
    return json.dumps({"method": method, "url": url, **extra}).encode()


def apis_for(server, grants=None, resolver=None, host_apis=("https",)) -> HostApis:
    grants = grants if grants is not None else [https_grant("127.0.0.1", ("GET", "POST"), ("/api/",))]
    return HostApis(make_plan(host_apis, https=grants),
                    HostConfig(https_ca_bundle=server.ca_bundle, resolver=resolver))


def test_granted_request_reaches_the_loopback_server_through_a_literal_address_grant(https_server):
    ok, response = apis_for(https_server).dispatch(
        "https", "request", request("POST", https_server.url("/api/echo?q=1"),
                                    headers=[{"name": "X-Trace", "value": "abc"}], body="payload"))
    assert ok, response
    data = json.loads(response)
    assert data["status"] == 200 and data["body"] == "hello" and data["truncated"] is False
    assert {"name": "Content-Type", "value": "text/plain"} in data["headers"]
    sent = https_server.requests[0]
    assert sent.startswith(b"POST /api/echo?q=1 HTTP/1.1\r\n")
    assert b"\r\nX-Trace: abc\r\n" in sent and sent.endswith(b"\r\n\r\npayload")
    assert f"Host: 127.0.0.1:{https_server.port}".encode() in sent
    assert b"User-Agent: yoi-plugin-https-host-api/0.1" in sent


def test_hostname_is_resolved_once_and_the_socket_goes_to_the_validated_address(https_server, connects):
    """The positive hostname path needs a public address, which tests may not contact: the
    loopback-only audit hook stops the connect before the syscall and records its target, which
    proves the connection is pinned to the one validated answer (no second lookup)."""
    calls = []

    def resolver(host, port):
        calls.append((host, port))
        return ["93.184.216.34", "93.184.216.34"]

    apis = apis_for(https_server, [https_grant("API.test.", ("GET",))], resolver)
    ok, _ = apis.dispatch("https", "request", request(url="https://api.test:8443/x"))
    assert not ok
    assert calls == [("api.test", 8443)]
    assert connects() == [("93.184.216.34", 8443)]


def test_hostname_resolving_to_loopback_is_refused_even_when_the_grant_names_the_hostname(https_server, connects):
    apis = apis_for(https_server, [https_grant("api.test", ("GET",))], lambda host, port: ["127.0.0.1"])
    ok, message = apis.dispatch("https", "request", request(url=f"https://api.test:{https_server.port}/x"))
    assert (ok, message) == (False, 'HTTPS blocked local/private address 127.0.0.1 for host "api.test"')
    assert https_server.connections == 0 and connects() == []


@pytest.mark.parametrize("answers", [
    ["10.0.0.1"], ["93.184.216.34", "192.168.1.1"], ["::ffff:127.0.0.1"], ["fe80::1%1"], ["169.254.169.254"],
    ["::10.0.0.1"], ["fd00::1"], ["100.64.0.1"], ["2001:db8::1"], ["224.0.0.1"], ["0.0.0.0"],
])
def test_hostname_resolving_to_any_private_address_is_refused_before_any_connection(https_server, connects, answers):
    apis = apis_for(https_server, [https_grant("api.test", ("GET",))], lambda host, port: answers)
    ok, message = apis.dispatch("https", "request", request(url="https://api.test/x"))
    assert not ok and message.startswith("HTTPS blocked local/private address ")
    assert connects() == []


def test_resolver_failures_and_empty_answers_are_reported(https_server, connects):
    def broken(host, port):
        raise OSError("resolver exploded token=abcdef")

    apis = apis_for(https_server, [https_grant("api.test", ("GET",))], broken)
    ok, message = apis.dispatch("https", "request", request(url="https://api.test/x"))
    assert not ok and message.startswith('DNS lookup failed for "api.test"') and "abcdef" not in message
    apis = apis_for(https_server, [https_grant("api.test", ("GET",))], lambda h, p: [])
    assert apis.dispatch("https", "request", request(url="https://api.test/x")) == (
        False, 'DNS lookup for "api.test" returned no addresses')
    apis = apis_for(https_server, [https_grant("api.test", ("GET",))], lambda h, p: ["not-an-ip"])
    assert not apis.dispatch("https", "request", request(url="https://api.test/x"))[0]
    assert connects() == []


SSRF_CASES = [
    ("GET", "http://127.0.0.1:{port}/api/x", 'unsupported URL scheme "http"; only https is allowed'),
    ("TRACE", "https://127.0.0.1:{port}/api/x", "HTTPS method `TRACE` is not allowed"),
    ("get", "https://127.0.0.1:{port}/api/x", "HTTPS method `get` is not allowed"),
    ("GET", "https://other.example:{port}/api/x", "is not covered by host/method/path grants"),
    ("GET", "https://localhost:{port}/api/x", 'HTTPS blocked local/private host "localhost"'),
    ("GET", "https://LOCALHOST.:{port}/api/x", 'HTTPS blocked local/private host "localhost"'),
    ("GET", "https://db.localhost:{port}/api/x", 'HTTPS blocked local/private host "db.localhost"'),
    ("GET", "https://127.0.0.2:{port}/api/x", 'HTTPS blocked local/private host "127.0.0.2"'),
    ("GET", "https://10.0.0.1:{port}/api/x", 'HTTPS blocked local/private host "10.0.0.1"'),
    ("GET", "https://169.254.169.254/latest/meta-data", 'HTTPS blocked local/private host "169.254.169.254"'),
    ("GET", "file:///etc/passwd", 'unsupported URL scheme "file"; only https is allowed'),
    ("GET", "https://[::ffff:127.0.0.2]:{port}/api/x", "HTTPS blocked local/private host"),
    ("GET", "https://[::ffff:10.0.0.1]/api/x", "HTTPS blocked local/private host"),
    ("GET", "https://[::ffff:169.254.169.254]/api/x", "HTTPS blocked local/private host"),
    ("GET", "https://[::10.0.0.1]/api/x", "HTTPS blocked local/private host"),
    ("GET", "https://[::1]:{port}/api/x", "HTTPS blocked local/private host"),
    ("GET", "https://[fe80::1%25eth0]:{port}/api/x", "invalid HTTPS URL: IPv6 zone ids are not allowed"),
    ("GET", "https://[fc00::1]/api/x", "HTTPS blocked local/private host"),
    ("GET", "https://[ff02::1]/api/x", "HTTPS blocked local/private host"),
    ("GET", "https://100.64.0.1/api/x", "HTTPS blocked local/private host"),
    ("GET", "https://192.0.0.8/api/x", "HTTPS blocked local/private host"),
    ("GET", "https://198.18.0.1/api/x", "HTTPS blocked local/private host"),
    ("GET", "https://192.0.2.1/api/x", "HTTPS blocked local/private host"),
    ("GET", "https://0.1.2.3/api/x", "HTTPS blocked local/private host"),
    ("GET", "https://240.0.0.1/api/x", "HTTPS blocked local/private host"),
    ("GET", "https://255.255.255.255/api/x", "HTTPS blocked local/private host"),
    # Alternative spellings of loopback and private addresses: decimal, hex, octal, short, dots, case.
    ("GET", "https://2130706434:{port}/api/x", 'HTTPS blocked local/private host "127.0.0.2"'),
    ("GET", "https://0x7f000002:{port}/api/x", 'HTTPS blocked local/private host "127.0.0.2"'),
    ("GET", "https://0X7F.0.0.2:{port}/api/x", 'HTTPS blocked local/private host "127.0.0.2"'),
    ("GET", "https://0177.0.0.02:{port}/api/x", 'HTTPS blocked local/private host "127.0.0.2"'),
    ("GET", "https://127.2:{port}/api/x", 'HTTPS blocked local/private host "127.0.0.2"'),
    ("GET", "https://127.0.2:{port}/api/x", 'HTTPS blocked local/private host "127.0.0.2"'),
    ("GET", "https://127.0.0.2.:{port}/api/x", 'HTTPS blocked local/private host "127.0.0.2"'),
    ("GET", "https://167772161/api/x", 'HTTPS blocked local/private host "10.0.0.1"'),
    ("GET", "https://0xa9fea9fe/latest", 'HTTPS blocked local/private host "169.254.169.254"'),
    ("GET", "https://0251.0376.0251.0376/latest", 'HTTPS blocked local/private host "169.254.169.254"'),
    ("GET", "https://0/api/x", 'HTTPS blocked local/private host "0.0.0.0"'),
    ("GET", "https://127.0.0.1.1/api/x", "invalid HTTPS URL: host ends in a number but is not an IPv4 address"),
    ("GET", "https://0x7g.0.0.1/api/x", "invalid HTTPS URL"),
    ("GET", "https://%31%32%37.0.0.2/api/x", "invalid HTTPS URL"),
    ("GET", "https://１２７.0.0.2/api/x", "invalid HTTPS URL"),  # noqa: RUF001 - fullwidth digits on purpose
    ("GET", "https://127.0.0.1\\@evil.example/api/x", "invalid HTTPS URL"),
    ("GET", "https://user:token@127.0.0.1:{port}/api/x", "HTTPS URLs with embedded credentials are not allowed"),
    ("GET", "https://127.0.0.1:{port}/api/../admin", "path must not contain"),
    ("GET", "https://127.0.0.1:{port}/api/%2e%2E/admin", "path must not contain"),
    ("GET", "https://127.0.0.1:{port}/api/..;/admin", "path must not contain"),  # `..` to Tomcat and friends
    ("GET", "https://127.0.0.1:{port}/api/%2e%2e;x=1/admin", "path must not contain"),
    ("GET", "https://127.0.0.1:{port}/api/.;/x", "path must not contain"),
    # Issue 17 point 8: `%2e`, `%2f` and `%5c` are decoded before prefix matching (on main the
    # encoded backslashes passed the `/api/` prefix: `..\admin` is `../admin` to some servers).
    ("GET", "https://127.0.0.1:{port}/api/..%5cadmin", "path must not contain backslashes"),
    ("GET", "https://127.0.0.1:{port}/api/x%5C..%5C..%5Cadmin", "path must not contain backslashes"),
    ("GET", "https://127.0.0.1:{port}/api%2f..%2fadmin", "path must not contain `.` or `..` segments"),
    ("GET", "https://127.0.0.1:{port}/api/x%2F%2E%2E%2Fadmin", "path must not contain `.` or `..` segments"),
    ("GET", "https://127.0.0.1:{port}/api%2fx", "is not covered by host/method/path grants"),
    # IDNA: Unicode hosts are refused (punycode only), so no mapping (fullwidth dots, `ⓛ`) can
    # turn a name into another; a punycode name is a plain DNS name its grant must spell.
    ("GET", "https://ⓛocalhost/api/x", "invalid HTTPS URL"),
    ("GET", "https://127\u30020.0.1/api/x", "invalid HTTPS URL"),
    ("GET", "https://bücher.example/api/x", "invalid HTTPS URL: URL must be ASCII"),
    ("GET", "https://xn--bcher-kva.example/api/x", "is not covered by host/method/path grants"),
    ("GET", "https://a.localhost./api/x", 'HTTPS blocked local/private host "a.localhost"'),
    ("GET", "https://127.0.0.1:{port}/admin", "is not covered by host/method/path grants"),
    ("DELETE", "https://127.0.0.1:{port}/api/x", "is not covered by host/method/path grants"),
    ("GET", "https:///api/x", "HTTPS URL must include a host"),
    ("GET", "//127.0.0.1/api/x", "invalid HTTPS URL: relative URL without a base"),
    ("GET", "https://127.0.0.1:0/api/x", "invalid HTTPS URL: invalid port number"),
    ("GET", "https://127.0.0.1:99999/api/x", "invalid HTTPS URL: invalid port number"),
]


@pytest.mark.parametrize("method,url,expected", SSRF_CASES)
def test_disallowed_targets_are_refused_before_the_network(https_server, tripwire, connects, method, url, expected):
    port, hits = tripwire
    grants = [https_grant("127.0.0.1", ("GET", "POST"), ("/api/",)), https_grant("localhost", ("GET",)),
              https_grant("db.localhost", ("GET",))]
    lookups = []
    apis = apis_for(https_server, grants, lambda host, p: lookups.append(host) or ["127.0.0.1"])
    ok, message = apis.dispatch("https", "request", request(method, url.format(port=port)))
    assert not ok and expected in message, message
    assert hits == [] and connects() == [] and lookups == []


def test_the_literal_grant_of_one_loopback_address_does_not_open_others_or_other_spellings(https_server, connects):
    apis = apis_for(https_server)
    for url in (f"https://2130706433:{https_server.port}/api/x", f"https://127.1:{https_server.port}/api/x",
                f"https://[::ffff:127.0.0.1]:{https_server.port}/api/x",
                f"https://localhost:{https_server.port}/api/x"):
        ok, _ = apis.dispatch("https", "request", request(url=url))
        assert not ok, url
    assert connects() == []


@pytest.mark.parametrize("host", ["0.0.0.0", "0.1.2.3", "224.0.0.1", "255.255.255.255", "[::]", "[ff02::1]",
                                  "[::ffff:0.0.0.0]"])
def test_a_literal_grant_never_opens_unspecified_multicast_or_broadcast_addresses(https_server, connects, host):
    grant = https_grant(host, ("GET",))
    ok, message = apis_for(https_server, [grant]).dispatch("https", "request", request(url=f"https://{host}:1/"))
    assert not ok and message.startswith("HTTPS blocked local/private host"), message
    assert connects() == []


def test_missing_grant_or_api_denies_before_network(https_server, connects):
    for plan_apis, grants, reason in (
        ((), [https_grant()], "host API `https` is not in the plan"),
        (("https",), [], "granted host_api.https allowlist is missing"),
        (("https",), [https_grant("127.0.0.1", ("TRACE",))], "granted host_api.https allowlist is missing"),
    ):
        apis = apis_for(https_server, grants, host_apis=plan_apis)
        assert apis.allowed("https") == ("https" in plan_apis)
        ok, message = apis.dispatch("https", "request", request(url=https_server.url()))
        assert (ok, message) == (False, f"plugin host API dispatch denied: {reason}")
    assert connects() == [] and https_server.connections == 0


@pytest.mark.parametrize("descriptor,expected", [
    (b"x" * 49153, "HTTPS request descriptor exceeds 49152 bytes"),
    (b"{", "invalid HTTPS request JSON: Expecting property name"),
    (b"\xff", "invalid HTTPS request JSON: descriptor is not UTF-8"),
    (b'\xef\xbb\xbf{"method":"GET","url":"https://127.0.0.1/"}', "invalid HTTPS request JSON: Unexpected UTF-8 BOM"),
    (b'\xef\xbb\xbf', "invalid HTTPS request JSON: Unexpected UTF-8 BOM"),
    (b"[" * 40000, "invalid HTTPS request JSON"),
    (b'{"method":"GET","url":"https://127.0.0.1/","extra":1}', "invalid HTTPS request JSON: unknown field"),
    (b'{"method":"GET","method":"POST","url":"https://127.0.0.1/"}', "invalid HTTPS request JSON: duplicate field"),
    (b'{"url":"https://127.0.0.1/"}', "invalid HTTPS request JSON: missing field `method`"),
    (b'{"method":1,"url":"https://127.0.0.1/"}', "invalid HTTPS request JSON: field `method` must be a string"),
    (b'{"method":"GET","url":"https://127.0.0.1/","body":NaN}', "invalid HTTPS request JSON"),
    (b'{"method":"\\ud800","url":"https://127.0.0.1/"}', "invalid HTTPS request JSON: a \\u escape is a lone"),
    (b'{"method":"GET","url":"https://127.0.0.1/","body":"\\udfff"}', "invalid HTTPS request JSON: a \\u escape"),
])
def test_malformed_descriptors_are_refused(https_server, descriptor, expected):
    ok, message = apis_for(https_server).dispatch("https", "request", descriptor)
    assert not ok and message.startswith(expected), message


def _headers(*pairs):
    return [{"name": n, "value": v} for n, v in pairs]


@pytest.mark.parametrize("extra,expected", [
    ({"headers": _headers(*[(f"x-h{i}", "v") for i in range(17)])}, "HTTPS request has too many headers (max 16)"),
    ({"headers": _headers(("x" * 65, "v"))}, "HTTPS request header name is invalid"),
    ({"headers": _headers(("", "v"))}, "HTTPS request header name is invalid"),
    ({"headers": _headers(("bad name", "v"))}, "HTTPS request header name is invalid"),
    ({"headers": _headers(("x-big", "v" * 1025))}, "HTTPS request header `x-big` exceeds 1024 bytes"),
    ({"headers": _headers(("Authorization", "Bearer sk-live-123"))},
     "HTTPS request header `Authorization` is credential-like"),
    ({"headers": _headers(("X-API-KEY", "k"))}, "is credential-like"),
    ({"headers": _headers(("Cookie", "a=b"))}, "is credential-like"),
    ({"headers": _headers(("Host", "evil.example"))}, "HTTPS request header `Host` is set by the host"),
    ({"headers": _headers(("Transfer-Encoding", "chunked"))}, "is set by the host"),
    ({"headers": _headers(("x-inject", "a\r\nHost: evil"))}, "HTTPS request header `x-inject` has an invalid value"),
    ({"headers": _headers(("x-inject", "a\nX: b"))}, "HTTPS request header `x-inject` has an invalid value"),
    ({"headers": _headers(("x-inject", "a\rX: b"))}, "HTTPS request header `x-inject` has an invalid value"),
    ({"headers": _headers(("x-inject", "a\u0000b"))}, "HTTPS request header `x-inject` has an invalid value"),
    ({"headers": _headers(("x-inject", "a\u007fb"))}, "HTTPS request header `x-inject` has an invalid value"),
    ({"headers": _headers(("x-inject", "caf\u00e9"))}, "HTTPS request header `x-inject` has an invalid value"),
    ({"headers": _headers(("x-inj\r\nect", "v"))}, "HTTPS request header name is invalid"),
    ({"headers": _headers(("x-inject:", "v"))}, "HTTPS request header name is invalid"),
    ({"headers": [{"name": "x", "value": "v", "extra": 1}]}, "invalid HTTPS request header JSON: unknown field"),
    ({"body": "b" * 32769}, "HTTPS request body exceeds 32768 bytes"),
])
def test_request_bounds_are_enforced_before_the_network(https_server, connects, extra, expected):
    ok, message = apis_for(https_server).dispatch("https", "request", request(url=https_server.url(), **extra))
    assert not ok and expected in message, message
    assert "sk-live-123" not in message and connects() == []


def _respond_with(raw: bytes):
    return lambda conn, request: conn.sendall(raw)


def test_response_body_is_capped_with_truncated(https_server):
    https_server.respond = _respond_with(b"HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n" + b"a" * 70000)
    ok, response = apis_for(https_server).dispatch("https", "request", request(url=https_server.url()))
    data = json.loads(response)
    assert ok and len(data["body"]) == MAX_RESPONSE_BODY_BYTES and data["truncated"] is True


def test_unbounded_chunked_and_close_delimited_bodies_are_cut(https_server):
    chunk = b"8000\r\n" + b"c" * 0x8000 + b"\r\n"
    https_server.respond = _respond_with(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk * 4)
    data = json.loads(apis_for(https_server).dispatch("https", "request", request(url=https_server.url()))[1])
    assert len(data["body"]) == MAX_RESPONSE_BODY_BYTES and data["truncated"] is True
    https_server.respond = _respond_with(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
    data = json.loads(apis_for(https_server).dispatch("https", "request", request(url=https_server.url()))[1])
    assert data["body"] == "abc" and data["truncated"] is False
    https_server.respond = _respond_with(b"HTTP/1.0 201 Created\r\n\r\n" + "é".encode() * 40000)
    data = json.loads(apis_for(https_server).dispatch("https", "request", request(url=https_server.url()))[1])
    assert data["status"] == 201 and data["truncated"] is True
    assert len(data["body"].encode()) <= MAX_RESPONSE_BODY_BYTES and "\ufffd" not in data["body"]


def test_response_headers_are_filtered_redacted_and_capped(https_server):
    head = [b"HTTP/1.1 200 OK", b"Set-Cookie: session=topsecret", b"Authorization: Bearer abc",
            b"X-Note: password=hunter2", b"X-Long: " + b"v" * 2000]
    head += [b"X-N%d: %d" % (i, i) for i in range(30)]
    https_server.respond = _respond_with(b"\r\n".join(head) + b"\r\nContent-Length: 0\r\n\r\n")
    ok, response = apis_for(https_server).dispatch("https", "request", request(url=https_server.url()))
    data = json.loads(response)
    names = [h["name"] for h in data["headers"]]
    assert ok and len(names) == 16 and "Set-Cookie" not in names and "Authorization" not in names
    assert "topsecret" not in response and "hunter2" not in response
    assert {"name": "X-Note", "value": "password=<redacted>"} in data["headers"]
    long_value = next(h["value"] for h in data["headers"] if h["name"] == "X-Long")
    assert long_value == "v" * 1024 + "\u2026"


@pytest.mark.parametrize("raw,expected", [
    (b"SSH-2.0-OpenSSH\r\n\r\n", "response is not HTTP/1.x"),
    (b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 200 + b"\r\n", "more than 100 header lines"),
    (b"HTTP/1.1 200 OK\r\nX-A: " + b"b" * 40000 + b"\r\n\r\n", "response line is too long"),
    (b"HTTP/1.1 200 OK\r\n" + (b"X-" + b"b" * 400 + b": c\r\n") * 90 + b"\r\n", "response headers exceed"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcde", "Content-Length is invalid"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size is invalid"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "closed before the response body was complete"),
    (b"HTTP/1.1 100 Continue\r\n\r\n" * 6, "too many interim responses"),
    (b"HTTP/1.1 099 Odd\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "response is not HTTP/1.x"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n", "Content-Length is invalid"),
])
def test_hostile_responses_fail_with_a_bounded_message(https_server, raw, expected):
    https_server.respond = _respond_with(raw)
    ok, message = apis_for(https_server).dispatch("https", "request", request(url=https_server.url()))
    assert not ok and message.startswith(f"HTTPS request to https://127.0.0.1:{https_server.port}/api/x failed: ")
    assert expected in message and len(message.encode()) <= 515


def test_certificate_for_another_name_or_untrusted_ca_is_refused(https_server, test_ca, tmp_path):
    https_server.reissue("api.test")  # valid chain, but not for 127.0.0.1
    ok, message = apis_for(https_server).dispatch("https", "request", request(url=https_server.url()))
    assert not ok and "certificate verify failed" in message and "127.0.0.1" in message
    https_server.reissue("127.0.0.1")
    untrusted = HostApis(make_plan(("https",), https=[https_grant()]), HostConfig())
    ok, message = untrusted.dispatch("https", "request", request(url=https_server.url()))
    assert not ok and "certificate verify failed" in message
    missing = HostApis(make_plan(("https",), https=[https_grant()]),
                       HostConfig(https_ca_bundle=tmp_path / "none.pem"))
    assert missing.dispatch("https", "request", request(url=https_server.url())) == (
        False, "HTTPS CA bundle configured for the host could not be loaded")


def test_a_ca_bundle_that_is_a_fifo_a_device_or_huge_is_refused_without_blocking(https_server, tmp_path):
    """OpenSSL opening a FIFO with no writer blocks forever (under the context lock, so every later
    call of the plan too): the host reads the bundle itself, non-blocking and bounded."""
    os.mkfifo(tmp_path / "ca.pem")
    (tmp_path / "big.pem").write_bytes(b"#" * (MAX_CA_BUNDLE_BYTES + 1))
    for bundle in (tmp_path / "ca.pem", Path("/dev/zero"), tmp_path / "big.pem", tmp_path):
        apis = HostApis(make_plan(("https",), https=[https_grant()]), HostConfig(https_ca_bundle=bundle))
        answers = []
        worker = threading.Thread(target=lambda a=apis: answers.append(
            a.dispatch("https", "request", request(url=https_server.url()))), daemon=True)
        worker.start()
        worker.join(60)  # a hang guard, not a speed assertion
        assert not worker.is_alive(), f"{bundle} blocked the call"
        assert answers == [(False, "HTTPS CA bundle configured for the host could not be loaded")]
    assert https_server.connections == 0


@pytest.mark.slow
def test_a_server_that_drips_bytes_cannot_hold_the_call_past_the_deadline(https_server):
    def drip(conn, request):
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for _ in range(100):
            conn.sendall(b"X: y\r\n")
            time.sleep(0.5)

    https_server.respond = drip
    ok, message = apis_for(https_server).dispatch("https", "request", request(url=https_server.url()))
    assert (ok, message) == (False, f"HTTPS request to https://127.0.0.1:{https_server.port}/api/x timed out")


def test_errors_are_bounded_and_redacted(https_server):
    long_path = "/api/" + "token=sk-very-secret-" + "a" * 600
    apis = apis_for(https_server, [https_grant("127.0.0.1", ("GET",), ("/other",))])
    ok, message = apis.dispatch("https", "request", request(url=f"https://127.0.0.1:{https_server.port}{long_path}"))
    assert not ok and "sk-very-secret" not in message and "<redacted>" in message
    assert len(message.encode()) <= 512 + 3


def test_no_proxy_from_the_environment_is_used(https_server, tripwire, monkeypatch):
    port, hits = tripwire
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
    ok, _ = apis_for(https_server).dispatch("https", "request", request(url=https_server.url()))
    assert ok and hits == [] and https_server.connections == 1


def test_no_redirects_are_followed(https_server):
    https_server.respond = _respond_with(
        b"HTTP/1.1 302 Found\r\nLocation: https://169.254.169.254/\r\nContent-Length: 0\r\n\r\n")
    ok, response = apis_for(https_server).dispatch("https", "request", request(url=https_server.url()))
    data = json.loads(response)
    assert ok and data["status"] == 302 and https_server.connections == 1
    assert {"name": "Location", "value": "https://169.254.169.254/"} in data["headers"]


def test_unknown_operations_and_apis_never_raise(https_server):
    apis = apis_for(https_server)
    assert apis.dispatch("https", "get", b"{}") == (False, "unsupported https host API operation `get`")
    assert apis.dispatch("ftp", "request", b"{}") == (
        False, "plugin host API dispatch denied: unsupported host API `ftp`")
    assert apis.dispatch("https", "request", None)[0] is False
