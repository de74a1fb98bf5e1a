"""Every constant cerberus schema passes cerberus's own schema check (engine/schemas.py trusts them)."""

import threading

import pytest

from engine.grants import schema as grants_schema
from engine.package import manifest_schema
from engine.schemas import cached_validator, check_definition, trusted_validator

SCHEMAS = [
    ("manifest", manifest_schema.MANIFEST_SCHEMA, manifest_schema._StrictValidator),
    *[(f"permission.{kind}", schema, manifest_schema._StrictValidator)
      for kind, schema in manifest_schema.PERMISSION_SCHEMAS.items()],
    ("plugins", grants_schema.PLUGINS_SCHEMA, manifest_schema._StrictValidator),
]


@pytest.mark.parametrize(("name", "schema", "cls"), SCHEMAS, ids=[s[0] for s in SCHEMAS])
def test_constant_schemas_are_valid_cerberus_definitions(name, schema, cls):
    if cls is None:
        check_definition(schema)
    else:
        check_definition(schema, cls)


def test_trusted_validator_validates_like_a_checked_one():
    validator = trusted_validator({"a": {"type": "integer", "required": True}}, allow_unknown=False)
    assert validator.validate({"a": 1})
    assert not validator.validate({"a": "x"})
    assert not validator.validate({"a": 1, "b": 2})


_CACHED = {"a": {"type": "integer"}}  # a constant, as cached_validator's key is the schema's id


def test_cached_validator_is_built_once_per_thread():
    first = cached_validator(_CACHED, allow_unknown=False)
    assert cached_validator(_CACHED, allow_unknown=False) is first
    assert not first.validate({"b": 1})
    elsewhere = []
    thread = threading.Thread(target=lambda: elsewhere.append(cached_validator(_CACHED, allow_unknown=False)))
    thread.start()
    thread.join()
    assert elsewhere[0] is not first and elsewhere[0].validate({"a": 1})
