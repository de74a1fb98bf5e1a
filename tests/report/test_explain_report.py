"""explain: an eligible tool comes with its proof, a denied tool with the chain to the missing fact."""

from __future__ import annotations

from engine.grants.config import parse_config
from engine.package.materialize import load_package_path
from engine.report.explain import explain_package, json_ready, render_explain
from engine.verdict.build import build_verdict
from rule_cases import RAW_MANIFEST, config_for, judge, write_package
from wasm_builders import core_module

TWO_TOOLS = RAW_MANIFEST.replace(
    '{ kind = "tool", name = "echo" }]', '{ kind = "tool", name = "echo" }, { kind = "tool", name = "other" }]'
) + '\n[[tools]]\nname = "other"\ndescription = "Other."\ninput_schema = { type = "object" }\n'


def test_eligible_and_denied_tool(tmp_path):
    path = write_package(tmp_path / "p", TWO_TOOLS, {"tool.wasm": core_module()})
    package = load_package_path(path)
    config = parse_config(config_for(package.identity, package.digest, "1.0.0", ["tool"],
                                     ['{ kind = "surface", surface = "tool" }', '{ kind = "tool", name = "echo" }']),
                          "grants.toml")
    subject, evaluation = judge(path, config)
    report = explain_package(evaluation, build_verdict(evaluation), subject.ref)
    items = {item["name"]: item for item in report["items"]}
    echo, other = items["echo"], items["other"]
    assert echo["eligible"] and echo["reasons"] == []
    facts = [step["fact"] for step in echo["proof"]["steps"]]
    assert facts[0] == 'eligible("project:t.raw", "tool", "echo")'
    assert 'grants("project:t.raw", "tool", "echo")' in facts
    assert not other["eligible"]
    assert [r["message"] for r in other["reasons"]] == ["granted tool permission for `other` is missing"]
    assert [why["fact"] for why in other["why_not"]][-1] == 'grants_item("project:t.raw", "tool", "other")'
    text = render_explain(report)
    assert "tool echo: eligible" in text and "tool other: not eligible" in text
    assert "deny: granted tool permission for `other` is missing" in text
    assert all(not key.startswith("_") for item in json_ready(report)["items"] for key in item)
