"""Request/websocket targets and grants matched as yoi b12e0785 matches them (yoi-current-spec.md
§1.10-§1.12, §3.5, §3.6, §4.1), table by table, with the upstream tests that concern them
(cur §7.1-§7.3) named where a case comes from one."""

from __future__ import annotations

import pytest

from engine.grants.url_targets import (
    REQUEST,
    WEBSOCKET,
    InspectionEntry,
    ParsedUrl,
    UrlError,
    UrlTarget,
    allows,
    authorize_url,
    covers,
    declaration_problem,
    inspect,
    intersect,
    normalize_host_literal,
    parse_url,
)


def req(scheme="https", host="api.example.test", port=None, methods=("GET", "POST"), paths=("/v1",)):
    return UrlTarget(REQUEST, scheme, host, port, tuple(methods), tuple(paths))


def ws(scheme="wss", host="gateway.example.com", port=None, paths=("/gateway",)):
    return UrlTarget(WEBSOCKET, scheme, host, port, (), tuple(paths))


# upstream `record_with_request_grant`: manifest target = grant (cur §7.2)
EXACT = req()
BROAD_GET = req("*", "*", None, ("GET",), ())


# ---- labels and broadness (cur §1.12) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "label"),
    [
        # request_host_api_manifest_and_grant_parse_with_request_names (cur §7.1)
        (req(host="api.example.com", port=443, paths=("/v1/",)), "https://api.example.com:443 GET,POST /v1/"),
        (req(host="localhost", scheme="http", port=8080, methods=("GET",), paths=("/health",)),
         "http://localhost:8080 GET /health"),
        # websocket_manifest_and_grants_parse_independently_from_request (cur §7.1)
        (req(host="api.example.com", methods=("GET",)), "https://api.example.com GET /v1"),
        (ws(), "wss://gateway.example.com /gateway"),
        # render_show_distinguishes_request_grant_statuses_and_broad_targets (cur §7.3)
        (BROAD_GET, "*://* GET * [broad-request]"),
        (ws("*", "*", paths=()), "*://* * [broad-websocket]"),
        # placeholders for blanks; methods and paths exactly as written
        (UrlTarget(REQUEST), "<no-scheme>://<no-host> <no-methods> * [broad-request]"),
        (UrlTarget(WEBSOCKET, " ", " ", 0, (), ("/a", "b")), "<no-scheme>://<no-host>:0 /a,b"),
        (req(methods=(" get", "Post")), "https://api.example.test  get,Post /v1"),
        (req(paths=("/a", "/b")), "https://api.example.test GET,POST /a,/b"),
    ],
)
def test_labels(target, label):
    assert target.label == label


@pytest.mark.parametrize(
    ("target", "broad"),
    [
        (EXACT, False),
        (req(scheme="*"), True),
        (req(scheme=" * "), True),  # trimmed for broadness
        (req(host="*"), True),
        (req(host=" *"), True),  # broad, yet never a wildcard when matching (cur §9.4)
        (req(paths=()), True),
        (req(paths=("",)), False),  # a list with an empty prefix is not empty
        (req(port=1, methods=()), False),  # port and methods play no part
        (req(host="*.example.test"), False),  # no partial wildcards
        (ws(paths=()), True),
    ],
)
def test_broadness(target, broad):
    assert target.is_broad() is broad
    assert target.label.endswith(" [broad-request]" if target.api == REQUEST else " [broad-websocket]") is broad


def test_host_normalization():
    assert normalize_host_literal("API.Example.Test.") == "api.example.test"
    assert normalize_host_literal("[::1]") == normalize_host_literal("::1") == "::1"
    assert normalize_host_literal("[::1].") == "::1"  # trailing dots first, then brackets
    assert normalize_host_literal(" a.test") == " a.test"  # never whitespace-trimmed
    assert normalize_host_literal("ÄB.test") == "Äb.test"  # ASCII lowercase only


# ---- one entry allowing one URL (cur §3.6 `target_allows`) ---------------------------------------

