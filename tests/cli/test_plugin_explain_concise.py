"""`yoi plugin explain` (issue 13 item 3): a few lines per item by default (verdict, the
conclusion about it, the input facts that decided it or the missing one); `--proof` the full
trees, each sub-proof printed once; JSON always the full structure."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from engine.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = ROOT / "examples" / "workspace"


def explain(*args: str):
    done = CliRunner().invoke(cli, ["plugin", "explain", "project:example.counter", "--workspace",
                                    str(WORKSPACE), "--policy", str(ROOT / "policy"), *args])
    assert done.exit_code == 0, done.output
    return done.stdout


def test_default_is_concise_and_names_the_deciding_facts():
    lines = explain().splitlines()
    assert len(lines) <= 20
    assert lines[0] == "plugin project:example.counter [partial] classification=instance"
    tool = lines.index("tool counter: eligible")
    assert lines[tool + 1].startswith('  from input facts: enabled_surface(P, "tool"), grants(P, "surface", "tool")')
    block = "\n".join(lines[tool + 1: lines.index("service counter-service: eligible")])
    for fact in ('grants(P, "tool", "counter")', 'requests(P, "tool", "counter")', 'tool(P, "counter")'):
        assert fact in block
    assert "rule:" not in block and "status.rules" not in block  # no proof tree
    ingress = lines.index("ingress counter-events: not eligible")
    assert lines[ingress + 1].startswith("  deny: granted surfaces.ingress permission is missing  (")
    assert lines[ingress + 2] == '  missing input fact: grants(P, "surface", "ingress")'
    assert lines[-1] == "(P = project:example.counter; --proof prints the full proofs)"


def test_proof_prints_each_sub_proof_once_across_items():
    text = explain("--proof")
    lines = text.splitlines()
    assert len(lines) > 40 and "  proof:" in lines
    binding = [line.strip() for line in lines if line.strip().startswith('binding_ok("project:example.counter")')]
    # proven under the tool, referred to under the service
    rules = ROOT / "rules" / "authorization.rules"
    line = next(n for n, text in enumerate(rules.read_text().splitlines(), 1) if text.startswith("binding_ok(P) :-"))
    assert binding[0].endswith(f"[by rule at {rules}:{line}:1]")
    # referred to under the service and in the proof of the ingress denial (issue 22 point 4)
    assert binding[1:] == ['binding_ok("project:example.counter")  (shown above)'] * 2
    end = lines.index("proofs of the denials that fired:")
    assert lines[end - 2] == '    grants("project:example.counter", "surface", "ingress") does not hold'


def test_json_keeps_the_full_structure_and_the_summary():
    report = json.loads(explain("--json"))
    items = {item["name"]: item for item in report["items"]}
    tool, ingress = items["counter"], items["counter-events"]
    assert tool["proof"]["steps"][0]["fact"] == 'eligible("project:example.counter", "tool", "counter")'
    assert 'grants("project:example.counter", "tool", "counter")' in tool["decided_by"]
    assert all(step["source"] == "input" for step in tool["proof"]["steps"] if step["fact"] in tool["decided_by"])
    assert len(ingress["why_not"]) > 1
    assert ingress["missing"] == {"fact": 'grants("project:example.counter", "surface", "ingress")', "input": True}
    assert json.loads(explain("--json", "--proof")) == report


def test_summary_of_a_long_proof_is_bounded():
    from engine.report.explain import MAX_SUMMARY_FACTS, render_explain

    facts = [f'edge("p", {i})' for i in range(500)]
    report = {"reference": "p", "status": "active", "classification": "instance", "package_denials": [],
              "items": [{"surface": "tool", "name": "t", "eligible": True, "surface_enabled": True,
                         "reasons": [], "decided_by": facts}]}
    lines = render_explain(report).splitlines()
    assert len(lines) < 8 and lines[-2].endswith(f"... {500 - MAX_SUMMARY_FACTS} more (see --proof)")
    assert sum(line.count("edge(P, ") for line in lines) == MAX_SUMMARY_FACTS


def test_a_missing_package_says_its_classification_is_unknown(tmp_path, monkeypatch):
    """There is no builtin store: `builtin:<id>` is missing, and says so without a Python `None`."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    (tmp_path / ".yoi").mkdir()
    (tmp_path / ".yoi" / "config.toml").write_text('[[plugins.enabled]]\nid = "builtin:example.raw-echo"\n')
    done = CliRunner().invoke(cli, ["plugin", "explain", "builtin:example.raw-echo", "--workspace", str(tmp_path)])
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert lines[:2] == ["plugin builtin:example.raw-echo [missing] classification=<unknown>",
                         "  package: enabled plugin package was not discovered"]
