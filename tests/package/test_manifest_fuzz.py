"""Property tests: any bytes or TOML-like text into load_manifest yields a Manifest or a
DiagnosticError with bounded messages, never another exception (issue 2, "Done when")."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.diagnostics import DiagnosticError
from engine.package.manifest import load_manifest
from engine.package.model import Manifest

ENTRIES = frozenset({"plugin.toml", "plugin.wasm", "c.wasm"})
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYS = st.sampled_from([
    "schema_version", "id", "name", "version", "description", "surfaces", "runtime", "kind",
    "entry", "abi", "component", "world", "hooks", "tools", "services", "ingresses", "permissions",
    "input_schema", "external_write", "file", "surface", "namespace", "api", "type", "x", '"q.k"',
])
SCALARS = st.sampled_from([
    "1", "0", "-1", "2", "1.5", "nan", "true", "false", '"wasm"', '"wasm-component"',
    '"yoi-plugin-wasm-1"', '"yoi:plugin/tool@1.0.0"', '"plugin.wasm"', '"../x"', '"tool"',
    '"a b"', '""', "'lit'", '"""\nml\n"""', "1979-05-27T07:32:00Z", "[]", "{}", '"é秘"',
])


@st.composite
def toml_like(draw) -> str:
    """Lines that are mostly TOML-shaped: headers, key/values, inline tables, arrays, junk."""
    value = st.recursive(
        SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
            st.lists(st.tuples(KEYS, inner), max_size=3).map(
                lambda kvs: "{ " + ", ".join(f"{k} = {v}" for k, v in kvs) + " }"),
        ),
        max_leaves=6,
    )
    key_value = st.tuples(KEYS, value).map(lambda kv: f"{kv[0]} = {kv[1]}")
    line = st.one_of(
        key_value, key_value, key_value,
        KEYS.map(lambda k: f"[{k}]"),
        KEYS.map(lambda k: f"[[{k}]]"),
        st.text(max_size=20).map(lambda t: "# " + t.replace("\n", " ")),
        st.text(max_size=20),
    )
    prefix = draw(st.booleans())
    head = 'schema_version = 1\nid = "p"\nname = "n"\nversion = "1.0.0"\n' if prefix else ""
    return head + "\n".join(draw(st.lists(line, max_size=8)))


VALID = """\
schema_version = 1
id = "p"
name = "n"
version = "1.0.0"
surfaces = ["tool"]
permissions = [
  { kind = "surface", surface = "tool" },
  { kind = "tool", name = "t" },
]
[runtime]
kind = "wasm"
abi = "yoi-plugin-wasm-1"
entry = "plugin.wasm"
[[tools]]
name = "t"
description = \"\"\"
two
lines\"\"\"
input_schema = { type = "object", properties = { a = { type = "string" } } }
[[tools]]
name = 'u'
description = "d"
[tools.input_schema]
type = "object"
"""


@st.composite
def mutated_valid(draw) -> str:
    """A valid manifest with a few random edits: near-misses that stress the scanner."""
    text = VALID
    for _ in range(draw(st.integers(1, 2))):
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:at] + text[at + draw(st.integers(1, 8)):]
        else:
            text = text[:at] + draw(st.sampled_from(list("[]{}=,.\"'#\n \\x1"))) + text[at:]
    return text


def outcome(data: bytes):
    try:
        return load_manifest(data, ENTRIES)
    except DiagnosticError as error:
        assert error.diagnostics
        for d in error.diagnostics:
            assert d.phase == "manifest"
            assert len(d.message.encode("utf-8")) <= 243
        return error


@SETTINGS
@given(st.binary(max_size=512))
def test_random_bytes(data):
    assert isinstance(outcome(data), (Manifest, DiagnosticError))


@SETTINGS
@given(toml_like())
def test_random_toml_like_text(text):
    result = outcome(text.encode("utf-8", errors="surrogatepass"))
    assert isinstance(result, (Manifest, DiagnosticError))
    if isinstance(result, Manifest):
        for location in result.locations.values():
            assert location.line >= 1 and location.column >= 1


@SETTINGS
@given(mutated_valid())
def test_mutated_valid_manifest(text):
    result = outcome(text.encode("utf-8"))
    if isinstance(result, Manifest):
        assert all(loc.line <= text.count("\n") + 1 for loc in result.locations.values())


def test_unmutated_valid_manifest_loads_with_locations():
    manifest = load_manifest(VALID.encode(), ENTRIES)
    assert manifest.location("tools[1].input_schema.type").line == 24