URL = "https://api.example.test/v1/data"


@pytest.mark.parametrize(
    ("target", "method", "url", "allowed"),
    [
        (EXACT, "GET", URL, True),
        (EXACT, "POST", URL, True),
        (EXACT, "DELETE", URL, False),
        # 1. scheme: trimmed, lowercased, `*` or equal; empty never matches
        (EXACT, "GET", "http://api.example.test/v1/data", False),
        (req(scheme=" HTTPS "), "GET", URL, True),
        (req(scheme="*"), "GET", "http://api.example.test/v1/data", True),
        (req(scheme=""), "GET", URL, False),
        # 2. host: normalized, `*` or equal, empty never matches, no partial wildcard, no trim
        (EXACT, "GET", "https://other.example.test/v1/data", False),
        (req(host="*"), "GET", "https://other.example.test/v1/data", True),
        (req(host="API.EXAMPLE.TEST."), "GET", URL, True),
        (req(host="*.example.test"), "GET", "https://a.example.test/v1/data", False),
        (req(host=" api.example.test"), "GET", URL, False),
        (req(host=" *"), "GET", URL, False),
        (req(host=""), "GET", URL, False),
        (req(host="[::1]"), "GET", "https://[::1]/v1", True),
        (req(host="::1"), "GET", "https://[::1]/v1", True),
        (req(host="localhost"), "GET", "https://localhost./v1", True),  # the URL's trailing dot too
        # 3. port: absent matches any; set compares with the explicit port or the scheme default
        (EXACT, "GET", "https://api.example.test:8443/v1/data", True),
        (req(port=443), "GET", URL, True),
        (req(port=443), "GET", "https://api.example.test:443/v1/data", True),
        (req(port=443), "GET", "https://api.example.test:8443/v1/data", False),
        (req(scheme="*", port=80), "GET", "http://api.example.test/v1/data", True),
        (req(scheme="*", port=80), "GET", URL, False),
        # 4. methods: non-empty, one equal after trim, case-insensitive
        (req(methods=()), "GET", URL, False),
        (req(methods=(" get ",)), "GET", URL, True),
        (req(methods=("TRACE",)), "GET", URL, False),
        # 5. paths: empty = any; plain string prefix; empty prefix never; no leading `/` never
        (req(paths=()), "GET", "https://api.example.test/", True),
        (EXACT, "GET", "https://api.example.test/v10", True),  # `/v1` matches `/v10` (cur §9.6)
        (EXACT, "GET", "https://api.example.test/v2/data", False),
        (req(paths=("",)), "GET", URL, False),
        (req(paths=("v1",)), "GET", URL, False),
        (req(paths=("", "/v1")), "GET", URL, True),
        (EXACT, "GET", "https://api.example.test/v2?next=/v1/data#/v1", False),  # never the query
        (EXACT, "GET", "https://api.example.test/v1?x=1", True),
    ],
)
def test_request_target_allows(target, method, url, allowed):
    assert allows(target, parse_url(url), method) is allowed


@pytest.mark.parametrize(
    ("target", "url", "allowed"),
    [
        (ws(), "wss://gateway.example.com/gateway?v=10", True),
        (ws(), "ws://gateway.example.com/gateway", False),
        (ws(scheme="*"), "ws://gateway.example.com/gateway", True),
        (ws(port=443), "wss://gateway.example.com/gateway", True),
        (ws(port=80), "wss://gateway.example.com/gateway", False),
        (ws(scheme="ws", host="127.0.0.1", port=8080, paths=("/socket",)), "ws://127.0.0.1:8080/socket", True),
        (ws(scheme="ws", host="127.0.0.1", port=8080, paths=("/socket",)), "ws://127.0.0.1:8081/socket", False),
    ],
)
def test_websocket_target_allows(target, url, allowed):
    assert allows(target, parse_url(url)) is allowed  # no methods for websocket


