"""plugin.toml loading (spec §5.4 steps 2-5, §1.1-§1.8): every diagnostic, and locations."""

from __future__ import annotations

import math

import pytest

from engine.diagnostics import DiagnosticError, Location
from engine.package.manifest import load_manifest
from engine.package.model import Permission

HEAD = """\
schema_version = 1
id = "example.pkg"
name = "Example"
version = "0.1.0"
"""
RAW = '[runtime]\nkind = "wasm"\nabi = "yoi-plugin-wasm-1"\nentry = "plugin.wasm"\n'
COMPONENT = '[runtime]\nkind = "wasm-component"\ncomponent = "c.wasm"\nworld = "yoi:plugin/tool@1.0.0"\n'
INSTANCE = '[runtime]\nkind = "wasm-component"\ncomponent = "c.wasm"\nworld = "yoi:plugin/instance@1.0.0"\n'
ENTRIES = frozenset({"plugin.toml", "plugin.wasm", "c.wasm", "hooks/on.md"})


def load(text: str, entries=ENTRIES):
    return load_manifest(text.encode("utf-8"), entries)


def failures(text: str | bytes, entries=ENTRIES):
    data = text.encode("utf-8") if isinstance(text, str) else text
    with pytest.raises(DiagnosticError) as caught:
        load_manifest(data, entries)
    return caught.value.diagnostics


def only(text, entries=ENTRIES):
    diagnostics = failures(text, entries)
    assert len(diagnostics) == 1, [d.message for d in diagnostics]
    d = diagnostics[0]
    assert d.phase == "manifest"
    return d


# -- steps 2-4: size, UTF-8, TOML ------------------------------------------------------------

def test_manifest_size_bound():
    d = only(HEAD + "#" * 65536)
    assert (d.kind, d.message) == ("bounds", "plugin.toml exceeds the configured manifest size bound")


def test_manifest_exactly_at_size_bound_is_accepted():
    text = HEAD + "#"
    text += "x" * (65536 - len(text))
    assert len(text.encode()) == 65536
    assert load(text).id == "example.pkg"


def test_manifest_must_be_utf8():
    d = only(HEAD.encode() + b'description = "\xff\xfe"\n')
    assert (d.kind, d.message) == ("malformed", "plugin.toml is not valid UTF-8")


def test_toml_error_reports_line_and_column_only():
    d = only(HEAD + 'description = "secret-token-value\n')
    assert d.kind == "malformed"
    assert d.message == "plugin.toml could not be parsed at line 5, column 34"
    assert d.location == Location("plugin.toml", 5, 34)
    assert "secret" not in d.message


def test_toml_error_at_end_of_document_points_at_the_end():
    d = only(HEAD + "surfaces = [\n  \"tool\",\n")
    assert d.message == "plugin.toml could not be parsed at line 7, column 1"
    assert (d.location.line, d.location.column) == (7, 1)


def test_a_byte_order_mark_is_named_as_the_cause():
    d = only(b"\xef\xbb\xbf" + HEAD.encode())
    assert d.message == (
        "plugin.toml could not be parsed at line 1, column 1 "
        "(the file starts with a UTF-8 byte order mark; save it without one)"
    )


def test_toml_duplicate_key_is_a_parse_error():
    d = only(HEAD + 'id = "again"\n')
    assert d.kind == "malformed" and d.message.startswith("plugin.toml could not be parsed at line ")


def test_malformed_manifest_multibyte_diagnostic_is_bounded_and_redacted():
    comment = "# " + "秘密のコメント" * 40 + "\n"
    text = comment + HEAD + "tools = [ { name = \"日本語\" \n"
    d = only(text)
    assert d.kind == "malformed"
    assert len(d.message.encode("utf-8")) <= 241
    assert "秘密" not in d.message and "日本語" not in d.message
    assert d.message.startswith("plugin.toml could not be parsed at line 6")


def test_deeply_nested_values_fail_closed():
    d = only(HEAD + "x = " + "[" * 2000 + "]" * 2000 + "\n")
    assert d.kind == "malformed" and "could not be parsed" in d.message


# -- schema: unknown keys at every level -----------------------------------------------------

