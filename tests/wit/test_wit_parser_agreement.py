"""Issue 12: where wit-parser (wasm-tools) and our resolver used to disagree, point by point.

Valid inputs check the names and signatures wit-parser gives; invalid ones check the file, line,
column and wording (close to wit-parser's). Packages spread over files are written as folders
{relative path: text}.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from engine.wit import WitError, resolve_path, signature, summarize


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def resolve_tree(tmp_path: Path, files: dict[str, str] | str, features=()):
    root = tmp_path / "pkg"
    if isinstance(files, str):
        return resolve_path(write_tree(root, {"t.wit": files}) / "t.wit", features)
    return resolve_path(write_tree(root, files), features)


def errors_of(tmp_path: Path, files: dict[str, str] | str, features=()) -> list[tuple[str, int, int, str]]:
    with pytest.raises(WitError) as info:
        resolve_tree(tmp_path, files, features)
    return [(Path(d.location.file).name, d.location.line, d.location.column, d.message)
            for d in info.value.diagnostics]


# ---- valid inputs refused before ------------------------------------------------------------


def test_1_world_imports_and_exports_the_same_plain_name(tmp_path):
    r = resolve_tree(tmp_path, """
        package demo:greeter;
        world greeter {
          import greet: func() -> string;
          export greet: func(name: string) -> string;
          import inner: interface { f: func() -> u8; }
          export inner: interface { f: func() -> u16; }
        }
        """)
    w = r.worlds["demo:greeter/greeter"]
    assert list(w.imports) == ["greet", "inner"] and list(w.exports) == ["greet", "inner"]
    assert signature(w.imports["greet"].function, r) == "func() -> string"
    assert signature(w.exports["greet"].function, r) == "func(name: string) -> string"
    imported, exported = w.imports["inner"].interface, w.exports["inner"].interface
    assert imported != exported  # two interfaces, each with its own signature
    assert signature(r.interfaces[imported].functions["f"], r) == "func() -> u8"
    assert signature(r.interfaces[exported].functions["f"], r) == "func() -> u16"


def test_1_same_interface_imported_and_exported_by_path(tmp_path):
    r = resolve_tree(tmp_path, "package a:b;\ninterface i { f: func(); }\nworld w { import i; export i; }\n")
    w = r.worlds["a:b/w"]
    assert list(w.imports) == ["a:b/i"] and list(w.exports) == ["a:b/i"]


def test_2_empty_forms(tmp_path):
    r = resolve_tree(tmp_path, {
        "t.wit": """
            package a:b;
            use c:d/x;
            interface y { type t = u8; }
            interface i {
              use c:d/x.{};
              use y.{};
              record r {}
              flags f {}
              type unit = tuple<>;
              g: func(a: r, b: unit) -> tuple<>;
            }
            world w { use y.{}; export i; }
            """,
        "deps/d.wit": "package c:d;\ninterface x {}\n",
    })
    i = r.interfaces["a:b/i"]
    assert list(i.types) == ["r", "f", "unit"]
    assert i.types["r"].fields == () and i.types["f"].cases == ()
    assert signature(i.functions["g"], r) == "func(a: record{}, b: tuple<>) -> tuple<>"
    # an empty `use` brings in no names and no dependency: nothing is imported implicitly
    assert list(r.worlds["a:b/w"].imports) == [] and list(r.worlds["a:b/w"].exports) == ["a:b/i"]


def test_2_empty_use_still_needs_its_interface(tmp_path):
    got = errors_of(tmp_path, "package a:b;\ninterface i { use nope.{}; }\n")
    assert got == [("t.wit", 2, 19, "interface `nope` is not defined")]


def test_3_top_level_use_is_scoped_to_its_file(tmp_path):
    r = resolve_tree(tmp_path, {
        "a.wit": "use x as name;\ninterface uses-it { use name.{t}; }\n",
        "b.wit": "package foo:name;\ninterface x { type t = u32; }\nworld name { import name: interface {} }\n",
    })
    assert set(r.packages["foo:name"].worlds) == {"name"}
    assert r.interfaces["foo:name/uses-it"].types["t"].target.key == "foo:name/x#t"
    assert list(r.worlds["foo:name/name"].imports) == ["name"]


def test_3_other_files_uses_are_not_visible(tmp_path):
    got = errors_of(tmp_path, {"bar.wit": "use bar as bar-renamed;\n",
                               "foo.wit": "package foo:foo;\nuse bar-renamed;\ninterface bar {}\n"})
    assert got == [("foo.wit", 2, 5, "interface or world `bar-renamed` does not exist")]


def test_3_use_and_item_of_one_file_clash(tmp_path):
    got = errors_of(tmp_path, "package a:b;\ninterface x {}\nuse x as w;\nworld w {}\n")
    assert got == [("t.wit", 4, 7, "duplicate name `w` in this file")]


def test_4_labelled_imports_of_a_foreign_interface(tmp_path):
    r = resolve_tree(tmp_path, {
        "root.wit": """
            package my:app;
            world w {
              import team-a: wasi:keyvalue/store@0.2.0;
              import team-b: wasi:keyvalue/store@0.2.0;
              export run: func();
            }
            """,
        "deps/kv.wit": "package wasi:keyvalue@0.2.0;\n"
                       "interface store { type key = string; get: func(k: key) -> option<string>; }\n",
    })
    world = summarize(r)["worlds"][0]
    assert world["imports"] == ["team-a", "team-b"] and world["exports"] == ["run"]
    assert world["import_interfaces"] == {"team-a": "wasi:keyvalue/store@0.2.0",
                                          "team-b": "wasi:keyvalue/store@0.2.0"}
    store = r.interfaces[r.worlds["my:app/w"].imports["team-a"].interface]
    assert signature(store.functions["get"], r) == "func(k: string) -> option<string>"


# ---- invalid inputs accepted before ---------------------------------------------------------

UNRELEASED = "feature gate cannot reference unreleased version 0.2.0 of package [test:invalid@0.1.0] " \
             "(current version 0.1.0)"


@pytest.mark.parametrize("source, line, column", [
    ("@since(version = 0.2.0)\ninterface foo {}\n", 3, 11),
    ("@since(version = 0.2.0)\nworld foo {}\n", 3, 7),
    ("interface foo {\n  @since(version = 0.2.0)\n  type t = u32;\n}\n", 4, 8),
    ("interface foo {\n  @since(version = 0.2.0)\n  f: func();\n}\n", 4, 3),
    ("world a {}\nworld b {\n  @since(version = 0.2.0)\n  include a;\n}\n", 5, 11),
    ("world w {\n  @since(version = 0.2.0)\n  import x: func();\n}\n", 4, 10),
    ("interface foo {\n  resource r {\n    @since(version = 0.2.0)\n    m: func();\n  }\n}\n", 5, 5),
], ids=["interface", "world", "type", "function", "include", "world-item", "resource-method"])
def test_5_since_newer_than_the_package(tmp_path, source, line, column):
    got = errors_of(tmp_path, "package test:invalid@0.1.0;\n" + source)
    assert got == [("t.wit", line, column, UNRELEASED)]


@pytest.mark.parametrize("since", ["0.1.0", "0.1.0-rc.1", "0.0.9", "0.1.0-rc.1+build"])
def test_5_since_up_to_the_package_version_is_fine(tmp_path, since):
    r = resolve_tree(tmp_path, f"package a:b@0.1.0;\n@since(version = {since})\ninterface i {{}}\n")
    assert "a:b/i@0.1.0" in r.interfaces


def test_5_build_metadata_counts_as_newer(tmp_path):
    """wit-parser compares with the Rust `semver` crate, whose order includes build metadata."""
    got = errors_of(tmp_path, "package a:b@0.1.0;\n@since(version = 0.1.0+build)\ninterface i {}\n")
    assert got[0][1:3] == (3, 11) and "unreleased version 0.1.0+build" in got[0][3]


def test_5_prerelease_package_cannot_cite_its_release(tmp_path):
    got = errors_of(tmp_path, "package a:b@1.0.0-rc.1;\n@since(version = 1.0.0)\ninterface i {}\n")
    assert got[0][1:3] == (3, 11) and "unreleased version 1.0.0 of package [a:b@1.0.0-rc.1]" in got[0][3]


EXCLUDED_TYPE = "found a reference to a type which is excluded due to its feature not being activated"


@pytest.mark.parametrize("source, line, column, text", [
    ("@unstable(feature = off)\ninterface a {\n  type a = u32;\n}\n", 4, 8,
     "found a reference to a interface which is excluded due to its feature not being activated; "
     "this type is not gated by a feature but its interface is"),
    ("@unstable(feature = off)\nworld w {\n  record r {}\n}\n", 4, 10, "but its world is"),
    ("interface x { type t = u8; }\n@unstable(feature = off)\ninterface a {\n  use x.{t};\n}\n", 5, 10,
     "but its interface is"),
    ("interface a {\n  @unstable(feature = off)\n  resource a {\n    constructor();\n  }\n}\n", 5, 5, EXCLUDED_TYPE),
    ("interface a {\n  @unstable(feature = off)\n  resource a {\n    @unstable(feature = off)\n"
     "    constructor();\n    x: static func();\n  }\n}\n", 7, 5, EXCLUDED_TYPE),
    ("world w {\n  @unstable(feature = off)\n  import x: interface {\n    type t = u8;\n  }\n}\n", 5, 10,
     "but its interface is"),
], ids=["type-in-interface", "type-in-world", "use-in-interface", "constructor", "static", "inline-import"])
def test_6_ungated_contents_of_an_excluded_item(tmp_path, source, line, column, text):
    got = errors_of(tmp_path, "package a:b;\n" + source)
    assert [g[:3] for g in got] == [("t.wit", line, column)] and text in got[0][3]


def test_6_the_same_package_is_fine_with_the_feature_on(tmp_path):
    r = resolve_tree(tmp_path, "package a:b;\n@unstable(feature = on)\ninterface a {\n  type a = u32;\n"
                     "  resource r { constructor(); m: func() -> a; }\n}\n", features=("on",))
    assert list(r.interfaces["a:b/a"].functions) == ["[constructor]r", "[method]r.m"]


@pytest.mark.parametrize("side", ["import", "export"])
def test_6_world_item_naming_an_excluded_interface(tmp_path, side):
    """An ungated world import or export of an interface that an inactive feature excludes."""
    source = f"package a:b;\n@unstable(feature = off)\ninterface a {{\n  f: func();\n}}\nworld w {{\n  {side} a;\n}}\n"
    got = errors_of(tmp_path, source)
    assert [g[:3] for g in got] == [("t.wit", 7, len(side) + 4)]
    assert got[0][3].startswith("found a reference to a interface which is excluded due to its feature not being "
                                "activated")  # wit-parser's words, then ours
    assert "`a` is gated by feature `off`, which is not enabled" in got[0][3]
    r = resolve_tree(tmp_path / "on", source, features=("off",))
    assert list(getattr(r.worlds["a:b/w"], f"{side}s")) == ["a:b/a"]


def test_6_excluded_contents_that_are_gated_too_disappear(tmp_path):
    r = resolve_tree(tmp_path, "package a:b;\n@unstable(feature = off)\ninterface a {\n"
                     "  @unstable(feature = off) type a = u32;\n}\ninterface b {}\n")
    assert list(r.interfaces) == ["a:b/b"]


def test_7_method_and_static_function_of_one_name(tmp_path):
    got = errors_of(tmp_path, "package foo:bar;\ninterface foo {\n  resource a {\n    a: func();\n"
                    "    a: static func();\n  }\n}\n")
    assert got == [("t.wit", 5, 5, "resource `a` has more than one function `a`")]


def test_7_distinct_resource_function_names_resolve(tmp_path):
    r = resolve_tree(tmp_path, "package a:b;\ninterface i {\n  resource a { constructor(); a: func(); "
                     "b: static func() -> a; }\n}\n")
    f = r.interfaces["a:b/i"].functions
    assert list(f) == ["[constructor]a", "[method]a.a", "[static]a.b"]
    assert signature(f["[method]a.a"], r) == "func(self: borrow<a>)"
    assert signature(f["[static]a.b"], r) == "func() -> own<a>"


@pytest.mark.parametrize("body, line, column, text", [
    ("  import get-data: func() -> string;\n  export get-user: func() -> string;\n"
     "  export GET-USER: func() -> string;\n", 6, 10,
     "export `GET-USER` in world `example` conflicts with export `get-user` "
     "(kebab-case identifiers are case-insensitive)"),
    ("  import a: interface {}\n  import A: func();\n", 5, 10,
     "import `A` in world `example` conflicts with import `a`"),
    ("  type t = u8;\n  import T: func();\n", 5, 10, "import `T` in world `example` conflicts with import `t`"),
], ids=["exports", "imports", "type-and-import"])
def test_8_world_names_differing_only_in_case(tmp_path, body, line, column, text):
    got = errors_of(tmp_path, "package poc:demo;\n\nworld example {\n" + body + "}\n")
    assert got == [("t.wit", line, column, got[0][3])] and text in got[0][3]


def test_8_case_is_per_side_and_per_world(tmp_path):
    r = resolve_tree(tmp_path, "package a:b;\nworld w { import f: func(); export F: func(); }\n"
                     "world v { import F: func(); }\n")
    assert list(r.worlds["a:b/w"].exports) == ["F"] and list(r.worlds["a:b/v"].imports) == ["F"]


MAP_KEY = "invalid map key type: map keys must be bool, u8, u16, u32, u64, s8, s16, s32, s64, char, or string"


@pytest.mark.parametrize("key", ["tuple<u32, string>", "f32", "f64", "list<u8>", "alias", "error-context"])
def test_9_map_key_not_a_primitive_scalar_or_string(tmp_path, key):
    got = errors_of(tmp_path, f"package a:b;\ninterface i {{\n  type alias = u32;\n  type m = map<{key}, u32>;\n}}\n")
    assert got == [("t.wit", 4, 12, MAP_KEY)]


@pytest.mark.parametrize("key", ["bool", "u8", "s64", "char", "string"])
def test_9_map_keys_that_are_fine(tmp_path, key):
    r = resolve_tree(tmp_path, f"package a:b;\ninterface i {{ f: func(m: map<{key}, list<u8>>); }}\n")
    assert signature(r.interfaces["a:b/i"].functions["f"], r) == f"func(m: map<{key}, list<u8>>)"


def test_10_no_package_header_in_any_file(tmp_path):
    got = errors_of(tmp_path, {"a.wit": "interface i {}\n", "b.wit": "world w {}\n"})
    assert got == [("a.wit", 1, 11, "no `package` header was found in any WIT file for this package")]


def test_10_nested_packages_still_need_a_header(tmp_path):
    got = errors_of(tmp_path, "package foo:name {\n  interface i1 {}\n}\n")
    assert [g[3] for g in got] == ["no `package` header was found in any WIT file for this package"]


def test_10_doc_comments_on_two_package_headers(tmp_path):
    got = errors_of(tmp_path, {"a.wit": "/// Docs A\npackage a:b;\n",
                               "b.wit": "// plain\n/// Docs B\npackage a:b;\ninterface i {}\n"})
    assert got == [("b.wit", 2, 1, "found doc comments on multiple 'package' items")]


def test_10_docs_on_one_header_are_the_package_docs(tmp_path):
    r = resolve_tree(tmp_path, {"a.wit": "/// Docs A\npackage a:b;\n", "b.wit": "package a:b;\ninterface i {}\n"})
    assert r.packages["a:b"].docs == "Docs A"


def test_10_world_where_an_interface_is_needed_and_the_reverse(tmp_path):
    deps = {"deps/bar/baz.wit": "package foo:baz;\nworld bar {}\ninterface i {}\n"}
    got = errors_of(tmp_path, {"root.wit": "package foo:foo;\nuse foo:baz/bar;\nworld foo {}\n", **deps})
    assert got == [("root.wit", 2, 13, "interface 'bar' not found in package 'foo:baz'")]
    got = errors_of(tmp_path / "2", {"root.wit": "package foo:foo;\nworld foo {\n  include foo:baz/i;\n}\n", **deps})
    assert got == [("root.wit", 3, 19, "world 'i' not found in package 'foo:baz'")]
    got = errors_of(tmp_path / "3", {"root.wit": "package foo:foo;\nworld w { import foo:baz/bar; }\n", **deps})
    assert got == [("root.wit", 2, 26, "interface 'bar' not found in package 'foo:baz'")]


def test_10_first_mention_decides_interface_or_world(tmp_path):
    """wit-parser registers `foo:baz/bar` by its first mention (here the top-level `use`: an
    interface), so a later `include` of it names an interface where a world is needed."""
    got = errors_of(tmp_path, {
        "root.wit": "package foo:foo;\nuse foo:baz/bar;\nworld foo {\n    include foo:baz/bar;\n}\n",
        "deps/bar/baz.wit": "package foo:baz;\nworld bar {}\n"})
    assert ("root.wit", 4, 21, "name `bar` is defined as an interface, not a world") in got


def test_10_local_world_where_an_interface_is_needed(tmp_path):
    got = errors_of(tmp_path, "package a:b;\nworld v {}\ninterface i { use v.{t}; }\nworld w { include i; }\n")
    assert [g[1:3] for g in got] == [(3, 19), (4, 19)]
    assert "`v` is a world, not an interface" in got[0][3] and "`i` is an interface, not a world" in got[1][3]


def test_10_top_level_use_of_a_missing_interface(tmp_path):
    got = errors_of(tmp_path, "// parse-fail\n\npackage foo:foo;\n\nuse bar as foo;\n")
    assert got == [("t.wit", 5, 5, "interface or world `bar` does not exist")]


def test_10_top_level_use_takes_no_gates(tmp_path):
    got = errors_of(tmp_path, "package a:b@1.0.0;\ninterface x {}\n@since(version = 1.0.0)\nuse x as y;\n")
    assert got == [("t.wit", 3, 1, "attributes not allowed on top-level use")]


@pytest.mark.parametrize("body, column, text", [
    ("@unstable(feature = off) type t = nope;", 49, "type `nope` is not defined"),
    ("@unstable(feature = off) type t = u8; type t = u16;", 58, "`t` is defined more than once"),
    ("@unstable(feature = off) f: func(x: nope);", 51, "type `nope` is not defined"),
    ("@unstable(feature = off) use nope.{x};", 44, "interface `nope` is not defined"),
], ids=["unknown-type", "duplicate", "unknown-param-type", "unknown-use"])
def test_6_gated_out_items_are_still_resolved(tmp_path, body, column, text):
    """wit-parser resolves every item before it drops those of inactive features."""
    got = errors_of(tmp_path, f"package a:b;\ninterface i {{ {body} }}\n")
    assert [(g[1], g[2]) for g in got] == [(2, column)] and text in got[0][3]


def test_6_checks_made_on_kept_items_only(tmp_path):
    """A borrowed result, or a foreign interface that does not exist, matter only for items that
    are kept (wit-parser checks them after dropping gated-out items)."""
    r = resolve_tree(tmp_path, {
        "root.wit": "package a:b;\ninterface i {\n  @unstable(feature = off) f: func() -> borrow<r>;\n  resource r;\n"
                    "  @unstable(feature = off) use foo:bar/missing.{x};\n}\nworld w {\n"
                    "  @unstable(feature = off) import foo:bar/a-world;\n}\n",
        "deps/bar.wit": "package foo:bar;\ninterface other {}\nworld a-world {}\n"})
    assert list(r.interfaces["a:b/i"].functions) == [] and list(r.worlds["a:b/w"].imports) == []


def test_duplicate_field_is_reported_once_without_cascade(tmp_path):
    """We refuse repeated field names (wit-parser resolves them, the component validator does
    not); the record is still defined, so a `use` of it elsewhere is not reported as well."""
    got = errors_of(tmp_path, "package a:b;\ninterface x { use y.{r}; f: func(a: r); }\n"
                    "interface y { record r { f: u8, f: u8 } }\n")
    assert got == [("t.wit", 3, 33, "field `f` is defined more than once")]


def test_10_a_reference_without_its_version_finds_nothing(tmp_path):
    got = errors_of(tmp_path, {"root.wit": "package my:app;\ninterface i { use wasi:io/streams.{s}; }\n",
                               "deps/io.wit": "package wasi:io@0.2.0;\ninterface streams { type s = u8; }\n"})
    assert got == [("root.wit", 2, 19, "package `wasi:io` not found (dependencies go in a `deps/` folder)")]


def test_10_a_package_naming_itself_is_a_cycle(tmp_path):
    got = errors_of(tmp_path, "package a:b;\ninterface x { type t = u8; }\ninterface y { use a:b/x.{t}; }\n")
    assert got == [("t.wit", 3, 19, "package `a:b` creates a dependency cycle (it names itself)")]


@pytest.mark.parametrize("result, column, text", [
    ("r", 45, "if a constructor return type is declared it must be a `result`"),
    ("own<r>", 45, "must be a `result`"),
    ("result<q>", 52, "the `ok` type must be the resource being constructed"),
    ("result<_, string>", 45, "the `ok` type must be the resource being constructed"),
], ids=["plain", "own", "alias", "no-ok"])
def test_constructor_result_is_a_result_of_the_resource_itself(tmp_path, result, column, text):
    source = f"package a:b;\ninterface i {{ resource r {{ constructor() -> {result}; }} type q = r; }}\n"
    got = errors_of(tmp_path, source)
    assert [(g[1], g[2]) for g in got] == [(2, column)] and text in got[0][3]


@pytest.mark.parametrize("result", ["result<r>", "result<r, string>", "result<own<r>, u8>"])
def test_constructor_results_that_are_fine(tmp_path, result):
    r = resolve_tree(tmp_path, f"package a:b;\ninterface i {{ resource r {{ constructor() -> {result}; }} }}\n")
    assert signature(r.interfaces["a:b/i"].functions["[constructor]r"], r).startswith("func() -> result<own<r>")


def test_byte_order_mark_is_skipped(tmp_path):
    path = tmp_path / "bom.wit"
    path.write_bytes(b"\xef\xbb\xbfpackage a:b;\ninterface i { f: func(); }\n")
    assert list(resolve_path(path).interfaces) == ["a:b/i"]


@pytest.mark.parametrize("gate", ["@since(version = 1.0.0,)", "@since(version = 1.0.0, feature = x)"])
def test_gate_takes_one_argument_without_trailing_comma(tmp_path, gate):
    got = errors_of(tmp_path, f"package a:b@1.0.0;\ninterface i {{ {gate} f: func(); }}\n")
    assert [(g[1], g[2]) for g in got] == [(2, 37)] and "unexpected `,`; expected `)`" in got[0][3]


def test_6_empty_use_of_a_gated_out_interface_is_fine(tmp_path):
    r = resolve_tree(tmp_path, "package a:b;\n@unstable(feature = off)\ninterface gated { f: func(); }\n"
                     "interface i { use gated.{}; }\n")
    assert list(r.interfaces) == ["a:b/i"]
    got = errors_of(tmp_path / "2", "package a:b;\n@unstable(feature = off)\ninterface gated { type t = u8; }\n"
                    "interface i { use gated.{t}; }\n")
    assert ("t.wit", 3, 24, "found a reference to a interface which is excluded due to its feature not being "
            "activated; this type is not gated by a feature but its interface is") in got
    assert any(g[1:3] == (4, 19) and "gated by feature `off`" in g[3] for g in got)


def test_6_gated_out_use_of_a_missing_foreign_type_is_fine(tmp_path):
    source = ("package a:b;\ninterface types {\n  @unstable(feature = off)\n  use c:d/stable@0.2.3.{missing};\n}\n"
              "package c:d@0.2.3 {\n  interface stable {}\n}\n")
    assert list(resolve_tree(tmp_path, source).interfaces) == ["c:d/stable@0.2.3", "a:b/types"]
    got = errors_of(tmp_path / "2", source.replace("  @unstable(feature = off)\n", ""))
    assert got == [("t.wit", 3, 25, "type `missing` is not defined in interface `c:d/stable@0.2.3`")]
