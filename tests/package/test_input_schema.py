"""Spec §2.2: every error path of the tool input_schema subset, plus the reference's tests."""

from __future__ import annotations

import pytest

from engine.package.input_schema import json_equal, validate_input_schema

OBJ = {"type": "object"}


def nested(node, key="q"):
    return {"type": "object", "properties": {key: node}}


# -- reference tests (§7.2 "Schema") -----------------------------------------------------------

def test_rejects_invalid_root_schema():
    assert "type must be `object`" in validate_input_schema({"type": "string"})


def test_rejects_unsupported_schema_keyword():
    assert "unsupported schema keyword" in validate_input_schema({"type": "object", "oneOf": []})


def test_rejects_invalid_nested_property_schema_node():
    error = validate_input_schema({
        "type": "object", "properties": {"query": "not-a-schema"},
        "required": ["query"], "additionalProperties": False,
    })
    assert error == "$.properties.query: schema node must be a JSON object"


def test_rejects_invalid_recursive_schema_members():
    duplicate = {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query", "query"]}
    assert "required entries must be unique" in validate_input_schema(duplicate)
    items = {"type": "object", "properties": {"values": {"type": "array", "items": "not-a-schema"}}}
    assert validate_input_schema(items) == "$.properties.values.items: schema node must be a JSON object"
    additional = {"type": "object", "additionalProperties": {"type": "unsupported"}}
    assert validate_input_schema(additional) == "$.additionalProperties: unsupported schema type `unsupported`"


def test_accepts_object_tool_schema():
    assert validate_input_schema({
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "Search text"},
            "limit": {"type": "integer", "enum": [1, 5, 10]},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["query"],
        "additionalProperties": {"type": "string"},
    }) is None


# -- every error path ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ("x", "$: schema node must be a JSON object"),
        ([], "$: schema node must be a JSON object"),
        (None, "$: schema node must be a JSON object"),
        ({"type": "object", "$ref": "#/x"}, "$: unsupported schema keyword `$ref`"),
        ({"type": "object", "default": {}}, "$: unsupported schema keyword `default`"),
        ({}, "root schema must declare type = `object`"),
        ({"type": ["object", "null"]}, "$: type must be a string"),
        ({"type": "map"}, "$: unsupported schema type `map`"),
        ({"type": "string"}, "root schema type must be `object`"),
        ({"type": "array", "items": OBJ}, "root schema type must be `object`"),
        ({"type": "object", "title": 3}, "$: title must be a string"),
        ({"type": "object", "description": False}, "$: description must be a string"),
        (nested({"type": "string", "properties": {}}), "$.properties.q: properties is only supported for object schemas"),
        ({"type": "object", "properties": []}, "$: properties must be a JSON object"),
        (nested({}), "$.properties.q: schema node must declare type"),
        (nested({"type": 1}), "$.properties.q: type must be a string"),
        (nested({"type": "string", "required": []}), "$.properties.q: required is only supported for object schemas"),
        ({"type": "object", "required": "q"}, "$: required must be an array"),
        ({"type": "object", "required": [1]}, "$: required entries must be strings"),
        ({"type": "object", "required": ["a", "a"]}, "$: required entries must be unique"),
        ({"type": "object", "properties": {}, "required": ["a"]},
         "$: required entry `a` is not declared in properties"),
        (nested({"type": "string", "additionalProperties": True}),
         "$.properties.q: additionalProperties is only supported for object schemas"),
        ({"type": "object", "additionalProperties": "no"}, "$: additionalProperties must be boolean or schema object"),
        ({"type": "object", "additionalProperties": {"type": "object", "x": 1}},
         "$.additionalProperties: unsupported schema keyword `x`"),
        ({"type": "object", "items": OBJ}, "$: items is only supported for array schemas"),
        (nested({"type": "array", "items": {"type": "array", "items": {}}}),
         "$.properties.q.items.items: schema node must declare type"),
        (nested({"type": "array", "items": [OBJ]}), "$.properties.q.items: schema node must be a JSON object"),
        ({"type": "object", "enum": "a"}, "$: enum must be an array"),
        ({"type": "object", "enum": []}, "$: enum must not be empty"),
        (nested({"type": "string", "enum": ["a", "b", "a"]}), "$.properties.q: enum entries must be unique"),
        (nested({"type": "object", "enum": [{"a": [1]}, {"a": [1]}]}), "$.properties.q: enum entries must be unique"),
    ],
)
def test_error_paths(schema, expected):
    assert validate_input_schema(schema) == expected


def test_required_names_are_not_cross_checked_without_properties():
    assert validate_input_schema({"type": "object", "required": ["anything"]}) is None


def test_enum_values_are_not_type_checked_and_json_types_stay_apart():
    # true/1/1.0 are distinct JSON values even though Python's == says otherwise.
    assert validate_input_schema({"type": "object", "properties": {"e": {"type": "string", "enum": [True, 1, 1.0, "1"]}}}) is None
    assert json_equal({"a": [1, 2.5]}, {"a": [1, 2.5]})
    assert not json_equal([1], [1.0])


def test_first_error_follows_check_order():
    # Keyword check precedes type check; properties are visited in sorted key order.
    assert validate_input_schema({"type": 5, "zzz": 1}) == "$: unsupported schema keyword `zzz`"
    schema = {"type": "object", "properties": {"b": {}, "a": "x"}}
    assert validate_input_schema(schema) == "$.properties.a: schema node must be a JSON object"
    # properties errors come before required errors
    schema = {"type": "object", "properties": {"a": {}}, "required": ["a", "a"]}
    assert validate_input_schema(schema) == "$.properties.a: schema node must declare type"


def test_all_valid_types_accepted_as_children():
    props = {t: {"type": t} for t in ("object", "array", "string", "number", "integer", "boolean", "null")}
    assert validate_input_schema({"type": "object", "properties": props, "additionalProperties": False}) is None