# ---- static relations (cur §3.6 table) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "intersects", "a_covers_b"),
    [
        (EXACT, EXACT, True, True),
        # scheme
        (req(scheme="*"), EXACT, True, True),
        (EXACT, req(scheme="*"), True, False),
        (req(scheme="http"), EXACT, False, False),
        (req(scheme=""), req(scheme=""), False, False),
        (req(scheme=" HTTPS"), EXACT, True, True),
        # host
        (req(host="*"), EXACT, True, True),
        (EXACT, req(host="*"), True, False),
        (req(host="API.example.test."), EXACT, True, True),
        (req(host=""), req(host=""), False, False),
        (req(host="other.test"), EXACT, False, False),
        # port
        (req(port=443), EXACT, True, False),
        (EXACT, req(port=443), True, True),
        (req(port=443), req(port=443), True, True),
        (req(port=443), req(port=8443), False, False),
        # methods (request only): share one / contain every one; empty never
        (req(methods=("GET",)), EXACT, True, False),
        (EXACT, req(methods=("get ",)), True, True),
        (req(methods=("PUT",)), EXACT, False, False),
        (req(methods=()), req(methods=()), False, False),
        # paths
        (req(paths=()), EXACT, True, True),
        (EXACT, req(paths=()), True, False),
        (req(paths=("/v1",)), req(paths=("/v1/items",)), True, True),
        (req(paths=("/v1/items",)), req(paths=("/v1",)), True, False),
        (req(paths=("/v1",)), req(paths=("/v2",)), False, False),
        (req(paths=("",)), req(paths=("/v1",)), False, False),
        (req(paths=("/v1",)), req(paths=("/v1", "")), True, False),  # every covered prefix non-empty
        (req(paths=("/v1", "/v2")), req(paths=("/v2/x", "/v1/y")), True, True),
    ],
)
def test_intersect_and_covers(a, b, intersects, a_covers_b):
    assert intersect(a, b) is intersects
    assert intersect(b, a) is intersects  # symmetric
    assert covers(a, b) is a_covers_b


def test_websocket_relations_ignore_methods():
    assert intersect(ws(), ws()) and covers(ws(scheme="*", paths=()), ws())
    assert not covers(ws(), ws(scheme="*"))


# ---- runtime authorization: manifest first, then grants (cur §3.6 messages) ----------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        # disallowed_request_targets_deny_before_network (cur §7.2), the allowlist cases
        ("http://api.example.test/v1/data",
         "host_api.request target GET http://api.example.test/v1/data is not declared by the plugin manifest"),
        ("https://other.example.test/v1/data",
         "host_api.request target GET https://other.example.test/v1/data is not declared by the plugin manifest"),
        ("http://localhost/v1/data",
         "host_api.request target GET http://localhost/v1/data is not declared by the plugin manifest"),
        ("http://127.0.0.1/v1/data",
         "host_api.request target GET http://127.0.0.1/v1/data is not declared by the plugin manifest"),
        ("https://api.example.test:8443/v1/data?token=x", None),
        ("https://api.example.test:443/v1/data", None),
    ],
)
def test_request_allowlist_messages(url, message):
    assert authorize_url(REQUEST, parse_url(url), "GET", [EXACT], [EXACT]) == message


def test_loopback_request_requires_explicit_manifest_and_grant():
    """cur §7.2 loopback_request_requires_explicit_manifest_and_grant: declared but not granted is
    refused by the grants; declared and granted is allowed (b12e0785 has no address block)."""
    local = req("http", "localhost", 8080, ("GET",), ("/health",))
    url = parse_url("http://localhost:8080/health")
    denied = authorize_url(REQUEST, url, "GET", [EXACT, local], [EXACT])
    assert denied == "host_api.request target GET http://localhost:8080/health is not covered by enabled request grants"
    assert authorize_url(REQUEST, url, "GET", [EXACT, local], [EXACT, local]) is None


