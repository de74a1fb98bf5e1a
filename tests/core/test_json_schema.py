"""Editor JSON Schemas (issue 13 item 1): generated from the cerberus schemas, they accept every
bundled manifest and config, and give the same verdict as cerberus (plus the safe-id rule the
schema states as a `pattern`) on a hand-written corpus and on generated documents.

Two differences between validators are modelled on purpose, both documented in docs/authoring.md:
TOML tells `1` from `1.0` and JSON does not, so integers are checked under TOML's types; and
Python's `re` lets `$` match before a final newline where ECMA-262 (the JSON Schema dialect)
does not, so `pattern` is checked with ECMA's `$`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import package_files
import rule_cases
from engine.grants.schema import PLUGINS_SCHEMA, check
from engine.json_schema import (
    ITEMS, SchemaTranslationError, config_json_schema, manifest_json_schema, to_json_schema,
)
from engine.package.ids import SAFE_ID_PATTERN, is_safe_id, is_semver
from engine.package.manifest_schema import MANIFEST_SCHEMA, PERMISSION_SCHEMAS, schema_problems
from engine.api_registry.fs import OPERATIONS as FS_OPERATIONS
from engine.package.model import HOST_APIS, SURFACES

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _ecma_pattern(validator, pattern, instance, schema):
    if isinstance(instance, str):
        ecma = pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern
        if not re.search(ecma, instance):
            yield jsonschema.ValidationError(f"does not match {pattern!r}")


_TOML_TYPES = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda checker, value: isinstance(value, int) and not isinstance(value, bool))
TomlValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, {"pattern": _ecma_pattern}, type_checker=_TOML_TYPES)
MANIFEST = TomlValidator(manifest_json_schema())
CONFIG = TomlValidator(config_json_schema())


# -- the engine's verdicts ------------------------------------------------------------------

def _safe_id_values(doc: dict):
    yield doc["id"]
    for key, field in (("hooks", "id"), ("services", "name"), ("ingresses", "name")):
        yield from (item[field] for item in doc.get(key, ()))


def engine_accepts_manifest(doc: dict) -> bool:
    """Cerberus (both passes) and the safe-id and SemVer rules of validate_manifest, which the
    schema states as patterns."""
    return (not schema_problems(doc) and all(is_safe_id(value) for value in _safe_id_values(doc))
            and is_semver(doc["version"]))


def engine_accepts_config(doc: dict) -> bool:
    """The cerberus passes of check_plugins (a yoi config may hold other top-level tables)."""
    if "plugins" not in doc:
        return True
    plugins = doc["plugins"]
    if check({"plugins": plugins}, PLUGINS_SCHEMA):
        return False
    for i, enablement in enumerate(plugins.get("enabled", ())):
        for j, permission in enumerate(enablement.get("grants", {}).get("permissions", ())):
            if check(permission, PERMISSION_SCHEMAS[permission["kind"]], ("plugins", "enabled", i, j)):
                return False
    return True


# -- every bundled and fixture document validates -------------------------------------------

def _bundled_manifests() -> list[Path]:
    """Every plugin.toml under examples/ and templates/ (when the templates exist)."""
    return sorted(p for folder in ("examples", "templates") for p in (ROOT / folder).rglob("plugin.toml"))


FIXTURE_MANIFESTS = {
    "rule_cases.RAW": rule_cases.RAW_MANIFEST,
    "rule_cases.TOOL": rule_cases.TOOL_MANIFEST,
    "rule_cases.INSTANCE": rule_cases.INSTANCE_MANIFEST,
    "package_files.manifest_text": package_files.manifest_text(),
}


def test_bundled_manifests_are_found():
    names = {p.parent.name for p in _bundled_manifests()}
    assert {"raw-echo", "component-echo", "instance-counter"} <= names


@pytest.mark.parametrize("path", _bundled_manifests(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_bundled_manifest_validates(path):
    doc = tomllib.loads(path.read_text())
    assert list(MANIFEST.iter_errors(doc)) == []
    assert engine_accepts_manifest(doc)


@pytest.mark.parametrize("name", sorted(FIXTURE_MANIFESTS))
def test_every_fixture_manifest_validates(name):
    doc = tomllib.loads(FIXTURE_MANIFESTS[name])
    assert list(MANIFEST.iter_errors(doc)) == []


@pytest.mark.parametrize("path", sorted(ROOT.glob("examples/**/.yoi/config.toml")) + sorted(
    ROOT.glob("templates/**/config.toml")), ids=str)
def test_bundled_configs_validate(path):
    doc = tomllib.loads(path.read_text())
    assert list(CONFIG.iter_errors(doc)) == []
    assert doc["plugins"]["enabled"], "the example config enables packages"


@pytest.mark.parametrize("draft", [jsonschema.Draft4Validator, jsonschema.Draft7Validator,
                                   jsonschema.Draft202012Validator])
def test_schemas_mean_the_same_in_older_drafts(draft):
    """taplo implements older drafts best; only keywords common to all of them are used."""
    for schema in (manifest_json_schema(), config_json_schema()):
        jsonschema.Draft202012Validator.check_schema(schema)
        draft.check_schema({k: v for k, v in schema.items() if k != "$schema"})
    for path in _bundled_manifests():
        assert draft({k: v for k, v in manifest_json_schema().items() if k != "$schema"}).is_valid(
            tomllib.loads(path.read_text()))


# -- a hand-written corpus: same verdict, and the expected one ------------------------------

BASE = {"schema_version": 1, "id": "p", "name": "n", "version": "1.0.0"}
MANIFEST_CORPUS = [
    (BASE, True),
    (BASE | {"tools": [{"name": "t", "description": "d", "input_schema": {"type": "object"}}]}, True),
    (BASE | {"permissions": [{"kind": "host_api", "api": "fs"}, {"kind": "external_write"}]}, True),
    (BASE | {"runtime": {"kind": "wasm", "abi": "x", "entry": "a.wasm"}}, True),
    ({k: v for k, v in BASE.items() if k != "name"}, False),
    (BASE | {"unknown": 1}, False),
    (BASE | {"schema_version": True}, False),
    (BASE | {"schema_version": 1.0}, False),
    (BASE | {"schema_version": 2**32}, False),
    (BASE | {"schema_version": -1}, False),
    (BASE | {"surfaces": ["tool", "bogus"]}, False),
    (BASE | {"runtime": {"kind": "wasm", "extra": "x"}}, False),
    (BASE | {"tools": [{"name": "t", "description": "d"}]}, False),
    (BASE | {"permissions": [{"kind": "bogus"}]}, False),
    (BASE | {"permissions": [{"kind": "tool"}]}, False),
    (BASE | {"permissions": [{"kind": "tool", "name": "t", "surface": "tool"}]}, False),
    (BASE | {"permissions": [{"kind": "host_api", "api": "net"}]}, False),
    (BASE | {"permissions": [{"name": "t"}]}, False),
    (BASE | {"id": ".hidden"}, False),
    (BASE | {"id": "a" * 129}, False),
    (BASE | {"id": "ok\n"}, False),
    (BASE | {"id": "a" * 128}, True),
    (BASE | {"services": [{"name": "bad name", "description": "d"}]}, False),
    (BASE | {"hooks": [{"id": "h.", "file": "h.wasm"}]}, False),
    (BASE | {"version": "1.2.3-rc.1+build.5"}, True),
    (BASE | {"version": "1"}, False),
    (BASE | {"version": "v1.0.0"}, False),
    (BASE | {"version": "01.0.0"}, False),
    (BASE | {"version": "1.0.0\n"}, False),
    (BASE | {"version": "0.1.0\u001b[2J"}, False),
    (BASE | {"version": "1\uff11.0.0"}, False),  # a fullwidth digit: `\d` in Python and Rust regex
    (BASE | {"version": "1.1\u0661.0"}, False),  # an Arabic-Indic digit
]
CONFIG_CORPUS = [
    ({}, True),
    ({"other": {"anything": 1}}, True),
    ({"plugins": {}}, True),
    ({"plugins": {"enabled": [{"id": "builtin:x", "surfaces": ["tool"], "config": {"k": [1, "v"]}}]}}, True),
    ({"plugins": {"enabled": [{"grants": {"permissions": [{"kind": "surface", "surface": "tool"}],
                                          "https": [{"host": "h", "methods": ["GET"]}],
                                          "fs": [{"root": "/r", "operations": ["read"]}]}}]}}, True),
    ({"plugins": {"resolved": [1], "diagnostics": []}}, True),
    ({"plugins": []}, False),
    ({"plugins": {"bogus": 1}}, False),
    ({"plugins": {"enabled": [{"surfaces": ["nope"]}]}}, False),
    ({"plugins": {"enabled": [{"grants": {"permissions": [{"kind": "nope"}]}}]}}, False),
    ({"plugins": {"enabled": [{"grants": {"permissions": [{"kind": "service"}]}}]}}, False),
    ({"plugins": {"enabled": [{"grants": {"fs": [{"operations": ["delete"]}]}}]}}, False),
    ({"plugins": {"enabled": [{"grants": {"https": [{"port": 1}]}}]}}, False),
]


@pytest.mark.parametrize(("doc", "expected"), MANIFEST_CORPUS, ids=range(len(MANIFEST_CORPUS)))
def test_manifest_corpus_same_verdict(doc, expected):
    assert engine_accepts_manifest(doc) is expected
    assert MANIFEST.is_valid(doc) is expected


@pytest.mark.parametrize(("doc", "expected"), CONFIG_CORPUS, ids=range(len(CONFIG_CORPUS)))
def test_config_corpus_same_verdict(doc, expected):
    assert engine_accepts_config(doc) is expected
    assert CONFIG.is_valid(doc) is expected


# -- generated documents: same verdict ------------------------------------------------------

_SAFE = st.sampled_from(["p", "a.b", "a_b-1", "x", "y", "a" * 128, *SURFACES, *HOST_APIS, *FS_OPERATIONS])
_ODD = st.one_of(st.sampled_from([".x", "x.", ".", "", "a b", "ok\n", "é", "a" * 129, "bogus"]), st.text(max_size=4))


@st.composite
def rarely(draw, common: st.SearchStrategy, rare: st.SearchStrategy, odds: int) -> object:
    """`rare` once in `odds` draws, else `common` (st.one_of does not weight its branches)."""
    return draw(rare if draw(st.integers(1, odds)) == 1 else common)


STRINGS = rarely(_SAFE, _ODD, 5)
ANY = st.recursive(  # TOML values: no null
    st.one_of(st.booleans(), st.integers(-3, 3), st.sampled_from([1.0, 1.5, 2**32]), STRINGS),
    lambda inner: st.one_of(st.lists(inner, max_size=2), st.dictionaries(STRINGS, inner, max_size=2)),
    max_leaves=4,
)
_ODD_VERSIONS = st.one_of(st.sampled_from(["1", "1.0.0 ", "01.0.0", "1.1\u0661.0"]), STRINGS)
VERSIONS = rarely(st.sampled_from(["0.1.0", "1.2.3-rc.1+b.5"]), _ODD_VERSIONS, 5)
_INTEGERS = rarely(st.integers(0, 3), st.sampled_from([-1, 2**32]), 10)
_SCALARS = {"string": STRINGS, "boolean": st.booleans(), "integer": _INTEGERS}


def value_for(rules: dict, variants=None) -> st.SearchStrategy:
    """Values shaped by a cerberus rule set, mostly right and sometimes wrong."""
    kind = rules.get("type")
    if kind == "dict" and rules.get("schema") is not None:
        right = table(rules["schema"], variants=variants if rules["schema"].keys() == {"kind"} else None)
    elif kind == "list":
        right = st.lists(value_for(rules.get("schema", {}), variants), max_size=3)
    elif kind in _SCALARS and "allowed" in rules:
        right = rarely(st.sampled_from(rules["allowed"]), st.just("bogus"), 20)
    else:
        right = _SCALARS.get(kind, ANY)
    return rarely(right, ANY, 40)


def table(schema: dict, variants=None) -> st.SearchStrategy:
    if variants is not None:  # a tagged permission object: the fields of one kind, or junk
        kinds = [*variants, "bogus"]
        return st.one_of(*[table(variants.get(kind, {"kind": {"type": "string"}})).map(
            lambda doc, kind=kind: doc | {"kind": kind}) for kind in kinds])

    fields = {key: (VERSIONS if key == "version" else value_for(rules, PERMISSION_SCHEMAS), rules.get("required"))
              for key, rules in schema.items()}

    @st.composite
    def build(draw):
        out = {}
        for key, (values, required) in fields.items():
            if draw(st.integers(0, 39)) < (39 if required else 15):
                out[key] = draw(values)
        if draw(st.integers(0, 39)) == 0:
            out[draw(STRINGS)] = draw(ANY)
        return out

    return build()


@SETTINGS
@given(table(MANIFEST_SCHEMA))
def test_generated_manifests_same_verdict(doc):
    assert MANIFEST.is_valid(doc) is engine_accepts_manifest(doc)


@SETTINGS
@given(table(PLUGINS_SCHEMA))
def test_generated_configs_same_verdict(doc):
    assert CONFIG.is_valid(doc) is engine_accepts_config(doc)


@SETTINGS
@given(st.one_of(STRINGS, st.text(alphabet="ab.-_\n é", max_size=130)))
def test_safe_id_pattern_is_the_safe_id_rule(text):
    assert bool(re.search(SAFE_ID_PATTERN[:-1] + r"\Z", text)) is is_safe_id(text)


@SETTINGS
@given(st.one_of(VERSIONS, st.from_regex(r"\A[0-9]{1,3}\.[0-9]{1,2}\.[0-9](-[0-9A-Za-z.-]{0,6})?"
                                          r"(\+[0-9A-Za-z.-]{0,6})?\Z")))
def test_version_pattern_is_the_semver_rule(text):
    pattern = manifest_json_schema()["properties"]["version"]["pattern"]
    assert bool(re.search(pattern[:-1] + r"\Z", text)) is is_semver(text)


# -- the generator ---------------------------------------------------------------------------

def test_a_key_added_to_a_cerberus_schema_appears_in_the_json_schema():
    schema = {"limits": {"type": "dict", "schema": {"fuel": {"type": "integer", "min": 1, "max": 9}}},
              "name": {"type": "string", "required": True, "empty": False, "nullable": True}}
    out = to_json_schema(schema, title="t", description="d")
    assert out["properties"]["limits"]["properties"]["fuel"] == {"type": "integer", "minimum": 1, "maximum": 9}
    assert out["properties"]["limits"]["additionalProperties"] is False
    assert out["properties"]["name"] == {"type": ["string", "null"], "minLength": 1}
    assert out["required"] == ["name"]


def test_untranslatable_rules_and_stale_paths_raise():
    with pytest.raises(SchemaTranslationError, match="check_with"):
        to_json_schema({"a": {"type": "string", "check_with": "x"}}, title="t", description="d")
    with pytest.raises(SchemaTranslationError, match="key path"):
        to_json_schema({"a": {"type": "string"}}, title="t", description="d", overlays={("b",): {}})
    with pytest.raises(SchemaTranslationError, match="key path"):
        to_json_schema({"a": {"type": "list"}}, title="t", description="d",
                       variants={("a", ITEMS): ("kind", {})})


@pytest.mark.parametrize(("document", "build"), [("manifest", manifest_json_schema), ("config", config_json_schema)])
def test_cli_prints_the_generated_schema(document, build):
    out = subprocess.run([sys.executable, "-m", "engine.cli.main", "plugin", "schema", document],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(out.stdout) == build()


def test_schema_directive_comment_does_not_change_the_manifest(tmp_path):
    from engine.package.manifest import load_manifest

    text = "#:schema ./plugin.schema.json\n" + package_files.manifest_text()
    assert load_manifest(text.encode(), frozenset({"plugin.toml"})).id == "example.pkg"
