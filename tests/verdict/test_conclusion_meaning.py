"""Issue 16 point 1: what a conclusion means is declared in the rule language, and the verdict
reads it from there only.

- The probe: a package that can never run (a world-level import, so
  `component_unsupported_world_import` fires) does not keep a shared tool name; the healthy
  package beside it stays active. On the hand-kept `abi_broken` list that denial was missing,
  and the healthy package was rejected with `tool_name_collision`.
- An org rule without metadata points where the facts its body matched were written: the
  example `org_no_fs_write` (policy/, unchanged) at the enablement entry, in human and SARIF.
- No rules file keeps a list of conclusions by category; every built-in conclusion says what
  it means.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner
from wasm_builders import TOOL_WORLD_EXPORTS, component, world_level_import

from engine.cli.main import cli
from engine.package.archive import write_archive
from engine.package.digest import package_digest

ROOT = Path(__file__).resolve().parents[2]

TOOL_MANIFEST = """schema_version = 1
id = "{id}"
name = "{id}"
version = "1.0.0"
surfaces = ["tool"]
permissions = [{{ kind = "surface", surface = "tool" }}, {{ kind = "tool", name = "t" }}]

[runtime]
kind = "wasm-component"
component = "plugin.wasm"
world = "yoi:plugin/tool@1.0.0"

[[tools]]
name = "t"
description = "Tool t."
input_schema = {{ type = "object" }}
"""


def _enable(store: Path, local_id: str, artifact: bytes) -> str:
    files = {"plugin.toml": TOOL_MANIFEST.format(id=local_id).encode(), "plugin.wasm": artifact}
    (store / f"{local_id}.yoi-plugin").write_bytes(write_archive(files))
    ref, digest = f"project:{local_id}", package_digest(files)
    return (
        f'[[plugins.enabled]]\nid = "{ref}"\nsurfaces = ["tool"]\n[plugins.enabled.grants]\nid = "{ref}"\n'
        f'version = "1.0.0"\ndigest = "{digest}"\n'
        'permissions = [{ kind = "surface", surface = "tool" }, { kind = "tool", name = "t" }]\n'
    )


def run(*args) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_a_package_that_cannot_run_does_not_take_a_shared_tool_name(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    store = tmp_path / ".yoi" / "plugins"
    store.mkdir(parents=True)
    config = _enable(store, "a", world_level_import())
    config += _enable(store, "b", component(TOOL_WORLD_EXPORTS))
    (tmp_path / ".yoi" / "config.toml").write_text(config)
    done = run("plugin", "list", "--workspace", tmp_path, "--json")
    assert done.exit_code == 0, done.output
    items = {item["reference"]: item for item in json.loads(done.stdout)["items"]}
    a, b = items["project:a"], items["project:b"]
    assert [c["code"] for c in a["conclusions"] if c["severity"] == "deny"] == ["component_unsupported_world_import"]
    assert a["status"] == "rejected"
    assert b["status"] == "active", b["conclusions"]
    assert not [c for c in b["conclusions"] if c["code"] == "tool_name_collision"]
    assert b["tools"][0]["eligible"] is True and b["plan"]["tools"] == ["t"]


FS_MANIFEST = """schema_version = 1
id = "example.files"
name = "Files"
version = "1.0.0"
surfaces = ["tool"]
permissions = [
  { kind = "surface", surface = "tool" },
  { kind = "tool", name = "t" },
  { kind = "host_api", api = "fs" },
]

[runtime]
kind = "wasm"
abi = "yoi-plugin-wasm-1"
entry = "tool.wasm"

[[tools]]
name = "t"
description = "Tool t."
input_schema = { type = "object" }
"""


def test_an_org_rule_without_metadata_points_at_the_enablement_its_facts_come_from(tmp_path, monkeypatch):
    """`org_no_fs_write` (policy/org.rules, no annotations) matches an `fs_grant` fact, which the
    enablement writes: human check and SARIF point at that fs grant entry of the grants file
    (issue 22 point 3; it was the `[[plugins.enabled]]` line, and before that the manifest's
    `id` line)."""
    from wasm_builders import core_module

    monkeypatch.chdir(tmp_path)
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "plugin.toml").write_text(FS_MANIFEST)
    (package / "tool.wasm").write_bytes(core_module(imports=[("yoi:fs", "read", "(param i32 i32) (result i32)")]))
    from engine.package.materialize import load_package_path

    digest = load_package_path(package).digest
    grants = tmp_path / "grants.toml"
    grants.write_text(
        "# fs grants under review\n\n"
        '[[plugins.enabled]]\nid = "project:example.files"\nsurfaces = ["tool"]\n'
        f'[plugins.enabled.grants]\nid = "project:example.files"\nversion = "1.0.0"\ndigest = "{digest}"\n'
        'permissions = [{ kind = "surface", surface = "tool" }, { kind = "tool", name = "t" }, '
        '{ kind = "host_api", api = "fs" }]\n'
        'fs = [{ root = "/srv/data", operations = ["read", "write"] }]\n'
    )
    line = next(i for i, text in enumerate(grants.read_text().splitlines(), 1) if text.startswith("fs = "))
    args = ("plugin", "check", "pkg", "--grants", "grants.toml", "--policy", ROOT / "policy")
    human = run(*args)
    assert human.exit_code == 1, human.output
    [denial] = [text for text in human.stdout.splitlines() if "granting fs write access" in text]
    assert denial.startswith(f"  - kind=policy phase=rules at=grants.toml:{line} message=org policy:")
    sarif = json.loads(run(*args, "--format", "sarif").stdout)
    [result] = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "yoi/org_no_fs_write"]
    where = result["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"] == "grants.toml" and where["region"]["startLine"] == line
    report = json.loads(run(*args, "--json").stdout)
    assert report["rules"]["org_no_fs_write"]["declared"] is False  # located by its derivation
    assert report["rules"]["org_no_fs_write"]["kind"] == "policy"
    # the built-in warning about the same grant declares its origin: the same line
    [warning] = [c for c in report["conclusions"] if c["code"] == "fs_grant_allows_write"]
    assert warning["location"]["line"] == line and report["rules"]["fs_grant_allows_write"]["declared"] is True


def test_no_rules_file_keeps_a_category_list_and_every_built_in_conclusion_declares_its_meaning():
    from engine import datalog
    from engine.graph.facts import schema_arities
    from engine.resources import rules_dir

    text = "\n".join(path.read_text() for path in (ROOT / "rules").glob("*.rules"))
    for derived in ("abi_broken", "binding_broken", "item_denied", "item_code"):
        assert not re.search(rf"^{derived}\(", text, re.M), f"{derived} is kept by hand"
    program = datalog.load([rules_dir()], inputs=schema_arities())
    assert program.conclusions and all(program.metadata[code].declared for code in program.conclusions)


def test_the_engine_reads_no_meaning_from_code_spellings():
    """The grep of issue 16's "Done when": none of the prefix tables survive anywhere in engine/."""
    source = "\n".join(path.read_text() for path in (ROOT / "engine").rglob("*.py"))
    for name in ("_KIND_BY_PREFIX", "ABI_PREFIXES", "GRANT_WARNING_PREFIXES", "RUNTIME_PREFIXES", "LIMIT_PREFIX"):
        assert name not in source
    assert not re.search(r"code\.startswith\(|\[\"code\"\]\.startswith\(", source)