@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ('requests = []\n', "requests"),
        ('[[websocket]]\nhost = "h"\nmethods = ["GET"]\n', "websocket[0].methods"),
        ('https = []\n', "https"),
        ('[runtime]\nkind = "wasm"\nfoo = 1\n', "runtime.foo"),
        ('[[hooks]]\nid = "h"\nfile = "hooks/on.md"\nextra = 1\n', "hooks[0].extra"),
        ('[[tools]]\nname = "t"\ndescription = "d"\ninput_schema = {}\nextra = 1\n', "tools[0].extra"),
        ('[[services]]\nname = "s"\ndescription = "d"\nextra = 1\n', "services[0].extra"),
        ('[[ingresses]]\nname = "i"\ndescription = "d"\nextra = 1\n', "ingresses[0].extra"),
        ('permissions = [{ kind = "surface", surface = "tool", extra = 1 }]\n', "permissions[0].extra"),
        ('permissions = [{ kind = "tool", name = "t", namespace = "x" }]\n', "permissions[0].namespace"),
        ('permissions = [{ kind = "tool_namespace", namespace = "x", name = "t" }]\n', "permissions[0].name"),
        ('permissions = [{ kind = "service", name = "s", extra = 1 }]\n', "permissions[0].extra"),
        ('permissions = [{ kind = "ingress", name = "i", extra = 1 }]\n', "permissions[0].extra"),
        ('permissions = [{ kind = "external_write", name = "x" }]\n', "permissions[0].name"),
        ('permissions = [{ kind = "host_api", api = "fs", root = "/" }]\n', "permissions[0].root"),
    ],
)
def test_unknown_keys_are_rejected_at_every_level(extra, path):
    d = only(HEAD + extra)
    assert d.kind == "malformed"
    assert d.message == f"plugin.toml: unknown key `{path}`"


def test_unknown_permission_kind_fails_closed_naming_it():
    d = only(HEAD + 'permissions = [\n  { kind = "surface", surface = "tool" },\n  { kind = "ambient_shell" },\n]\n')
    assert d.message == "plugin.toml: unknown permission kind `ambient_shell` in `permissions[1]`"
    assert (d.location.line, d.location.column) == (7, 5)


def test_unknown_nested_key_name_is_bounded_and_quoted():
    d = only(HEAD + '[runtime]\nkind = "wasm"\n"' + "k\\u0007" + "y" * 300 + '" = 1\n')
    assert d.message.startswith('plugin.toml: unknown key `runtime."k?yyy')
    assert "\x07" not in d.message
    assert len(d.message.encode()) <= 243


# -- schema: types, values, required keys ----------------------------------------------------

