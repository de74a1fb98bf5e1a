"""Where each key and item of a TOML file is written (line, column), for diagnostics about
`plugin.toml` and the enablement config.

tomllib returns plain values without positions, so this small structural scanner walks the text
again (only after tomllib accepted it, and only when a diagnostic asks: `LazyLocations`) and
records the first position of every key path. A position-keeping parser (tomlkit) would cost
every `check` its import, about 30 ms, against a few ms for tomllib; this scanner costs nothing
until something is wrong. It records:
`id`, `runtime`, `runtime.kind`, `tools[0]`, `tools[0].name`, `permissions[2]`, ... It knows
table headers, `[[array-of-tables]]`, dotted and quoted keys, arrays and inline tables spread
over lines, strings of all four kinds and comments; values are skipped, never interpreted.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import re
import tomllib
from collections.abc import Iterator, Mapping

from engine.diagnostics import Location

_WS = re.compile(r"[ \t]*")
_WS_NL = re.compile(r"(?:[ \t\r\n]+|#[^\n]*)*")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_STRINGS = (
    ('"""', re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*""""{0,2}', re.S)),
    ("'''", re.compile(r"'''.*?''''{0,2}", re.S)),
    ('"', re.compile(r'"(?:[^"\\\n]|\\.)*"')),
    ("'", re.compile(r"'[^'\n]*'")),
)
_SCALAR = re.compile(r"[^,\]}\r\n#]*")


class _Stop(Exception):
    """The text is not shaped as expected; keep the positions found so far."""


class _Scanner:
    def __init__(self, text: str, file: str):
        self.text = text
        self.file = file
        self.pos = 0
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.found: dict[str, Location] = {}
        self.table_arrays: dict[str, int] = {}

    # -- positions ---------------------------------------------------------------------------
    def location(self, pos: int) -> Location:
        index = bisect.bisect_left(self.newlines, pos)
        line_start = self.newlines[index - 1] + 1 if index else 0
        return Location(self.file, index + 1, pos - line_start + 1)

    def record(self, path: str, pos: int) -> None:
        if path not in self.found:
            self.found[path] = self.location(pos)

    # -- lexing ------------------------------------------------------------------------------
    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip(self, pattern: re.Pattern[str]) -> None:
        match = pattern.match(self.text, self.pos)
        if match is None:  # the skip patterns all match the empty string; kept for safety
            raise _Stop
        self.pos = match.end()

    def expect(self, token: str) -> None:
        if not self.text.startswith(token, self.pos):
            raise _Stop
        self.pos += len(token)

    def string(self) -> str:
        for opener, pattern in _STRINGS:
            if self.text.startswith(opener, self.pos):
                match = pattern.match(self.text, self.pos)
                if match is None:
                    raise _Stop
                self.pos = match.end()
                return match.group(0)
        raise _Stop

    def key(self) -> list[str]:
        """A dotted key (`a."b.c".d`) as its segments."""
        parts = []
        while True:
            self.skip(_WS)
            if self.peek() in ('"', "'"):
                raw = self.string()
                parts.append(tomllib.loads(f"k = {raw}")["k"] if raw[0] == '"' else raw[1:-1])
            else:
                match = _BARE_KEY.match(self.text, self.pos)
                if match is None:
                    raise _Stop
                self.pos = match.end()
                parts.append(match.group(0))
            self.skip(_WS)
            if self.peek() != ".":
                return parts
            self.pos += 1

    # -- structure ---------------------------------------------------------------------------
    def scan(self) -> None:
        context = ""
        while True:
            self.skip(_WS_NL)
            if self.pos >= len(self.text):
                return
            if self.peek() == "[":
                context = self.header()
            else:
                self.key_value(context)

    def header(self) -> str:
        start = self.pos
        is_array = self.text.startswith("[[", self.pos)
        self.pos += 2 if is_array else 1
        parts = self.key()
        self.expect("]]" if is_array else "]")
        path = ""
        for index, part in enumerate(parts):
            path = _join(path, part)
            last = index == len(parts) - 1
            if path in self.table_arrays and not (last and is_array):
                path = f"{path}[{self.table_arrays[path] - 1}]"
            self.record(path, start)
        if not is_array:
            return path
        count = self.table_arrays.get(path, 0)
        self.table_arrays[path] = count + 1
        item = f"{path}[{count}]"
        self.record(item, start)
        return item

    def key_value(self, context: str) -> None:
        start = self.pos
        path = context
        for part in self.key():
            path = _join(path, part)
            self.record(path, start)
        self.expect("=")
        self.skip(_WS)
        self.value(path)

    def value(self, path: str) -> None:
        char = self.peek()
        if char == "[":
            self.array(path)
        elif char == "{":
            self.inline_table(path)
        elif char in ('"', "'"):
            self.string()
        else:
            self.skip(_SCALAR)

    def array(self, path: str) -> None:
        self.pos += 1
        index = 0
        while True:
            self.skip(_WS_NL)
            if self.peek() == "]":
                self.pos += 1
                return
            if not self.peek():
                raise _Stop
            item = f"{path}[{index}]"
            self.record(item, self.pos)
            before = self.pos
            self.value(item)
            index += 1
            self.skip(_WS_NL)
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "]" or self.pos == before:
                raise _Stop

    def inline_table(self, path: str) -> None:
        self.pos += 1
        while True:
            self.skip(_WS_NL)
            if self.peek() == "}":
                self.pos += 1
                return
            self.key_value(path)
            self.skip(_WS_NL)
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "}":
                raise _Stop


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


def scan_locations(text: str, file: str = "plugin.toml") -> Mapping[str, Location]:
    """Map key paths (`tools[0].name`) to their first position in `text`; best effort: a shape
    the scanner does not follow ends the scan, keeping what it found (it never raises)."""
    scanner = _Scanner(text, file)
    with contextlib.suppress(_Stop, tomllib.TOMLDecodeError, RecursionError, IndexError, KeyError):
        scanner.scan()
    return scanner.found


class LazyLocations(Mapping[str, Location]):
    """`scan_locations(text)` computed on first use: most manifests are valid and nobody asks
    where their keys are, so the happy path does not pay for the scan."""

    def __init__(self, text: str, file: str = "plugin.toml"):
        self._text = text
        self._file = file
        self._found: Mapping[str, Location] | None = None

    def _locations(self) -> Mapping[str, Location]:
        if self._found is None:
            self._found = scan_locations(self._text, self._file)
        return self._found

    def cache_key_material(self) -> object:
        """The positions are a function of the file name and the text: a verdict cache keys on
        those (engine/pipeline/inputs.py) without paying for the scan."""
        return (self._file, hashlib.sha256(self._text.encode("utf-8", "surrogatepass")).digest())

    def __getitem__(self, key: str) -> Location:
        return self._locations()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._locations())

    def __len__(self) -> int:
        return len(self._locations())

    def __repr__(self) -> str:
        return f"LazyLocations({len(self)} keys)"


def nearest_location(locations: Mapping[str, Location], path: str) -> Location | None:
    """The location of `path` or, failing that, of its closest recorded parent."""
    while path:
        if path in locations:
            return locations[path]
        cut = max(path.rfind("."), path.rfind("["))
        if cut <= 0:
            return None
        path = path[:cut]
    return None
