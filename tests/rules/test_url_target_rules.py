"""`request` and `websocket` host APIs through the rules (yoi-current-spec.md §3.4, §3.5, §3.6):
the manifest declares `[[request]]`/`[[websocket]]` targets, the grant allows URLs, and the API is
authorized (and planned, with both sides) only where a usable target and a usable grant meet."""

from __future__ import annotations

import pytest

from engine.grants.config import parse_config
from engine.package.materialize import load_package_path
from engine.verdict.plans import make_plans
from rule_cases import TOOL_MANIFEST, codes, config_for, judge, write_package
from wasm_builders import TOOL_WORLD_EXPORTS, component

API_PERMISSION = '{{ kind = "host_api", api = "{}" }}'
BASE = ['{ kind = "surface", surface = "tool" }', '{ kind = "tool", name = "echo" }']
REQUEST_TARGET = '[[request]]\nscheme = "https"\nhost = "api.example.test"\nmethods = ["GET"]\npath_prefixes = ["/v1"]\n'
WS_TARGET = '[[websocket]]\nscheme = "wss"\nhost = "gw.example.test"\npath_prefixes = ["/socket"]\n'


def _package(tmp_path, api: str, targets: str):
    manifest = TOOL_MANIFEST.replace(
        '{ kind = "tool", name = "echo" }]', '{ kind = "tool", name = "echo" }, ' + API_PERMISSION.format(api) + "]")
    return write_package(tmp_path / "pkg", manifest + targets, {"tool.wasm": component(TOOL_WORLD_EXPORTS)})


def _config(path, api: str, grants: str):
    package = load_package_path(path)
    text = config_for(package.identity, package.digest, package.manifest.version, ["tool"],
                      [*BASE, API_PERMISSION.format(api)], grants)
    return parse_config(text, "config.toml")


def _denials(evaluation, ref):
    return [c.message for c in evaluation.conclusions(ref) if c.severity == "deny"]


@pytest.mark.parametrize(
    ("api", "target", "grant", "disjoint"),
    [
        ("request", REQUEST_TARGET,
         '[[plugins.enabled.grants.request]]\nscheme = "https"\nhost = "api.example.test"\nmethods = ["GET"]\n',
         '[[plugins.enabled.grants.request]]\nscheme = "https"\nhost = "other.example.test"\nmethods = ["GET"]\n'),
        ("websocket", WS_TARGET,
         '[[plugins.enabled.grants.websocket]]\nscheme = "*"\nhost = "*"\n',
         '[[plugins.enabled.grants.websocket]]\nscheme = "wss"\nhost = "gw.example.test"\npath_prefixes = ["/x"]\n'),
    ],
)
def test_target_and_grant_authorize_and_plan(tmp_path, api, target, grant, disjoint):
    path = _package(tmp_path, api, target)
    # check without grants: not rejected, but it says grants are needed (cur §4.2 would reject)
    subject, evaluation = judge(path)
    assert codes(evaluation) == set()
    assert "url_target_grants_needed" in codes(evaluation, "info")
    assert not evaluation.holds("host_api_eligible", subject.ref, api)
    # no grant entries: upstream's grant-side message
    subject, evaluation = judge(path, _config(path, api, ""))
    assert _denials(evaluation, subject.ref) == [f"enabled host_api.{api} grants are missing"]
    assert evaluation.holds("tool_eligible", subject.ref, "echo")  # host API denials block the API only
    # grants that never meet a target
    subject, evaluation = judge(path, _config(path, api, disjoint))
    assert _denials(evaluation, subject.ref) == [
        f"no enabled host_api.{api} grant intersects a usable manifest {api} target: every call would be refused"]
    # target ∩ grant non-empty: authorized, planned with both sides
    subject, evaluation = judge(path, _config(path, api, grant))
    assert _denials(evaluation, subject.ref) == []
    assert evaluation.holds("host_api_eligible", subject.ref, api)
    (plan,) = make_plans(evaluation)
    assert plan.host_apis == (api,)
    assert [t.label for t in plan.targets(api)] == [t.label for t in load_package_path(path).manifest.targets_of(api)]
    assert len(plan.allowlist(api)) == 1
    assert plan.to_dict()[f"{api}_targets"][0]["host"] in ("api.example.test", "gw.example.test")
    facts = evaluation.facts
    assert (subject.ref, api, "intersects", 0, 0) in facts["url_target_relation"]
    assert (subject.ref, "manifest", api, 0) in facts["url_target_usable"]


def test_a_package_without_usable_targets_is_denied_with_upstreams_message(tmp_path):
    path = _package(tmp_path, "request", '[[request]]\nscheme = "https"\nhost = "api.example.test"\nmethods = ["TRACE"]\n')
    grant = '[[plugins.enabled.grants.request]]\nscheme = "*"\nhost = "*"\nmethods = ["GET"]\n'
    subject, evaluation = judge(path, _config(path, "request", grant))
    assert _denials(evaluation, subject.ref) == ["manifest host_api.request target declaration is missing"]
    subject, evaluation = judge(path)  # even check without grants: the manifest can never work
    assert codes(evaluation) == {"url_target_declaration_missing"}


