"""Every error class of the WIT front end, each with its exact line and column."""

from __future__ import annotations

import pytest

from engine.wit import WitError, resolve_path

# (id, source, [(line, column, text the message contains)])
CASES = [
    ("syntax", """
        package a:b;
        interface i {
          f: func(;
        }
        """, [(3, 11, "unexpected `;`")]),
    ("unexpected-eof", "package a:b;\ninterface i {\n", [(3, 1, "unexpected end of file")]),
    ("bad-character", "package a:b;\ninterface i { $ }\n", [(2, 15, "unexpected character `$`")]),
    ("keyword-as-name", """
        package a:b;
        interface i {
          record r { type: u8 }
        }
        """, [(3, 14, "`type` is a keyword; write `%type`")]),
    ("keyword-as-item-name", """
        package a:b;
        interface i {
          record: func();
        }
        """, [(3, 3, "`record` is a keyword")]),
    ("keyword-as-interface-name", "package a:b;\ninterface world {}\n", [(2, 11, "`world` is a keyword")]),
    ("bad-identifier-case", "package a:b;\ninterface i { fooBar: func(); }\n",
     [(2, 15, "all lowercase or all UPPERCASE")]),
    ("bad-identifier-dash", "package a:b;\ninterface i { a--b: func(); }\n", [(2, 15, "empty word")]),
    ("bad-identifier-digit", "package a:b;\ninterface i { a-b: func(x: %1b); }\n", [(2, 28, "unexpected character `%`")]),
    ("bad-identifier-symbol", "package a:b;\ninterface i { a_b: func(); }\n", [(2, 16, "unexpected `_`")]),
    ("keyword-from", "package a:b;\ninterface from {}\n", [(2, 11, "`from` is a keyword")]),
    ("bad-version", "package a:b@01.0.0;\n", [(1, 13, "not a valid semver")]),
    ("unknown-gate", "package a:b@1.0.0;\ninterface i { @nope(version = 1.0.0) f: func(); }\n",
     [(2, 15, "unknown gate `@nope`")]),
    ("gate-wrong-key", "package a:b@1.0.0;\ninterface i { @since(feature = x) f: func(); }\n",
     [(2, 15, "`@since` takes exactly one argument")]),
    ("gate-needs-version", "package a:b@1.0.0;\ninterface i { @deprecated(version = x) f: func(); }\n",
     [(2, 37, "needs a semver version")]),
    ("gate-since-and-unstable", """
        package a:b@1.0.0;
        interface i {
          @since(version = 1.0.0) @unstable(feature = x) f: func();
        }
        """, [(3, 27, "both `@since` and `@unstable`")]),
    ("gate-deprecated-alone", """
        package a:b@1.0.0;
        interface i {
          @deprecated(version = 1.0.0) f: func();
        }
        """, [(3, 3, "`@deprecated` needs an `@since` or `@unstable`")]),
    ("gate-twice", """
        package a:b@1.0.0;
        interface i {
          @since(version = 1.0.0) @since(version = 1.0.1) f: func();
        }
        """, [(3, 3, "given more than once")]),
    ("gate-since-unversioned", "package a:b;\ninterface i { @since(version = 1.0.0) f: func(); }\n",
     [(2, 15, "only allowed in a package with a version")]),
    ("gated-reference", """
        package a:b;
        interface i {
          @unstable(feature = fancy) type t = u8;
          f: func(x: t);
        }
        """, [(4, 14, "gated by feature `fancy`")]),
    ("too-deep", "package a:b;\ninterface i { type t = " + "list<" * 70 + "u8" + ">" * 70 + "; }\n",
     [(2, 24 + 5 * 6, "nested too deeply")]),
    ("zero-size-list", "package a:b;\ninterface i { type t = list<u8, 0>; }\n", [(2, 33, "between 1 and")]),
    ("no-package", "interface i {}\n", [(1, 11, "no `package` header was found")]),
    ("unresolved-type", """
        package a:b;
        interface i {
          f: func(x: nope);
        }
        """, [(3, 14, "type `nope` is not defined")]),
    ("function-as-type", """
        package a:b;
        interface i {
          g: func();
          f: func(x: g);
        }
        """, [(4, 14, "`g` is a function, not a type")]),
    ("unresolved-interface", "package a:b;\ninterface i { use nope.{t}; }\n",
     [(2, 19, "interface `nope` is not defined")]),
    ("unresolved-used-type", "package a:b;\ninterface j {}\ninterface i { use j.{t}; }\n",
     [(3, 22, "type `t` is not defined in interface `a:b/j`")]),
    ("unresolved-package", "package a:b;\ninterface i { use c:d/e.{t}; }\n",
     [(2, 19, "package `c:d` not found")]),
    ("unresolved-world", "package a:b;\nworld w { include nope; }\n", [(2, 19, "world `nope` is not defined")]),
    ("world-is-not-interface", "package a:b;\nworld w {}\nworld v { import w; }\n",
     [(3, 18, "`w` is a world, not an interface")]),
    ("interface-is-not-world", "package a:b;\ninterface i {}\nworld v { include i; }\n",
     [(3, 19, "`i` is an interface, not a world")]),
    ("duplicate-type", """
        package a:b;
        interface i {
          type t = u8;
          record t { a: u8 }
        }
        """, [(4, 10, "`t` is defined more than once")]),
    ("duplicate-function", """
        package a:b;
        interface i {
          f: func();
          f: func();
        }
        """, [(4, 3, "`f` is defined more than once")]),
    ("duplicate-item", "package a:b;\ninterface x {}\nworld x {}\n", [(3, 7, "`x` is defined more than once in package")]),
    ("duplicate-field", "package a:b;\ninterface i { record r { a: u8, a: u8 } }\n",
     [(2, 33, "field `a` is defined more than once")]),
    ("duplicate-case", "package a:b;\ninterface i { enum e { x, x } }\n", [(2, 27, "case `x` is defined more than once")]),
    ("duplicate-flag", "package a:b;\ninterface i { flags f { x, x } }\n", [(2, 28, "flag `x` is defined more than once")]),
    ("duplicate-param", "package a:b;\ninterface i { f: func(a: u8, a: u8); }\n",
     [(2, 30, "parameter `a` is defined more than once")]),
    ("duplicate-import", "package a:b;\ninterface i {}\nworld w { import i; import i; }\n",
     [(3, 28, "given more than once")]),
    ("duplicate-package", "package a:b { interface i {} }\npackage a:b { interface j {} }\n",
     [(2, 9, "package `a:b` is defined more than once")]),
    ("empty-variant", "package a:b;\ninterface i { variant v {} }\n", [(2, 23, "at least one case")]),
    ("empty-enum", "package a:b;\ninterface i { enum e {} }\n", [(2, 20, "at least one case")]),
    ("use-cycle", """
        package a:b;
        interface x { use y.{t}; type u = u8; }
        interface y { use x.{u}; type t = u8; }
        """, [(2, 19, "`use` of interface `y` forms a cycle")]),
    ("use-itself", "package a:b;\ninterface i { use i.{t}; }\n", [(2, 19, "`use` of interface `i` forms a cycle")]),
    ("export-depends-on-import-depending-on-export", """
        package a:b;
        interface c { type t = u8; }
        interface b { use c.{t}; }
        interface a { use b.{t}; }
        world w { export c; export a; }
        """, [(5, 7, "depends on an interface in incompatible ways")]),
    ("include-cycle", "package a:b;\nworld w1 { include w2; }\nworld w2 { include w1; }\n",
     [(3, 20, "cycle through `include`")]),
    ("package-cycle", """
        package top:level;
        package a:b { interface i { use c:d/j.{t}; type u = u8; } }
        package c:d { interface j { use a:b/i.{u}; type t = u8; } }
        """, [(3, 33, "packages depend on each other in a cycle")]),
    ("type-cycle", "package a:b;\ninterface i { record a { b: b } record b { a: list<a> } }\n",
     [(2, 22, "type `a` refers to itself (a -> b -> a)")]),
    ("type-cycle-reached-twice",  # s -> q -> r comes back to r after r's cycle was reported
     "package a:b;\ninterface i { record r { a: s } record s { b: list<r>, c: q } variant q { z(r) } }\n",
     [(2, 22, "type `r` refers to itself (r -> s -> r)")]),
    ("names-differ-only-in-case", "package a:b;\nworld w { import f: func(); export f: func(); export F: func(); }\n",
     [(2, 54, "export `F` in world `w` conflicts with export `f` (kebab-case identifiers are case-insensitive)")]),
    ("include-conflict", """
        package a:b;
        world w1 { import f: func(); }
        world w2 { import f: func(); include w1; }
        """, [(3, 38, "conflicts with an existing import")]),
    ("include-with-unknown", """
        package a:b;
        world w1 { import f: func(); }
        world w2 { include w1 with { nope as g } }
        """, [(3, 30, "`nope` in `with` is not a name")]),
    ("handle-of-non-resource", "package a:b;\ninterface i { record r { a: u8 } f: func(x: borrow<r>); }\n",
     [(2, 52, "`r` is not a resource")]),
    ("borrow-in-result", "package a:b;\ninterface i { resource r; f: func() -> borrow<r>; }\n",
     [(2, 40, "result cannot contain a `borrow`")]),
    ("borrow-in-result-via-alias", """
        package a:b;
        interface i {
          resource r;
          type b = borrow<r>;
          record rr { x: b }
          f: func() -> option<rr>;
        }
        """, [(6, 16, "result cannot contain a `borrow`")]),
    ("constructor-wrong-result", "package a:b;\ninterface i { resource r { constructor() -> u32; } }\n",
     [(2, 45, "if a constructor return type is declared it must be a `result`")]),
    ("constructor-wrong-ok", "package a:b;\ninterface i { resource r { constructor() -> result<u32>; } }\n",
     [(2, 52, "the `ok` type must be the resource being constructed")]),
    ("constructor-twice", "package a:b;\ninterface i { resource r { constructor(); constructor(); } }\n",
     [(2, 43, "more than one constructor")]),
    ("method-twice", "package a:b;\ninterface i { resource r { m: func(); m: func(); } }\n",
     [(2, 39, "more than one function `m`")]),
    ("async-constructor-is-syntax", "package a:b;\ninterface i { resource r { async constructor(); } }\n",
     [(2, 28, "a constructor cannot be `async`")]),
    ("static-outside-resource", "package a:b;\ninterface i { f: static func(); }\n",
     [(2, 18, "`static` functions are only allowed inside a `resource`")]),
    ("constructor-outside-resource", "package a:b;\ninterface i { constructor(); }\n",
     [(2, 15, "constructors are only allowed inside a `resource`")]),
    ("constructor-in-record", "package a:b;\ninterface i { record r { constructor(); } }\n",
     [(2, 26, "constructors are only allowed inside a `resource`")]),
    ("unterminated-comment", "package a:b;\n  /* open /* nested */\ninterface i {}\n",
     [(2, 3, "unterminated block comment")]),
    ("stray-comment-end", "package a:b; */\n", [(1, 14, "unexpected character `*`")]),
    ("package-mismatch", None, [(1, 9, "does not match")]),
]


