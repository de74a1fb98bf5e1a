"""Editor JSON Schemas (issue 13 item 1, issue 22 point 6): generated from the cerberus schemas,
they accept every bundled manifest and config, and give the same verdict as the engine (cerberus,
validate_manifest without the package's file list, the tool-name rule, and for configs what
resolution refuses whatever the package) on a hand-written corpus and on generated documents.
Every property has a description, and the copies committed under schemas/ are the generated ones.

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
from engine.grants.refs import RefError, parse_ref
from engine.api_registry.fs import FS_ROOT_PATTERN, fs_root_written_ok
from engine.grants.schema import CANONICAL_ROOT_PATTERN, PLUGINS_SCHEMA, canonical_fs_root, check_plugins
from engine.json_schema import (
    DIGEST_PATTERN, ITEMS, SCHEMA_FILES, SCHEMAS, SchemaTranslationError, config_json_schema, manifest_json_schema,
    to_json_schema,
)
from engine.package.ids import NO_INVISIBLE_PATTERN, NOT_BLANK_PATTERN, SAFE_ID_PATTERN, has_invisible, is_safe_id, is_semver
from engine.package.manifest import _build, validate_manifest
from engine.package.manifest_schema import MANIFEST_SCHEMA, PERMISSION_SCHEMAS, schema_problems
from engine.package.model import FS_OPERATIONS, HOST_APIS, SURFACES
from engine.package.paths import SAFE_PATH_PATTERN, normalize_archive_path
from engine.package.tools import TOOL_NAME_PATTERN, validate_tool_name

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _ecma_pattern(validator, pattern, instance, schema):
    if isinstance(instance, str):
        ecma = pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern
        if not re.search(ecma, instance):
            yield jsonschema.ValidationError(f"does not match {pattern!r}")


_TOML_TYPES = jsonschema.Draft7Validator.TYPE_CHECKER.redefine(
    "integer", lambda checker, value: isinstance(value, int) and not isinstance(value, bool))
TomlValidator = jsonschema.validators.extend(
    jsonschema.Draft7Validator, {"pattern": _ecma_pattern}, type_checker=_TOML_TYPES)
MANIFEST = TomlValidator(manifest_json_schema())
CONFIG = TomlValidator(config_json_schema())


# -- the engine's verdicts ------------------------------------------------------------------

def _referenced_paths(doc: dict) -> set[str]:
    """The package files the manifest names: a package holding exactly them (the schema cannot
    know the file list, so `check`'s "not present in the package" is out of the comparison)."""
    runtime = doc.get("runtime") or {}
    paths = [runtime.get("entry"), runtime.get("component"), *(hook.get("file") for hook in doc.get("hooks", ()))]
    return {p for p in paths if isinstance(p, str) and normalize_archive_path(p)}


def engine_accepts_manifest(doc: dict) -> bool:
    """Cerberus (both passes), validate_manifest (safe ids, SemVer, runtime keys by kind, safe
    paths, permission names) and the tool-name rule of check."""
    if schema_problems(doc):
        return False
    manifest = _build(doc, {})
    if validate_manifest(manifest, _referenced_paths(doc)) is not None:
        return False
    return all(validate_tool_name(tool.name) is None for tool in manifest.tools)


def _could_bind(value, check) -> bool:
    return value is None or check(value)


def _is_ref(value) -> bool:
    try:
        parse_ref(value)
    except RefError:
        return False
    return True


def engine_accepts_config(doc: dict) -> bool:
    """check_plugins (a yoi config may hold other top-level tables), then what resolution refuses
    whatever the package: an id that is no source-qualified ref, a version or digest pin (or
    binding) that no package can have."""
    if "plugins" not in doc:
        return True
    plugins = doc["plugins"]
    if check_plugins(plugins):
        return False
    for enablement in plugins.get("enabled", ()):
        grants = enablement.get("grants", {})
        for table in (enablement, grants):
            if not (_could_bind(table.get("id"), _is_ref) and _could_bind(table.get("version"), is_semver)
                    and _could_bind(table.get("digest"), lambda d: re.fullmatch(DIGEST_PATTERN[1:-1], d))):
                return False
        if "id" not in enablement:
            return False  # an enablement of "" never resolves
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


@pytest.mark.parametrize("draft", [jsonschema.Draft7Validator, jsonschema.Draft201909Validator,
                                   jsonschema.Draft202012Validator])
def test_schemas_are_draft_07_and_mean_the_same_in_newer_drafts(draft):
    """Draft-07 is what taplo and VS Code implement fully (`if`/`then`/`const` need it); the
    keywords used mean the same in the newer drafts."""
    for schema in (manifest_json_schema(), config_json_schema()):
        assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
        jsonschema.Draft7Validator.check_schema(schema)
        draft.check_schema({k: v for k, v in schema.items() if k != "$schema"})
    for path in _bundled_manifests():
        assert draft({k: v for k, v in manifest_json_schema().items() if k != "$schema"}).is_valid(
            tomllib.loads(path.read_text()))


def _properties(schema, where="$"):
    """Every (path, property schema) of a schema, through items, allOf/if/then and variants."""
    if not isinstance(schema, dict):
        return
    for name, sub in schema.get("properties", {}).items():
        yield f"{where}.{name}", sub
        yield from _properties(sub, f"{where}.{name}")
    if isinstance(schema.get("items"), dict):
        yield from _properties(schema["items"], f"{where}[]")
    for branch in schema.get("allOf", ()):
        yield from _properties(branch.get("then"), where)


@pytest.mark.parametrize("build", [manifest_json_schema, config_json_schema])
def test_every_field_has_a_description(build):
    schema = build()
    missing = [path for path, sub in _properties(schema)
               if not sub.get("description") and not (set(sub) <= {"const", "enum", "pattern"})]
    assert missing == []


@pytest.mark.parametrize("document", sorted(SCHEMAS))
def test_the_committed_schemas_are_the_generated_ones(document):
    committed = json.loads((ROOT / "schemas" / SCHEMA_FILES[document]).read_text())
    assert committed == SCHEMAS[document](), (
        f"schemas/{SCHEMA_FILES[document]} is stale: yoi plugin schema {document} > schemas/{SCHEMA_FILES[document]}")
    assert committed["$id"].endswith("/" + SCHEMA_FILES[document]) and committed["$id"].startswith("https://")


# -- a hand-written corpus: same verdict, and the expected one ------------------------------

BASE = {"schema_version": 1, "id": "p", "name": "n", "version": "1.0.0"}
MANIFEST_CORPUS = [
    (BASE, True),
    (BASE | {"tools": [{"name": "t", "description": "d", "input_schema": {"type": "object"}}]}, True),
    (BASE | {"permissions": [{"kind": "host_api", "api": "fs"}, {"kind": "external_write"}]}, True),
    (BASE | {"runtime": {"kind": "wasm", "abi": "yoi-plugin-wasm-1", "entry": "a.wasm"}}, True),
    (BASE | {"runtime": {"kind": "wasm", "abi": "x", "entry": "a.wasm"}}, False),
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
    # issue 22: what passed taplo and check-jsonschema but failed check
    (BASE | {"runtime": {"kind": "wasm-component", "world": "yoi:plugin/other@1.0.0", "component": "c.wasm"}},
     False),  # unknown world
    (BASE | {"runtime": {"kind": "wasm-component", "world": "yoi:plugin/tool@1.0.0", "component": "c.wasm"}}, True),
    (BASE | {"runtime": {"kind": "wasm-component", "world": "yoi:plugin/instance@1.0.0", "component": "c.wasm",
                         "abi": "yoi-plugin-wasm-1"}}, False),  # `abi` on a component
    (BASE | {"runtime": {"kind": "wasm-component", "world": "yoi:plugin/tool@1.0.0", "component": "c.wasm",
                         "entry": "c.wasm"}}, False),
    (BASE | {"runtime": {"kind": "wasm-component", "world": "yoi:plugin/tool@1.0.0"}}, False),  # no component
    (BASE | {"runtime": {"kind": "wasm", "abi": "yoi-plugin-wasm-1", "entry": "a.wasm", "world": "w"}}, False),
    (BASE | {"runtime": {"kind": "wasm", "abi": "yoi-plugin-wasm-1"}}, False),  # no entry
    (BASE | {"runtime": {"kind": "wasi", "entry": "a.wasm"}}, False),  # unknown kind
    (BASE | {"runtime": {"kind": "wasm", "abi": "yoi-plugin-wasm-1", "entry": "../a.wasm"}}, False),
    (BASE | {"runtime": {"kind": "wasm", "abi": "yoi-plugin-wasm-1", "entry": "/abs.wasm"}}, False),
    (BASE | {"runtime": {"kind": "wasm", "abi": "yoi-plugin-wasm-1", "entry": "lib/a.wasm"}}, True),
    (BASE | {"hooks": [{"id": "h", "file": "a\\b.wasm"}]}, False),
    (BASE | {"tools": [{"name": "has space", "description": "d", "input_schema": {"type": "object"}}]}, False),
    (BASE | {"tools": [{"name": "", "description": "d", "input_schema": {"type": "object"}}]}, False),
    (BASE | {"tools": [{"name": "tab\there", "description": "d", "input_schema": {"type": "object"}}]}, False),
    (BASE | {"tools": [{"name": "bidi\u202e", "description": "d", "input_schema": {"type": "object"}}]}, False),
    (BASE | {"tools": [{"name": "n" * 129, "description": "d", "input_schema": {"type": "object"}}]}, False),
    (BASE | {"tools": [{"name": "ok.name/é", "description": "d", "input_schema": {"type": "object"}}]}, True),
    (BASE | {"services": [{"name": "s", "description": "d", "lifecycle": "manual"}]}, False),
    # a service needs the instance world (spec §1.8 step 5; issue 18 point 1)
    (BASE | {"services": [{"name": "s", "description": "d", "lifecycle": "host-managed"}]}, False),
    (BASE | {"services": [{"name": "s", "description": "d", "lifecycle": "host-managed"}],
             "runtime": {"kind": "wasm-component", "world": "yoi:plugin/instance@1.0.0", "component": "c.wasm"}}, True),
    (BASE | {"ingresses": [{"name": "i", "description": "d"}],
             "runtime": {"kind": "wasm-component", "world": "yoi:plugin/tool@1.0.0", "component": "c.wasm"}}, False),
    (BASE | {"surfaces": ["service"], "services": []}, True),
    (BASE | {"permissions": [{"kind": "tool", "name": "zero\u200bwidth"}]}, False),
    (BASE | {"schema_version": 2}, False),
    (BASE | {"name": " \t"}, False),
]
CONFIG_CORPUS = [
    ({}, True),
    ({"other": {"anything": 1}}, True),
    ({"plugins": {}}, True),
    ({"plugins": {"enabled": [{"id": "builtin:x", "surfaces": ["tool"], "config": {"k": [1, "v"]}}]}}, True),
    ({"plugins": {"enabled": [{"id": "user:y", "grants": {"permissions": [{"kind": "surface", "surface": "tool"}],
                                          "https": [{"host": "h", "methods": ["GET"]}],
                                          "fs": [{"root": "/r", "operations": ["read"]}]}}]}}, True),
    ({"plugins": {"resolved": [1], "diagnostics": []}}, False),  # the resolved plan is read strictly (issue 18)
    ({"plugins": []}, False),
    ({"plugins": {"bogus": 1}}, False),
    ({"plugins": {"enabled": [{"surfaces": ["nope"]}]}}, False),
    ({"plugins": {"enabled": [{"grants": {"permissions": [{"kind": "nope"}]}}]}}, False),
    ({"plugins": {"enabled": [{"grants": {"permissions": [{"kind": "service"}]}}]}}, False),
    ({"plugins": {"enabled": [{"grants": {"fs": [{"operations": ["delete"]}]}}]}}, False),
    ({"plugins": {"enabled": [{"grants": {"https": [{"port": 1}]}}]}}, False),
    ({"plugins": {"enabled": [{"id": "example"}]}}, False),  # not source-qualified
    ({"plugins": {"enabled": [{"id": "project:x", "version": "1.0"}]}}, False),
    ({"plugins": {"enabled": [{"id": "project:x", "digest": "sha256:ABC"}]}}, False),
    ({"plugins": {"enabled": [{"id": "project:x", "digest": "sha256:" + "a" * 64, "version": "1.0.0",
                               "grants": {"id": "builtin:x", "version": "1.0.0",
                                          "digest": "sha256:" + "0" * 64}}]}}, True),
    ({"plugins": {"enabled": [{"id": "project:x", "grants": {"fs": [{"root": "/srv/../etc"}]}}]}}, False),
    ({"plugins": {"enabled": [{"id": "project:x", "grants": {"permissions": [{"kind": "tool", "name": "a\u2066"}]}}]}},
     False),
    # [plugins.trust] (docs/provenance.md): what the schema can say; the key itself is read by check
    ({"plugins": {"trust": {"require_signature": True, "keys": [
        {"id": "ed25519:" + "a" * 64, "public_key": "x", "expires": "2027-01-01", "packages": ["acme.*", "x"]},
        {"id": "ed25519:" + "b" * 64, "public_key": {"file": "k.pub"}, "expires": "2027-01-01T00:00:00Z"}]}}},
     True),
    ({"plugins": {"trust": {"keys": [{"id": "ed25519:ABC", "public_key": "x"}]}}}, False),
    ({"plugins": {"trust": {"keys": [{"id": "ed25519:" + "a" * 64, "public_key": "x", "packages": ["acme*"]}]}}},
     False),
    ({"plugins": {"trust": {"keys": [{"id": "ed25519:" + "a" * 64, "public_key": "x", "expires": "tomorrow"}]}}},
     False),
    ({"plugins": {"trust": {"keys": [{"id": "ed25519:" + "a" * 64, "public_key": {"path": "k.pub"}}]}}}, False),
    ({"plugins": {"trust": {"keys": [{"id": "ed25519:" + "a" * 64}]}}}, False),
    ({"plugins": {"trust": {"sigstore": {"trusted_root": "root.json", "identities": [
        {"identity": "https://github.com/a/b/.github/workflows/r.yml@refs/tags/*", "issuer": "https://i",
         "packages": ["a.*"]}]}}}}, True),
    ({"plugins": {"trust": {"sigstore": {"trusted_root": "root.json", "identities": [{"identity": "x"}]}}}}, False),
    ({"plugins": {"enabled": [{"id": "project:x", "signature": "sigs/x.sig"}]}}, True),
    ({"plugins": {"enabled": [{"id": "project:x", "signature": ""}]}}, False),
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
    if isinstance(kind, list):  # one of several types: a value of each, shaped by the same rules
        return st.one_of(*(value_for(rules | {"type": one}, variants) for one in kind))
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


def _ecma_search(pattern: str, text: str) -> bool:
    return bool(re.search(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern, text))


@SETTINGS
@given(st.text(alphabet="ab/.\\~:C\x00é", max_size=8))
def test_safe_path_pattern_is_normalize_archive_path(text):
    assert _ecma_search(SAFE_PATH_PATTERN, text) is (normalize_archive_path(text) is not None)


@SETTINGS
@given(st.text(alphabet="ab/.\x00\\", max_size=8))
def test_root_pattern_is_canonical_fs_root(text):
    assert _ecma_search(CANONICAL_ROOT_PATTERN, text) is canonical_fs_root(text)


@SETTINGS
@given(st.text(alphabet="ab/.\x00\\~ \t\u2003", max_size=8))
def test_fs_root_pattern_is_what_a_config_may_write(text):
    """Absolute canonical roots and roots relative to the workspace (docs/grants.md)."""
    assert _ecma_search(FS_ROOT_PATTERN, text) is fs_root_written_ok(text)


def test_character_patterns_are_their_rules_on_every_bmp_character():
    """The tool-name, invisible-character and not-blank patterns, one character at a time."""
    for code in range(0x10000):
        if 0xD800 <= code < 0xE000:
            continue  # a lone surrogate is no TOML string
        char = chr(code)
        assert _ecma_search(TOOL_NAME_PATTERN, char) is (validate_tool_name(char) is None), hex(code)
        assert _ecma_search(NO_INVISIBLE_PATTERN, char) is not has_invisible(char), hex(code)
        assert _ecma_search(NOT_BLANK_PATTERN, char) is bool(char.strip()), hex(code)
    assert _ecma_search(TOOL_NAME_PATTERN, "x" * 128) and not _ecma_search(TOOL_NAME_PATTERN, "x" * 129)


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
