"""Each WIT construct parses and resolves into the model as the reference tooling models it."""

from __future__ import annotations

from engine.wit import model as m
from engine.wit import resolve_path, signature


def test_package_versions_with_prerelease_and_build(write_wit):
    r = resolve_path(write_wit("package my-ns:my-pkg@1.2.3-rc.1+build.5;\ninterface i {}\n"))
    pkg = r.packages["my-ns:my-pkg@1.2.3-rc.1+build.5"]
    assert (pkg.namespace, pkg.short_name, pkg.version) == ("my-ns", "my-pkg", "1.2.3-rc.1+build.5")
    assert list(pkg.interfaces.values()) == ["my-ns:my-pkg/i@1.2.3-rc.1+build.5"]


def test_nested_packages_and_cross_package_use(write_wit):
    r = resolve_path(write_wit("""
        package root:main;
        interface top { use dep:a/types@0.1.0.{t as tt}; f: func(x: tt); }
        package dep:a@0.1.0 {
          interface types { type t = u32; }
          world w { import types; }
        }
        """))
    assert set(r.packages) == {"root:main", "dep:a@0.1.0"}
    assert list(r.packages) == ["dep:a@0.1.0", "root:main"]  # dependency order
    f = r.interfaces["root:main/top"].functions["f"]
    assert signature(f, r) == "func(x: u32)"
    assert r.types["root:main/top#tt"].target == m.Ref("dep:a/types@0.1.0#t")


def test_top_level_use_with_rename(write_wit):
    r = resolve_path(write_wit("""
        package a:b;
        use c:d/e@2.0.0 as ee;
        interface i { use ee.{t}; }
        world w { import ee; }
        package c:d@2.0.0 { interface e { type t = u8; } }
        """))
    assert r.types["a:b/i#t"].target == m.Ref("c:d/e@2.0.0#t")
    assert list(r.worlds["a:b/w"].imports) == ["c:d/e@2.0.0"]


def test_all_types_and_functions(write_wit):
    r = resolve_path(write_wit("""
        package a:b;
        interface i {
          type a = u8;
          record point { x: s32, y: s32, }
          variant shape { none, circle(f64), poly(list<point>) }
          enum color { red, GREEN }
          flags perms { read, write }
          resource file {
            constructor(path: string);
            read: func(n: u64) -> result<list<u8>, string>;
            open: static func(path: string) -> result<file>;
            close: async func();
          }
          all: func(
            b: bool, c: char, s: string, e: error-context, f32v: f32, f64v: f64,
            l: list<a>, fl: list<u8, 16>, o: option<point>, t: tuple<a, string>,
            r0: result, r1: result<a>, r2: result<_, string>, r3: result<a, string>,
            fu: future, fs: future<string>, st: stream, su: stream<u8>,
            m: map<string, list<a>>, own-f: own<file>, bor: borrow<file>,
          );
          go: async func() -> string;
        }
        """))
    i = r.interfaces["a:b/i"]
    assert list(i.types) == ["a", "point", "shape", "color", "perms", "file"]
    assert list(i.functions) == ["[constructor]file", "[method]file.read", "[static]file.open",
                                 "[method]file.close", "all", "go"]
    assert signature(i.functions["all"], r) == (
        "func(b: bool, c: char, s: string, e: error-context, f32v: f32, f64v: f64, l: list<u8>, "
        "fl: list<u8, 16>, o: option<record{x: s32, y: s32}>, t: tuple<u8, string>, r0: result, "
        "r1: result<u8>, r2: result<_, string>, r3: result<u8, string>, fu: future, "
        "fs: future<string>, st: stream, su: stream<u8>, m: map<string, list<u8>>, "
        "own-f: own<file>, bor: borrow<file>)")
    assert signature(i.functions["go"], r) == "async func() -> string"
    assert signature(i.functions["[constructor]file"], r) == "func(path: string) -> own<file>"
    assert signature(i.functions["[method]file.read"], r) == \
        "func(self: borrow<file>, n: u64) -> result<list<u8>, string>"
    assert signature(i.functions["[static]file.open"], r) == "func(path: string) -> result<own<file>>"
    assert signature(i.functions["[method]file.close"], r) == "async func(self: borrow<file>)"
    assert i.functions["[method]file.read"].kind == "method"
    assert i.functions["[method]file.read"].item_name == "read"
    assert i.types["shape"].cases[2] == m.Case("poly", m.ListOf(m.Ref("a:b/i#point")))


