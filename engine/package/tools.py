"""Tool definition checks (spec §2.1, §2.2): name rules, duplicates, and input schemas.

Tool names and schemas are not manifest-level rules: a manifest with a bad tool still loads, and
check/list/show report the problem per tool with these texts.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

from engine.package.ids import has_invisible
from engine.package.input_schema import validate_input_schema
from engine.package.model import Manifest, Tool

TOOL_NAME_MAX_BYTES = 128
# `validate_tool_name` as a JSON Schema `pattern`: no control (Cc), White_Space, bidi or
# zero-width character, 1 to 128 characters (the byte bound is `check`'s: a pattern counts
# characters, and no name within 128 bytes has more than 128 of them).
TOOL_NAME_PATTERN = (
    r"^[^\x00-\x20\x7f-\xa0\u061c\u1680\u2000-\u200f\u2028-\u202f\u205f\u2060\u2066-\u2069\u3000\ufeff]"
    rf"{{1,{TOOL_NAME_MAX_BYTES}}}$"
)


def validate_tool_name(name: str) -> str | None:
    """Return the §2.1 reason a tool name is invalid, or None when it is valid."""
    if not name:
        return "name must not be empty"
    if len(name.encode("utf-8")) > TOOL_NAME_MAX_BYTES:
        return "name is longer than 128 bytes"
    if any(_is_control_or_whitespace(ch) for ch in name):
        return "name must not contain whitespace or control characters"
    if has_invisible(name):  # a departure: the reference accepts them (docs/reference-differences.md)
        return "name must not contain bidi or zero-width characters"
    return None


def _is_control_or_whitespace(ch: str) -> bool:
    # Rust's char::is_control is category Cc and char::is_whitespace the White_Space property;
    # str.isspace() covers exactly White_Space plus U+001C..U+001F, which are Cc anyway.
    return unicodedata.category(ch) == "Cc" or ch.isspace()


def duplicate_tool_names(manifest: Manifest) -> frozenset[str]:
    """Names declared by more than one `[[tools]]` entry of the manifest."""
    counts = Counter(tool.name for tool in manifest.tools)
    return frozenset(name for name, count in counts.items() if count > 1)


def tool_definition_problems(tool: Tool, duplicates: frozenset[str]) -> list[str]:
    """Every definition problem of one tool, in the reference's order (duplicate, name, schema)."""
    problems = []
    if tool.name in duplicates:
        problems.append(f"tool `{tool.name}` has duplicate name within plugin manifest")
    reason = validate_tool_name(tool.name)
    if reason is not None:
        problems.append(f"tool `{tool.name}` has invalid name: {reason}")
    reason = validate_input_schema(tool.input_schema)
    if reason is not None:
        problems.append(f"tool `{tool.name}` has invalid input_schema: {reason}")
    return problems
