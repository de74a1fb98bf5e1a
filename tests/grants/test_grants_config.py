"""The strict `[plugins]` config parser (spec §3.1, permission objects §1.6)."""

from __future__ import annotations

import json
import textwrap

import pytest
from hypothesis import given, settings, strategies as st

from engine.diagnostics import DiagnosticError, Location
from engine.grants.config import default_config_path, load_config, parse_config
from engine.grants.model import EnablementConfig, FsGrant, Grants, HttpsGrant
from engine.package.model import Permission

SECRET = "hunter2-SECRET-value"

FULL = textwrap.dedent(
    f"""\
    [feature.plugins]
    enabled = true

    [[plugins.enabled]]
    id = "project:example"
    version = "1.2.3"
    digest = "sha256:abc"
    surfaces = ["tool", "hook"]

    [plugins.enabled.grants]
    id = "project:example"
    version = "1.2.3"
    digest = "sha256:abc"
    permissions = [
      {{ kind = "surface", surface = "tool" }},
      {{ kind = "tool", name = "echo" }},
      {{ kind = "tool_namespace", namespace = "ec" }},
      {{ kind = "service", name = "svc" }},
      {{ kind = "ingress", name = "events" }},
      {{ kind = "external_write" }},
      {{ kind = "host_api", api = "https" }},
      {{ kind = "host_api", api = "fs" }},
    ]
    https = [{{ host = "api.example.com", methods = ["GET", "POST"], path_prefixes = ["/v1/"] }}, {{ host = "h" }}]
    fs = [{{ root = "/srv/data", operations = ["read", "list"] }}, {{ root = "/tmp/x" }}]

    [plugins.enabled.config]
    token = "{SECRET}"
    nested = {{ when = 1979-05-27T07:32:00Z, day = 1979-05-27, list = [1, 2.5, true] }}

    [[plugins.enabled]]
    id = "builtin:other"
    """
)


def parse_error(text: str) -> list:
    with pytest.raises(DiagnosticError) as info:
        parse_config(text, "cfg.toml")
    for diag in info.value.diagnostics:
        assert diag.phase == "config"
        assert diag.location is not None and diag.location.file == "cfg.toml"
    return info.value.diagnostics


def only_message(text: str) -> str:
    diagnostics = parse_error(text)
    assert diagnostics[0].kind == "malformed"
    return diagnostics[0].message


def test_full_config_parses_into_typed_records():
    config = parse_config(FULL, "cfg.toml")
    assert isinstance(config, EnablementConfig) and config.file == "cfg.toml"
    first, second = config.enabled
    assert (first.id, first.version, first.digest, first.surfaces) == (
        "project:example", "1.2.3", "sha256:abc", ("tool", "hook"),
    )
    assert first.grants == Grants(
        id="project:example", version="1.2.3", digest="sha256:abc",
        permissions=(
            Permission("surface", "tool"), Permission("tool", "echo"), Permission("tool_namespace", "ec"),
            Permission("service", "svc"), Permission("ingress", "events"), Permission("external_write"),
            Permission("host_api", "https"), Permission("host_api", "fs"),
        ),
        https=(HttpsGrant("api.example.com", ("GET", "POST"), ("/v1/",)), HttpsGrant("h")),
        fs=(FsGrant("/srv/data", ("read", "list")), FsGrant("/tmp/x")),
    )
    assert first.config == {
        "token": SECRET,
        "nested": {"when": "1979-05-27T07:32:00+00:00", "day": "1979-05-27", "list": [1, 2.5, True]},
    }
    json.dumps(first.config)  # JSON-compatible
    assert first.location == Location("cfg.toml", 4, 1)
    assert second.id == "builtin:other" and second.grants == Grants() and second.config is None
    assert second.version is None and second.digest is None and second.surfaces == ()
    assert second.location == Location("cfg.toml", 31, 1)


def test_secrets_never_appear_in_repr_of_enablement():
    config = parse_config(FULL, "cfg.toml")
    assert SECRET not in repr(config)