def _ids():
    return [c[0] for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=_ids())
def test_error_class(case, write_wit, tmp_path):
    name, source, expected = case
    if source is None:  # a folder whose files name different packages
        write_wit("package a:b;\ninterface i {}\n", "pkg/a.wit")
        write_wit("package a:c;\ninterface j {}\n", "pkg/b.wit")
        path = tmp_path / "pkg"
    else:
        path = write_wit(source)
    with pytest.raises(WitError) as info:
        resolve_path(path)
    got = [(d.location.line, d.location.column, d.message) for d in info.value.diagnostics]
    for line, column, text in expected:
        assert any(l == line and c == column and text in msg for l, c, msg in got), got
    for d in info.value.diagnostics:
        assert d.kind == "wit" and d.phase == "wit"
        assert d.location is not None and d.location.file
        assert "\n" not in d.message


def test_many_errors_are_listed_together(write_wit):
    path = write_wit("""
        package a:b;
        interface i {
          f: func(x: nope);
          g: func(y: also-nope);
        }
        world w { export f: func(); export F: func(); }
        """)
    with pytest.raises(WitError) as info:
        resolve_path(path)
    lines = [d.location.line for d in info.value.diagnostics]
    assert lines == [3, 4, 6]


def test_broken_use_does_not_cascade(write_wit):
    path = write_wit("""
        package a:b;
        interface i {
          use nope.{t};
          f: func(x: t);
        }
        """)
    with pytest.raises(WitError) as info:
        resolve_path(path)
    assert len(info.value.diagnostics) == 1


