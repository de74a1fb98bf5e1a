"""The JSON shapes docs/reports.md documents are the shapes the commands print (issue 16 point 7).

The schema is read out of the page itself and allows no undocumented key, so a report that grows
a key, or a page that documents one the code no longer prints, fails here. The reports come from
real runs: the bundled examples with the example org policy, a rejected package, an unreadable
one, and a whole-run finding.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from engine.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = ROOT / "examples" / "workspace"
POLICY = ROOT / "policy"
FREEZE = 'deny org_freeze "freeze" :- package(_, _, _, _, _).\nwarn org_note(P) "note" :- package(P, _, _, _, _).\n'


@cache
def schema() -> dict:
    text = (ROOT / "docs" / "reports.md").read_text(encoding="utf-8")
    block = text[text.index("## Schema"):]
    return json.loads(re.search(r"^```json\n(.*?)^```$", block, re.M | re.S).group(1))


def validate(report: dict, shape: str) -> None:
    document = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema(), "$ref": f"#/$defs/{shape}"}
    validator = jsonschema.Draft202012Validator(document)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(report)]
    assert errors == [], errors[:5]


def run_json(*args) -> dict:
    done = CliRunner().invoke(cli, [str(a) for a in args])
    assert done.exit_code in (0, 1), done.output
    return json.loads(done.stdout)


@pytest.fixture
def freeze(tmp_path) -> Path:
    folder = tmp_path / "freeze"
    folder.mkdir()
    (folder / "org.rules").write_text(FREEZE)
    return folder


@pytest.mark.parametrize("example", ["raw-echo", "component-echo", "instance-counter"])
def test_check_reports_have_the_documented_shape(example):
    validate(run_json("plugin", "check", ROOT / "examples" / example, "--policy", POLICY, "--json"), "check_report")


def test_check_of_rejected_and_unreadable_packages_and_run_findings(tmp_path, freeze):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "plugin.toml").write_text("id = [\n")
    report = run_json("plugin", "check", broken, "--json")
    validate(report, "check_report")
    assert report["package"] is None and report["diagnostics"][0]["phase"] == "manifest"
    report = run_json("plugin", "check", ROOT / "examples" / "instance-counter", "--grants",
                      WORKSPACE / ".yoi" / "config.toml", "--policy", freeze, "--json")
    validate(report, "check_report")
    assert report["status"] == "rejected" and {f["code"] for f in report["run_findings"]} == {"org_freeze"}
    assert set(report["rules"]) == {"surface_not_granted", "org_freeze", "org_note"}
    assert report["rules"]["org_freeze"]["about"] == "run" and report["rules"]["org_note"]["declared"] is False


def test_list_show_explain_graph_and_startup_have_the_documented_shape(freeze):
    listed = run_json("plugin", "list", "--workspace", WORKSPACE, "--policy", POLICY, "--json")
    validate(listed, "list_report")
    counter = next(item for item in listed["items"] if item["reference"] == "project:example.counter")
    ingress = counter["static_runtime"]["ingresses"][0]
    [index] = ingress["findings"]
    assert counter["conclusions"][index]["code"] == "surface_not_granted"  # the item refers to its finding
    shown = run_json("plugin", "show", "example.counter", "--workspace", WORKSPACE, "--policy", freeze, "--json")
    validate(shown, "show_report")
    assert {f["code"] for f in shown["run_findings"]} == {"org_freeze"}
    validate(run_json("plugin", "explain", "example.counter", "--workspace", WORKSPACE, "--policy", freeze, "--json"),
             "explain_report")
    graph = run_json("plugin", "graph", "example.counter", "--workspace", WORKSPACE, "--policy", freeze,
                     "--format", "json")
    assert set(graph["rules"]) == {"org_freeze"} and [f["code"] for f in graph["run_findings"]] == ["org_freeze"]
    from engine.host.startup import evaluate_startup

    for policy in (POLICY, freeze):
        validate(evaluate_startup(WORKSPACE, None, [policy]).to_dict(), "startup_report")


def test_each_finding_is_said_once_in_a_list_report():
    listed = run_json("plugin", "list", "--workspace", WORKSPACE, "--policy", POLICY, "--json")
    text = json.dumps(listed)
    counter = next(item for item in listed["items"] if item["reference"] == "project:example.counter")
    [finding] = counter["conclusions"]
    # once as the finding, once as the item's `diagnostic` (spec §4.1): nowhere else
    assert text.count("granted surfaces.ingress permission is missing") == 2
    assert counter["diagnostics"] == []
    assert "tools" not in counter["static_runtime"]
    # the rule's location is in the catalog, not in every finding
    assert "rule" not in finding and listed["rules"]["surface_not_granted"]["locations"][0]["file"].endswith(
        "authorization.rules")


def test_the_schema_is_strict():
    """A report with an undocumented key does not validate."""
    report = run_json("plugin", "check", ROOT / "examples" / "raw-echo", "--json")
    with pytest.raises(AssertionError):
        validate({**report, "extra": 1}, "check_report")
    with pytest.raises(AssertionError):
        validate({**report, "conclusions": [{"severity": "deny", "code": "x", "message": "m", "args": [],
                                             "location": None, "rule": {}}]}, "check_report")