def test_labels_of_allowlists():
    config = parse_config(FULL, "cfg.toml")
    grants = config.enabled[0].grants
    assert [h.label for h in grants.https] == ["api.example.com GET,POST /v1/", "h <no-methods> *"]
    assert [f.label for f in grants.fs] == ["/srv/data read,list", "/tmp/x <no-operations>"]
    assert [p.label for p in grants.permissions][:2] == ["surfaces.tool", "tool.echo"]


def test_no_plugins_table_means_no_enablements():
    assert parse_config("[feature]\nx = 1\n", "f").enabled == ()
    assert parse_config("", "f").enabled == ()
    assert parse_config("[plugins]\n", "f").enabled == ()


def test_resolved_and_diagnostics_are_read_as_the_resolved_plan():
    """Issue 18 point 3: `resolved` and `diagnostics` are no longer ignored: they are the config's
    resolved plan (spec §3.7), read strictly."""
    with pytest.raises(DiagnosticError) as bad:
        parse_config('[plugins]\nresolved = [{ anything = 1 }]\n[[plugins.enabled]]\nid = "user:a"\n', "f")
    assert "plugin config key `plugins.resolved[0].anything` is not allowed" in str(bad.value)
    text = (
        '[[plugins.enabled]]\nid = "user:a"\n[[plugins.diagnostics]]\nkind = "missing"\nphase = "resolution"\n'
        'identity = "user:a"\nmessage = "enabled plugin package was not discovered"\n'
    )
    config = parse_config(text, "f")
    assert [e.id for e in config.enabled] == ["user:a"]
    assert config.lock is not None and config.lock.records == () and config.lock.covers("user:a")


def test_inline_enabled_array_parses_without_header_lines():
    config = parse_config('plugins.enabled = [{ id = "user:a" }, { id = "user:b" }]\n', "f")
    assert [e.id for e in config.enabled] == ["user:a", "user:b"]
    assert all(e.location == Location("f") for e in config.enabled)


def test_same_id_twice_is_kept_twice():
    text = '[[plugins.enabled]]\nid = "user:a"\n[[plugins.enabled]]\nid = "user:a"\n'
    assert [e.id for e in parse_config(text, "f").enabled] == ["user:a", "user:a"]


def test_empty_and_unqualified_ids_parse_and_fail_later_at_resolution():
    config = parse_config('[[plugins.enabled]]\n[[plugins.enabled]]\nid = "dup"\n', "f")
    assert [e.id for e in config.enabled] == ["", "dup"]


def test_header_lines_with_indentation_quotes_and_multiline_strings():
    text = textwrap.dedent(
        '''\
        # [[plugins.enabled]] in a comment does not count
        [[plugins.enabled]]
        id = "user:a"
        [plugins.enabled.config]
        note = """
        [[plugins.enabled]]
        """
          [[ "plugins" . 'enabled' ]]
        id = "user:b"
        '''
    )
    first, second = parse_config(text, "f").enabled
    assert first.location == Location("f", 2, 1)
    assert second.location == Location("f", 8, 3)
    assert first.config == {"note": "[[plugins.enabled]]\n"}


# ---- schema rules: unknown keys at every level -------------------------------------------------