@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEAD.replace("schema_version = 1", 'schema_version = "1"'), "`schema_version` must be an integer"),
        (HEAD.replace("schema_version = 1", "schema_version = true"), "`schema_version` must be an integer"),
        (HEAD.replace("schema_version = 1", "schema_version = 1.0"), "`schema_version` must be an integer"),
        (HEAD.replace("schema_version = 1", "schema_version = -1"), "`schema_version` must be between 0 and 4294967295"),
        (HEAD.replace("schema_version = 1", "schema_version = 4294967296"), "`schema_version` must be between 0 and 4294967295"),
        (HEAD.replace('id = "example.pkg"', "id = 5"), "`id` must be a string"),
        (HEAD.replace('name = "Example"', "name = []"), "`name` must be a string"),
        (HEAD.replace('version = "0.1.0"', "version = 1"), "`version` must be a string"),
        (HEAD + "description = 1\n", "`description` must be a string"),
        (HEAD + 'surfaces = "tool"\n', "`surfaces` must be an array"),
        (HEAD + 'surfaces = ["tool", "SECRETVALUE"]\n', "`surfaces[1]` must be one of hook, tool, service, ingress, wasm"),
        (HEAD + "surfaces = [1]\n", "`surfaces[0]` must be a string"),
        (HEAD + 'runtime = "wasm"\n', "`runtime` must be a table"),
        (HEAD + '[runtime]\nkind = "wasm"\nentry = 1\n', "`runtime.entry` must be a string"),
        (HEAD + '[runtime]\nabi = "x"\n', "missing required key `runtime.kind`"),
        (HEAD + "hooks = {}\n", "`hooks` must be an array"),
        (HEAD + "tools = [1]\n", "`tools[0]` must be a table"),
        (HEAD + '[[hooks]]\nid = "h"\n', "missing required key `hooks[0].file`"),
        (HEAD + '[[tools]]\nname = "t"\ndescription = "d"\n', "missing required key `tools[0].input_schema`"),
        (HEAD + '[[tools]]\nname = "t"\ninput_schema = {}\n', "missing required key `tools[0].description`"),
        (HEAD + '[[tools]]\nname = "t"\ndescription = "d"\ninput_schema = {}\nexternal_write = "yes"\n',
         "`tools[0].external_write` must be a boolean"),
        (HEAD + '[[services]]\ndescription = "d"\n', "missing required key `services[0].name`"),
        (HEAD + '[[services]]\nname = "s"\ndescription = "d"\nside_effects = [1]\n', "`services[0].side_effects[0]` must be a string"),
        (HEAD + '[[services]]\nname = "s"\ndescription = "d"\nlifecycle = 1\n', "`services[0].lifecycle` must be a string"),
        (HEAD + '[[ingresses]]\nname = "i"\n', "missing required key `ingresses[0].description`"),
        (HEAD + '[[ingresses]]\nname = "i"\ndescription = "d"\nevent_kinds = "a"\n', "`ingresses[0].event_kinds` must be an array"),
        (HEAD + '[[ingresses]]\nname = "i"\ndescription = "d"\nsources = [true]\n', "`ingresses[0].sources[0]` must be a string"),
        (HEAD + 'permissions = "all"\n', "`permissions` must be an array"),
        (HEAD + 'permissions = ["surface"]\n', "`permissions[0]` must be a table"),
        (HEAD + 'permissions = [{ surface = "tool" }]\n', "missing required key `permissions[0].kind`"),
        (HEAD + "permissions = [{ kind = 3 }]\n", "`permissions[0].kind` must be a string"),
        (HEAD + 'permissions = [{ kind = "surface" }]\n', "missing required key `permissions[0].surface`"),
        (HEAD + 'permissions = [{ kind = "surface", surface = "shell" }]\n',
         "`permissions[0].surface` must be one of hook, tool, service, ingress, wasm"),
        (HEAD + 'permissions = [{ kind = "tool" }]\n', "missing required key `permissions[0].name`"),
        (HEAD + 'permissions = [{ kind = "tool_namespace" }]\n', "missing required key `permissions[0].namespace`"),
        (HEAD + 'permissions = [{ kind = "service", name = 1 }]\n', "`permissions[0].name` must be a string"),
        (HEAD + 'permissions = [{ kind = "host_api", api = "shell" }]\n', "`permissions[0].api` must be one of https, request, websocket, fs"),
        (HEAD + 'permissions = [{ kind = "host_api" }]\n', "missing required key `permissions[0].api`"),
    ],
)
def test_schema_rules(text, message):
    d = only(text)
    assert d.kind == "malformed"
    assert d.message == f"plugin.toml: {message}"
    assert "SECRETVALUE" not in d.message


@pytest.mark.parametrize("key", ["schema_version", "id", "name", "version"])
def test_required_top_level_keys(key):
    text = "\n".join(line for line in HEAD.splitlines() if not line.startswith(key + " ")) + "\n"
    assert only(text).message == f"plugin.toml: missing required key `{key}`"


def test_all_schema_errors_are_reported_together_in_file_order():
    text = (
        'schema_version = "1"\n'
        'id = "x"\nname = "n"\nversion = "1"\n'
        'bogus = 1\n'
        '[runtime]\nkind = "wasm"\nfoo = 2\n'
        '[[tools]]\nname = "t"\n'
        'permissions = [{ kind = "ambient_shell" }]\n'
    )
    messages = [(d.message, d.location.line if d.location else None) for d in failures(text)]
    assert messages == [
        ("plugin.toml: `schema_version` must be an integer", 1),
        ("plugin.toml: unknown key `bogus`", 5),
        ("plugin.toml: unknown key `runtime.foo`", 8),
        ("plugin.toml: missing required key `tools[0].description`", 9),
        ("plugin.toml: missing required key `tools[0].input_schema`", 9),
        ("plugin.toml: unknown key `tools[0].permissions`", 11),
    ]


