"""SARIF output: valid against the OASIS 2.1.0 schema and shaped as GitHub code scanning ingests it."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest
from hypothesis import given, settings, strategies as st

from engine.report.sarif import humanize, rule_id, sarif_log, sarif_rules_catalog

SCHEMA_PATH = Path(__file__).parent / "fixtures" / "sarif-schema-2.1.0.json"


@lru_cache(maxsize=1)
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def assert_valid(log: dict) -> None:
    errors = sorted(validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    json.dumps(log, allow_nan=False)  # plain JSON only


def assert_github_shape(log: dict) -> None:
    """GitHub code-scanning ingestion rules (anchors A.6) the schema does not enforce."""
    assert log["$schema"] and log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "yoi-plugin-engine" and driver["version"]
    assert run["automationDetails"]["id"].endswith("/")
    rules = driver["rules"]
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids))
    if run["results"]:
        assert rules
    for rule in rules:
        assert rule["id"] and len(rule["name"]) <= 255
        for key in ("shortDescription", "fullDescription", "help"):
            assert 0 < len(rule[key]["text"]) <= 1024
        assert rule["defaultConfiguration"]["level"] in ("note", "warning", "error")
        properties = rule["properties"]
        assert {"security", "yoi-plugin"} <= set(properties["tags"]) and len(properties["tags"]) <= 20
        assert properties["precision"] in ("very-high", "high", "medium", "low")
        assert properties["problem.severity"] in ("error", "warning", "recommendation")
        if "security-severity" in properties:
            assert 0.0 < float(properties["security-severity"]) <= 10.0
    fingerprints = []
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("note", "warning", "error")
        assert result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        uri = location["artifactLocation"]["uri"]
        assert uri and "\\" not in uri and " " not in uri
        assert not uri.startswith("/")
        assert location["region"]["startLine"] >= 1 and location["region"]["startColumn"] >= 1
        fingerprints.append(result["partialFingerprints"]["primaryLocationLineHash"])
    assert len(fingerprints) == len(set(fingerprints))


def make_package(root: Path, name: str = "pkg") -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "plugin.toml").write_text('schema_version = 1\nid = "example.pkg"\n', encoding="utf-8")
    return folder


def conclusion(code, severity="deny", message="tool `echo` is not granted", line=7, column=1, file="plugin.toml",
               rule=None):
    return {
        "severity": severity, "code": code, "message": message, "args": ["project:example.pkg", "tool", "echo"],
        "location": None if line is None else {"file": file, "line": line, "column": column},
        "rule": rule,
    }


def report(input_path, conclusions=(), diagnostics=(), package=True, status="rejected"):
    """A check report in the documented shape: each conclusion's rule is in the `rules` catalog."""
    rules = {c["code"]: {"locations": [c["rule"]]} for c in conclusions if c.get("rule")}
    return {
        "command": "check", "status": status, "input_path": str(input_path),
        "package": {"reference": "project:example.pkg", "digest": "sha256:" + "ab" * 32, "version": "1.0.0"}
        if package else None,
        "diagnostics": list(diagnostics),
        "conclusions": [{k: v for k, v in c.items() if k != "rule"} for c in conclusions],
        "rules": rules,
    }


def results(log):
    return log["runs"][0]["results"]


def test_rule_ids_and_descriptions():
    assert rule_id("item_not_granted") == "yoi/item_not_granted"
    assert rule_id("org/no_fs_write") == "org/no_fs_write"
    assert humanize("yoi/item_not_granted") == "Item not granted"
    catalog = sarif_rules_catalog([
        {"rule_id": "yoi/b_rule", "severity": "warn", "message": "first b"},
        {"rule_id": "yoi/a_rule", "severity": "deny", "message": "first a"},
        {"rule_id": "yoi/b_rule", "severity": "deny", "message": "second b"},
    ])
    assert [r["id"] for r in catalog] == ["yoi/a_rule", "yoi/b_rule"]
    b = catalog[1]
    assert b["name"] == "BRule" and b["shortDescription"]["text"] == "B rule"
    assert b["fullDescription"]["text"] == "first b"
    assert b["defaultConfiguration"]["level"] == "warning" and "security-severity" not in b["properties"]
    assert catalog[0]["properties"]["security-severity"] == "8.0"


