"""Random and mutated text never makes the WIT front end raise anything but WitError."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.wit import WitError, resolve_path
from engine.wit.parser import parse_text

VALID = """package a:b@1.0.0;
/// docs
interface i {
  use j.{t as u};
  resource r { constructor(x: u); m: func() -> result<list<u8, 2>, string>; s: static func(); }
  record rec { a: u, b: option<tuple<u8, r>> }
  variant v { x, y(borrow<r>) }
  @unstable(feature = f) enum e { p, q }
  flags fl { a }
  f: async func(m: map<string, u8>, s: stream<u8>, q: future) -> rec;
}
interface j { type t = u32; }
world w { import i; export g: func() -> u32; include w2 with { h as h2 } }
world w2 { import h: func(); }
"""

TOKENS = ["package", "a:b", "interface", "world", "{", "}", "(", ")", "<", ">", ";", ":", ",", ".",
          "use", "func", "->", "type", "=", "record", "resource", "import", "export", "include",
          "with", "as", "list", "u8", "string", "result", "_", "@since", "@unstable", "version",
          "feature", "1.0.0", "x", "%type", "///", "/*", "*/", "\n", " ", "borrow", "own"]


def _check(text: str, tmp_path) -> None:
    try:
        parse_text(text, "fuzz.wit")
    except WitError as exc:
        assert exc.diagnostics and all(d.kind == "wit" for d in exc.diagnostics)
    path = tmp_path / "fuzz.wit"
    path.write_text(text, encoding="utf-8")
    try:
        resolve_path(path)
    except WitError as exc:
        assert exc.diagnostics


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_random_text(tmp_path, text):
    _check(text, tmp_path)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(TOKENS), max_size=60))
def test_random_token_soup(tmp_path, tokens):
    _check(" ".join(tokens), tmp_path)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutated_valid_wit(tmp_path, data):
    text = VALID
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(pos, min(len(text), pos + 12)))
        insert = data.draw(st.sampled_from(["", *TOKENS, "x", "9", "@"]))
        text = text[:pos] + insert + text[end:]
    _check(text, tmp_path)


def test_valid_fuzz_seed_resolves(tmp_path):
    path = tmp_path / "seed.wit"
    path.write_text(VALID)
    r = resolve_path(path, features=["f"])
    assert "e" in r.interfaces["a:b/i@1.0.0"].types


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["a.wit", "b.wit", "deps/x.wit", "deps/y/c.wit", "deps/y/d.wit"]),
                          st.lists(st.sampled_from(TOKENS + ["package a:b;", "package x:y;", "interface i {}",
                                                             "use x:y/i.{t};", "world w { include x:y/w; }"]),
                                   max_size=12)),
                min_size=1, max_size=5))
def test_random_folder_layouts(tmp_path_factory, files):
    root = tmp_path_factory.mktemp("pkg")
    for name, tokens in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(" ".join(tokens), encoding="utf-8")
    try:
        resolve_path(root)
    except WitError as exc:
        assert exc.diagnostics