def test_schema_error_count_is_capped():
    text = HEAD + "".join(f"k{i} = {i}\n" for i in range(100))
    diagnostics = failures(text)
    assert len(diagnostics) == 33
    assert diagnostics[-1].message == "plugin.toml: 68 more schema error(s) omitted"


# -- §1.8 validation order and messages ------------------------------------------------------

def with_key(key, value, text=HEAD):
    return "\n".join(f"{key} = {value}" if line.startswith(key + " ") else line for line in text.splitlines()) + "\n"


@pytest.mark.parametrize("version", [0, 2, 999])
def test_unsupported_schema_version(version):
    d = only(with_key("schema_version", version))
    assert (d.kind, d.message) == ("api", "plugin schema/API version is unsupported")
    assert d.location == Location("plugin.toml", 1, 1)


@pytest.mark.parametrize("bad_id", ['""', '".x"', '"x."', '"a b"', '"a/b"', '"é"', '"a:b"', f'"{"x" * 129}"'])
def test_unsafe_plugin_id(bad_id):
    d = only(with_key("id", bad_id))
    assert (d.kind, d.message) == ("malformed", "plugin manifest id is not a safe local id")
    assert d.subject is None and d.location.line == 2


@pytest.mark.parametrize("good_id", ['"a"', '"A-b_c.d"', '"a..b"', f'"{"x" * 128}"'])
def test_safe_plugin_ids(good_id):
    assert load(with_key("id", good_id)).id == good_id.strip('"')


@pytest.mark.parametrize(("key", "line"), [("name", 3), ("version", 4)])
def test_blank_name_or_version(key, line):
    d = only(with_key(key, '"  \\t "'))
    assert (d.kind, d.message) == ("malformed", "plugin manifest name and version are required")
    assert d.location.line == line


RAW_CASES = [
    ('kind = "wasm"\nentry = "plugin.wasm"', "api", "plugin WASM ABI is unsupported"),
    ('kind = "wasm"\nabi = "yoi-plugin-wasm-2"\nentry = "plugin.wasm"', "api", "plugin WASM ABI is unsupported"),
    ('kind = "wasm"\nabi = "yoi-plugin-wasm-1"', "missing", "plugin WASM runtime entry is required"),
    ('kind = "wasm"\nabi = "yoi-plugin-wasm-1"\nentry = "plugin.wasm"\ncomponent = "c.wasm"', "malformed",
     "plugin WASM runtime must not declare component metadata"),
    ('kind = "wasm"\nabi = "yoi-plugin-wasm-1"\nentry = "plugin.wasm"\nworld = "yoi:plugin/tool@1.0.0"', "malformed",
     "plugin WASM runtime must not declare component metadata"),
    ('kind = "wasm"\nabi = "yoi-plugin-wasm-1"\nentry = "../plugin.wasm"', "traversal",
     "plugin manifest references a path outside the package root"),
    ('kind = "wasm"\nabi = "yoi-plugin-wasm-1"\nentry = "/plugin.wasm"', "traversal",
     "plugin manifest references a path outside the package root"),
    ('kind = "wasm"\nabi = "yoi-plugin-wasm-1"\nentry = "./plugin.wasm"', "traversal",
     "plugin manifest references a path outside the package root"),
    ('kind = "wasm"\nabi = "yoi-plugin-wasm-1"\nentry = "other.wasm"', "missing",
     "plugin manifest references a path not present in the package"),
    # order: ABI before entry
    ('kind = "wasm"\nabi = "nope"', "api", "plugin WASM ABI is unsupported"),
]
COMPONENT_CASES = [
    ('kind = "wasm-component"\nabi = "yoi-plugin-wasm-1"\ncomponent = "c.wasm"\nworld = "yoi:plugin/tool@1.0.0"',
     "malformed", "plugin component runtime must not declare raw WASM ABI metadata"),
    ('kind = "wasm-component"\nentry = "c.wasm"\ncomponent = "c.wasm"\nworld = "yoi:plugin/tool@1.0.0"',
     "malformed", "plugin component runtime must not declare raw WASM ABI metadata"),
    ('kind = "wasm-component"\ncomponent = "c.wasm"', "api", "plugin component world is unsupported"),
    ('kind = "wasm-component"\ncomponent = "c.wasm"\nworld = "yoi:plugin/tool@2.0.0"', "api",
     "plugin component world is unsupported"),
    ('kind = "wasm-component"\nworld = "yoi:plugin/tool@1.0.0"', "missing", "plugin component runtime artifact is required"),
    ('kind = "wasm-component"\ncomponent = "C:c.wasm"\nworld = "yoi:plugin/instance@1.0.0"', "traversal",
     "plugin manifest references a path outside the package root"),
    ('kind = "wasm-component"\ncomponent = "a\\\\c.wasm"\nworld = "yoi:plugin/instance@1.0.0"', "traversal",
     "plugin manifest references a path outside the package root"),
    ('kind = "wasm-component"\ncomponent = "missing.wasm"\nworld = "yoi:plugin/tool@1.0.0"', "missing",
     "plugin manifest references a path not present in the package"),
    ('kind = "python"\nentry = "x.py"', "api", "plugin runtime kind is unsupported"),
    ('kind = "WASM"\nabi = "yoi-plugin-wasm-1"\nentry = "plugin.wasm"', "api", "plugin runtime kind is unsupported"),
]