def test_websocket_open_requires_manifest_and_grant():
    """cur §7.2 websocket_open_requires_manifest_and_grant and
    websocket_loopback_requires_explicit_manifest_and_grant, and websocket_send's allowlist."""
    url = parse_url("wss://gateway.example.com/gateway?v=10")
    assert authorize_url(WEBSOCKET, url, "", [ws()], []) == (
        "host_api.websocket target wss://gateway.example.com/gateway is not covered by enabled WebSocket grants"
    )
    assert authorize_url(WEBSOCKET, url, "", [], [ws()]) == (
        "host_api.websocket target wss://gateway.example.com/gateway is not declared by the plugin manifest"
    )
    loop = ws("ws", "127.0.0.1", 8080, ("/socket",))
    local = parse_url("ws://127.0.0.1:8080/socket")
    assert authorize_url(WEBSOCKET, local, "", [loop], []) is not None
    assert authorize_url(WEBSOCKET, local, "", [loop], [loop]) is None
    outside = parse_url("wss://gateway.example.com/other")
    assert "not declared by the plugin manifest" in authorize_url(WEBSOCKET, outside, "", [ws()], [ws()])


def test_a_url_needs_each_side_not_one_pair():
    """The URL must lie in (union of targets) ∩ (union of grants); the two need not be a pair."""
    targets = [req(paths=("/a",)), req(paths=("/b",))]
    grants = [req(paths=("/b",)), req(paths=("/a",))]
    assert authorize_url(REQUEST, parse_url("https://api.example.test/a/1"), "GET", targets, grants) is None


def test_request_method_is_part_of_the_message():
    assert authorize_url(REQUEST, parse_url(URL), "DELETE", [EXACT], [EXACT]) == (
        "host_api.request target DELETE https://api.example.test/v1/data is not declared by the plugin manifest"
    )


# ---- usable declarations (cur §3.5 step 4) -------------------------------------------------------


@pytest.mark.parametrize(
    ("api", "targets", "grants", "problem"),
    [
        # component_host_api_imports_are_permission_checked_by_manifest_and_grants (cur §7.2)
        (REQUEST, [], [], "manifest host_api.request target declaration is missing"),
        (REQUEST, [EXACT], [], "enabled host_api.request grants are missing"),
        (REQUEST, [EXACT], [EXACT], None),
        (REQUEST, [req(methods=("TRACE",))], [EXACT], "manifest host_api.request target declaration is missing"),
        (REQUEST, [req(methods=(" get ",))], [EXACT], None),
        (REQUEST, [req(scheme="ftp")], [EXACT], None),  # any non-blank scheme counts (cur §9.7)
        (REQUEST, [req(host="  ")], [EXACT], "manifest host_api.request target declaration is missing"),
        (REQUEST, [req(scheme=" ")], [EXACT], "manifest host_api.request target declaration is missing"),
        # no overlap test: usable on each side is enough here
        (REQUEST, [EXACT], [req(host="elsewhere.test")], None),
        (WEBSOCKET, [], [ws()], "manifest host_api.websocket target declaration is missing"),
        (WEBSOCKET, [ws()], [], "enabled host_api.websocket grants are missing"),
        (WEBSOCKET, [ws(scheme="https")], [ws()], "manifest host_api.websocket target declaration is missing"),
        (WEBSOCKET, [ws(scheme=" WS ")], [ws(scheme="*")], None),
        (WEBSOCKET, [ws()], [ws(host="")], "enabled host_api.websocket grants are missing"),
    ],
)
def test_declaration_problem(api, targets, grants, problem):
    assert declaration_problem(api, targets, grants) == problem


# ---- static inspection entries (cur §4.1) --------------------------------------------------------


def entries(api, targets, grants):
    return [(e.permission, e.requested, e.granted, e.eligible, e.diagnostic) for e in inspect(api, targets, grants)]


def test_exact_target_and_grant_are_clean():
    assert entries(REQUEST, [EXACT], [EXACT]) == [
        ("host_api.request target https://api.example.test GET,POST /v1", True, True, True, None),
        ("host_api.request grant https://api.example.test GET,POST /v1", True, True, True, None),
    ]


