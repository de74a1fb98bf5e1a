"""The startup gate (issue 9 item 1): only plans reach the registry; a package the rules refused
(an org policy deny, a rejection) starts nothing and its artifact is never compiled.

The refused packages' artifacts are modules wasmtime cannot compile (see `uncompilable`): had the
runtime touched them, a compile error would be the result, as the control test shows. The
compiled-artifact cache gets one file per compiled artifact; after running everything that was
planned it holds exactly the planned ones.
"""

from __future__ import annotations

import pytest

from example_workspace import EXAMPLE_GRANTS, add_raw_package, enablement, write_config
from engine.host.startup import HostError, evaluate_startup, lookup_ref, start_plans
from engine.runtime import HostConfig, RuntimeFault

ORG_POLICY = ('deny org_blocks_package(P) "org policy: package {P} is not allowed here" :-\n'
              '    package(P, _, LocalId, _, _), startswith(LocalId, "blocked.").\n'
              'deny org_blocks_raw_echo(P) "org policy: raw echo is retired" :-\n'
              '    package(P, _, "example.raw-echo", _, _).\n')


@pytest.fixture
def gated(workspace, tmp_path):
    """The examples, plus a policy-denied and a rule-rejected package, both uncompilable; the org
    policy also denies the (valid) raw-echo example."""
    blocked, blocked_table = add_raw_package(workspace, "blocked.pkg", "blocked_echo")
    rejected, rejected_table = add_raw_package(workspace, "ungranted.pkg", "ungranted_echo", grant_tool=False)
    write_config(workspace, *(enablement(f) for f in EXAMPLE_GRANTS), blocked_table, rejected_table)
    policy = tmp_path / "org-policy"
    policy.mkdir()
    (policy / "org.rules").write_text(ORG_POLICY)
    return workspace, policy, blocked, rejected


def _compiled(cache):
    folder = cache
    if not folder.exists():
        return []
    entries = [p for p in folder.iterdir() if p.name != "mac.key" and not p.name.endswith(".mac")]  # MAC files
    return sorted(p.name.split(".", 1)[1] for p in entries)


def test_refused_packages_start_nothing_and_are_never_compiled(gated, tmp_path):
    workspace, policy, blocked, rejected = gated
    cache = tmp_path / "compiled"
    report = start_plans(workspace, None, [policy], host=HostConfig(cache_dir=cache))
    with report.registry as registry:
        assert set(registry.refs()) == {"project:example.component-echo", "project:example.counter"}
        assert set(report.started_refs) == set(registry.refs())
        refused = {entry["ref"]: entry for entry in report.refused}
        assert set(refused) == {blocked, rejected, "project:example.raw-echo"}
        assert refused[blocked]["status"] == "rejected"
        assert refused[blocked]["reasons"] == [f"org policy: package {blocked} is not allowed here"]
        assert refused["project:example.raw-echo"]["reasons"] == ["org policy: raw echo is retired"]
        assert "granted tool permission for `ungranted_echo` is missing" in refused[rejected]["reasons"][0]
        # every planned tool runs; every refused package is unknown to the registry
        for ref in registry.refs():
            for tool in registry.plan(ref).tools:
                assert "summary" in registry.call_tool(ref, tool.name, "{}")
        for ref in refused:
            with pytest.raises(RuntimeFault) as fault:
                registry.start(ref)
            assert fault.value.kind == "not_found"
            with pytest.raises(HostError) as refusal:
                lookup_ref(report, ref)
            assert refusal.value.kind == "denied" and "refused at startup [rejected]" in refusal.value.message
    # two components compiled; no core module at all (both raw packages were refused)
    assert _compiled(cache) == ["component.cwasm", "component.cwasm"]
    text = report.render()
    assert f"refused {blocked} [rejected]" in text and "reason: org policy: raw echo is retired" in text
    assert "WASM module error" not in text


def test_control_the_refused_artifact_would_fail_to_compile(gated, tmp_path):
    """Without the org policy the blocked package is planned, and starting it is a compile error:
    the absence of that error above means its bytes never reached wasmtime."""
    workspace, _, blocked, rejected = gated
    report = start_plans(workspace, host=HostConfig(cache_dir=tmp_path / "compiled"))
    with report.registry as registry:
        assert blocked in registry.refs() and rejected not in registry.refs()
        with pytest.raises(RuntimeFault) as fault:
            registry.call_tool(blocked, "blocked_echo", "{}")
        assert fault.value.kind in ("load", "failed") and "WASM module error" in fault.value.message


def test_planned_packages_report_their_denied_items(workspace):
    report = evaluate_startup(workspace)
    assert report.refused == ()
    assert report.denied_items["project:example.counter"] == []
    write_config(workspace, *(enablement(f) for f in ("raw-echo", "component-echo")),
                 enablement("instance-counter").replace('  { kind = "ingress", name = "counter-events" }', ""))
    report = evaluate_startup(workspace)
    assert report.denied_items["project:example.counter"] == [
        "granted ingress permission for `counter-events` is missing"]
    assert "    denied: granted ingress permission for `counter-events` is missing" in report.render()
    assert [i.name for i in next(p for p in report.plans if p.ref == "project:example.counter").ingresses] == []


def test_lookup_by_local_id_and_unknown_refs(workspace):
    report = evaluate_startup(workspace)
    assert lookup_ref(report, "example.counter") == "project:example.counter"
    for bad, kind in (("nope", "not_found"), ("builtin:nope", "not_found"), ("", "invalid_request")):
        with pytest.raises(HostError) as error:
            lookup_ref(report, bad)
        assert error.value.kind == kind