@pytest.mark.parametrize(("body", "kind", "message"), RAW_CASES + COMPONENT_CASES)
def test_runtime_rules(body, kind, message):
    d = only(HEAD + "[runtime]\n" + body + "\n")
    assert (d.kind, d.message) == (kind, message)
    assert d.location is not None and d.location.line >= 5


@pytest.mark.parametrize(
    "runtime",
    [RAW, COMPONENT, COMPONENT.replace("tool@", "instance@"), ""],
)
def test_valid_runtimes(runtime):
    manifest = load(HEAD + runtime)
    assert (manifest.runtime is None) == (runtime == "")


def test_runtime_path_is_checked_against_entries_given():
    assert only(HEAD + RAW, entries={"plugin.toml"}).kind == "missing"


SERVICE_AND_INGRESS = '[[services]]\nname = "s"\ndescription = "d"\n[[ingresses]]\nname = "i"\ndescription = "d"\n'


@pytest.mark.parametrize("runtime", ["", RAW, COMPONENT], ids=["none", "raw", "tool-world"])
def test_service_ingress_declarations_need_the_instance_world(runtime):
    """Spec §1.8 step 5 (issue 18 point 1): the manifest fails, so the package is no package."""
    d = only(HEAD + runtime + SERVICE_AND_INGRESS)
    assert (d.kind, d.phase, d.message) == (
        "surface", "manifest", "plugin service/ingress declarations require the yoi:plugin/instance@1.0.0 component world")
    assert d.location.line == len((HEAD + runtime).splitlines()) + 1  # the first [[services]]
    only_ingress = only(HEAD + runtime + '[[ingresses]]\nname = "i"\ndescription = "d"\n')
    assert only_ingress.kind == "surface"
    # only the declaration arrays trigger it: `surfaces = ["service"]` alone is accepted anywhere
    assert load(HEAD.replace('version = "0.1.0"\n', 'version = "0.1.0"\nsurfaces = ["service", "ingress"]\n') + runtime)
    manifest = load(HEAD + INSTANCE + SERVICE_AND_INGRESS)
    assert [s.name for s in manifest.services] == ["s"] and [i.name for i in manifest.ingresses] == ["i"]