def test_conclusions_become_results_relative_to_repo_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_package(tmp_path / "plugins")
    rules_file = tmp_path / "policy" / "org.rules"
    rules_file.parent.mkdir()
    rules_file.write_text("# org policy\n", encoding="utf-8")
    check = report("plugins/pkg", [
        conclusion("item_not_granted", "deny", line=7, column=3),
        conclusion("external_write_needs_review", "warn", "tool `echo` writes externally", line=9,
                   rule={"file": str(rules_file), "line": 4, "column": 1}),
        conclusion("host_api_allowlist_missing", "info", "host API `https` needs an allowlist", line=None),
    ])
    log = sarif_log([check], tool_version="0.1.0", base_dir=tmp_path)
    assert_valid(log)
    assert_github_shape(log)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["semanticVersion"] == "0.1.0" and driver["version"] == "0.1.0"
    assert log["runs"][0]["automationDetails"] == {"id": "yoi-plugin-check/"}
    deny, warn, info = results(log)
    assert [r["level"] for r in (deny, warn, info)] == ["error", "warning", "note"]
    assert deny["ruleId"] == "yoi/item_not_granted"
    assert deny["message"]["text"] == "tool `echo` is not granted"
    region = deny["locations"][0]["physicalLocation"]
    assert region["artifactLocation"]["uri"] == "plugins/pkg/plugin.toml"
    assert region["region"] == {"startLine": 7, "startColumn": 3}
    # A package-level conclusion without a location points at plugin.toml line 1.
    assert info["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    assert info["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "plugins/pkg/plugin.toml"
    # An org rule inside the repository is a related location; deny rules are security rules.
    related = warn["relatedLocations"][0]["physicalLocation"]
    assert related["artifactLocation"]["uri"] == "policy/org.rules" and related["region"]["startLine"] == 4
    rules = {r["id"]: r for r in driver["rules"]}
    assert rules["yoi/item_not_granted"]["properties"]["security-severity"] == "8.0"
    assert rules["yoi/item_not_granted"]["defaultConfiguration"]["level"] == "error"
    assert deny["properties"]["package"] == "project:example.pkg"


def test_base_dir_other_than_cwd_and_escaped_uri(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    folder = make_package(repo / "my plugins")
    monkeypatch.chdir(repo / "my plugins")
    log = sarif_log([report("pkg", [conclusion("item_not_granted")])], tool_version="0.1.0", base_dir=repo)
    assert_valid(log)
    assert_github_shape(log)
    uri = results(log)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "my%20plugins/pkg/plugin.toml"
    assert (repo / unquote(uri)).resolve() == (folder / "plugin.toml").resolve()


def test_line_zero_and_missing_column_never_reach_the_log(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_package(tmp_path)
    log = sarif_log([report("pkg", [conclusion("x", line=0, column=None), conclusion("y", line=-3, column=0)])],
                    tool_version="0.1.0", base_dir=tmp_path)
    assert_valid(log)
    for result in results(log):
        assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 1, "startColumn": 1}


def test_unreadable_package_still_produces_a_result(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "plugin.toml").write_text("not = [valid toml\n", encoding="utf-8")
    archive = tmp_path / "bad.yoi-plugin"
    archive.write_bytes(b"not a zip")
    reports = [
        report("broken", diagnostics=[{"kind": "malformed", "phase": "manifest", "message": "plugin.toml is not valid TOML"}],
               package=False),
        report("bad.yoi-plugin", diagnostics=[{"kind": "archive", "phase": "package", "message": "not a ZIP archive"}],
               package=False),
    ]
    log = sarif_log(reports, tool_version="0.1.0", base_dir=tmp_path)
    assert_valid(log)
    assert_github_shape(log)
    first, second = results(log)
    assert first["ruleId"] == "yoi/package_unreadable_malformed" and first["level"] == "error"
    assert first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken/plugin.toml"
    assert second["ruleId"] == "yoi/package_unreadable_archive"
    assert second["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "bad.yoi-plugin"
    assert second["message"]["text"] == "not a ZIP archive"
    # A malformed input is an error, not a security finding.
    assert all("security-severity" not in r["properties"] for r in log["runs"][0]["tool"]["driver"]["rules"])


def test_rule_diagnostics_are_not_duplicated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_package(tmp_path)
    denial = conclusion("item_not_granted")
    mirrored = {"kind": "grant", "phase": "rules", "message": denial["message"], "severity": "deny",
                "code": denial["code"], "location": denial["location"]}
    log = sarif_log([report("pkg", [denial], diagnostics=[mirrored])], tool_version="0.1.0", base_dir=tmp_path)
    assert [r["ruleId"] for r in results(log)] == ["yoi/item_not_granted"]


def test_archive_input_points_at_the_archive(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "pkg.yoi-plugin").write_bytes(b"PK")
    log = sarif_log([report("dist/pkg.yoi-plugin", [conclusion("item_not_granted", line=12)])],
                    tool_version="0.1.0", base_dir=tmp_path)
    assert_valid(log)
    result = results(log)[0]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "dist/pkg.yoi-plugin" and location["region"]["startLine"] == 1
    assert result["properties"]["archiveMember"] == "plugin.toml" and result["properties"]["archiveMemberLine"] == 12


def test_grants_config_location_and_paths_outside_the_root(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    outside = make_package(tmp_path / "elsewhere")
    config = repo / ".yoi" / "config.toml"
    config.parent.mkdir()
    config.write_text("[plugins]\n", encoding="utf-8")
    monkeypatch.chdir(repo)
    checks = [report(str(outside), [
        conclusion("binding_digest_mismatch", file=".yoi/config.toml", line=5),
        conclusion("item_not_granted", line=3),
    ])]
    log = sarif_log(checks, tool_version="0.1.0-dev+abc", base_dir=repo)
    assert_valid(log)
    binding, item = results(log)
    assert binding["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == ".yoi/config.toml"
    uri = item["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    # Outside the checkout only an absolute file URI (the checkout's own scheme) can name it.
    assert urlsplit(uri).scheme == "file" and uri.endswith("/elsewhere/pkg/plugin.toml")


def test_fingerprints_and_rules_are_stable(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_package(tmp_path, "a")
    make_package(tmp_path, "b")
    one = report("a", [conclusion("item_not_granted", line=3), conclusion("item_not_granted", line=3)])
    two = report("b", [conclusion("surface_not_granted", "deny", "surface `tool` is not granted")])
    first = sarif_log([one, two], tool_version="0.1.0", base_dir=tmp_path)
    again = sarif_log([one, two], tool_version="0.1.0", base_dir=tmp_path)
    swapped = sarif_log([two, one], tool_version="0.1.0", base_dir=tmp_path)
    assert first == again
    assert_github_shape(first)
    assert first["runs"][0]["tool"]["driver"]["rules"] == swapped["runs"][0]["tool"]["driver"]["rules"]
    prints = {r["partialFingerprints"]["primaryLocationLineHash"] for r in results(first)}
    assert prints == {r["partialFingerprints"]["primaryLocationLineHash"] for r in results(swapped)}
    hashes = [p.partition(":")[0] for p in prints]
    assert sorted(p.partition(":")[2] for p in prints) == ["1", "1", "2"]  # duplicates stay distinct
    assert len(set(hashes)) == 2
    # A different message is a different alert.
    changed = report("a", [conclusion("item_not_granted", message="tool `other` is not granted", line=3)])
    other = sarif_log([changed], tool_version="0.1.0", base_dir=tmp_path)
    assert results(other)[0]["partialFingerprints"]["primaryLocationLineHash"].partition(":")[0] not in hashes


def test_clean_report_is_an_empty_valid_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_package(tmp_path)
    log = sarif_log([report("pkg", status="active")], tool_version="not-semver", base_dir=tmp_path,
                    category="org/plugins", information_uri="https://example.org/yoi")
    assert_valid(log)
    assert log["runs"][0]["automationDetails"]["id"] == "org/plugins/"
    assert log["runs"][0]["tool"]["driver"]["informationUri"] == "https://example.org/yoi"
    assert_github_shape(log)
    driver = log["runs"][0]["tool"]["driver"]
    assert results(log) == [] and driver["rules"] == [] and "semanticVersion" not in driver
    assert sarif_log([], tool_version="0.1.0")["runs"][0]["results"] == []


def test_long_and_odd_messages_are_bounded(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_package(tmp_path)
    long = "x" * 5000
    log = sarif_log([report("pkg", [conclusion("item_not_granted", message=long), conclusion("empty", message="")])],
                    tool_version="0.1.0", base_dir=tmp_path)
    assert_valid(log)
    assert_github_shape(log)
    rule = log["runs"][0]["tool"]["driver"]["rules"][1]
    assert len(rule["fullDescription"]["text"]) <= 1024
    assert results(log)[1]["message"]["text"] == "Empty"


CODES = st.from_regex(re.compile(r"[a-z][a-z_]{0,30}"), fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(CODES, st.sampled_from(["deny", "warn", "info"]), st.text(max_size=300),
                  st.one_of(st.none(), st.integers(-5, 10_000)), st.one_of(st.none(), st.integers(-5, 500))),
        max_size=8,
    )
)
def test_any_conclusions_give_a_valid_github_log(items):
    base = Path(__file__).parent  # the package folder need not exist for a conclusion
    reports = [report(base / "pkg", [conclusion(c, s, m, line=l, column=col) for c, s, m, l, col in items])]
    log = sarif_log(reports, tool_version="1.2.3", base_dir=base)
    assert_valid(log)
    assert_github_shape(log)
    assert len(results(log)) == len(items)


def test_schema_fixture_rejects_a_broken_log():
    """The validator is really checking: a level outside the enum and a missing message fail."""
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
                                         "results": [{"ruleId": "a", "level": "fatal"}]}]}
    with pytest.raises(AssertionError):
        assert_valid(bad)
