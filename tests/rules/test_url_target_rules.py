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
    subject, evaluation = judge(path, parse_config(text, "config.toml"))
    # a binding problem is resolution's input diagnostic (kind grant), not a rule's conclusion
    assert "plugin grant is missing a source-qualified package id binding" in [d.message for d in subject.diagnostics]
