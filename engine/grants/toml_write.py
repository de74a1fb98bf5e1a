"""A small TOML writer for the values a lock holds (strings, integers, finite floats, booleans,
arrays and tables), so `yoi plugin lock` can append its tables to a config without rewriting it.

tomllib only reads. The values written come from TOML or JSON already (manifests, grants,
enablement `config`), so there is no date-time and no null; anything else is a `TomlWriteError`
rather than text that would not read back as the same value.
"""

from __future__ import annotations

import math
import re
from typing import Any

from engine.errors import EngineError, ErrorKind

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f\ud800-\udfff]')


class TomlWriteError(EngineError, ValueError):
    """A value TOML cannot hold as written (null, NaN, a lone surrogate, a date)."""

    error_kind = ErrorKind.INPUT


def string(text: str) -> str:
    """A TOML basic string. Control characters are escaped; a lone surrogate (a file name that
    was not UTF-8) cannot be written at all."""

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        if "\ud800" <= char <= "\udfff":
            raise TomlWriteError("text is not valid Unicode (a lone surrogate)")
        return _ESCAPES.get(char) or f"\\u{ord(char):04x}"

    return '"' + _NEEDS_ESCAPE.sub(escape, text) + '"'


def key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else string(name)


def inline(value: Any) -> str:
    """`value` on one line (inline tables for tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TomlWriteError("a non-finite number cannot be written")
        return repr(value)
    if isinstance(value, str):
        return string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(inline(item) for item in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{key(k)} = {inline(v)}" for k, v in value.items()) + " }"
    raise TomlWriteError(f"a {type(value).__name__} value cannot be written")


def assignment(name: str, value: Any) -> str:
    """`name = value`; an array of tables is spread one table per line, for people to read."""
    if isinstance(value, (list, tuple)) and value and all(isinstance(item, dict) for item in value):
        return f"{key(name)} = [\n" + "".join(f"  {inline(item)},\n" for item in value) + "]"
    return f"{key(name)} = {inline(value)}"


def table(header: str, values: dict[str, Any], *, subtables: tuple[str, ...] = ()) -> list[str]:
    """`[header]` (or `[[header]]` when it starts with `[[`) and its keys, then each of
    `subtables` (table-valued keys of `values`) as `[header.name]`, one key per line."""
    name = header.strip("[]")
    lines = [header]
    lines += [assignment(k, v) for k, v in values.items() if k not in subtables and v is not None]
    for sub in subtables:
        if isinstance(values.get(sub), dict):
            lines += ["", f"[{name}.{key(sub)}]"]
            lines += [assignment(k, v) for k, v in values[sub].items() if v is not None]
    return lines
