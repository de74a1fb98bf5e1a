"""JSON Schemas for editors (`plugin.toml`, the enablement config), generated from the cerberus
schemas so there is one source of truth: a key added to a cerberus schema appears here too.

What cerberus does not hold is added explicitly, mirroring the code that checks it: tagged
permission objects (checked per `kind` in a second pass) become `anyOf` variants, and rules of
`validate_manifest` that a `pattern` states exactly (safe ids) are overlaid by path. A cerberus
rule without a translation raises, so a new rule cannot silently loosen the editor schema.

Only keywords that mean the same from draft 4 to 2020-12 are used (no `if`/`const`/`$defs`):
taplo, the engine of Even Better TOML, implements older drafts best.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.errors import EngineError, ErrorKind

DRAFT = "https://json-schema.org/draft/2020-12/schema"
ITEMS = "[]"  # path step for the items of an array

_TYPES = {
    "string": "string",
    "integer": "integer",
    "boolean": "boolean",
    "float": "number",
    "number": "number",
    "list": "array",
    "dict": "object",
}
# Rules handled by the parent (`required`), by the validator options (`allow_unknown`) or that
# only normalize or annotate.
_STRUCTURAL = {"required", "allow_unknown", "schema", "type", "meta", "default", "nullable"}

Path = tuple[str, ...]


class SchemaTranslationError(EngineError, ValueError):
    """A cerberus rule this generator cannot state in JSON Schema (a bug: `internal`)."""

    error_kind = ErrorKind.INTERNAL


class _Generator:
    def __init__(self, variants: Mapping[Path, tuple[str, Mapping[str, dict]]], overlays: Mapping[Path, dict]):
        self.variants = variants
        self.overlays = overlays
        self.used: set[Path] = set()

    def table(self, schema: Mapping[str, dict], path: Path, allow_unknown: bool) -> dict[str, Any]:
        """A cerberus mapping schema (key -> rules) as a JSON object schema."""
        out: dict[str, Any] = {
            "type": "object",
            "properties": {key: self.field(rules, path + (key,)) for key, rules in schema.items()},
            "additionalProperties": allow_unknown,
        }
        required = [key for key, rules in schema.items() if rules.get("required")]
        if required:  # draft 4 forbids an empty `required`
            out["required"] = required
        return out

    def field(self, rules: Mapping[str, Any], path: Path) -> dict[str, Any]:
        unknown = set(rules) - _STRUCTURAL - {"allowed", "min", "max", "minlength", "maxlength", "regex", "empty"}
        if unknown:
            raise SchemaTranslationError(f"cerberus rule(s) {sorted(unknown)} at {'.'.join(path)} have no translation")
        out: dict[str, Any] = {}
        kind = rules.get("type")
        if isinstance(kind, (list, tuple)):
            out["type"] = [self._type(k, path) for k in kind]
        elif kind is not None:
            out["type"] = self._type(kind, path)
        if rules.get("nullable") and "type" in out:
            out["type"] = [*(out["type"] if isinstance(out["type"], list) else [out["type"]]), "null"]
        is_list = kind == "list"
        if "schema" in rules:
            if is_list:
                out["items"] = self.field(rules["schema"], path + (ITEMS,))
            else:
                out.update(self.table(rules["schema"], path, rules.get("allow_unknown", False)))
        elif kind == "dict" and "allow_unknown" in rules:
            out["additionalProperties"] = bool(rules["allow_unknown"])
        if "allowed" in rules:
            # cerberus applies `allowed` to each item of a list value
            target = out.setdefault("items", {}) if is_list else out
            target["enum"] = list(rules["allowed"])
        for rule, keyword in (("min", "minimum"), ("max", "maximum")):
            if rule in rules:
                out[keyword] = rules[rule]
        for rule, keyword in (
            ("minlength", "minItems" if is_list else "minLength"),
            ("maxlength", "maxItems" if is_list else "maxLength"),
        ):
            if rule in rules:
                out[keyword] = rules[rule]
        if rules.get("empty") is False:
            out["minItems" if is_list else "minLength"] = 1
        if "regex" in rules:  # cerberus matches the whole value
            out["pattern"] = f"^(?:{rules['regex']})$"
        meta = rules.get("meta")
        if isinstance(meta, dict) and meta.get("description"):
            out["description"] = meta["description"]
        self._variants(out, path)
        if path in self.overlays:
            self.used.add(path)
            out.update(self.overlays[path])
        return out

    def _type(self, kind: str, path: Path) -> str:
        if kind not in _TYPES:
            raise SchemaTranslationError(f"cerberus type {kind!r} at {'.'.join(path)} has no translation")
        return _TYPES[kind]

    def _variants(self, out: dict[str, Any], path: Path) -> None:
        """An object tagged by `tag`: the tag must name a variant, and the object must match it."""
        if path not in self.variants:
            return
        self.used.add(path)
        tag, schemas = self.variants[path]
        out["properties"][tag] = {**out["properties"].get(tag, {}), "type": "string", "enum": list(schemas)}
        out["anyOf"] = []
        for name, schema in schemas.items():
            variant = self.table(schema, path, allow_unknown=False)
            variant["properties"][tag] = {"enum": [name]}
            out["anyOf"].append(variant)


def to_json_schema(
    schema: Mapping[str, dict],
    *,
    title: str,
    description: str,
    root_allow_unknown: bool = False,
    variants: Mapping[Path, tuple[str, Mapping[str, dict]]] | None = None,
    overlays: Mapping[Path, dict] | None = None,
) -> dict[str, Any]:
    """The JSON Schema of documents a strict cerberus validator (`allow_unknown=False`) accepts
    with `schema`. `variants[path] = (tag, {name: schema})` and `overlays[path] = {keyword: ...}`
    name paths of keys (`ITEMS` for array items); every given path must exist."""
    generator = _Generator(variants or {}, overlays or {})
    root = generator.table(schema, (), allow_unknown=False)
    root["additionalProperties"] = root_allow_unknown
    missing = (set(generator.variants) | set(generator.overlays)) - generator.used
    if missing:
        raise SchemaTranslationError(f"no such key path in the cerberus schema: {sorted(missing)}")
    return {"$schema": DRAFT, "title": title, "description": description, **root}


def manifest_json_schema() -> dict[str, Any]:
    """`plugin.toml` (spec §1): the cerberus schema, tagged permissions, safe ids, SemVer version."""
    from engine.package.ids import SAFE_ID_PATTERN, SEMVER_RE
    from engine.package.manifest_schema import MANIFEST_SCHEMA, PERMISSION_SCHEMAS

    safe = {"pattern": SAFE_ID_PATTERN}
    return to_json_schema(
        MANIFEST_SCHEMA,
        title="yoi plugin manifest (plugin.toml)",
        description="A yoi WebAssembly plugin package manifest. Generated by `yoi plugin schema manifest`.",
        variants={("permissions", ITEMS): ("kind", PERMISSION_SCHEMAS)},
        overlays={
            ("id",): safe
            | {
                "description": "Local id: ASCII letters, digits, `.`, `_`, `-`; at most 128; "
                "no leading or trailing dot."
            },
            ("hooks", ITEMS, "id"): safe,
            ("services", ITEMS, "name"): safe,
            ("ingresses", ITEMS, "name"): safe,
            # manifest.py refuses a version that is not SemVer; an editor should say so too. `[0-9]`,
            # not `\d`: SEMVER_RE is ASCII, while `\d` is any Unicode digit in Rust regex (taplo).
            ("version",): {
                "pattern": "^" + SEMVER_RE.pattern.replace(r"\d", "[0-9]") + "$",
                "description": "A SemVer 2.0.0 version, e.g. 0.1.0.",
            },
            ("schema_version",): {"description": "Manifest schema version; this engine supports 1."},
            ("surfaces",): {"description": "Surfaces the package declares (each also needs a permission)."},
            ("permissions",): {"description": "What the package requests; the enablement config grants it."},
        },
    )


def config_json_schema() -> dict[str, Any]:
    """The enablement config (`.yoi/config.toml`, spec §3.1): only `[plugins]` is checked; a yoi
    config holds other tables too, so other top-level keys are allowed."""
    from engine.grants.schema import PLUGINS_SCHEMA
    from engine.package.manifest_schema import PERMISSION_SCHEMAS

    return to_json_schema(
        PLUGINS_SCHEMA,
        title="yoi plugin enablement config",
        description="The [plugins] table of a yoi config: enabled packages and their grants. "
        "Generated by `yoi plugin schema config`.",
        root_allow_unknown=True,
        variants={("plugins", "enabled", ITEMS, "grants", "permissions", ITEMS): ("kind", PERMISSION_SCHEMAS)},
    )


SCHEMAS = {"manifest": manifest_json_schema, "config": config_json_schema}
