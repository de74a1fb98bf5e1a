"""JSON Schemas for editors (`plugin.toml`, the enablement config), generated from the cerberus
schemas so there is one source of truth: a key added to a cerberus schema appears here too.

What cerberus does not hold is added explicitly, mirroring the code that checks it: tagged
permission objects (checked per `kind` in a second pass) become one `if`/`then` per kind, the
checks of `validate_manifest` and of the rules that a keyword states exactly (safe ids, SemVer,
safe package paths, tool names, the runtime's kind-dependent keys) are overlaid by path, and
conditionals (`if`/`then`) by path. Descriptions come from the cerberus fields' `meta`. A
cerberus rule without a translation raises, so a new rule cannot silently loosen the schema.

The dialect is draft-07, the newest that taplo (the engine of Even Better TOML) and VS Code
implement fully; `if`/`then`/`const` need it. What JSON Schema cannot say is left to `check`: a
tool name's bound is in UTF-8 bytes (the schema says 128 characters), a path must name a file
of the package, and a tool's `input_schema` is checked by its own rules (spec §2.2).

The generated schemas are committed under `schemas/` with a stable `$id`
(`SCHEMA_ID_BASE` + file name); a test keeps them equal to `yoi plugin schema`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from engine.errors import EngineError, ErrorKind

if TYPE_CHECKING:
    from engine.targets import TargetProfile

DRAFT = "http://json-schema.org/draft-07/schema#"
SCHEMA_ID_BASE = "https://schemas.yoi.dev/plugin-engine/"  # + file name: a stable identifier, not a fetch URL
ITEMS = "[]"  # path step for the items of an array

_TYPES = {
    "string": "string",
    "integer": "integer",
    "boolean": "boolean",
    "float": "number",
    "number": "number",
    "list": "array",
    "dict": "object",
    "date": "string",  # TOML dates and date-times: editors (taplo) see them as strings
}
# Rules handled by the parent (`required`), by the validator options (`allow_unknown`) or that
# only normalize or annotate.
_STRUCTURAL = {"required", "allow_unknown", "schema", "type", "meta", "default", "nullable"}

Path = tuple[str, ...]


class SchemaTranslationError(EngineError, ValueError):
    """A cerberus rule this generator cannot state in JSON Schema (a bug: `internal`)."""

    error_kind = ErrorKind.INTERNAL


class _Generator:
    def __init__(
        self,
        variants: Mapping[Path, tuple[str, Mapping[str, dict]]],
        overlays: Mapping[Path, dict],
        conditionals: Mapping[Path, list[dict]],
    ):
        self.variants = variants
        self.overlays = overlays
        self.conditionals = conditionals
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
            out["type"] = self._types(kind, path)
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
                if isinstance(kind, (list, tuple)):  # a string or a table: object keywords bind objects only
                    out["type"] = self._types(kind, path)
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
        if path in self.conditionals:
            self.used.add(path)
            out.setdefault("allOf", []).extend(self.conditionals[path])
        return out

    def _types(self, kinds, path: Path) -> list[str]:
        """Several cerberus types as one JSON `type` list (each JSON type once: a TOML date is a string)."""
        return list(dict.fromkeys(self._type(k, path) for k in kinds))

    def _type(self, kind: str, path: Path) -> str:
        if kind not in _TYPES:
            raise SchemaTranslationError(f"cerberus type {kind!r} at {'.'.join(path)} has no translation")
        return _TYPES[kind]

    def _variants(self, out: dict[str, Any], path: Path) -> None:
        """An object tagged by `tag`: the tag must name a variant, and, if it names one, the object
        must match that variant (`if`/`then`, so an editor reports the variant's own problem)."""
        if path not in self.variants:
            return
        self.used.add(path)
        tag, schemas = self.variants[path]
        out["properties"][tag] = {**out["properties"].get(tag, {}), "type": "string", "enum": list(schemas)}
        branches = out.setdefault("allOf", [])
        for name, schema in schemas.items():
            variant = self.table(schema, path + (f"<{tag}={name}>",), allow_unknown=False)
            variant["properties"][tag] = {**variant["properties"][tag], "const": name}
            branches.append({"if": {"properties": {tag: {"const": name}}, "required": [tag]}, "then": variant})


def to_json_schema(
    schema: Mapping[str, dict],
    *,
    title: str,
    description: str,
    root_allow_unknown: bool = False,
    variants: Mapping[Path, tuple[str, Mapping[str, dict]]] | None = None,
    overlays: Mapping[Path, dict] | None = None,
    conditionals: Mapping[Path, list[dict]] | None = None,
    schema_id: str | None = None,
) -> dict[str, Any]:
    """The JSON Schema of documents a strict cerberus validator (`allow_unknown=False`) accepts
    with `schema`. `variants[path] = (tag, {name: schema})`, `overlays[path] = {keyword: ...}`
    and `conditionals[path] = [{"if": ..., "then": ...}, ...]` name paths of keys (`ITEMS` for
    array items, `<tag=name>` for the fields of one variant); every given path must exist."""
    generator = _Generator(variants or {}, overlays or {}, conditionals or {})
    root = generator.table(schema, (), allow_unknown=False)
    root["additionalProperties"] = root_allow_unknown
    if () in generator.conditionals:  # conditions between top-level keys
        generator.used.add(())
        root.setdefault("allOf", []).extend(generator.conditionals[()])
    missing = (set(generator.variants) | set(generator.overlays) | set(generator.conditionals)) - generator.used
    if missing:
        raise SchemaTranslationError(f"no such key path in the cerberus schema: {sorted(missing)}")
    head = {"$schema": DRAFT, **({"$id": schema_id} if schema_id else {})}
    return {**head, "title": title, "description": description, **root}


def _permission_value_overlays(path: Path, target: TargetProfile | None = None) -> dict[Path, dict]:
    """Each permission kind's value field refuses bidi and zero-width characters (validate_manifest
    and check_plugins refuse them); for `target`, the kinds it reads."""
    from engine.package.ids import NO_INVISIBLE_PATTERN
    from engine.package.manifest_schema import PERMISSION_FIELDS

    return {
        path + (f"<kind={kind}>", field): {"pattern": NO_INVISIBLE_PATTERN}
        for kind, field in PERMISSION_FIELDS.items()
        if field and (target is None or kind in target.permission_kinds)
    }


def _ref_pattern() -> str:
    """A source-qualified plugin id (`project:acme.echo`), as engine/grants/refs.py parses it."""
    from engine.package.ids import SAFE_ID_PATTERN
    from engine.package.model import SOURCES

    return "^(?:" + "|".join(SOURCES) + "):" + SAFE_ID_PATTERN.removeprefix("^")


def _semver_pattern() -> str:
    # `[0-9]`, not `\d`: SEMVER_RE is ASCII, while `\d` is any Unicode digit in Rust regex (taplo).
    from engine.package.ids import SEMVER_RE

    return "^" + SEMVER_RE.pattern.replace(r"\d", "[0-9]") + "$"


DIGEST_PATTERN = "^sha256:[0-9a-f]{64}$"  # engine/package/digest.py writes lowercase hex; nothing else matches


def _runtime_conditionals(runtimes: list[tuple[str, str]]) -> list[dict]:
    """§1.3: what each runtime kind requires and forbids (manifest.py `_runtime_failure`), for the
    (kind, ABI or world) pairs read."""
    from engine.package.model import COMPONENT_KIND, RAW_KIND

    def forbids(*keys: str) -> dict:
        return {"not": {"anyOf": [{"required": [key]} for key in keys]}}

    def kind(name: str) -> dict:
        return {"properties": {"kind": {"const": name}}, "required": ["kind"]}

    def detail(name: str) -> list[str]:
        return [value for runtime, value in runtimes if runtime == name]

    out = []
    if detail(RAW_KIND):
        out.append(
            {
                "if": kind(RAW_KIND),
                "then": {
                    "required": ["abi", "entry"],
                    "properties": {
                        "abi": {"enum": detail(RAW_KIND)}
                        if len(detail(RAW_KIND)) > 1
                        else {"const": detail(RAW_KIND)[0]}
                    },
                    **forbids("component", "world"),
                },
            }
        )
    if detail(COMPONENT_KIND):
        out.append(
            {
                "if": kind(COMPONENT_KIND),
                "then": {
                    "required": ["world", "component"],
                    "properties": {"world": {"enum": detail(COMPONENT_KIND)}},
                    **forbids("abi", "entry"),
                },
            }
        )
    return out


def _instance_only_conditional() -> dict:
    """§1.8 step 5: declared services or ingresses need the instance world (manifest.py)."""
    from engine.package.model import COMPONENT_KIND, INSTANCE_WORLD

    declares = [{"required": [key], "properties": {key: {"minItems": 1}}} for key in ("services", "ingresses")]
    instance = {
        "description": "Services and ingresses need the instance world (spec §1.8 step 5).",
        "required": ["kind", "world"],
        "properties": {"kind": {"const": COMPONENT_KIND}, "world": {"const": INSTANCE_WORLD}},
    }
    return {"if": {"anyOf": declares}, "then": {"required": ["runtime"], "properties": {"runtime": instance}}}


# --- one target's formats (`yoi plugin schema ... --target T`, docs/targets.md) ----------------
# The schemas above are the union this engine reads. A target profile says which keys, values,
# runtimes and host APIs its host reads (targets/*.toml); the schema for a target is the union
# narrowed to those, so an editor refuses what that host would fail to parse.


def _keep_keys(schema: Mapping[str, dict], keep: Iterable[str]) -> dict[str, dict]:
    kept = set(keep)
    return {key: rules for key, rules in schema.items() if key in kept}


def _narrow_allowed(rules: Mapping[str, Any], keep: Callable[[str], bool]) -> dict[str, Any]:
    """`rules` with its `allowed` values (or, for a list, its items') narrowed by `keep`."""
    out = dict(rules)
    if "allowed" in out:
        out["allowed"] = [value for value in out["allowed"] if keep(value)]
    if out.get("type") == "list" and isinstance(out.get("schema"), dict):
        out["schema"] = _narrow_allowed(out["schema"], keep)
    return out


def _permissions_for(schemas: Mapping[str, dict], target: TargetProfile | None) -> dict[str, dict]:
    """The permission kinds (and `host_api` values, `surface` values) `target` reads."""
    from engine.package.manifest_schema import PERMISSION_FIELDS

    if target is None:
        return dict(schemas)
    apis = {api.name for api in target.host_apis}
    keep = {"host_api": apis.__contains__, "surface": set(target.surfaces).__contains__}
    out = {}
    for kind, schema in schemas.items():
        if kind not in target.permission_kinds:
            continue
        field = PERMISSION_FIELDS[kind]
        out[kind] = {**schema, field: _narrow_allowed(schema[field], keep[kind])} if kind in keep and field else schema
    return out


def _existing(overlays: Mapping[Path, dict], schema: Mapping[str, dict]) -> dict[Path, dict]:
    """The overlays whose key path starts in `schema` (a target's schema drops some tables)."""
    return {path: rules for path, rules in overlays.items() if path[0] in schema}


def _target_words(target: TargetProfile | None) -> tuple[str, str]:
    """(title suffix, file stem suffix) naming a target's schema."""
    if target is None:
        return "", ""
    return f" read by target {target.name}", f".{target.name}"


def manifest_json_schema(target: TargetProfile | None = None) -> dict[str, Any]:
    """`plugin.toml` (spec §1): the cerberus schema, tagged permissions, and what validate_manifest
    and the tool-name rule check that a keyword can state; for `target`, only what that host
    reads (its top-level keys, surfaces, permission kinds, host APIs and runtimes)."""
    from engine.package.ids import NOT_BLANK_PATTERN, SAFE_ID_PATTERN
    from engine.package.manifest_schema import MANIFEST_SCHEMA, PERMISSION_SCHEMAS
    from engine.package.model import COMPONENT_KIND, INSTANCE_WORLD, RAW_ABI, RAW_KIND, SCHEMA_VERSION, TOOL_WORLD
    from engine.package.paths import SAFE_PATH_PATTERN
    from engine.package.tools import TOOL_NAME_PATTERN

    schema: dict[str, dict] = dict(MANIFEST_SCHEMA)
    runtimes = [(RAW_KIND, RAW_ABI), (COMPONENT_KIND, TOOL_WORLD), (COMPONENT_KIND, INSTANCE_WORLD)]
    if target is not None:
        schema = _keep_keys(schema, target.manifest_keys)
        if "surfaces" in schema:
            schema["surfaces"] = _narrow_allowed(schema["surfaces"], set(target.surfaces).__contains__)
        runtimes = [(r.kind, r.abi_or_world) for r in target.runtimes]
    kinds = list(dict.fromkeys(kind for kind, _ in runtimes))
    safe = {"pattern": SAFE_ID_PATTERN}
    path = {"pattern": SAFE_PATH_PATTERN}
    title, stem = _target_words(target)
    overlays: dict[Path, dict] = {
        ("schema_version",): {"enum": [SCHEMA_VERSION]},
        ("id",): safe
        | {"description": "Local id: ASCII letters, digits, `.`, `_`, `-`; at most 128; no leading or trailing dot."},
        ("name",): {"pattern": NOT_BLANK_PATTERN},
        ("version",): {"pattern": _semver_pattern()},
        ("runtime", "kind"): {"enum": kinds},
        ("runtime", "entry"): path,
        ("runtime", "component"): path,
        ("hooks", ITEMS, "id"): safe,
        ("hooks", ITEMS, "file"): path,
        ("tools", ITEMS, "name"): {"pattern": TOOL_NAME_PATTERN},
        ("services", ITEMS, "name"): safe,
        ("ingresses", ITEMS, "name"): safe,
        **_permission_value_overlays(("permissions", ITEMS), target),
    }
    permissions = _permissions_for(PERMISSION_SCHEMAS, target)
    return to_json_schema(
        schema,
        title=f"yoi plugin manifest (plugin.toml){title}",
        description="A yoi WebAssembly plugin package manifest. Generated by `yoi plugin schema manifest"
        + (f" --target {target.name}`." if target else "`."),
        schema_id=SCHEMA_ID_BASE + f"plugin{stem}.schema.json",
        variants={("permissions", ITEMS): ("kind", permissions)},
        overlays=_existing(overlays, schema),
        conditionals={("runtime",): _runtime_conditionals(runtimes), (): [_instance_only_conditional()]}
        if "runtime" in schema
        else {},
    )


def _config_schema_for(target: TargetProfile | None) -> dict[str, dict]:
    """PLUGINS_SCHEMA, or for `target` only the `[plugins]`, `[[plugins.enabled]]` and
    `[plugins.enabled.grants]` keys it reads (upstream refuses any other: deny_unknown_fields);
    with `[feature.plugins] enabled`, which every host reads (spec §3.1)."""
    from engine.grants.schema import FEATURE_SCHEMA, PLUGINS_SCHEMA

    if target is None:
        return PLUGINS_SCHEMA | FEATURE_SCHEMA
    keys: dict[str, list[str]] = {}
    for table, key in target.config_keys:
        keys.setdefault(table, []).append(key)
    plugins = PLUGINS_SCHEMA["plugins"]
    tables = _keep_keys(plugins["schema"], keys.get("plugins", ()))
    if "enabled" in tables:
        enabled = tables["enabled"]
        entry = _keep_keys(enabled["schema"]["schema"], keys.get("plugins.enabled", ()))
        if "grants" in entry:
            grants = entry["grants"]
            entry["grants"] = {**grants, "schema": _keep_keys(grants["schema"], keys.get("plugins.enabled.grants", ()))}
        tables["enabled"] = {**enabled, "schema": {**enabled["schema"], "schema": entry}}
    return {"plugins": {**plugins, "schema": tables}} | FEATURE_SCHEMA


def _present(path: Path, schema: Mapping[str, dict]) -> bool:
    """Whether the key path is in the cerberus `schema` (a `<tag=...>` step: the variant's fields,
    present when its tagged object is)."""
    mapping: Any = schema
    rules: Any = None
    for step in path:
        if step.startswith("<"):
            return True
        if step == ITEMS:
            if not isinstance(rules, dict) or rules.get("type") != "list":
                return False
            rules = rules.get("schema")
            continue
        if rules is not None:
            mapping = rules.get("schema") if isinstance(rules, dict) and rules.get("type") == "dict" else None
        if not isinstance(mapping, dict) or step not in mapping:
            return False
        rules = mapping[step]
    return True


def config_json_schema(target: TargetProfile | None = None) -> dict[str, Any]:
    """The enablement config (`.yoi/config.toml`, spec §3.1): only `[plugins]` and
    `[feature.plugins] enabled` are checked; a yoi config holds other tables too, so other
    top-level keys are allowed. Ids, versions and digests
    that could never bind to a package are refused as resolution would. For `target`, only the
    keys and host APIs that host reads."""
    from engine import api_registry
    from engine.package.manifest_schema import PERMISSION_SCHEMAS

    schema = _config_schema_for(target)
    entry = ("plugins", "enabled", ITEMS)
    record = ("plugins", "resolved", ITEMS)  # a resolved plan's grants are checked as an enablement's
    ref, semver, digest = {"pattern": _ref_pattern()}, {"pattern": _semver_pattern()}, {"pattern": DIGEST_PATTERN}
    title, stem = _target_words(target)
    overlays: dict[Path, dict] = {
        entry: {"required": ["id"]},  # without one, resolution refuses the entry (`""` is no ref)
        entry + ("id",): ref,
        entry + ("version",): semver,
        entry + ("digest",): digest,
        entry + ("grants", "id"): ref,
        entry + ("grants", "version"): semver,
        entry + ("grants", "digest"): digest,
        **{
            grants + (api, ITEMS, key): rules
            for grants in (entry + ("grants",), record + ("grants",))
            for (api, key), rules in api_registry.grant_json_overlays(
                flag for flag, on in (target.flags if target is not None else ()) if on
            ).items()
        },
        **_permission_value_overlays(entry + ("grants", "permissions", ITEMS), target),
        **_permission_value_overlays(record + ("grants", "permissions", ITEMS), target),
    }
    permissions = _permissions_for(PERMISSION_SCHEMAS, target)
    variants = {
        grants + ("permissions", ITEMS): ("kind", permissions) for grants in (entry + ("grants",), record + ("grants",))
    }
    return to_json_schema(
        schema,
        title=f"yoi plugin enablement config{title}",
        description="The [plugins] table of a yoi config: enabled packages and their grants. "
        "Generated by `yoi plugin schema config" + (f" --target {target.name}`." if target else "`."),
        schema_id=SCHEMA_ID_BASE + f"config{stem}.schema.json",
        root_allow_unknown=True,
        variants={path: variant for path, variant in variants.items() if _present(path, schema)},
        overlays={path: rules for path, rules in overlays.items() if _present(path, schema)},
    )


SCHEMAS = {"manifest": manifest_json_schema, "config": config_json_schema}
# The committed copies under schemas/, kept equal to the generated ones by a test.
SCHEMA_FILES = {"manifest": "plugin.schema.json", "config": "config.schema.json"}