UNKNOWN_KEY_CASES = [
    ("[plugins]\nextra = 1\n", "plugins.extra"),
    ('[[plugins.enabled]]\nid = "user:a"\nextra = 1\n', "plugins.enabled[0].extra"),
    ('[[plugins.enabled]]\nid = "user:a"\n[plugins.enabled.grants]\nrequests = []\n', "plugins.enabled[0].grants.requests"),
    ('[[plugins.enabled]]\n[plugins.enabled.grants]\nwebsockets = []\n', "plugins.enabled[0].grants.websockets"),
    ('[[plugins.enabled]]\ngrants.websocket = [{ host = "h", methods = ["GET"] }]\n', "plugins.enabled[0].grants.websocket[0].methods"),
    ('[[plugins.enabled]]\ngrants.https = [{ host = "h", port = 443 }]\n', "plugins.enabled[0].grants.https[0].port"),
    ('[[plugins.enabled]]\ngrants.https = [{ host = "h", scheme = "https" }]\n', "plugins.enabled[0].grants.https[0].scheme"),
    ('[[plugins.enabled]]\ngrants.fs = [{ root = "/", mode = "rw" }]\n', "plugins.enabled[0].grants.fs[0].mode"),
    ('[[plugins.enabled]]\ngrants.permissions = [{ kind = "tool", name = "t", extra = 1 }]\n',
     "plugins.enabled[0].grants.permissions[0].extra"),
    ('[[plugins.enabled]]\ngrants.permissions = [{ kind = "external_write", name = "t" }]\n',
     "plugins.enabled[0].grants.permissions[0].name"),
    ('[[plugins.enabled]]\ngrants.permissions = [{ kind = "surface", surface = "tool", name = "x" }]\n',
     "plugins.enabled[0].grants.permissions[0].name"),
    ('[[plugins.enabled]]\ngrants.permissions = [{ kind = "tool", namespace = "t" }]\n',
     "plugins.enabled[0].grants.permissions[0].namespace"),
]


@pytest.mark.parametrize("text, path", UNKNOWN_KEY_CASES)
def test_unknown_keys_rejected_at_each_level(text, path):
    messages = [d.message for d in parse_error(text)]
    assert f"plugin config key `{path}` is not allowed" in messages


def test_other_top_level_tables_are_ignored():
    assert parse_config('[feature.plugins]\nenabled = true\n[pod]\nname = "x"\n', "f").enabled == ()


# ---- wrong types --------------------------------------------------------------------------------

TYPE_CASES = [
    ("plugins = 3\n", "plugins", "a table"),
    ("plugins.enabled = 3\n", "plugins.enabled", "an array"),
    ("plugins.enabled = [1]\n", "plugins.enabled[0]", "a table"),
    ("plugins.resolved = 1\n", "plugins.resolved", "an array"),
    ("plugins.diagnostics = {}\n", "plugins.diagnostics", "an array"),
    ("[[plugins.enabled]]\nid = 1\n", "plugins.enabled[0].id", "a string"),
    ("[[plugins.enabled]]\nversion = 1.0\n", "plugins.enabled[0].version", "a string"),
    ("[[plugins.enabled]]\ndigest = true\n", "plugins.enabled[0].digest", "a string"),
    ('[[plugins.enabled]]\nsurfaces = "tool"\n', "plugins.enabled[0].surfaces", "an array"),
    ("[[plugins.enabled]]\nsurfaces = [1]\n", "plugins.enabled[0].surfaces[0]", "a string"),
    ('[[plugins.enabled]]\ngrants = "all"\n', "plugins.enabled[0].grants", "a table"),
    ("[[plugins.enabled]]\ngrants.id = 1\n", "plugins.enabled[0].grants.id", "a string"),
    ("[[plugins.enabled]]\ngrants.version = []\n", "plugins.enabled[0].grants.version", "a string"),
    ("[[plugins.enabled]]\ngrants.digest = 2\n", "plugins.enabled[0].grants.digest", "a string"),
    ("[[plugins.enabled]]\ngrants.permissions = {}\n", "plugins.enabled[0].grants.permissions", "an array"),
    ('[[plugins.enabled]]\ngrants.permissions = ["tool"]\n', "plugins.enabled[0].grants.permissions[0]", "a table"),
    ("[[plugins.enabled]]\ngrants.permissions = [{ kind = 1 }]\n", "plugins.enabled[0].grants.permissions[0].kind", "a string"),
    ('[[plugins.enabled]]\ngrants.permissions = [{ kind = "tool", name = 1 }]\n',
     "plugins.enabled[0].grants.permissions[0].name", "a string"),
    ('[[plugins.enabled]]\ngrants.permissions = [{ kind = "tool_namespace", namespace = [] }]\n',
     "plugins.enabled[0].grants.permissions[0].namespace", "a string"),
    ('[[plugins.enabled]]\ngrants.permissions = [{ kind = "service", name = {} }]\n',
     "plugins.enabled[0].grants.permissions[0].name", "a string"),
    ('[[plugins.enabled]]\ngrants.permissions = [{ kind = "ingress", name = false }]\n',
     "plugins.enabled[0].grants.permissions[0].name", "a string"),
    ("[[plugins.enabled]]\ngrants.https = {}\n", "plugins.enabled[0].grants.https", "an array"),
    ('[[plugins.enabled]]\ngrants.https = ["h"]\n', "plugins.enabled[0].grants.https[0]", "a table"),
    ("[[plugins.enabled]]\ngrants.https = [{ host = 1 }]\n", "plugins.enabled[0].grants.https[0].host", "a string"),
    ('[[plugins.enabled]]\ngrants.https = [{ methods = "GET" }]\n', "plugins.enabled[0].grants.https[0].methods", "an array"),
    ("[[plugins.enabled]]\ngrants.https = [{ path_prefixes = [1] }]\n",
     "plugins.enabled[0].grants.https[0].path_prefixes[0]", "a string"),
    ("[[plugins.enabled]]\ngrants.fs = [{ root = 1 }]\n", "plugins.enabled[0].grants.fs[0].root", "a string"),
    ('[[plugins.enabled]]\ngrants.fs = [{ operations = "read" }]\n', "plugins.enabled[0].grants.fs[0].operations", "an array"),
]