SECTION = {
    "services": '[[services]]\nname = "{v}"\ndescription = "d"\n',
    "ingresses": '[[ingresses]]\nname = "{v}"\ndescription = "d"\n',
    "hooks": '[[hooks]]\nid = "{v}"\nfile = "hooks/on.md"\n',
}


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("services", "plugin service name is not safe"),
        ("ingresses", "plugin ingress name is not safe"),
        ("hooks", "plugin hook id is not safe"),
    ],
)
def test_unsafe_item_names(section, message):
    text = HEAD + SECTION[section].format(v="ok") + SECTION[section].format(v="bad name") + INSTANCE
    d = only(text)
    assert (d.kind, d.message) == ("malformed", message)
    assert d.location.line == 9  # the second item's name/id line


@pytest.mark.parametrize(
    ("file", "kind", "message"),
    [
        ("../x.md", "traversal", "plugin manifest references a path outside the package root"),
        ("hooks//on.md", "traversal", "plugin manifest references a path outside the package root"),
        ("hooks/off.md", "missing", "plugin manifest references a path not present in the package"),
        ("hooks", "missing", "plugin manifest references a path not present in the package"),
    ],
)
def test_hook_file_references(file, kind, message):
    d = only(HEAD + f'[[hooks]]\nid = "h"\nfile = "{file}"\n')
    assert (d.kind, d.message) == (kind, message)
    assert d.location.line == 7


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (with_key("id", '"bad id"', with_key("schema_version", 2)), "plugin schema/API version is unsupported"),
        (with_key("name", '""', with_key("id", '"bad id"')), "plugin manifest id is not a safe local id"),
        (with_key("name", '""') + '[runtime]\nkind = "x"\n', "plugin manifest name and version are required"),
        (HEAD + '[runtime]\nkind = "x"\n' + SECTION["services"].format(v="a b"), "plugin runtime kind is unsupported"),
        (HEAD + SECTION["ingresses"].format(v="a b") + SECTION["services"].format(v="a b") + INSTANCE,
         "plugin service name is not safe"),
        (HEAD + SECTION["hooks"].format(v="a b") + SECTION["ingresses"].format(v="a b") + INSTANCE,
         "plugin ingress name is not safe"),
        (HEAD + SECTION["services"].format(v="a b"), "plugin service/ingress declarations require the "
         "yoi:plugin/instance@1.0.0 component world"),
        (HEAD + '[[hooks]]\nid = "h"\nfile = "../x"\n' + SECTION["hooks"].format(v="a b"),
         "plugin manifest references a path outside the package root"),
    ],
)
def test_first_failure_wins_in_reference_order(text, message):
    assert only(text).message == message


# -- the model -------------------------------------------------------------------------------

FULL = HEAD + '''\
description = "A package"
surfaces = ["tool", "service", "ingress", "hook"]
permissions = [
  { kind = "surface", surface = "tool" },
  { kind = "tool", name = "echo" },
  { kind = "tool_namespace", namespace = "ec" },
  { kind = "service", name = "svc" },
  { kind = "ingress", name = "ing" },
  { kind = "external_write" },
  { kind = "host_api", api = "https" },
]

[runtime]
kind = "wasm-component"
component = "c.wasm"
world = "yoi:plugin/instance@1.0.0"

[[hooks]]
id = "h1"
file = "hooks/on.md"

[[tools]]
name = "echo"
description = """
multi-line
[[tools]]
name = "fake"
"""
external_write = true
input_schema = { type = "object", properties = { when = { type = "string", enum = [1979-05-27T07:32:00Z, nan] } } }

[[tools]]
name = "second"
description = 'literal'

[tools.input_schema]
type = "object"

[[services]]
name = "svc"
description = "service"
lifecycle = "host-managed"
status_schema = { type = "object" }
side_effects = ["network"]

[[ingresses]]
name = "ing"
description = "ingress"
event_kinds = ["message", "ping"]
sources = ["ws"]
input_schema = { type = "object" }
'''


