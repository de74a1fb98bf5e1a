"""The reference's own SSRF list (spec §7.2, `disallowed_https_request_targets_deny_before_network`
and `ipv4_mapped_ipv6_targets_deny_before_network`), verbatim, under the grant such a plugin has:
a public host name. Unlike test_https.py's cases, no grant here names a loopback address, so
`127.0.0.1` itself must be refused too. Every target is refused before DNS and before any socket."""

from __future__ import annotations

import json

import pytest
from hostapi_plans import https_grant, make_plan

from engine.runtime import HostConfig
from engine.runtime.hostapi import HostApis

BLOCKED = "HTTPS blocked local/private host"
REFERENCE_TARGETS = [
    ("GET", "http://api.example.com:{port}/v1/x", 'unsupported URL scheme "http"'),
    ("TRACE", "https://api.example.com:{port}/v1/x", "HTTPS method `TRACE` is not allowed"),
    ("GET", "https://other.example.com:{port}/v1/x", "is not covered by host/method/path grants"),
    ("GET", "https://localhost:{port}/v1/x", f'{BLOCKED} "localhost"'),
    ("GET", "https://127.0.0.1:{port}/v1/x", f'{BLOCKED} "127.0.0.1"'),
    ("GET", "https://10.0.0.1:{port}/v1/x", f'{BLOCKED} "10.0.0.1"'),
    ("GET", "https://169.254.169.254/latest/meta-data", f'{BLOCKED} "169.254.169.254"'),
    ("GET", "file:///etc/passwd", 'unsupported URL scheme "file"'),
    ("GET", "https://[::ffff:127.0.0.1]:{port}/v1/x", BLOCKED),
    ("GET", "https://[::ffff:10.0.0.1]/v1/x", BLOCKED),
    ("GET", "https://[::ffff:169.254.169.254]/v1/x", BLOCKED),
    ("GET", "https://[::10.0.0.1]/v1/x", BLOCKED),
]


@pytest.mark.parametrize("method,url,expected", REFERENCE_TARGETS)
def test_the_reference_ssrf_targets_are_refused_before_the_network(tripwire, connects, method, url, expected):
    port, hits = tripwire
    lookups: list[str] = []
    # the resolver would send the granted name to the tripwire: only a refused request leaves it untouched
    apis = HostApis(make_plan(("https",), https=[https_grant("api.example.com", ("GET", "POST"), ("/v1/",))]),
                    HostConfig(resolver=lambda host, p: lookups.append(host) or ["127.0.0.1"]))
    descriptor = json.dumps({"method": method, "url": url.format(port=port)}).encode()
    ok, message = apis.dispatch("https", "request", descriptor)
    assert not ok and expected in message, message
    assert len(message.encode()) <= 513
    assert hits == [] and connects() == [] and lookups == []