def test_missing_path_is_an_io_error(tmp_path):
    with pytest.raises(WitError) as info:
        resolve_path(tmp_path / "missing.wit")
    assert info.value.diagnostics[0].code == "wit.io"


def test_non_utf8_file(tmp_path):
    path = tmp_path / "bad.wit"
    path.write_bytes(b"package a:b;\ninterface \xff {}\n")
    with pytest.raises(WitError) as info:
        resolve_path(path)
    assert "not valid UTF-8" in info.value.diagnostics[0].message


def test_path_that_cannot_be_looked_up_is_an_io_error(tmp_path):
    path = tmp_path / ("x" * 300 + ".wit")  # longer than any file system allows one name to be
    with pytest.raises(WitError) as info:
        resolve_path(path)
    assert info.value.diagnostics[0].code == "wit.io"
    assert "cannot read path" in info.value.diagnostics[0].message


def test_folder_errors_from_several_files_are_all_reported(write_wit, tmp_path):
    write_wit("package a:b;\ninterface i { f: func(; }\n", "pkg/a.wit")
    write_wit("interface j { g: func() -> ; }\n", "pkg/b.wit")
    with pytest.raises(WitError) as info:
        resolve_path(tmp_path / "pkg")
    files = sorted(d.location.file.rsplit("/", 1)[-1] for d in info.value.diagnostics)
    assert files == ["a.wit", "b.wit"]