def test_targets_of_one_api_never_authorize_the_other(tmp_path):
    """cur §1.11: WebSocket targets are independent of request targets."""
    path = _package(tmp_path, "websocket", REQUEST_TARGET)
    grant = '[[plugins.enabled.grants.websocket]]\nscheme = "*"\nhost = "*"\n'
    subject, evaluation = judge(path, _config(path, "websocket", grant))
    assert _denials(evaluation, subject.ref) == ["manifest host_api.websocket target declaration is missing"]


def test_a_grant_with_only_targets_needs_the_full_binding(tmp_path):
    """cur §3.4: a grant is empty (binding-free) only when permissions, request, websocket and fs
    are all empty."""
    from engine.grants.model import Grants
    from engine.grants.url_targets import REQUEST, UrlTarget

    assert Grants().is_empty
    assert not Grants(request=(UrlTarget(REQUEST),)).is_empty
    path = _package(tmp_path, "request", REQUEST_TARGET)
    package = load_package_path(path)
    text = (f'[[plugins.enabled]]\nid = "{package.identity}"\nsurfaces = ["tool"]\n'
            '[[plugins.enabled.grants.request]]\nscheme = "https"\nhost = "api.example.test"\nmethods = ["GET"]\n')
    from engine.grants.resolve import binding_problem

    problem = binding_problem(parse_config(text, "config.toml").enabled[0].grants, package)
    assert problem is not None and problem.message == "plugin grant is missing a source-qualified package id binding"


def test_current_format_is_a_rule_over_what_only_b12e0785_has(tmp_path):
    """rules/runtime.rules: request/websocket, a target table or a websocket: source makes a package
    current-format; the plan carries it (and whether host_request_dispatch is performed)."""
    plain = write_package(tmp_path / "plain", TOOL_MANIFEST, {"tool.wasm": component(TOOL_WORLD_EXPORTS)})
    subject, evaluation = judge(plain)
    assert not evaluation.holds("current_format", subject.ref)
    path = _package(tmp_path, "request", REQUEST_TARGET)
    subject, evaluation = judge(path)
    assert evaluation.holds("current_format", subject.ref)
    grant = '[[plugins.enabled.grants.request]]\nscheme = "https"\nhost = "api.example.test"\nmethods = ["GET"]\n'
    subject, evaluation = judge(path, _config(path, "request", grant))
    (plan,) = make_plans(evaluation)
    assert plan.current_format and plan.host_request_dispatch
    # a policy turns the dispatch off with a conclusion of that code
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "no_dispatch.rules").write_text(
        'info host_request_dispatch_disabled(P) "request dispatch from output commands is off here" :-\n'
        '    package(P, _, _, _, _).\n')
    subject, evaluation = judge(path, _config(path, "request", grant), policy_dirs=[policy])
    (plan,) = make_plans(evaluation)
    assert plan.current_format and not plan.host_request_dispatch


def test_a_bad_target_table_is_located_at_its_line(tmp_path):
    manifest = TOOL_MANIFEST + '[[request]]\nscheme = "https"\nhost = "a.test"\nport = 70000\n'
    from engine.diagnostics import DiagnosticError
    from engine.package.manifest import load_manifest

    try:
        load_manifest(manifest.encode(), {"tool.wasm"})
    except DiagnosticError as error:
        (diagnostic,) = error.diagnostics
    assert diagnostic.message == "plugin.toml: `request[0].port` must be between 0 and 65535"
    assert diagnostic.location.line == manifest.splitlines().index("port = 70000") + 1


@pytest.mark.parametrize(("record", "value", "table"), [
    ("request", "https://api.example.com:8443/v1:GET,POST",
     {"scheme": "https", "host": "api.example.com", "port": 8443, "methods": ["GET", "POST"], "path_prefixes": ["/v1"]}),
    ("request", "http://127.0.0.1/", {"scheme": "http", "host": "127.0.0.1", "methods": ["GET"], "path_prefixes": []}),
    ("websocket", "wss://gw.example.com/socket", {"scheme": "wss", "host": "gw.example.com", "path_prefixes": ["/socket"]}),
])
def test_dev_flags_spell_one_grant_entry(record, value, table):
    """`yoi plugin dev --allow-request/--allow-websocket` (engine/dev/grants.py) come with the registry entries."""
    from engine import api_registry

    assert api_registry.get(record).grant.from_flag(value).to_table() == table


@pytest.mark.parametrize(("record", "value"), [
    ("request", "ws://h/x"), ("websocket", "https://h/x"), ("request", "https://h/x?q=1"), ("request", "https://:8/x"),
])
def test_dev_flags_refuse_what_is_not_one_url_of_the_api(record, value):
    from engine import api_registry

    with pytest.raises(ValueError):
        api_registry.get(record).grant.from_flag(value)