@pytest.mark.parametrize("text, path, expected", TYPE_CASES)
def test_wrong_types_are_rejected(text, path, expected):
    messages = [d.message for d in parse_error(text)]
    assert f"plugin config key `{path}` must be {expected}" in messages


# ---- value rules --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["ambient_shell", "Tool", "", "request"])
def test_unknown_permission_kind_is_rejected(kind):
    message = only_message(f'[[plugins.enabled]]\ngrants.permissions = [{{ kind = "{kind}" }}]\n')
    assert message.startswith("plugin config key `plugins.enabled[0].grants.permissions[0].kind` must be one of: ")
    assert "surface, tool, tool_namespace, service, ingress, external_write, host_api" in message


@pytest.mark.parametrize(
    "permission, field",
    [('kind = "surface"', "surface"), ('kind = "tool"', "name"), ('kind = "tool_namespace"', "namespace"),
     ('kind = "service"', "name"), ('kind = "ingress"', "name"), ('kind = "host_api"', "api"), ("name = 'x'", "kind")],
)
def test_permission_fields_are_required_per_kind(permission, field):
    message = only_message(f"[[plugins.enabled]]\ngrants.permissions = [{{ {permission} }}]\n")
    assert message == f"plugin config key `plugins.enabled[0].grants.permissions[0].{field}` is required"


def test_permission_enum_values():
    assert "must be one of: https, request, websocket, fs" in only_message(
        '[[plugins.enabled]]\ngrants.permissions = [{ kind = "host_api", api = "shell" }]\n'
    )
    assert "must be one of: hook, tool, service, ingress, wasm" in only_message(
        '[[plugins.enabled]]\ngrants.permissions = [{ kind = "surface", surface = "tools" }]\n'
    )


def test_enablement_surface_values():
    message = only_message('[[plugins.enabled]]\nsurfaces = ["tool", "shell"]\n')
    assert message == "plugin config key `plugins.enabled[0].surfaces[1]` must be one of: hook, tool, service, ingress, wasm"


@pytest.mark.parametrize("ops", ['["read", "list", "write"]', '["write"]', "[]"])
def test_fs_operations_accepted(ops):
    config = parse_config(f'[[plugins.enabled]]\ngrants.fs = [{{ root = "/", operations = {ops} }}]\n', "f")
    assert len(config.enabled[0].grants.fs) == 1


