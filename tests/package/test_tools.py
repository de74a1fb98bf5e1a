"""Spec §2.1 tool names and duplicate tool names within one manifest."""

from __future__ import annotations

import pytest

from engine.package.model import Manifest, Tool
from engine.package.tools import duplicate_tool_names, tool_definition_problems, validate_tool_name

OBJ = {"type": "object"}


@pytest.mark.parametrize("name", ["Read", "PluginSearch", "example_echo", "a.b/c", "é", "x" * 128])
def test_valid_tool_names(name):
    assert validate_tool_name(name) is None


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "name must not be empty"),
        ("x" * 129, "name is longer than 128 bytes"),
        ("é" * 65, "name is longer than 128 bytes"),  # 130 bytes, 65 characters
        ("Bad Tool", "name must not contain whitespace or control characters"),
        ("tab\tname", "name must not contain whitespace or control characters"),
        ("nl\n", "name must not contain whitespace or control characters"),
        ("bell\x07", "name must not contain whitespace or control characters"),
        ("del\x7f", "name must not contain whitespace or control characters"),
        ("nbsp\u00a0x", "name must not contain whitespace or control characters"),
        ("ideo\u3000x", "name must not contain whitespace or control characters"),
        ("c1\u0085x", "name must not contain whitespace or control characters"),
    ],
)
def test_invalid_tool_names(name, reason):
    assert validate_tool_name(name) == reason


def manifest(*names):
    return Manifest(1, "p", "P", "1", tools=tuple(Tool(n, "d", OBJ) for n in names))


def test_duplicate_tool_names():
    assert duplicate_tool_names(manifest("a", "b", "a", "c", "b", "a")) == frozenset({"a", "b"})
    assert duplicate_tool_names(manifest("a", "b")) == frozenset()
    assert duplicate_tool_names(manifest()) == frozenset()


def test_tool_definition_problems_in_reference_order():
    tool = Tool("Bad Tool", "d", {"type": "object", "$ref": "#/x"})
    assert tool_definition_problems(tool, frozenset({"Bad Tool"})) == [
        "tool `Bad Tool` has duplicate name within plugin manifest",
        "tool `Bad Tool` has invalid name: name must not contain whitespace or control characters",
        "tool `Bad Tool` has invalid input_schema: $: unsupported schema keyword `$ref`",
    ]
    assert tool_definition_problems(Tool("ok", "d", OBJ), frozenset()) == []