def test_long_use_chains_resolve_without_deep_recursion(write_wit):
    n = 600
    source = "package a:b;\n" + "\n".join(f"interface i{k} {{ use i{k + 1}.{{t}}; }}" for k in range(n))
    source += f"\ninterface i{n} {{ type t = u8; }}\nworld w {{ import i0; }}\n"
    r = resolve_path(write_wit(source))
    assert len(r.worlds["a:b/w"].imports) == n + 1


def test_absurd_nesting_is_a_wit_error_not_a_crash(write_wit):
    from engine.wit import signature

    n = 3000
    source = "package a:b;\ninterface i {\n" + "\n".join(f"record r{k} {{ x: r{k + 1} }}" for k in range(n))
    source += f"\nrecord r{n} {{ x: u8 }}\nf: func() -> r0;\n}}\n"
    r = resolve_path(write_wit(source))  # validation walks types iteratively
    with pytest.raises(WitError, match="nested too deeply"):
        signature(r.interfaces["a:b/i"].functions["f"], r)  # spelling 3000 nested records is refused


def test_oversized_file_is_refused(tmp_path):
    from engine.wit.parser import MAX_FILE_BYTES

    path = tmp_path / "big.wit"
    path.write_text("package a:b;\n" + " " * MAX_FILE_BYTES)
    with pytest.raises(WitError, match=f"exceeds {MAX_FILE_BYTES} bytes"):
        resolve_path(path)
