"""Limits and restart in the enablement (issue 9 item 2, static side): strict schema, effective
values capped to the host maxima, facts and warnings, and what check/show/explain and plans show."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from example_workspace import EXAMPLES, enablement, write_config
from engine.cli.main import cli
from engine.plan import DEFAULT_LIMITS, HOST_MAXIMA

COUNTER = "project:example.counter"
LIMITS = "\n[plugins.enabled.limits]\nfuel = 20000000\nmemory_bytes = 16777216\ntimeout_ms = 99999999\n"
RESTART = "\n[plugins.enabled.restart]\nmax_restarts = 5\nbackoff_ms = 20\nbackoff_max_ms = 400\n"


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def limited(workspace):
    write_config(workspace, enablement("instance-counter", extra=LIMITS + RESTART), enablement("raw-echo"))
    return workspace


def test_show_reports_effective_raised_and_capped_limits_and_the_plan_carries_them(limited):
    result = run("plugin", "show", COUNTER, "--workspace", str(limited), "--json")
    assert result.exit_code == 0, result.output
    item = json.loads(result.stdout)
    limits = item["limits"]
    assert limits["effective"] == {"fuel": 20_000_000, "memory_bytes": 16 * 1024 * 1024,
                                   "table_elements": DEFAULT_LIMITS.table_elements,
                                   "timeout_ms": HOST_MAXIMA.timeout_ms, "compile_ms": DEFAULT_LIMITS.compile_ms}
    assert limits["raised"] == {"fuel": 20_000_000, "memory_bytes": 16777216, "timeout_ms": 30_000}
    assert limits["capped"] == {"timeout_ms": {"requested": 99999999, "maximum": 30_000}}
    assert limits["restart"] == {"max_restarts": 5, "backoff_ms": 20, "backoff_max_ms": 400, "reset_after_ms": 60_000}
    plan = item["plan"]
    assert plan["limits"]["fuel"] == 20_000_000 and plan["limits"]["timeout_ms"] == 30_000
    assert plan["limits"]["max_input_bytes"] == DEFAULT_LIMITS.max_input_bytes
    assert plan["raised_limits"] == limits["raised"]
    assert plan["restart"] == {"max_restarts": 5, "backoff_ms": 20, "backoff_max_ms": 400, "reset_after_ms": 60_000}
    codes = {(c["severity"], c["code"], tuple(c["args"][1:])) for c in item["conclusions"]}
    assert ("warn", "limit_raised", ("fuel", 20_000_000)) in codes
    assert ("warn", "limit_capped", ("timeout_ms", 99999999, 30_000)) in codes
    assert item["status"] == "active"  # a warning, not a denial
    capped = next(c for c in item["conclusions"] if c["code"] == "limit_capped")
    config_lines = (limited / ".yoi" / "config.toml").read_text().splitlines()
    # at the limit it is about (issue 22 point 3), no longer the [[plugins.enabled]] line
    assert capped["location"]["file"].endswith("config.toml")
    assert config_lines[capped["location"]["line"] - 1].startswith("timeout_ms = 99999999")

    human = run("plugin", "show", COUNTER, "--workspace", str(limited)).stdout
    assert "raised_limits: fuel=20000000, memory_bytes=16777216, timeout_ms=30000 (capped from 99999999)" in human
    assert "restart: backoff_max_ms=400, backoff_ms=20, max_restarts=5" in human
    assert "- counter-service lifecycle=host-managed" in human


def test_defaults_raise_nothing(limited):
    item = json.loads(run("plugin", "show", "project:example.raw-echo", "--workspace", str(limited), "--json").stdout)
    assert item["limits"]["raised"] == {} and item["limits"]["capped"] == {}
    assert item["plan"]["limits"] == DEFAULT_LIMITS.to_dict()
    assert item["plan"]["restart"] == {"max_restarts": 3, "backoff_ms": 100, "backoff_max_ms": 5000,
                                       "reset_after_ms": 60_000}
    assert not [c for c in item["conclusions"] if c["code"].startswith("limit_")]


def test_check_with_grants_shows_raised_limits(limited):
    config = limited / ".yoi" / "config.toml"
    result = run("plugin", "check", str(EXAMPLES / "instance-counter"), "--grants", str(config), "--json")
    report = json.loads(result.stdout)
    assert report["limits"]["raised"]["fuel"] == 20_000_000
    kinds = {(d["kind"], d["severity"]) for d in report["diagnostics"] if d.get("code", "").startswith("limit_")}
    assert kinds == {("limits", "warn")}
    human = run("plugin", "check", str(EXAMPLES / "instance-counter"), "--grants", str(config)).stdout
    assert "raised limits: fuel=20000000, memory_bytes=16777216, timeout_ms=30000 (capped from 99999999)" in human
    assert "enablement asks for runtime limit `timeout_ms` = 99999999, above the host maximum; capped to 30000" in human


def test_explain_shows_raised_limits(limited):
    report = json.loads(run("plugin", "explain", COUNTER, "--workspace", str(limited), "--json").stdout)
    assert report["limits"]["raised"]["memory_bytes"] == 16777216
    assert any(d["code"] == "limit_raised" for d in report["package_denials"])
    human = run("plugin", "explain", COUNTER, "--workspace", str(limited)).stdout
    assert "  raised limits: fuel=20000000" in human


def test_a_policy_can_deny_on_the_effective_limit(limited, tmp_path):
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "fuel.rules").write_text(
        'deny fuel_over_budget(P, V) "fuel {V} is over the org budget" :- limit(P, "fuel", V), V > 10000000.\n')
    item = json.loads(run("plugin", "show", COUNTER, "--workspace", str(limited), "--policy", str(policy),
                          "--json").stdout)
    assert item["status"] == "rejected" and item["plan"] is None
    assert "fuel 20000000 is over the org budget" in {c["message"] for c in item["conclusions"]}


@pytest.mark.parametrize(("table", "message"), [
    ("[plugins.enabled.limits]\nfuel = true\n", "`plugins.enabled[0].limits.fuel` must be an integer"),
    ("[plugins.enabled.limits]\nfuel = 0\n", "`plugins.enabled[0].limits.fuel` must be at least 1"),
    ("[plugins.enabled.limits]\nmemory_bytes = -5\n", "`plugins.enabled[0].limits.memory_bytes` must be at least 1"),
    ("[plugins.enabled.limits]\ntimeout_ms = 1.5\n", "`plugins.enabled[0].limits.timeout_ms` must be an integer"),
    ("[plugins.enabled.limits]\nmax_input_bytes = 1\n", "`plugins.enabled[0].limits.max_input_bytes` is not allowed"),
    ("limits = 5\n", "`plugins.enabled[0].limits` must be a table"),
    ("[plugins.enabled.restart]\nmax_restarts = 101\n",
     "`plugins.enabled[0].restart.max_restarts` must be at most 100"),
    ("[plugins.enabled.restart]\nbackoff_ms = 0\n", "`plugins.enabled[0].restart.backoff_ms` must be at least 1"),
    ("[plugins.enabled.restart]\nbackoff_ms = 9000\n",
     "`plugins.enabled[0].restart.backoff_max_ms` must be at least `backoff_ms` (9000)"),
    ("[plugins.enabled.restart]\njitter = 1\n", "`plugins.enabled[0].restart.jitter` is not allowed"),
])
def test_bad_limits_and_restart_tables_are_config_errors(workspace, table, message):
    write_config(workspace, '[[plugins.enabled]]\nid = "project:example.counter"\n' + table)
    result = run("plugin", "list", "--workspace", str(workspace))
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_the_registry_runs_with_the_enablements_limits(workspace, tmp_path):
    """The effective (capped) limits and restart policy reach the runtime through the plan: one
    unit of fuel cannot even start the counter, and the failure is not retried (max_restarts 0)."""
    from engine.host.startup import start_plans
    from engine.runtime import HostConfig, RuntimeFault

    starving = ("\n[plugins.enabled.limits]\nfuel = 1\ntimeout_ms = 99999999\n"
                "[plugins.enabled.restart]\nmax_restarts = 0\n")
    write_config(workspace, enablement("instance-counter", extra=starving),
                 enablement("raw-echo", extra=LIMITS + RESTART))
    report = start_plans(workspace, host=HostConfig(cache_dir=tmp_path / "compiled"))
    with report.registry as registry:
        (started,) = report.service_starts  # the counter's service is started with the host
        assert (started["ref"], started["ok"], started["error"]["kind"]) == (COUNTER, False, "fuel")
        with pytest.raises(RuntimeFault) as fault:
            registry.start(COUNTER)
        assert fault.value.kind == "failed" and "0/0 restarts used" in fault.value.message  # not retried
        status = registry.status(COUNTER)
        assert status["limits"]["fuel"] == 1 and status["limits"]["timeout_ms"] == HOST_MAXIMA.timeout_ms
        assert status["restarts"]["max"] == 0
        assert registry.status("project:example.raw-echo")["restarts"] == {
            "count": 0, "max": 5, "backoff_ms": 20, "backoff_max_ms": 400, "reset_after_ms": 60_000,
            "next_attempt_in_ms": None}
        raw = registry.status("project:example.raw-echo")["limits"]
        assert raw["fuel"] == 20_000_000 and raw["memory_bytes"] == 16 * 1024 * 1024
        assert registry.call_tool("project:example.raw-echo", "raw_echo", "{}")["summary"] == "echo from raw_echo"


def test_limit_facts_without_an_enablement_are_the_defaults():
    from engine.graph.build import build_graph
    from engine.graph.facts import export_facts
    from engine.pipeline.subjects import check_subject

    graph = build_graph([check_subject(EXAMPLES / "instance-counter")])
    facts = export_facts(graph)
    ref = "project:example.counter"
    assert {(n, v) for (p, n, v) in facts["limit"] if p == ref} == {
        ("fuel", 5_000_000), ("timeout_ms", 1000), ("memory_bytes", 2 * 1024 * 1024), ("table_elements", 256),
        ("compile_ms", 60_000)}
    assert facts["limit_requested"] == set()
    assert ("fuel", 10**10) in facts["limit_maximum"] and ("timeout_ms", 1000) in facts["limit_default"]
    assert (ref, "max_restarts", 3) in facts["restart"]
    node = graph.nodes[("limits", ref)]
    assert node["effective"]["fuel"] == 5_000_000 and node["restart"]["backoff_ms"] == 100  # plain JSON data