def test_full_manifest_model():
    m = load(FULL)
    assert m.description == "A package"
    assert m.surfaces == ("tool", "service", "ingress", "hook")
    assert m.declared_surfaces() == ("hook", "tool", "service", "ingress", "wasm")
    assert m.runtime.world == "yoi:plugin/instance@1.0.0" and m.runtime.abi is None
    assert [h.id for h in m.hooks] == ["h1"]
    echo, second = m.tools
    assert echo.external_write is True and second.external_write is False
    assert echo.description.startswith("multi-line")
    when = echo.input_schema["properties"]["when"]
    assert when["enum"][0] == "1979-05-27T07:32:00+00:00" and when["enum"][1] is None
    assert second.input_schema == {"type": "object"} and type(second.input_schema) is dict
    (svc,) = m.services
    assert (svc.lifecycle, svc.status_schema, svc.side_effects) == ("host-managed", {"type": "object"}, ("network",))
    (ing,) = m.ingresses
    assert ing.event_kinds == ("message", "ping") and ing.sources == ("ws",) and ing.side_effects == ()
    assert [p.label for p in m.permissions] == [
        "surfaces.tool", "tool.echo", "tool_namespace.ec", "service.svc", "ingress.ing",
        "external_write", "host_api.https",
    ]
    assert m.permissions[5] == Permission("external_write", None)


def test_defaults():
    m = load(HEAD + SERVICE_AND_INGRESS + INSTANCE)
    assert m.description is None and m.surfaces == () and m.tools == ()
    assert (m.services[0].lifecycle, m.services[0].status_schema, m.services[0].side_effects) == ("", None, ())
    assert m.ingresses[0].input_schema is None and m.ingresses[0].event_kinds == ()


def test_non_finite_floats_become_null():
    m = load(HEAD + '[[tools]]\nname = "t"\ndescription = "d"\ninput_schema = [inf, -inf, nan, 1.5]\n')
    assert m.tools[0].input_schema == [None, None, None, 1.5]
    assert not any(isinstance(v, float) and math.isnan(v) for v in m.tools[0].input_schema)


# -- locations -------------------------------------------------------------------------------

def lines_of(m):
    return {key: (loc.line, loc.column) for key, loc in m.locations.items()}


def test_locations_point_at_items():
    at = lines_of(load(FULL))
    assert at["schema_version"] == (1, 1) and at["id"] == (2, 1) and at["version"] == (4, 1)
    assert at["surfaces"] == (6, 1)
    assert at["permissions"] == (7, 1)
    assert [at[f"permissions[{i}]"] for i in range(7)] == [(8 + i, 3) for i in range(7)]
    assert at["permissions[1].name"] == (9, 20)
    assert at["runtime"] == (17, 1) and at["runtime.world"] == (20, 1)
    assert at["hooks[0]"] == (22, 1) and at["hooks[0].file"] == (24, 1)
    assert at["tools[0]"] == (26, 1) and at["tools[0].name"] == (27, 1)
    # the multi-line string's "[[tools]]" is text, not a header
    assert at["tools[0].external_write"] == (33, 1)
    assert at["tools[1]"] == (36, 1) and at["tools[1].name"] == (37, 1)
    assert at["tools[1].input_schema"] == (40, 1) and at["tools[1].input_schema.type"] == (41, 1)
    assert "tools[2]" not in at
    assert at["services[0]"] == (43, 1) and at["services[0].side_effects[0]"] == (48, 17)
    assert at["ingresses[0]"] == (50, 1) and at["ingresses[0].event_kinds[1]"] == (53, 27)


def test_locations_with_dotted_and_quoted_keys():
    text = HEAD + 'runtime.kind = "wasm"\nruntime."abi" = "yoi-plugin-wasm-1"\n  runtime . entry = "plugin.wasm"\n'
    at = lines_of(load(text))
    assert at["runtime"] == (5, 1) and at["runtime.kind"] == (5, 1)
    assert at["runtime.abi"] == (6, 1) and at["runtime.entry"] == (7, 3)


def test_location_file_name_is_the_one_given():
    m = load_manifest(HEAD.encode(), ENTRIES, file="pkg/plugin.toml")
    assert m.location("id") == Location("pkg/plugin.toml", 2, 1)


def test_diagnostics_point_at_the_offending_line():
    d = only(HEAD + "\n\n" + RAW.replace("yoi-plugin-wasm-1", "v2"))
    assert d.location == Location("plugin.toml", 9, 1)  # the abi line
    d = only(HEAD + 'permissions = [\n\n  { kind = "host_api", api = "ftp" },\n]\n')
    assert d.location == Location("plugin.toml", 7, 24)