@pytest.mark.parametrize("op", ["READ", "delete", "rw", ""])
def test_fs_operation_values_rejected(op):
    message = only_message(f'[[plugins.enabled]]\ngrants.fs = [{{ root = "/", operations = ["read", "{op}"] }}]\n')
    assert message == "plugin config key `plugins.enabled[0].grants.fs[0].operations[1]` must be one of: read, list, write"


def test_permission_fields_checked_only_after_shape_is_valid():
    # shape error in one entry stops before per-kind checks, and every shape error is reported
    diagnostics = parse_error(
        '[[plugins.enabled]]\nid = 1\ngrants.permissions = [{ kind = "tool" }]\n[[plugins.enabled]]\nbad = 1\n'
    )
    assert [d.message for d in diagnostics] == [
        "plugin config key `plugins.enabled[0].id` must be a string",
        "plugin config key `plugins.enabled[1].bad` is not allowed",
    ]


# ---- locations ----------------------------------------------------------------------------------

def test_schema_errors_point_at_the_offending_key():
    """Issue 22: at the key or item itself, not the entry's header (nor :1:1)."""
    text = '[feature]\nx = 1\n\n[[plugins.enabled]]\nid = "user:a"\n\n  [[plugins.enabled]]\nid = "user:b"\n[plugins.enabled.grants]\nfs = [{ root = "/", operations = ["exec"] }]\n'
    (diag,) = parse_error(text)
    assert diag.location == Location("cfg.toml", 10, 35)  # the `"exec"` item


def test_schema_error_outside_entries_points_at_the_key():
    (diag,) = parse_error("[plugins]\nenabled = []\nextra = true\n")
    assert diag.location == Location("cfg.toml", 3, 1)


def test_toml_errors_report_line_and_column():
    (diag,) = parse_error('[[plugins.enabled]]\nid = "user:a"\nversion = 1.0.0\n')
    assert diag.kind == "malformed"
    assert diag.message == "plugin config could not be parsed as TOML"
    assert diag.location.line == 3 and diag.location.column is not None


def test_toml_error_at_end_of_document():
    (diag,) = parse_error('x = 1\ny = [1,\n  2')
    assert diag.location == Location("cfg.toml", 3, 4)


def test_duplicate_tables_are_toml_errors():
    (diag,) = parse_error("[plugins]\n[plugins]\n")
    assert diag.location.line == 2


# ---- secrets ------------------------------------------------------------------------------------

# A key long enough to be a credential is never named (identifier-like keys of <= 32 chars are).
LONG_KEY = "ghp_" + "hunter2" * 6
SECRET_CASES = [
    f'[[plugins.enabled]]\nid = "user:a"\nconfig = {{ token = "{SECRET}" }}\nbogus = 1\n',
    f'[[plugins.enabled]]\nconfig.password = "{SECRET}"\nid = 5\n',
    f'[[plugins.enabled]]\ntoken = "{SECRET}"\n',
    f'[[plugins.enabled]]\nid = "{SECRET}"\nsurfaces = ["{SECRET}"]\n',
    f'[[plugins.enabled]]\ngrants.permissions = [{{ kind = "{SECRET}" }}]\n',
    f'[[plugins.enabled]]\ngrants.fs = [{{ root = "/", operations = ["{SECRET}"] }}]\n',
    f'[[plugins.enabled]]\nconfig = {{ token = "{SECRET}" }}\nversion = "{SECRET}" x\n',
    f'[[plugins.enabled]]\nconfig = {{ token = "{SECRET}\n',
    f'[[plugins.enabled]]\nconfig."{SECRET}" = 1\n"{LONG_KEY}" = 2\n',
]


@pytest.mark.parametrize("text", SECRET_CASES)
def test_errors_never_echo_secrets_or_values(text):
    diagnostics = parse_error(text)
    for diag in diagnostics:
        dumped = json.dumps(diag.to_dict())
        assert SECRET not in dumped
        assert "hunter2" not in dumped


