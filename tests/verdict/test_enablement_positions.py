"""Findings about the enablement point at the exact key to fix (issue 22 point 3).

With `@origin(enablement)` a finding lands on the key of what its `@about` names (`limits.fuel`,
the `grants.https` table, a `grant(...)` entry), made exact by the input facts it rests on: a
warning about the https host API that rests on one `https_grant` lands on that entry, not on the
`[[plugins.enabled]]` line. An org rule without metadata lands where its facts are written, now at
the key (a grant binding, a config key, an fs grant entry). SARIF carries the same positions.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from rule_cases import write_package
from wasm_builders import TOOL_WORLD_EXPORTS, component

from engine.cli.main import cli
from engine.package.materialize import load_package_path
from engine.verdict.run import check_verdict

MANIFEST = """
schema_version = 1
id = "t.net"
name = "Net"
version = "1.0.0"
surfaces = ["tool"]
permissions = [{ kind = "surface", surface = "tool" }, { kind = "tool", name = "get" },
               { kind = "host_api", api = "https" }, { kind = "host_api", api = "fs" }]
[runtime]
kind = "wasm-component"
component = "tool.wasm"
world = "yoi:plugin/tool@1.0.0"
[[tools]]
name = "get"
description = "Get."
input_schema = { type = "object" }
"""


def _grants(digest: str) -> str:
    return textwrap.dedent(f"""\
        # grants under review

        [[plugins.enabled]]
        id = "project:t.net"
        config = {{ region = "eu", debug = true }}

        [plugins.enabled.limits]
        timeout_ms = 1000
        fuel = 999999999999

        [plugins.enabled.grants]
        id = "project:t.net"
        version = "1.0.0"
        digest = "{digest}"
        permissions = [
          {{ kind = "surface", surface = "tool" }},
          {{ kind = "tool", name = "get" }},
          {{ kind = "host_api", api = "https" }},
          {{ kind = "host_api", api = "fs" }},
        ]

        [[plugins.enabled.grants.https]]
        host = "api.example.com"
        methods = ["GET"]
        path_prefixes = ["/v1/"]

        [[plugins.enabled.grants.https]]
        host = "files.example.com"
        methods = ["GET"]

        [[plugins.enabled.grants.fs]]
        root = "/srv/cache"
        operations = ["read"]

        [[plugins.enabled.grants.fs]]
        root = "/srv/out"
        operations = ["read", "write"]
        """)


ORG_RULES = """\
@kind(grant) @about(grant(P, "fs", R)) @origin(enablement)
deny org_fs_out(P, R) "no grant under {R}" :- fs_grant(P, R, _), R = "/srv/out".

@kind(grant) @about(grant(P, "host_api", A)) @origin(enablement)
warn org_fs_api(P, A) "host API {A} granted" :- grants(P, "host_api", A), A = "fs".

deny org_pinned_version(P, V) "version pins are not allowed here ({V})" :- grant_binding(P, "version", V).
deny org_no_debug(P) "debug config is not allowed" :- config_key(P, "debug").
warn org_timeout(P, V) "timeout {V}" :- limit_requested(P, "timeout_ms", V).
"""


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    package = write_package(tmp_path / "pkg", MANIFEST, {"tool.wasm": component(TOOL_WORLD_EXPORTS)})
    grants = tmp_path / "grants.toml"
    grants.write_text(_grants(load_package_path(package).digest))
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "org.rules").write_text(ORG_RULES)
    return package, grants, policy


def _line(path: Path, starts: str, nth: int = 0) -> int:
    found = [i for i, text in enumerate(path.read_text().splitlines(), 1) if text.strip().startswith(starts)]
    return found[nth]


def _where(setup) -> dict[str, tuple[str, int]]:
    package, grants, policy = setup
    (verdict,) = [check_verdict(package, grants, [policy])]
    return {f.code: (Path(f.location.file).name, f.location.line) for f in verdict.packages[0].conclusions}


def test_built_in_grant_warnings_land_on_the_entry_they_rest_on(setup):
    _, grants, _ = setup
    where = _where(setup)
    second_https = _line(grants, "[[plugins.enabled.grants.https]]", 1)
    second_fs = _line(grants, "[[plugins.enabled.grants.fs]]", 1)
    assert where["https_grant_any_path"] == ("grants.toml", second_https)  # files.example.com: no prefix
    assert where["fs_grant_allows_write"] == ("grants.toml", second_fs)  # /srv/out is the write grant


def test_a_limit_finding_lands_on_its_limit(setup):
    _, grants, _ = setup
    assert _where(setup)["limit_capped"] == ("grants.toml", _line(grants, "fuel ="))


def test_a_grant_about_finding_lands_on_the_grant_entry(setup):
    _, grants, _ = setup
    where = _where(setup)
    assert where["org_fs_out"] == ("grants.toml", _line(grants, "[[plugins.enabled.grants.fs]]", 1))
    assert where["org_fs_api"] == ("grants.toml", _line(grants, '{ kind = "host_api", api = "fs" }'))


def test_org_rules_without_metadata_land_on_the_key_of_their_facts(setup):
    _, grants, _ = setup
    where = _where(setup)
    assert where["org_pinned_version"] == ("grants.toml", _line(grants, 'version = "1.0.0"'))
    assert where["org_no_debug"] == ("grants.toml", _line(grants, "config = "))
    assert where["org_timeout"] == ("grants.toml", _line(grants, "timeout_ms ="))


def test_sarif_regions_are_those_keys(setup):
    package, grants, policy = setup
    result = CliRunner().invoke(
        cli, ["plugin", "check", "pkg", "--grants", "grants.toml", "--policy", "policy", "--format", "sarif"]
    )
    assert result.exit_code == 1, result.output
    regions = {
        r["ruleId"].removeprefix("yoi/"): (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in json.loads(result.stdout)["runs"][0]["results"]
    }
    for code, (file, line) in _where(setup).items():
        assert regions[code] == (file, line), code
