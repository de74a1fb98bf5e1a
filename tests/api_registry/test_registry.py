"""The host-API registry is the one list of host APIs: every stage derives from it, the rules read
it as facts, the docs list it, and one new entry reaches schema, facts, rules, plan and runtime."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from engine import api_registry
from engine.api_registry import ConstantFact, GrantTables
from engine.api_registry.facts import fact_schema, static_facts
from engine.api_registry.https import METHODS
from engine.grants.model import FsGrant, Grants, HttpsGrant
from hostapi_plans import make_plan

ROOT = Path(__file__).resolve().parents[2]


def test_a_new_entry_reaches_schemas_facts_rules_plan_and_runtime_without_other_edits(tmp_path):
    """tests/support/echo_host_api.py adds `echo` (an entry, its grant record, a handler and one
    rule) before any stage is imported; nothing else in the engine knows about it."""
    code = "import json, sys, echo_host_api; from pathlib import Path; print(json.dumps(echo_host_api.main(Path(sys.argv[1]))))"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests" / "support"), "YOI_CACHE": str(tmp_path / "cache")}
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                            env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    # package and grants: the manifest may request it, the config may grant it, the JSON Schema has it
    assert out["manifest_apis"] == ["echo"]
    assert out["grants_echo"] == [{"prefix": "p-"}]
    assert out["bad_prefix"] == "plugin config key `plugins.enabled[0].grants.echo[0].prefix` must not contain `!`"
    assert out["config_schema_echo"] == {"prefix": {"type": "string", "maxLength": 16}}
    # graph and facts: the registry's constants and the grant entries
    assert out["fact_schema_echo"] == {"echo_grant": ["P", "Prefix"], "echo_word": ["Word"]}
    assert out["facts"] == {
        "host_api": [["echo"]],
        "host_interface": [["yoi:host/echo@1.0.0", "echo"]],
        "raw_module_api": [["yoi:echo", "echo"]],
        "echo_word": [["hello"]],
        "echo_grant": [["project:t.echo", "p-"]],
        "grant_section": [["project:t.echo", "echo"], ["project:t.echo", "permissions"]],
    }
    assert out["raw_imports"] == ["response_len", "response_read", "say"]
    # rules (built-in ABI and authorization rules, plus the API's own allowlist rule) and the plan
    assert (out["status"], out["denies"]) == ("active", [])
    assert out["plan_host_apis"] == ["echo"]
    assert out["plan_echo_allowlist"] == [{"prefix": "p-"}]
    # runtime: linker and dispatch, for a raw module and for an instance component
    assert out["raw_answer"] == {"echo": 'p-{"n":1}', "op": "say"}
    assert out["component_answer"] == {"echo": 'c-{"n":2}', "op": "say"}


def _documented_registry() -> list[tuple[str, ...]]:
    text = (ROOT / "docs" / "host-apis.md").read_text()
    section = text[text.index("## The registry"):]
    section = section[:section.index("\n## ", 1)]
    return [tuple(cell.strip() for cell in row.split("|")[1:-1]) for row in re.findall(r"^\| `.*\|$", section, re.M)]


def test_docs_host_apis_list_exactly_the_registry():
    def code(text: str) -> str:
        return ", ".join(f"`{part}`" for part in text) if isinstance(text, tuple) else f"`{text}`"

    expected = [
        (code(api.name), code(api.permission), code(api.interface), code(api.operations), code(api.raw_module or "-"),
         code(f"grants.{api.name}"), code(api.handler))
        for api in api_registry.HOST_APIS
    ]
    assert _documented_registry() == expected


def test_the_registry_and_the_bundled_wit_agree_on_every_host_function():
    """The bundled worlds import exactly the registry's interfaces, with its functions and
    signatures, so the linker (which links from the registry) and the ABI rules (which read the
    WIT) cannot disagree."""
    from engine.graph.worlds import world_summary
    from engine.package.model import INSTANCE_WORLD, TOOL_WORLD

    registry = {(api.interface, name, signature) for api in api_registry.HOST_APIS for name, signature in api.functions}
    for world in (TOOL_WORLD, INSTANCE_WORLD):
        assert set(world_summary(world).imports) == registry


def test_rules_read_the_registry_as_facts_and_keep_no_copy_of_it():
    rules = "\n".join(p.read_text() for p in sorted((ROOT / "rules").glob("*.rules")))
    facts = fact_schema()
    for predicate in ("host_api", "host_interface", "raw_import", "raw_module", "raw_module_api",
                      "allowlist_message", "https_method", "raw_modules_named"):
        assert predicate in facts
        assert not re.search(rf"^\s*{predicate}\(\"", rules, re.M), f"rules/ keeps its own `{predicate}` facts"
    rows = static_facts()
    assert rows["https_method"] == {(m,) for m in METHODS}
    assert rows["host_api"] == {(name,) for name in api_registry.names()}
    assert ("yoi:tool", "output_write", "(i32, i32) -> i32") in rows["raw_import"]
    assert rows["raw_modules_named"] == {("`yoi:tool`, `yoi:https`, and `yoi:fs`",)}


def test_two_entries_may_not_give_one_fact_different_arguments(monkeypatch):
    clash = replace(api_registry.get("fs"), name="fs2", constants=(ConstantFact("https_method", ("Verb", "X"), ()),))
    monkeypatch.setattr(api_registry, "HOST_APIS", (*api_registry.HOST_APIS, clash))
    with pytest.raises(ValueError, match="fs2: fact `https_method` is declared with other arguments"):
        fact_schema()


def test_grants_and_plans_store_tables_generically_and_keep_the_per_api_spelling():
    https, fs = HttpsGrant("h", ("GET",)), FsGrant("/srv", ("read",))
    grants = Grants(id="x", https=(https,), fs=(fs,))
    assert grants.tables == GrantTables.of({"fs": [fs], "https": [https]})  # canonical: registry order
    assert (grants.https, grants.fs, grants.table("https")) == ((https,), (fs,), (https,))
    assert Grants(fs=()) == Grants() and Grants().is_empty and not grants.is_empty
    assert hash(grants) == hash(Grants(id="x", tables=grants.tables))
    with pytest.raises(TypeError, match="unexpected keyword argument 'ftp'"):
        Grants(ftp=())
    with pytest.raises(AttributeError, match="no attribute 'ftp'"):
        grants.ftp  # noqa: B018
    plan = make_plan(https=[https])
    assert (plan.https_allowlist, plan.fs_allowlist) == ((https,), ())
    changed = replace(plan, fs_allowlist=(fs,))
    assert (changed.https_allowlist, changed.fs_allowlist, changed.allowlist("fs")) == ((https,), (fs,), (fs,))
    assert replace(changed, allowlists=GrantTables()).https_allowlist == ()
    assert [key for key in plan.to_dict() if key.endswith("_allowlist")] == [
        "https_allowlist", "request_allowlist", "websocket_allowlist", "fs_allowlist"]
    with pytest.raises(AttributeError):
        plan.https  # noqa: B018 - a plan spells allowlists with the suffix only


def test_the_registry_is_cheap_and_imports_nothing_above_it():
    """Every stage imports it (check's path included): no other engine module, no wasmtime, no
    cerberus, no ssl."""
    code = ("import sys, engine.api_registry.facts, engine.api_registry.tables; "
            "print(sorted(m for m in sys.modules if m.startswith(('engine', 'wasmtime', 'cerberus', 'ssl', 'networkx'))))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = eval(result.stdout)  # noqa: S307 - our own subprocess's printed list
    assert all(m == "engine" or m.startswith("engine.api_registry") for m in loaded), loaded


def test_the_guest_pdk_keeps_the_registry_descriptor_bounds():
    """yoi_pdk runs inside the guest and imports nothing of the engine, so it keeps its own copy
    of each API's descriptor bound; this is where the copies are held to the registry."""
    from yoi_pdk import host

    assert {"https": host.MAX_HTTPS_DESCRIPTOR_BYTES, "request": host.MAX_REQUEST_DESCRIPTOR_BYTES,
            "websocket": host.MAX_WEBSOCKET_OPEN_BYTES, "fs": host.MAX_FS_DESCRIPTOR_BYTES} == {
        api.name: api.descriptor_limit for api in api_registry.HOST_APIS
    }
    assert host.HTTPS_METHODS == METHODS