def test_unprintable_key_names_are_not_echoed():
    (diag,) = parse_error('[[plugins.enabled]]\n"a key with spaces \u00e9" = 1\n')
    assert diag.message == "plugin config key `plugins.enabled[0].<key>` is not allowed"


def test_many_problems_are_capped():
    text = "[[plugins.enabled]]\n" + "".join(f"k{i} = {i}\n" for i in range(100))
    assert len(parse_error(text)) == 20


def test_deep_nesting_is_a_diagnostic_not_a_crash():
    (diag,) = parse_error("[[plugins.enabled]]\nconfig = " + "[" * 5000 + "]" * 5000 + "\n")
    assert diag.kind == "malformed" and "deeply" in diag.message


# ---- load_config --------------------------------------------------------------------------------

def test_load_config_reads_a_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(FULL, encoding="utf-8")
    config = load_config(path)
    assert config.file == str(path)
    assert config.enabled[0].location == Location(str(path), 4, 1)


def test_load_config_missing_file(tmp_path):
    with pytest.raises(DiagnosticError) as info:
        load_config(tmp_path / "absent.toml")
    (diag,) = info.value.diagnostics
    assert (diag.kind, diag.phase, diag.message) == ("io", "config", "plugin config could not be read: not found")
    assert diag.location == Location(str(tmp_path / "absent.toml"))


def test_load_config_directory_is_io_error(tmp_path):
    with pytest.raises(DiagnosticError) as info:
        load_config(tmp_path)
    (diag,) = info.value.diagnostics
    assert diag.kind == "io" and diag.message.startswith("plugin config could not be read: ")


def test_load_config_unusable_path_is_io_error(tmp_path):
    with pytest.raises(DiagnosticError) as info:
        load_config(str(tmp_path / "a\0b.toml"))
    (diag,) = info.value.diagnostics
    assert (diag.kind, diag.message) == ("io", "plugin config could not be read: invalid input")


def test_load_config_invalid_utf8(tmp_path):
    path = tmp_path / "c.toml"
    path.write_bytes(b'x = 1\ny = "\xff"\n')
    with pytest.raises(DiagnosticError) as info:
        load_config(path)
    (diag,) = info.value.diagnostics
    assert (diag.kind, diag.message, diag.location.line) == ("malformed", "plugin config is not valid UTF-8", 2)


def test_load_config_size_bound(tmp_path):
    path = tmp_path / "big.toml"
    path.write_bytes(b"# " + b"x" * (1024 * 1024) + b"\n")
    with pytest.raises(DiagnosticError) as info:
        load_config(path)
    assert info.value.diagnostics[0].kind == "bounds"


# ---- property: never an unexpected exception -----------------------------------------------------

_FRAGMENTS = st.sampled_from([
    "[plugins]", "[[plugins.enabled]]", "[plugins.enabled.grants]", "[plugins.enabled.config]",
    "[[plugins.enabled.grants.permissions]]", "[feature]", "id = ", "version = ", "digest = ",
    "surfaces = ", "grants = ", "config = ", "permissions = ", "https = ", "fs = ", "kind = ",
    "name = ", "api = ", "root = ", "operations = ", "host = ", "methods = ", "enabled = ",
    '"user:a"', '"tool"', '"surface"', '"read"', '"host_api"', '"https"', "[", "]", "{", "}", ",",
    "=", "1", "true", "1979-05-27", '"', "'", '"""', "\n", " ", ".", "#", "plugins.enabled = [",
    "{ kind = \"tool\" }", "nan", "-inf",
])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.lists(_FRAGMENTS, max_size=40).map("".join), st.text(max_size=200)))
def test_random_toml_like_text_yields_config_or_diagnostics(text):
    try:
        result = parse_config(text, "fuzz.toml")
    except DiagnosticError as error:
        assert error.diagnostics and all(d.phase == "config" for d in error.diagnostics)
    else:
        assert isinstance(result, EnablementConfig)
        for enablement in result.enabled:
            json.dumps(enablement.config)