def test_static_inspection_reports_covering_request_grants_as_runtime_eligible():
    """cur §7.2: exact manifest target plus a `*://*` GET grant; the grant does not cover POST,
    so the target is partially covered; no grant-only entry."""
    assert entries(REQUEST, [EXACT], [BROAD_GET]) == [
        ("host_api.request target https://api.example.test GET,POST /v1", True, True, True,
         "partially covered by enabled request grant; only intersecting URLs are allowed"),
        ("host_api.request grant *://* GET * [broad-request]", True, True, True,
         "broad/arbitrary enabled request grant is constrained by manifest declarations"),
    ]


def test_static_inspection_reports_request_grant_intersections_as_runtime_eligible():
    """cur §7.2: a `*://*` manifest target plus an exact grant."""
    broad_target = req("*", "*", None, ("GET", "POST"), ())
    assert entries(REQUEST, [broad_target], [EXACT]) == [
        ("host_api.request target *://* GET,POST * [broad-request]", True, True, True,
         "partially covered by enabled request grant; broad manifest target is constrained by narrower grants"),
        ("host_api.request grant https://api.example.test GET,POST /v1", True, True, True, None),
    ]


def test_a_broad_covering_grant_is_named():
    """cur §7.3 render_show...: `https://api.example.test GET /v1/` under `*://* GET *`."""
    target = req(methods=("GET",), paths=("/v1/",))
    assert entries(REQUEST, [target], [BROAD_GET])[0][4] == "covered by broad/arbitrary enabled request grant"


def test_websocket_static_inspection_reports_grant_only_missing_and_broad():
    """cur §7.2: WebSocket wording, grant-only entries and the broad suffix."""
    declared = ws(host="declared.example.com")
    assert entries(WEBSOCKET, [declared], [ws("*", "*", paths=())]) == [
        ("host_api.websocket target wss://declared.example.com /gateway", True, True, True,
         "covered by broad/arbitrary enabled WebSocket grant"),
        ("host_api.websocket grant *://* * [broad-websocket]", True, True, True,
         "broad/arbitrary enabled WebSocket grant is constrained by manifest declarations"),
    ]
    assert entries(WEBSOCKET, [ws(host="missing.example.com")], []) == [
        ("host_api.websocket target wss://missing.example.com /gateway", True, False, False,
         "missing enabled WebSocket grant for manifest target"),
    ]
    assert entries(WEBSOCKET, [], [ws("*", "*", paths=())]) == [
        ("host_api.websocket grant-only *://* * [broad-websocket]", False, True, False,
         "enabled WebSocket grant has no matching manifest declaration; broad/arbitrary target"),
    ]


@pytest.mark.parametrize(
    ("targets", "grants", "expected"),
    [
        # a broad target with no intersecting grant
        ([req(paths=())], [req(host="other.test")], [
            ("host_api.request target https://api.example.test GET,POST * [broad-request]", True, False, False,
             "missing enabled request grant for manifest target; broad/arbitrary target"),
            ("host_api.request grant-only https://other.test GET,POST /v1", False, True, False,
             "enabled request grant has no matching manifest declaration"),
        ]),
        # the FIRST covering grant is reported (cur §9.3): a broad one before an exact one
        ([EXACT], [req("*", "*", None, ("GET", "POST"), ()), EXACT], [
            ("host_api.request target https://api.example.test GET,POST /v1", True, True, True,
             "covered by broad/arbitrary enabled request grant"),
            ("host_api.request grant *://* GET,POST * [broad-request]", True, True, True,
             "broad/arbitrary enabled request grant is constrained by manifest declarations"),
            ("host_api.request grant https://api.example.test GET,POST /v1", True, True, True, None),
        ]),
        # a grant is judged against the FIRST intersecting target, even when a later one covers it
        ([req(paths=("/v1/items",)), req(paths=("/v1",))], [EXACT], [
            ("host_api.request target https://api.example.test GET,POST /v1/items", True, True, True, None),
            ("host_api.request target https://api.example.test GET,POST /v1", True, True, True, None),
            ("host_api.request grant https://api.example.test GET,POST /v1", True, True, True,
             "enabled request grant is only usable where it intersects manifest declarations"),
        ]),
        # nothing at all: nothing to report
        ([], [], []),
    ],
)
def test_inspection_order_and_choices(targets, grants, expected):
    assert entries(REQUEST, targets, grants) == expected