def test_world_items_inline_interfaces_implements_and_types(write_wit):
    r = resolve_path(write_wit("""
        package a:b;
        interface store { get: func(k: string) -> option<string>; }
        interface types { type id = u64; }
        world w {
          use types.{id};
          resource session { constructor(); }
          import store;
          import backup: store;
          import log: func(msg: string);
          import inline-one: interface { use types.{id}; ping: func(x: id); }
          export run: func(x: id) -> session;
          export api: interface { call: func() -> u32; }
        }
        """))
    w = r.worlds["a:b/w"]
    assert list(w.types) == ["id", "session"]
    assert set(w.imports) == {"a:b/types", "[constructor]session", "a:b/store", "backup", "log", "inline-one"}
    assert w.imports["a:b/types"].implicit is True
    assert w.imports["backup"].interface == "a:b/store"
    assert w.imports["inline-one"].interface == "a:b/w/inline-one"
    assert r.interfaces["a:b/w/inline-one"].name is None
    assert set(w.exports) == {"run", "api"}
    assert signature(w.exports["run"].function, r) == "func(x: u64) -> own<session>"


def test_include_with_rename_merges_items(write_wit):
    r = resolve_path(write_wit("""
        package a:b;
        interface i { f: func(); }
        world base { import i; import log: func(); export run: func(); }
        world app {
          import log: func(x: u8);
          include base with { log as base-log }
        }
        """))
    app = r.worlds["a:b/app"]
    assert set(app.imports) == {"log", "base-log", "a:b/i"}
    assert signature(app.imports["base-log"].function, r) == "func()"
    assert set(app.exports) == {"run"}


def test_include_from_another_package_and_interface_dedup(write_wit, tmp_path):
    write_wit("package a:app;\ninterface i {}\nworld app { import i; include dep:x/base@1.0.0; }\n",
              "pkg/app.wit")
    write_wit("package dep:x@1.0.0;\ninterface h { f: func(); }\nworld base { import h; }\n",
              "pkg/deps/x.wit")
    r = resolve_path(tmp_path / "pkg")
    assert set(r.worlds["a:app/app"].imports) == {"a:app/i", "dep:x/h@1.0.0"}
    assert r.main == ("a:app",)


def test_world_elaboration_adds_dependencies_of_imports_and_exports(write_wit):
    r = resolve_path(write_wit("""
        package a:b;
        interface base { type t = u8; }
        interface mid { use base.{t}; }
        interface top { use mid.{t}; f: func(x: t); }
        world w { export top; }
        world v { import top; }
        """))
    w = r.worlds["a:b/w"]
    assert list(w.imports) == ["a:b/base", "a:b/mid"]
    assert all(item.implicit for item in w.imports.values())
    assert list(w.exports) == ["a:b/top"]
    assert list(r.worlds["a:b/v"].imports) == ["a:b/base", "a:b/mid", "a:b/top"]


def test_unstable_feature_gates(write_wit):
    source = """
        package a:b@1.0.0;
        interface i {
          @since(version = 1.0.0) stable: func();
          @unstable(feature = fancy) new-thing: func();
          @since(version = 0.9.0) @deprecated(version = 1.0.0) old: func();
        }
        @unstable(feature = fancy)
        interface extra {}
        """
    path = write_wit(source)
    r = resolve_path(path)
    assert list(r.interfaces["a:b/i@1.0.0"].functions) == ["stable", "old"]
    assert "a:b/extra@1.0.0" not in r.interfaces
    assert r.interfaces["a:b/i@1.0.0"].functions["old"].gates == (
        m.Gate("since", "0.9.0"), m.Gate("deprecated", "1.0.0"))
    r2 = resolve_path(path, features=["fancy"])
    assert list(r2.interfaces["a:b/i@1.0.0"].functions) == ["stable", "new-thing", "old"]
    assert "a:b/extra@1.0.0" in r2.interfaces


def test_doc_comments_attach_to_items(write_wit):
    r = resolve_path(write_wit("""
        /// package docs
        package a:b;

        /** block docs
            for the interface */
        interface i {
          /// a record
          // plain comment, not a doc
          /// second line
          record r {
            /// the field
            f: u8,
          }
          /// a function
          @since(version = 1.0.0)
          f: func();
          g: func();
        }
        /// the world
        world w {
          /// imported
          import i;
        }
        """.replace("package a:b;", "package a:b@1.0.0;")))
    i = r.interfaces["a:b/i@1.0.0"]
    assert i.docs == "block docs\nfor the interface"
    assert i.types["r"].docs == "a record\nsecond line"
    assert i.types["r"].fields[0].docs == "the field"
    assert i.functions["f"].docs == "a function"
    assert i.functions["g"].docs == ""
    assert r.worlds["a:b/w@1.0.0"].docs == "the world"
    assert r.worlds["a:b/w@1.0.0"].imports["a:b/i@1.0.0"].docs == "imported"
    assert r.packages["a:b@1.0.0"].docs == "package docs"


