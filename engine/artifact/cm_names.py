"""Component-model import/export names: which are valid, their kind, and when two collide.

A port of wasmparser's validator/names.rs with the features wasmtime 50 enables (no nested
package names, no `implements`): labels in kebab case (`a-b-c`), resource functions
(`[constructor]r`, `[method]r.f`, `[static]r.f`), interface names (`ns:pkg/iface@1.2.3`),
and the dependency, url and integrity forms. Labels compare ignoring ASCII case, and
`[method]r.f` collides with `[static]r.f` (and `[method]a.a` with `a`), as the spec says.
"""

from __future__ import annotations

import re

from engine.errors import EngineError, ErrorKind

CONSTRUCTOR, METHOD, STATIC = "[constructor]", "[method]", "[static]"

_NUMERIC = r"(?:0|[1-9][0-9]*)"
_PRE_ID = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_SEMVER = re.compile(
    rf"{_NUMERIC}\.{_NUMERIC}\.{_NUMERIC}(?:-{_PRE_ID}(?:\.{_PRE_ID})*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
_BASE64 = re.compile(r"[0-9A-Za-z+/]+={0,2}")


class BadName(EngineError, ValueError):
    """An extern name that is not valid (the message says why)."""

    error_kind = ErrorKind.REJECTED


def is_kebab(s: str) -> bool:
    """wasmparser's KebabStr::is_kebab_case: words of all-lower or all-upper ASCII letters and
    digits joined by single hyphens; only the first word may not start with a digit."""
    lower = upper = has_digit = False
    first = True
    for c in s:
        letter_lower, letter_upper, digit = "a" <= c <= "z", "A" <= c <= "Z", "0" <= c <= "9"
        if (letter_lower or letter_upper) and not lower and not upper:
            lower, upper = letter_lower, letter_upper
        elif digit and not lower and not upper and not first:
            has_digit = True
        elif (letter_lower and lower) or (letter_upper and upper):
            pass
        elif digit and (lower or upper):
            has_digit = True
        elif c == "-" and (lower or upper or has_digit):
            lower = upper = has_digit = False
            first = False
        else:
            return False
    return bool(s) and not s.endswith("-")


def kebab_key(s: str) -> str:
    """What two kebab names compare by (ASCII case ignored)."""
    return s.lower()


def is_semver(s: str) -> bool:
    return _SEMVER.fullmatch(s) is not None


def _kebab(s: str) -> str:
    if not is_kebab(s):
        if not s:
            raise BadName("name cannot be empty")
        raise BadName(f"`{s}` is not in kebab case")
    return s


def _lowercase_kebab(s: str) -> str:
    _kebab(s)
    if any(c.isupper() for c in s):
        raise BadName(f"`{s}` is not lowercase in package name/namespace")
    return s


class _Parser:
    def __init__(self, text: str):
        self.rest = text

    def eat(self, prefix: str) -> bool:
        if self.rest.startswith(prefix):
            self.rest = self.rest[len(prefix) :]
            return True
        return False

    def expect(self, prefix: str) -> None:
        if not self.eat(prefix):
            raise BadName(f"expected `{prefix}`")

    def up_to(self, c: str) -> str:
        i = self.rest.find(c)
        if i < 0:
            raise BadName(f"failed to find `{c}` character")
        taken, self.rest = self.rest[:i], self.rest[i:]
        return taken

    def until(self, c: str) -> str:
        taken = self.up_to(c)
        self.rest = self.rest[1:]
        return taken

    def take_kebab(self) -> str:
        i = 0
        while i < len(self.rest) and (self.rest[i].isascii() and (self.rest[i].isalnum() or self.rest[i] == "-")):
            i += 1
        taken, self.rest = self.rest[:i], self.rest[i:]
        return _kebab(taken)

    def pkg_path(self, require_projection: bool) -> None:
        _lowercase_kebab(self.take_kebab())
        self.expect(":")
        _lowercase_kebab(self.take_kebab())
        if self.rest.startswith("/"):
            self.rest = self.rest[1:]
            self.take_kebab()
        elif require_projection:
            raise BadName("expected `/` after package name")

    def pkg_name(self, interface: bool) -> None:
        self.pkg_path(interface)
        if self.eat("@"):
            i = self.rest.find(">")
            version = self.rest if i < 0 else self.rest[:i]
            self.rest = "" if i < 0 else self.rest[i:]
            if not interface and not is_semver(version):
                raise BadName(f"`{version}` is not a valid semver")

    def hash(self) -> None:
        hashes = self.up_to(">").split()
        if not hashes:
            raise BadName("integrity hash cannot be empty")
        for h in hashes:
            algo, dash, rest = h[:6], h[6:7], h[7:]
            if algo not in ("sha256", "sha384", "sha512"):
                raise BadName(f"unrecognized hash algorithm: `{h}`")
            if dash != "-":
                raise BadName(f"expected `-` after hash algorithm: {h}")
            if not _BASE64.fullmatch(rest.partition("?")[0]):
                raise BadName("not valid base64")

    def optional_hash(self) -> None:
        if self.eat(","):
            self.expect("integrity=<")
            self.hash()
            self.expect(">")

    def version_range(self, text: str) -> None:
        if text == "*":
            return
        if text.startswith(">="):
            lower, _, upper = text[2:].partition(" ")
            if not is_semver(lower):
                raise BadName(f"`{lower}` is not a valid semver")
            if upper and (not upper.startswith("<") or not is_semver(upper[1:])):
                raise BadName("invalid version range upper bound")
        elif text.startswith("<"):
            if not is_semver(text[1:]):
                raise BadName(f"`{text[1:]}` is not a valid semver")
        else:
            raise BadName("expected `>=` or `<` at start of version range")


class ComponentName:
    """A parsed extern name: `kind` is label, constructor, method, static, interface,
    dependency, url or hash; `key` is what uniqueness compares."""

    __slots__ = ("key", "kind", "raw", "resource", "tail")

    def __init__(self, raw: str):
        self.raw = raw
        self.resource = ""  # the `r` of [constructor]r, [method]r.f, [static]r.f
        self.tail = ""  # the `f` of [method]r.f, [static]r.f
        p = _Parser(raw)
        self.kind = self._parse(p)
        if p.rest:
            raise BadName(f"trailing characters found: `{p.rest}`")
        self.key = self._key()

    def _parse(self, p: _Parser) -> str:
        if p.eat(CONSTRUCTOR):
            self.resource = _kebab(p.rest)
            p.rest = ""
            return "constructor"
        for prefix, kind in ((METHOD, "method"), (STATIC, "static")):
            if p.eat(prefix):
                self.resource = _kebab(p.until("."))
                self.tail = _kebab(p.rest)
                p.rest = ""
                return kind
        if p.eat("unlocked-dep="):
            p.expect("<")
            p.pkg_path(False)
            if p.eat("@") and not p.eat("*"):
                p.expect("{")
                p.version_range(p.until("}"))
            p.expect(">")
            return "dependency"
        if p.eat("locked-dep="):
            p.expect("<")
            p.pkg_name(False)
            p.expect(">")
            p.optional_hash()
            return "dependency"
        if p.eat("url="):
            p.expect("<")
            if "<" in p.up_to(">"):
                raise BadName("url cannot contain `<`")
            p.expect(">")
            p.optional_hash()
            return "url"
        if p.eat("integrity="):
            p.expect("<")
            p.hash()
            p.expect(">")
            return "hash"
        if ":" in p.rest:
            p.pkg_name(True)
            return "interface"
        _kebab(p.rest)
        p.rest = ""
        return "label"

    def _key(self) -> tuple[str, ...]:
        if self.kind == "label":
            return ("label", kebab_key(self.raw))
        if self.kind == "constructor":
            return ("constructor", kebab_key(self.resource))
        if self.kind in ("method", "static"):
            if kebab_key(self.resource) == kebab_key(self.tail):  # `[method]a.a` is the label `a`
                return ("label", kebab_key(self.resource))
            return ("resource-func", kebab_key(self.resource), kebab_key(self.tail))
        return (self.kind, self.raw)

    def interface_version(self) -> str | None:
        """The `1.2.3` of `ns:pkg/iface@1.2.3` (None without a version); raises if not semver."""
        at = self.raw.find("@")
        if at < 0:
            return None
        version = self.raw[at + 1 :]
        if not is_semver(version):
            raise BadName(f"invalid interface version: `{version}` is not a valid semver")
        return version


def parse_name(raw: str) -> ComponentName:
    """A ComponentName, or BadName saying why `raw` is not one."""
    return ComponentName(raw)