def test_default_config_path(tmp_path):
    assert default_config_path(tmp_path) == tmp_path / ".yoi" / "config.toml"


def test_parsed_permissions_round_trip_through_the_package_model():
    grants = parse_config(FULL, "cfg.toml").enabled[0].grants
    table = grants.to_dict()
    assert table["permissions"][1] == {"kind": "tool", "name": "echo"}
    assert table["permissions"][5] == {"kind": "external_write"}
    assert table["https"][1] == {"host": "h", "methods": [], "path_prefixes": []}
    rebuilt = parse_config(
        '[[plugins.enabled]]\n[plugins.enabled.grants]\npermissions = ['
        + ", ".join("{ " + ", ".join(f'{k} = "{v}"' for k, v in p.items()) + " }" for p in table["permissions"])
        + "]\n",
        "f",
    )
    assert rebuilt.enabled[0].grants.permissions == grants.permissions


_KEYS = st.sampled_from([
    "enabled", "resolved", "diagnostics", "id", "version", "digest", "surfaces", "grants", "config",
    "permissions", "https", "fs", "kind", "name", "namespace", "surface", "api", "host", "methods",
    "path_prefixes", "root", "operations", "extra",
])
_SCALARS = st.one_of(
    st.sampled_from(["user:a", "tool", "surface", "host_api", "https", "read", "write", "hook"]).map(json.dumps),
    st.text(max_size=8).map(json.dumps), st.integers(-5, 5).map(str), st.booleans().map(lambda b: str(b).lower()),
    st.just("1979-05-27"), st.just("nan"),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.dictionaries(_KEYS, inner, max_size=4).map(
            lambda d: "{ " + ", ".join(f"{json.dumps(k)} = {v}" for k, v in d.items()) + " }"
        ),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["[plugins]\n", "[[plugins.enabled]]\n", "[[plugins.enabled]]\n[plugins.enabled.grants]\n"]),
    st.dictionaries(_KEYS, _VALUES, max_size=5),
)
def test_random_valid_toml_under_plugins_yields_config_or_diagnostics(header, table):
    text = header + "".join(f"{json.dumps(k)} = {v}\n" for k, v in table.items())
    try:
        result = parse_config(text, "fuzz.toml")
    except DiagnosticError as error:
        assert all(d.phase == "config" and d.kind == "malformed" for d in error.diagnostics)
    else:
        assert isinstance(result, EnablementConfig)


def test_host_settings_carry_the_https_ca_bundle_relative_to_the_config_file(tmp_path):
    config = parse_config('[plugins.host]\nhttps_ca_bundle = "certs/ca.pem"\n', str(tmp_path / "config.toml"))
    assert config.host.https_ca_bundle == str(tmp_path / "certs" / "ca.pem")
    config = parse_config('[plugins.host]\nhttps_ca_bundle = "/etc/ca.pem"\n', str(tmp_path / "config.toml"))
    assert config.host.https_ca_bundle == "/etc/ca.pem"
    assert parse_config("[plugins]\n", "c.toml").host.https_ca_bundle is None


@pytest.mark.parametrize("text, words", [
    ('[plugins.host]\nproxy = "http://x"\n', "plugin config key `plugins.host.proxy` is not allowed"),
    ("[plugins.host]\nhttps_ca_bundle = 1\n", "plugin config key `plugins.host.https_ca_bundle` must be a string"),
    ('[plugins.host]\nhttps_ca_bundle = ""\n', "plugin config key `plugins.host.https_ca_bundle` is invalid"),
])
def test_host_settings_are_strict(text, words):
    with pytest.raises(DiagnosticError) as caught:
        parse_config(text, "c.toml")
    assert caught.value.diagnostics[0].message == words