def test_escaped_keywords_and_acronyms(write_wit):
    r = resolve_path(write_wit("""
        package foo:%flags;
        interface %interface {
          type %type = u32;
          record %record { %variant: %type, HTTP-code: u16 }
          %list: func() -> %record;
          utf-8: func(http-2: u8, v-0a: u8);
        }
        """))
    i = r.interfaces["foo:flags/interface"]
    assert list(i.types) == ["type", "record"]
    assert [f.name for f in i.types["record"].fields] == ["variant", "HTTP-code"]
    assert signature(i.functions["list"], r) == "func() -> record{variant: u32, HTTP-code: u16}"
    assert signature(i.functions["utf-8"], r) == "func(http-2: u8, v-0a: u8)"


def test_folder_package_over_several_files_with_deps_file_and_folder(write_wit, tmp_path):
    write_wit("package a:b;\ninterface one { use two.{t}; use x:y/z.{u}; use p:q/r.{v}; }\n", "pkg/a.wit")
    write_wit("interface two { type t = u8; }\n", "pkg/b.wit")
    write_wit("package x:y;\ninterface z { type u = u16; }\n", "pkg/deps/xy.wit")
    write_wit("package p:q;\ninterface r { use s.{w as v}; }\n", "pkg/deps/pq/r.wit")
    write_wit("interface s { type w = string; }\n", "pkg/deps/pq/s.wit")
    write_wit("not wit at all", "pkg/deps/README.md")
    r = resolve_path(tmp_path / "pkg")
    assert set(r.packages) == {"a:b", "x:y", "p:q"}
    assert r.main == ("a:b",)
    assert list(r.interfaces["a:b/one"].types) == ["t", "u", "v"]
    assert r.dealias(m.Ref("a:b/one#v")) == m.Prim("string")


def test_out_of_order_definitions_and_use_chains(write_wit):
    r = resolve_path(write_wit("""
        package a:b;
        world w { import c; }
        interface c { use b.{x}; f: func(v: x) -> y; record y { v: x } }
        interface b { use a.{x}; }
        interface a { type x = list<z>; type z = u8; }
        """))
    assert signature(r.interfaces["a:b/c"].functions["f"], r) == "func(v: list<u8>) -> record{v: list<u8>}"
    assert list(r.worlds["a:b/w"].imports) == ["a:b/a", "a:b/b", "a:b/c"]


def test_resource_alias_is_still_the_resource(write_wit):
    r = resolve_path(write_wit("""
        package a:b;
        interface i { resource r; type r2 = r; f: func(x: borrow<r2>) -> own<r2>; g: func() -> r2; }
        """))
    i = r.interfaces["a:b/i"]
    assert signature(i.functions["f"], r) == "func(x: borrow<r>) -> own<r>"
    assert signature(i.functions["g"], r) == "func() -> own<r>"
    assert r.resource_of("a:b/i#r2").key == "a:b/i#r"


def test_nested_block_comments_keep_positions_and_docs(write_wit):
    r = resolve_path(write_wit("""
        package a:b;
        /* outer /* inner */ still a comment // with a line comment inside */
        interface i {
          // a line comment with /* an opener that is not one
          /** docs /* nested */ too */
          f: func(x: nope-not-checked-here);
        }
        """.replace("nope-not-checked-here", "u8")))
    f = r.interfaces["a:b/i"].functions["f"]
    assert f.docs == "docs /* nested */ too"
    assert (f.location.line, f.location.column) == (6, 3)


def test_include_brings_the_types_and_their_interfaces(write_wit):
    r = resolve_path(write_wit("""
        package a:b;
        interface types { type id = u64; }
        world base { use types.{id}; import get: func() -> id; }
        world app { include base; export run: func(); }
        """))
    app = r.worlds["a:b/app"]
    assert set(app.imports) == {"a:b/types", "get"}
    assert app.imports["a:b/types"].implicit
    assert app.types["id"].key == "a:b/base#id"
    assert signature(app.imports["get"].function, r) == "func() -> u64"


def test_a_single_feature_name_is_not_split_into_characters(write_wit):
    path = write_wit("package a:b;\ninterface i { @unstable(feature = ab) f: func(); }\n")
    assert list(resolve_path(path, features="ab").interfaces["a:b/i"].functions) == ["f"]


def test_top_level_use_can_alias_a_local_world_for_include(write_wit):
    r = resolve_path(write_wit("""
        package a:b;
        use base as other;
        world base { import f: func(); }
        world app { include other; }
        """))
    assert list(r.worlds["a:b/app"].imports) == ["f"]
