"""Canonical signature text, both forms: equal text exactly when the ABI is equal."""

from __future__ import annotations

import pytest

from engine.wit import resolve_path, signature, type_text, world_surface
from engine.wit import model as m

SOURCE = """
package wasi:io@0.2.0;
interface streams {
  resource input-stream { read: func(len: u64) -> result<list<u8>, stream-error>; }
  variant stream-error { closed, failed(string) }
  type bytes = list<u8>;
  record chunk { data: bytes, last: bool }
  enum mode { fast, safe }
  flags opts { a, b }
  pass: func(s: borrow<input-stream>, c: chunk, m: mode, o: opts) -> option<input-stream>;
  make: func() -> tuple<bytes, result<_, stream-error>>;
}
"""


@pytest.fixture
def resolved(write_wit):
    return resolve_path(write_wit(SOURCE))


def test_structural_form(resolved):
    i = resolved.interfaces["wasi:io/streams@0.2.0"]
    assert signature(i.functions["pass"], resolved) == (
        "func(s: borrow<input-stream>, c: record{data: list<u8>, last: bool}, m: enum{fast, safe}, "
        "o: flags{a, b}) -> option<own<input-stream>>")
    assert signature(i.functions["make"], resolved) == \
        "func() -> tuple<list<u8>, result<_, variant{closed, failed(string)}>>"
    assert signature(i.functions["[method]input-stream.read"], resolved) == \
        "func(self: borrow<input-stream>, len: u64) -> result<list<u8>, variant{closed, failed(string)}>"


def test_named_form(resolved):
    i = resolved.interfaces["wasi:io/streams@0.2.0"]
    q = "wasi:io/streams@0.2.0#"
    assert signature(i.functions["pass"], resolved, "named") == (
        f"func(s: borrow<{q}input-stream>, c: {q}chunk, m: {q}mode, o: {q}opts) "
        f"-> option<own<{q}input-stream>>")
    # aliases are followed to what they name
    assert signature(i.functions["make"], resolved, "named") == \
        f"func() -> tuple<list<u8>, result<_, {q}stream-error>>"


def test_alias_and_use_expand_to_the_same_text(write_wit):
    r = resolve_path(write_wit("""
        package a:b;
        interface t { type n = u32; record p { x: n } }
        interface u { use t.{p as q, n}; f: func(a: q, b: n) -> q; g: func(a: record-copy, b: u32) -> record-copy;
                      record record-copy { x: u32 } }
        """))
    f = r.interfaces["a:b/u"].functions["f"]
    g = r.interfaces["a:b/u"].functions["g"]
    assert signature(f, r) == "func(a: record{x: u32}, b: u32) -> record{x: u32}"
    assert signature(f, r) == signature(g, r)  # same ABI
    assert signature(f, r, "named") != signature(g, r, "named")  # different nominal types
    assert signature(f, r, "named") == "func(a: a:b/t#p, b: u32) -> a:b/t#p"


def test_type_text_of_every_shape(resolved):
    assert type_text(m.ListOf(m.Prim("u8"), 4), resolved) == "list<u8, 4>"
    assert type_text(m.ResultOf(None, None), resolved) == "result"
    assert type_text(m.ResultOf(m.Prim("u8"), None), resolved) == "result<u8>"
    assert type_text(m.FutureOf(None), resolved) == "future"
    assert type_text(m.StreamOf(m.Prim("u8")), resolved) == "stream<u8>"
    assert type_text(m.MapOf(m.Prim("string"), m.Prim("u8")), resolved) == "map<string, u8>"
    with pytest.raises(ValueError):
        type_text(m.Prim("u8"), resolved, "other")


def test_world_surface_lists_imports_and_exports(write_wit):
    r = resolve_path(write_wit("""
        package a:b;
        interface host { get: func(k: string) -> string; }
        world w {
          import host;
          import now: func() -> u64;
          export run: func(input: string) -> result<string, string>;
          export api: interface { ping: func(); }
        }
        """))
    s = world_surface(r.worlds["a:b/w"], r)
    assert dict(s.imports) == {"a:b/host": {"get": "func(k: string) -> string"}}
    assert dict(s.import_functions) == {"now": "func() -> u64"}
    assert dict(s.exports) == {"run": "func(input: string) -> result<string, string>"}
    assert dict(s.export_interfaces) == {"api": {"ping": "func()"}}


def test_world_item_without_target_is_refused_not_dropped(write_wit):
    """An import naming neither a function nor an interface must not vanish from the surface
    (a dropped import would make two different worlds compare equal)."""
    from dataclasses import replace

    r = resolve_path(write_wit("package a:b;\nworld w { import now: func() -> u64; }\n"))
    world = r.worlds["a:b/w"]
    hollow = replace(world, imports={"now": replace(world.imports["now"], function=None)})
    with pytest.raises(ValueError, match="neither a function nor an interface"):
        world_surface(hollow, r)