def test_inspection_entry_json_shape():
    entry = inspect(REQUEST, [EXACT], [])[0]
    assert isinstance(entry, InspectionEntry)
    assert list(entry.to_dict()) == ["permission", "requested", "granted", "eligible", "diagnostic"]


# ---- TOML tables ---------------------------------------------------------------------------------


def test_tables_round_trip():
    table = {"scheme": "https", "host": "api.example.com", "port": 443, "methods": ["GET"], "path_prefixes": ["/v1/"]}
    target = UrlTarget.of(REQUEST, table)
    assert target == req(host="api.example.com", port=443, methods=("GET",), paths=("/v1/",))
    assert target.to_table() == table
    assert UrlTarget.of(REQUEST, {}) == UrlTarget(REQUEST)  # every field optional (cur §1.10)
    assert ws().to_table() == {"scheme": "wss", "host": "gateway.example.com", "path_prefixes": ["/gateway"]}


# ---- URLs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parsed", "safe"),
    [
        ("https://api.example.test/v1/data?q=1#f", ParsedUrl("https", "api.example.test", None, "/v1/data"),
         "https://api.example.test/v1/data"),
        ("HTTPS://API.Example.Test", ParsedUrl("https", "api.example.test", None, "/"), "https://api.example.test/"),
        ("https://a.test:443/x", ParsedUrl("https", "a.test", None, "/x"), "https://a.test/x"),
        ("http://a.test:8080/x", ParsedUrl("http", "a.test", 8080, "/x"), "http://a.test:8080/x"),
        ("ws://[::1]:80/s", ParsedUrl("ws", "[::1]", None, "/s"), "ws://[::1]/s"),
        ("wss://[0:0:0:0:0:0:0:1]/s", ParsedUrl("wss", "[::1]", None, "/s"), "wss://[::1]/s"),
        ("http://127.0.0.1/v1/data", ParsedUrl("http", "127.0.0.1", None, "/v1/data"), "http://127.0.0.1/v1/data"),
        ("https://localhost./v1", ParsedUrl("https", "localhost.", None, "/v1"), "https://localhost./v1"),
    ],
)
def test_parse_url(text, parsed, safe):
    assert parse_url(text) == parsed
    assert parsed.safe() == safe


def test_safe_url_cuts_the_path_at_120_bytes():
    url = parse_url("https://a.test/" + "x" * 200 + "?secret=1")
    assert url.safe() == "https://a.test/" + "x" * 119 + "…"


@pytest.mark.parametrize(
    "text",
    [
        "file:///tmp/secret",  # scheme
        "ftp://a.test/x",
        "https://user:pw@a.test/x",  # credentials
        "https:///x",  # no host
        "https://a.test:99999/x",  # port
        "https://a test/x",  # spaces
        "https://a.test/\u00e9",  # non-ASCII
        "https://a.test\\x",  # backslash
        "https://a.test/v1/../admin",  # dot segments a parser would resolve
        "https://a.test/v1/%2e%2E/admin",
        "https://a.test/v1/./x",
        "https://a.test/{x}",  # percent-encoded by a URL parser
        "https://0x7f000001/x",  # IPv4 spellings a URL parser rewrites to 127.0.0.1
        "https://2130706433/x",
        "https://127.1/x",
        "https://0177.0.0.1/x",
        "https://1.2.3.4.5/x",
        "https://a%2eb.test/x",  # percent-encoded host
        "https://[::1%25eth0]/x",  # zone id
        "https://[not-v6]/x",
    ],
)
def test_parse_url_refuses_what_a_url_parser_would_rewrite(text):
    with pytest.raises(UrlError):
        parse_url(text)
